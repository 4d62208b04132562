"""Every URL pattern's view declares the access it enforces (annotator.permissions).

A function view carries ``view.access`` (``@declares``), a DRF view class an
``access`` attribute. The walk goes through every resolver recursively, so a
view added anywhere is covered; only the third-party views below are exempt,
and each exemption is checked to really be that third-party view.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from annotator.permissions import Access

# Whole namespaces owned by Django: the admin site guards every view itself (staff only).
EXEMPT_NAMESPACES = {"admin": admin.site}
# Single views owned by third parties, by URL name and the class that must serve it.
EXEMPT_VIEWS = {
    "login": "django.contrib.auth.views.LoginView",
    "logout": "django.contrib.auth.views.LogoutView",
    "password_change": "django.contrib.auth.views.PasswordChangeView",
    "password_change_done": "django.contrib.auth.views.PasswordChangeDoneView",
    "password_reset": "django.contrib.auth.views.PasswordResetView",
    "password_reset_done": "django.contrib.auth.views.PasswordResetDoneView",
    "password_reset_confirm": "django.contrib.auth.views.PasswordResetConfirmView",
    "password_reset_complete": "django.contrib.auth.views.PasswordResetCompleteView",
    "api-schema": "drf_spectacular.views.SpectacularAPIView",
    "api-docs": "drf_spectacular.views.SpectacularSwaggerSplitView",
}


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "admin:index"
    route: str
    view: Callable
    kwargs: tuple[str, ...]
    exempt_by: str  # the namespace or view name that exempts it, "" if none

    @property
    def is_api(self) -> bool:
        return hasattr(self.view, "cls")

    @property
    def access(self) -> Access | None:
        declared = getattr(self.view, "access", None)
        if declared is None and self.is_api:
            declared = getattr(self.view.cls, "access", None)
        return declared


def view_class_path(view: Callable) -> str:
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if view_class is None:
        return f"{view.__module__}.{view.__qualname__}"
    return f"{view_class.__module__}.{view_class.__qualname__}"


def walk(
    patterns: list | None = None,
    *,
    prefix: str = "",
    namespace: str = "",
    kwargs: tuple[str, ...] = (),
    exempt_by: str = "",
) -> Iterator[Route]:
    """Every URL pattern under ``patterns`` (default: the root URLconf), depth first."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        names = (*kwargs, *pattern.pattern.regex.groupindex)
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            exemption = exempt_by
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
                if pattern.namespace in EXEMPT_NAMESPACES and not exempt_by:
                    exemption = pattern.namespace
            yield from walk(
                pattern.url_patterns,
                prefix=route,
                namespace=inner,
                kwargs=names,
                exempt_by=exemption,
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name or ''}"
            exemption = exempt_by or (name if name in EXEMPT_VIEWS else "")
            yield Route(name, route, pattern.callback, names, exemption)


ROUTES = list(walk())
CHECKED = [route for route in ROUTES if not route.exempt_by]
EXEMPT = [route for route in ROUTES if route.exempt_by]


@pytest.mark.parametrize("route", CHECKED, ids=lambda route: route.name or route.route)
def test_view_declares_its_access(route: Route):
    assert isinstance(route.access, Access), (
        f"{route.route} ({view_class_path(route.view)}) declares no access: add "
        "@declares(Access.X) to the function view, or access = Access.X to the DRF view class"
    )


@pytest.mark.parametrize(
    "route",
    [route for route in EXEMPT if route.exempt_by in EXEMPT_VIEWS],
    ids=lambda route: route.name,
)
def test_exempt_views_are_the_listed_third_party_views(route: Route):
    assert view_class_path(route.view) == EXEMPT_VIEWS[route.exempt_by]


@pytest.mark.parametrize("namespace", EXEMPT_NAMESPACES)
def test_exempt_namespaces_hold_only_their_site_urls(namespace: str):
    site_routes = [str(pattern.pattern) for pattern in EXEMPT_NAMESPACES[namespace].get_urls()]
    [resolver] = [
        pattern
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.namespace == namespace
    ]

    assert [str(pattern.pattern) for pattern in resolver.url_patterns] == site_routes


def test_walk_reaches_every_url_module():
    names = {route.name for route in ROUTES}

    assert {
        "project-list",
        "annotate",
        "gold-span-resize",
        "audit-log",
        "export",
        "project-create",
        "labels",
        "document-search",
    } <= names
    assert any(route.is_api for route in CHECKED)
    assert any(route.name.startswith("admin:") for route in EXEMPT)
    assert set(EXEMPT_VIEWS) <= {route.exempt_by for route in EXEMPT}

"""The Django admin, kept for superusers.

Its pages are not scoped by project: a manager given model permissions there would
see and change every project's documents. So the admin admits superusers only, and
managers set their projects up from the app's own pages (``web/manage.py``,
``web/documents.py``), which check their role in each project. A logged-in user
who is not a superuser gets a 403 that says where to go instead of the admin's
login form.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

REFUSAL = (
    "The Django admin is for superusers. Managers set up their projects from the app: "
    "open a project from {url} and use its Settings, Labels, Members, Upload and "
    "Find documents pages."
)


class SuperuserAdminSite(admin.AdminSite):
    site_header = "Annotator administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def admin_view(self, view: Callable, cacheable: bool = False) -> Callable:
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def superusers_only(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.is_authenticated and not self.has_permission(request):
                return HttpResponse(
                    REFUSAL.format(url=request.build_absolute_uri(reverse("project-list"))),
                    status=403,
                    content_type="text/plain; charset=utf-8",
                )
            return guarded(request, *args, **kwargs)

        return superusers_only


class SuperuserAdminConfig(AdminConfig):
    """django.contrib.admin, its default site being the one above (see INSTALLED_APPS)."""

    default_site = "annotator.admin_site.SuperuserAdminSite"

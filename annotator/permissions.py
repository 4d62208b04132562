"""One permission model for pages and API alike.

Roles are per project: manager, curator, annotator; superusers act as managers
everywhere. Every view declares the access it enforces, as ``view.access`` (a
function view, via :func:`declares`) or ``access`` on a DRF view class; a test
walks every URL pattern and fails on a view without a declaration, and a role
matrix checks that each declaration holds:

- an object of a project the user is not a member of is not found (404);
- a member whose role is too low is refused (403);
- anonymous users are sent to log in (pages) or get 401 (API).

Creating a project is not a role in a project but a site permission: superusers
and users granted ``annotator.add_project`` (``Access.CREATE_PROJECT``); anyone
else logged in is refused (403), there being no project to hide.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import (
    Assignment,
    Document,
    GoldRelation,
    GoldSpan,
    Project,
    Role,
    Span,
    Suggestion,
)

View = TypeVar("View", bound=Callable)


class Access(StrEnum):
    PUBLIC = "public"  # anyone, logged in or not
    AUTHENTICATED = "authenticated"  # any logged-in user; objects scoped to them
    MEMBER = "member"  # any role in the project
    CURATOR = "curator"  # curator or manager of the project
    MANAGER = "manager"  # manager of the project
    CREATE_PROJECT = "create_project"  # superusers and users granted annotator.add_project


def declares(access: Access) -> Callable[[View], View]:
    """Record on a function view the access it enforces."""

    def mark(view: View) -> View:
        view.access = access
        return view

    return mark


# How far each role reaches; an Access of a project names the lowest role it admits.
ROLE_RANK = {Role.ANNOTATOR: 1, Role.CURATOR: 2, Role.MANAGER: 3}
ACCESS_RANK = {Access.MEMBER: 1, Access.CURATOR: 2, Access.MANAGER: 3}
REFUSALS = {
    Access.CURATOR: "Curators and managers only.",
    Access.MANAGER: "Managers only.",
}


def role_allows(role: str | None, access: Access) -> bool:
    """Whether a role in a project (None: no role) reaches a project-level access."""
    return role is not None and ROLE_RANK[Role(role)] >= ACCESS_RANK[access]


def require_role(project: Project, user: AbstractBaseUser, access: Access) -> None:
    """403 unless the user's role in a project they can see reaches ``access``.

    Every visible project already admits its members, so ``MEMBER`` costs no query.
    """
    if access != Access.MEMBER and not role_allows(project.role_of(user), access):
        raise PermissionDenied(REFUSALS[access])


def may_create_projects(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.has_perm("annotator.add_project")


def require_project_creator(user: AbstractBaseUser) -> None:
    if not may_create_projects(user):
        raise PermissionDenied("Only users allowed to create projects may do this.")


def project_for(user: AbstractBaseUser, slug: str, access: Access) -> Project:
    """The project: 404 if the user cannot see it, 403 if their role is below ``access``."""
    project = get_object_or_404(Project.objects.visible_to(user), slug=slug)
    require_role(project, user, access)
    return project


def document_for(user: AbstractBaseUser, slug: str, document_id: int, access: Access) -> Document:
    """A document of the project ``slug``, with its project: 404 / 403 as :func:`project_for`."""
    if access == Access.MEMBER:
        return get_object_or_404(
            Document.objects.visible_to(user).select_related("project"),
            project__slug=slug,
            pk=document_id,
        )
    project = project_for(user, slug, access)
    document = get_object_or_404(Document, project=project, pk=document_id)
    document.project = project
    return document


def own_span_for(user: AbstractBaseUser, span_id: int) -> Span:
    """One of the user's own spans: annotation is blind, so anyone else's is a 404."""
    return get_object_or_404(
        Span.objects.visible_to(user).select_related("document__project", "label"),
        pk=span_id,
    )


def own_suggestion_for(user: AbstractBaseUser, suggestion_id: int) -> Suggestion:
    """A suggestion offered to the user: one for everyone in their projects, or their own;
    another annotator's is a 404, like their spans."""
    return get_object_or_404(
        Suggestion.objects.filter(
            Q(annotator=user) | Q(annotator__isnull=True),
            document__in=Document.objects.visible_to(user),
        ).select_related("document__project", "label"),
        pk=suggestion_id,
    )


def project_span_for(user: AbstractBaseUser, slug: str, span_id: int, access: Access) -> Span:
    """Any annotator's span in the project, for a role that reads them all (curation)."""
    project = project_for(user, slug, access)
    return get_object_or_404(
        Span.objects.select_related("document__project", "label"),
        document__project=project,
        pk=span_id,
    )


def gold_span_for(user: AbstractBaseUser, slug: str, gold_id: int, access: Access) -> GoldSpan:
    project = project_for(user, slug, access)
    return get_object_or_404(
        GoldSpan.objects.select_related("document__project", "label"),
        document__project=project,
        pk=gold_id,
    )


def gold_relation_for(
    user: AbstractBaseUser, slug: str, gold_relation_id: int, access: Access
) -> GoldRelation:
    project = project_for(user, slug, access)
    return get_object_or_404(
        GoldRelation.objects.select_related("document__project", "type", "source", "target"),
        document__project=project,
        pk=gold_relation_id,
    )


def assignment_for(
    user: AbstractBaseUser, slug: str, assignment_id: int, access: Access
) -> Assignment:
    project = project_for(user, slug, access)
    return get_object_or_404(
        Assignment.objects.select_related("document__project"),
        document__project=project,
        pk=assignment_id,
    )

"""One permission model for pages and API alike.

Roles are per project: manager, curator, annotator; superusers act as managers
everywhere. Every view declares the access it enforces, as ``view.access`` (a
function view, via :func:`declares`) or ``access`` on a DRF view class; a test
walks every URL pattern and fails on a view without a declaration, and a role
matrix checks that each declaration holds:

- an object of a project the user is not a member of is not found (404);
- a member whose role is too low is refused (403);
- anonymous users are sent to log in (pages) or get 401 (API).
"""

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

View = TypeVar("View", bound=Callable)


class Access(StrEnum):
    PUBLIC = "public"  # anyone, logged in or not
    AUTHENTICATED = "authenticated"  # any logged-in user; objects scoped to them
    MEMBER = "member"  # any role in the project
    CURATOR = "curator"  # curator or manager of the project
    MANAGER = "manager"  # manager of the project


def declares(access: Access) -> Callable[[View], View]:
    """Record on a function view the access it enforces."""

    def mark(view: View) -> View:
        view.access = access
        return view

    return mark

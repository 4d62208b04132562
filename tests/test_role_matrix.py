"""Every declared view, requested as every role, against its declaration.

Driven by the URL walk of test_permissions_walk, so a new view is covered as
soon as it is routed. For each view and role:

- anonymous: a page redirects to the login page; the API answers 401;
- a member of another project only: 404 for project views, allowed for
  ``AUTHENTICATED`` and ``PUBLIC`` ones, 403 for ``CREATE_PROJECT`` (no project
  to hide; only the manager of the world holds ``annotator.add_project``);
- a member whose role is below the declaration: 403;
- a member at or above it: neither refused (401/403) nor not found (404).

Views are requested with GET, or with an empty POST when they do not accept GET
(probed as a superuser). URL kwargs are filled from one world; ``span_id`` and
``token_id`` name the requester's own object (annotation is blind) where the
declaration admits the requester, alice's otherwise.
"""

import hashlib
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from test_permissions_walk import CHECKED, Route

from annotator.annotation.relations import relation_create
from annotator.annotation.spans import span_create
from annotator.models import (
    ApiToken,
    Assignment,
    Document,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    Label,
    LabelAttribute,
    Membership,
    Project,
    Relation,
    RelationType,
    Release,
    ReleaseJob,
    Role,
    Span,
    Suggestion,
)
from annotator.permissions import Access

# Who each role is in the world, and the lowest access they reach.
ROLES = ["anonymous", "outsider", "annotator", "curator", "manager"]
REACHES = {
    "anonymous": {Access.PUBLIC},
    "outsider": {Access.PUBLIC, Access.AUTHENTICATED},
    "annotator": {Access.PUBLIC, Access.AUTHENTICATED, Access.MEMBER},
    "curator": {Access.PUBLIC, Access.AUTHENTICATED, Access.MEMBER, Access.CURATOR},
    "manager": set(Access),
}
OWN_OBJECT_KWARGS = {"span_id", "token_id", "suggestion_id", "relation_id"}
DECLARED = [route for route in CHECKED if route.access is not None]


@dataclass
class World:
    project: Project
    document: Document
    label: Label
    gold_span: GoldSpan
    release: Release
    release_job: ReleaseJob
    users: dict[str, User]  # by role, plus "other annotator" and "superuser"
    spans: dict[str, Span]  # each user's own span, by role
    tokens: dict[str, ApiToken]
    suggestions: dict[str, Suggestion]  # a string match offered to each user alone, by role
    relations: dict[str, Relation]  # each user's own relation, by role
    attributes: dict[str, LabelAttribute]  # an attribute of each user's span's label, by role
    gold_relation: GoldRelation

    def kwargs_for(self, route: Route, role: str) -> dict[str, object]:
        # The outsider's own span is in their project: theirs to ask for only where
        # the declaration admits them, alice's (here) everywhere else.
        owner = role if route.access in REACHES[role] else "annotator"
        values = {
            "slug": self.project.slug,
            "document_id": self.document.pk,
            "label_id": self.label.pk,
            "gold_id": self.gold_span.pk,
            "version": self.release.version,
            "job_id": self.release_job.pk,
            "assignment_id": Assignment.objects.get(
                document=self.document, annotator=self.users["annotator"]
            ).pk,
            "membership_id": Membership.objects.get(
                project=self.project, user=self.users["annotator"]
            ).pk,
            "span_id": self.spans[owner if owner in self.spans else "annotator"].pk,
            "token_id": self.tokens[owner if owner in self.tokens else "annotator"].pk,
            "suggestion_id": self.suggestions[
                owner if owner in self.suggestions else "annotator"
            ].pk,
            "relation_id": self.relations[owner if owner in self.relations else "annotator"].pk,
            "attribute_id": self.attributes[owner if owner in self.attributes else "annotator"].pk,
            "relation_type_id": self.relations["annotator"].type_id,
            "gold_relation_id": self.gold_relation.pk,
        }
        unknown = [name for name in route.kwargs if name not in values]
        if unknown:
            pytest.fail(f"{route.name}: add a value for URL kwargs {unknown} to World.kwargs_for")
        return {name: values[name] for name in route.kwargs}


def _token(user: User) -> ApiToken:
    return ApiToken.objects.create(
        user=user,
        name="matrix",
        prefix=user.username[:8],
        digest=hashlib.sha256(user.username.encode()).hexdigest(),
    )


def _release(project: Project, author: User) -> Release:
    release = Release(project=project, version=1, author=author, guidelines_version=1)
    release.archive.save("talks-v1.zip", ContentFile(b"PK\x05\x06" + bytes(18)), save=False)
    release.archive_sha256 = hashlib.sha256(b"PK\x05\x06" + bytes(18)).hexdigest()
    release.save(force_insert=True)
    return release


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    project = Project.objects.create(name="Talks", slug="talks", guidelines="# Rules")
    label = Label.objects.create(project=project, name="actor", colour="#bfdbfe", hotkey="1")
    document = Document.objects.create(
        project=project, title="Talks", text="Sergey Lavrov said NATO will meet."
    )
    users = {}
    spans = {}
    for role, username, membership in [
        ("annotator", "alice", Role.ANNOTATOR),
        ("other annotator", "bob", Role.ANNOTATOR),
        ("curator", "cora", Role.CURATOR),
        ("manager", "mona", Role.MANAGER),
    ]:
        user = User.objects.create_user(username, password="password")
        Membership.objects.create(project=project, user=user, role=membership)
        users[role] = user
        spans[role], _ = span_create(
            document=document, annotator=user, label=label, start=0, end=13
        )
    users["manager"].user_permissions.add(Permission.objects.get(codename="add_project"))
    other = Project.objects.create(name="Other", slug="other")
    users["outsider"] = User.objects.create_user("charlie", password="password")
    Membership.objects.create(project=other, user=users["outsider"], role=Role.MANAGER)
    spans["outsider"], _ = span_create(
        document=Document.objects.create(project=other, title="Other", text="NATO met."),
        annotator=users["outsider"],
        label=Label.objects.create(project=other, name="actor", colour="#bfdbfe", hotkey="1"),
        start=0,
        end=4,
    )
    users["superuser"] = User.objects.create_superuser("root", password="password")
    gold_span = GoldSpan.objects.create(
        document=document,
        label=label,
        start=19,
        end=23,
        origin=GoldOrigin.MERGE,
        merge_rule="exact match by at least 1 of 1 annotators",
        guidelines_version=1,
    )
    tokens = {role: _token(user) for role, user in users.items()}
    release = _release(project, users["manager"])
    release_job = ReleaseJob.objects.create(
        project=project, requested_by=users["curator"], formats=["jsonl"], license="other"
    )
    suggestions = {
        role: Suggestion.objects.create(
            document=span.document,
            annotator=span.annotator,
            label=span.label,
            start=span.start,
            end=span.end - 1,
            source="string-match",
        )
        for role, span in spans.items()
    }
    relations = {role: _relation(span) for role, span in spans.items()}
    attributes = {
        role: LabelAttribute.objects.get_or_create(
            label=span.label, name="stance", defaults={"allowed_values": ["support", "oppose"]}
        )[0]
        for role, span in spans.items()
    }
    return World(
        project,
        document,
        label,
        gold_span,
        release,
        release_job,
        users,
        spans,
        tokens,
        suggestions,
        relations,
        attributes,
        _gold_relation(gold_span),
    )


def _gold_relation(gold_span: GoldSpan) -> GoldRelation:
    """A proposed gold relation from a second gold span to ``gold_span``."""
    source = GoldSpan.objects.create(
        document=gold_span.document,
        label=gold_span.label,
        start=0,
        end=13,
        origin=GoldOrigin.MERGE,
        merge_rule="exact match by at least 1 of 1 annotators",
        guidelines_version=1,
    )
    return GoldRelation.objects.create(
        type=RelationType.objects.get(project=gold_span.document.project, name="linked"),
        document=gold_span.document,
        source=source,
        target=gold_span,
        origin=GoldOrigin.MERGE,
        merge_rule="type and both ends agreed by at least 1 of 1 annotators",
    )


def _relation(span: Span) -> Relation:
    """A relation from ``span`` to a second span of its annotator, of a type allowing any label."""
    relation_type, _ = RelationType.objects.get_or_create(
        project=span.document.project, name="linked", defaults={"key": "r"}
    )
    second, _ = span_create(
        document=span.document,
        annotator=span.annotator,
        label=span.label,
        start=span.end + 1,
        end=span.end + 3,
    )
    relation, _ = relation_create(
        relation_type=relation_type, source=span, target=second, annotator=span.annotator
    )
    return relation


def _client(world: World, role: str) -> Client:
    client = Client()
    if role in world.users:
        client.force_login(world.users[role])
    return client


def _method(world: World, route: Route, url: str) -> str:
    """GET for views that read; POST for views that only write."""
    if route.is_api:
        return next(
            method
            for method in ("get", "post", "put", "patch", "delete")
            if hasattr(route.view.cls, method)
        )
    response = _client(world, "superuser").get(url)
    return "post" if response.status_code == 405 else "get"


def _is_login_redirect(response) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    return response.status_code == 302 and response["Location"].startswith(login)


def _request(world: World, route: Route, role: str, kwargs_role: str | None = None):
    url = reverse(route.name, kwargs=world.kwargs_for(route, kwargs_role or role))
    method = _method(world, route, url)
    return method, getattr(_client(world, role), method)(url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", DECLARED, ids=lambda route: route.name)
def test_role_gets_what_the_declaration_says(world: World, route: Route, role: str):
    method, response = _request(world, route, role)
    status = response.status_code
    where = f"{method.upper()} {route.name} as {role} (declared {route.access})"

    if route.access in REACHES[role]:
        assert status not in (401, 403, 404, 405), f"{where}: {status}"
        assert not _is_login_redirect(response), f"{where}: sent to log in"
    elif role == "anonymous" and route.is_api:
        assert status == 401, f"{where}: {status}"
    elif role == "anonymous":
        assert _is_login_redirect(response), f"{where}: {status}, not sent to log in"
    elif role == "outsider" and route.access == Access.CREATE_PROJECT:
        assert status == 403, f"{where}: {status}"
    elif role == "outsider":
        assert status == 404, f"{where}: {status}"
    else:
        assert status == 403, f"{where}: {status}"


OWN_OBJECT_ROUTES = [
    route
    for route in DECLARED
    if OWN_OBJECT_KWARGS & set(route.kwargs)
    and route.access in (Access.AUTHENTICATED, Access.MEMBER)
]


@pytest.mark.parametrize("route", OWN_OBJECT_ROUTES, ids=lambda route: route.name)
def test_another_annotators_object_is_not_found(world: World, route: Route):
    """Bob, in the same project, asks for alice's span (or token): it does not exist for him."""
    method, response = _request(world, route, "other annotator", kwargs_role="annotator")

    assert response.status_code == 404, f"{method.upper()} {route.name}: {response.status_code}"


def test_the_matrix_covers_pages_of_every_access_level():
    declared = {route.access for route in DECLARED}

    assert set(Access) - {Access.PUBLIC} <= declared
    assert OWN_OBJECT_ROUTES

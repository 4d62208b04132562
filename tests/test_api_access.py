"""Role matrix: every API endpoint as manager, curator, annotator, outsider and anonymous.

Requests carry each user's Bearer token. An outsider gets 404 on anything of the
project, a member whose role is too low 403, anonymous 401; an allowed role gets
past the checks (its answer may still be a 400 from the services, never a 5xx).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.relations import relation_create
from annotator.annotation.spans import span_create
from annotator.api import urls as api_urls
from annotator.api_tokens import token_create
from annotator.curation.gold import gold_span_create
from annotator.models import (
    Assignment,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    LabelAttribute,
    Membership,
    Role,
    Suggestion,
)
from annotator.permissions import Access
from annotator.projects.setup import add_default_relations

OWNER = "owner"  # only the span's (suggestion's) annotator; annotation is blind: others get 404
RANK = {"mona": 3, "carl": 2, "alice": 1}
ACCESS_RANK = {Access.MEMBER: 1, Access.CURATOR: 2, Access.MANAGER: 3}


@dataclass(frozen=True)
class World:
    project_slug: str
    document: int
    span: int
    gold: int
    assignment: int
    label: int
    suggestion: int
    claim_span: int
    relation: int
    relation_type: int
    stance: int
    gold_relation: int  # proposed: claimant from the gold claim to the gold actor NATO
    gold_actor: int


@dataclass(frozen=True)
class Endpoint:
    method: str
    name: str
    args: Callable[[World], list]
    access: str
    body: Callable[[World], dict] = lambda world: {}


def _slug(world: World) -> list:
    return [world.project_slug]


def _document(world: World) -> list:
    return [world.document]


ENDPOINTS = [
    Endpoint("get", "api-projects", lambda world: [], Access.AUTHENTICATED),
    Endpoint("get", "api-project", _slug, Access.MEMBER),
    Endpoint("get", "api-labels", _slug, Access.MEMBER),
    Endpoint("get", "api-relation-types", _slug, Access.MEMBER),
    Endpoint("get", "api-attributes", _slug, Access.MEMBER),
    Endpoint("get", "api-documents", _slug, Access.MEMBER),
    Endpoint(
        "post",
        "api-documents-import",
        _slug,
        Access.MANAGER,
        lambda world: {"documents": [{"text": "A new document."}]},
    ),
    Endpoint(
        "post",
        "api-spans-import",
        _slug,
        Access.MANAGER,
        lambda world: {
            "target": "suggestions",
            "lines": [{"id": world.document, "label": [[0, 6, "actor"]]}],
        },
    ),
    Endpoint("get", "api-models", _slug, Access.CURATOR),
    Endpoint("post", "api-models", _slug, Access.CURATOR, lambda world: {"epochs": 1}),
    Endpoint("get", "api-assignments", _slug, Access.CURATOR),
    Endpoint("post", "api-assignments-distribute", _slug, Access.MANAGER),
    Endpoint(
        "post",
        "api-assignment-reopen",
        lambda world: [world.project_slug, world.assignment],
        Access.CURATOR,
    ),
    Endpoint("get", "api-agreement", _slug, Access.CURATOR),
    Endpoint("get", "api-agreement-documents", _slug, Access.CURATOR),
    Endpoint("get", "api-my-assignments", lambda world: [], Access.AUTHENTICATED),
    Endpoint("get", "api-document", _document, Access.MEMBER),
    Endpoint("get", "api-spans", _document, Access.MEMBER),
    Endpoint(
        "post",
        "api-spans",
        _document,
        Access.MEMBER,
        lambda world: {"label": world.label, "start": 39, "end": 43, "text": "NATO"},
    ),
    Endpoint("get", "api-relations", _document, Access.MEMBER),
    Endpoint(
        "post",
        "api-relations",
        _document,
        Access.MEMBER,
        lambda world: {
            "type": world.relation_type,
            "source": world.claim_span,
            "target": world.span,
        },
    ),
    Endpoint("get", "api-span-attributes", _document, Access.MEMBER),
    Endpoint("get", "api-relation", lambda world: [world.relation], OWNER),
    Endpoint("delete", "api-relation", lambda world: [world.relation], OWNER),
    Endpoint(
        "put",
        "api-span-attribute",
        lambda world: [world.claim_span, world.stance],
        OWNER,
        lambda world: {"value": "oppose"},
    ),
    Endpoint("delete", "api-span-attribute", lambda world: [world.claim_span, world.stance], OWNER),
    Endpoint("post", "api-submit", _document, Access.MEMBER),
    Endpoint("post", "api-skip", _document, Access.MEMBER, lambda world: {"reason": "off topic"}),
    Endpoint("get", "api-document-agreement", _document, Access.CURATOR),
    Endpoint("get", "api-gold-spans", _document, Access.CURATOR),
    Endpoint(
        "post",
        "api-gold-spans",
        _document,
        Access.CURATOR,
        lambda world: {"label": world.label, "start": 39, "end": 43},
    ),
    Endpoint("post", "api-gold-premerge", _document, Access.CURATOR),
    Endpoint("post", "api-gold-accept-all", _document, Access.CURATOR),
    Endpoint("get", "api-gold-status", _document, Access.CURATOR),
    Endpoint(
        "post", "api-gold-status", _document, Access.CURATOR, lambda world: {"status": "gold"}
    ),
    Endpoint("get", "api-suggestions", _document, Access.MEMBER),
    Endpoint(
        "post",
        "api-suggestions-accept-all",
        _document,
        Access.MEMBER,
        lambda world: {"label": world.label},
    ),
    Endpoint("post", "api-suggestion-accept", lambda world: [world.suggestion], OWNER),
    Endpoint("post", "api-suggestion-reject", lambda world: [world.suggestion], OWNER),
    Endpoint("post", "api-suggestion-undo", lambda world: [world.suggestion], OWNER),
    Endpoint("get", "api-span", lambda world: [world.span], OWNER),
    Endpoint(
        "patch", "api-span", lambda world: [world.span], OWNER, lambda world: {"label": world.label}
    ),
    Endpoint("delete", "api-span", lambda world: [world.span], OWNER),
    Endpoint("get", "api-gold-span", lambda world: [world.gold], Access.CURATOR),
    Endpoint(
        "patch",
        "api-gold-span",
        lambda world: [world.gold],
        Access.CURATOR,
        lambda world: {"label": world.label},
    ),
    Endpoint("delete", "api-gold-span", lambda world: [world.gold], Access.CURATOR),
    Endpoint("post", "api-gold-span-accept", lambda world: [world.gold], Access.CURATOR),
    Endpoint("get", "api-gold-relations", _document, Access.CURATOR),
    Endpoint(
        "post",
        "api-gold-relations",
        _document,
        Access.CURATOR,
        lambda world: {
            "type": world.relation_type,
            "source": world.gold,
            "target": world.gold_actor,
        },
    ),
    Endpoint("get", "api-gold-relation", lambda world: [world.gold_relation], Access.CURATOR),
    Endpoint("delete", "api-gold-relation", lambda world: [world.gold_relation], Access.CURATOR),
    Endpoint(
        "post", "api-gold-relation-accept", lambda world: [world.gold_relation], Access.CURATOR
    ),
    Endpoint("get", "api-gold-attributes", _document, Access.CURATOR),
    Endpoint(
        "put",
        "api-gold-attribute",
        lambda world: [world.gold, world.stance],
        Access.CURATOR,
        lambda world: {"value": "oppose"},
    ),
    Endpoint(
        "delete", "api-gold-attribute", lambda world: [world.gold, world.stance], Access.CURATOR
    ),
]
USERS = ["mona", "carl", "alice", "charlie", None]


def _expected(access: str, username: str | None) -> str:
    if username is None:
        return "401"
    if access == Access.AUTHENTICATED:
        return "allowed"
    if username == "charlie":
        return "404"
    if access == OWNER:
        return "allowed" if username == "alice" else "404"
    return "allowed" if RANK[username] >= ACCESS_RANK[access] else "403"


@pytest.fixture
def world(project, document, labels, alice, bob, manager, charlie, alice_span) -> World:
    carl = User.objects.create_user("carl", password="password")
    Membership.objects.create(project=project, user=carl, role=Role.CURATOR)
    start = document.text.find("Sergey Lavrov")
    span_create(
        document=document, annotator=bob, label=labels["actor"], start=start, end=start + 13
    )
    # Bob has submitted, so agreement has something to compare once Alice submits too.
    assignment_submit(document=document, annotator=bob)
    gold = gold_span_create(
        document=document, label=labels["claim"], start=start, end=start + 13, curator=manager
    )
    add_default_relations(project)
    claimant = project.relation_types.get(name="claimant")
    statement = document.text.find("NATO will meet")
    claim_span, _ = span_create(
        document=document,
        annotator=alice,
        label=labels["claim"],
        start=statement,
        end=statement + len("NATO will meet"),
    )
    relation, _ = relation_create(
        relation_type=claimant, source=claim_span, target=alice_span, annotator=alice
    )
    nato = document.text.find("NATO")
    gold_actor = gold_span_create(
        document=document, label=labels["actor"], start=nato, end=nato + 4, curator=manager
    )
    gold_relation = GoldRelation.objects.create(
        type=claimant,
        document=document,
        source=gold,
        target=gold_actor,
        origin=GoldOrigin.MERGE,
        merge_rule="type and both ends agreed by at least 1 of 1 annotators",
    )
    return World(
        project_slug=project.slug,
        document=document.pk,
        span=alice_span.pk,
        gold=gold.pk,
        assignment=Assignment.objects.get(annotator=bob).pk,
        label=labels["threat"].pk,
        # Alice's own string match: offered to her alone, like her spans.
        suggestion=Suggestion.objects.create(
            document=document,
            annotator=alice,
            label=labels["actor"],
            start=document.text.find("NATO"),
            end=document.text.find("NATO") + 4,
            source="string-match",
        ).pk,
        claim_span=claim_span.pk,
        relation=relation.pk,
        relation_type=project.relation_types.get(name="addressee").pk,
        stance=LabelAttribute.objects.get(label=labels["claim"], name="stance").pk,
        gold_relation=gold_relation.pk,
        gold_actor=gold_actor.pk,
    )


def _gold_state() -> list:
    return [
        list(GoldSpan.objects.values_list("id", "label_id", "status")),
        list(GoldRelation.objects.values_list("id", "status")),
        list(GoldSpanAttribute.objects.values_list("id", "value")),
    ]


@pytest.mark.parametrize("username", USERS, ids=[str(user) for user in USERS])
@pytest.mark.parametrize(
    "endpoint", ENDPOINTS, ids=[f"{endpoint.method} {endpoint.name}" for endpoint in ENDPOINTS]
)
def test_role_matrix(world, endpoint, username):
    client = APIClient()
    if username is not None:
        _, token = token_create(user=User.objects.get(username=username), name="matrix")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    gold_before = _gold_state()

    response = getattr(client, endpoint.method)(
        reverse(endpoint.name, args=endpoint.args(world)), endpoint.body(world), format="json"
    )

    expected = _expected(endpoint.access, username)
    if expected == "allowed":
        assert response.status_code in (200, 201, 204, 400), response.content
    else:
        assert response.status_code == int(expected), response.content
        if endpoint.method != "get":
            assert _gold_state() == gold_before


# Routed with the rest of the API; their roles are tried in test_export_api.py,
# test_releases.py and test_release_jobs.py, which build the releases they need.
EXPORT_ROUTES = {
    "api-export-summary",
    "api-export-download",
    "api-releases",
    "api-release",
    "api-release-download",
    "api-release-job",
}


def test_every_api_route_is_in_the_matrix():
    routes = {pattern.name for pattern in api_urls.urlpatterns if isinstance(pattern, URLPattern)}

    assert routes - EXPORT_ROUTES == {endpoint.name for endpoint in ENDPOINTS}


def test_every_api_view_declares_its_access():
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern.callback.view_class.access, Access), pattern.name

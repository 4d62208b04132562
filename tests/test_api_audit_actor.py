"""Every API write records the requesting user as the actor of its audit events.

The pages pass ``request.user`` to the services; the API must too, whichever
door a curator or annotator comes in by. Each write below is made as the role
that may make it; every audit event it stores must name that user, and the
writes that change spans or gold spans must store at least one.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.annotation.suggestions import suggestion_accept
from annotator.api import urls as api_urls
from annotator.api_tokens import token_create
from annotator.models import (
    Assignment,
    AuditEvent,
    Document,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    GoldSpanStatus,
    LabelAttribute,
    RelationType,
    Suggestion,
)
from annotator.projects.setup import add_default_relations

WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class World:
    slug: str
    adjudicated: int  # alice and bob submitted it; a NATO proposal waits
    open_document: int  # alice is still annotating it
    span: int  # alice's span on the open document
    proposal: int
    bob_assignment: int
    threat: int
    suggestion: int  # offered to alice, pending
    accepted_suggestion: int  # alice accepted it: undoing it deletes her span
    claim: int  # alice's claim on the open document, Moscow's (her actor span's) claimant
    moscow: int
    relation: int
    addressee: int  # a relation type the claim and the actor are not linked by yet
    stance: int  # the claim's attribute, set to "support"
    gold_claim: int  # accepted, on the adjudicated document, its stance "support"
    gold_actor: int  # accepted: "Lavrov", which no annotator marked
    gold_relation: int  # proposed: claimant from the gold claim to Sergey Lavrov


@pytest.fixture
def world(project, document, labels, alice, bob, manager, curator) -> World:
    for annotator in (alice, bob):
        for phrase in ("Sergey Lavrov", "NATO"):
            start = document.text.find(phrase)
            span_create(
                document=document,
                annotator=annotator,
                label=labels["actor"],
                start=start,
                end=start + len(phrase),
            )
        assignment_submit(document=document, annotator=annotator)
    start = document.text.find("NATO")
    proposal = GoldSpan.objects.create(
        document=document,
        label=labels["actor"],
        start=start,
        end=start + 4,
        status=GoldSpanStatus.PROPOSED,
        origin=GoldOrigin.MERGE,
        merge_rule="exact match by at least 2 of 2 annotators",
        guidelines_version=1,
    )
    open_document = Document.objects.create(
        project=project, title="Open", text="Open talks about NATO and Moscow."
    )
    span, _ = span_create(
        document=open_document, annotator=alice, label=labels["actor"], start=17, end=21
    )
    suggestion, to_undo = (
        Suggestion.objects.create(
            document=open_document, label=labels["threat"], start=start, end=end, source="import:x"
        )
        for start, end in ((26, 32), (0, 4))
    )
    suggestion_accept(suggestion=to_undo, annotator=alice)
    claim, _ = span_create(
        document=open_document, annotator=alice, label=labels["claim"], start=0, end=10
    )
    moscow, _ = span_create(
        document=open_document, annotator=alice, label=labels["actor"], start=26, end=32
    )
    add_default_relations(project)
    types = {kind.name: kind for kind in RelationType.objects.filter(project=project)}
    relation, _ = relation_create(
        relation_type=types["claimant"], source=claim, target=moscow, annotator=alice
    )
    stance = LabelAttribute.objects.get(label=labels["claim"], name="stance")
    span_attribute_set(span=claim, attribute=stance, value="support")
    gold_claim, gold_actor = (
        GoldSpan.objects.create(
            document=document,
            label=labels[label],
            start=document.text.find(phrase),
            end=document.text.find(phrase) + len(phrase),
            status=GoldSpanStatus.ACCEPTED,
            origin=GoldOrigin.CURATOR,
            guidelines_version=1,
        )
        for label, phrase in (("claim", "NATO will meet in January"), ("actor", "Lavrov"))
    )
    GoldSpanAttribute.objects.create(
        gold_span=gold_claim, attribute=stance, value="support", origin=GoldOrigin.CURATOR
    )
    gold_relation = GoldRelation.objects.create(
        type=types["claimant"],
        document=document,
        source=gold_claim,
        target=gold_actor,
        origin=GoldOrigin.MERGE,
        merge_rule="type and both ends agreed by at least 2 of 2 annotators",
    )
    return World(
        slug=project.slug,
        adjudicated=document.pk,
        open_document=open_document.pk,
        span=span.pk,
        proposal=proposal.pk,
        bob_assignment=Assignment.objects.get(document=document, annotator=bob).pk,
        threat=labels["threat"].pk,
        suggestion=suggestion.pk,
        accepted_suggestion=to_undo.pk,
        claim=claim.pk,
        moscow=moscow.pk,
        relation=relation.pk,
        addressee=types["addressee"].pk,
        stance=stance.pk,
        gold_claim=gold_claim.pk,
        gold_actor=gold_actor.pk,
        gold_relation=gold_relation.pk,
    )


@dataclass(frozen=True)
class Write:
    method: str
    name: str
    username: str
    args: object  # World -> list
    body: object = lambda world: {}  # World -> dict
    audited: bool = False  # must store at least one audit event


WRITES = [
    Write(
        "post",
        "api-relations",
        "alice",
        lambda world: [world.open_document],
        lambda world: {"type": world.addressee, "source": world.claim, "target": world.moscow},
        audited=True,
    ),
    Write("delete", "api-relation", "alice", lambda world: [world.relation], audited=True),
    Write(
        "put",
        "api-span-attribute",
        "alice",
        lambda world: [world.claim, world.stance],
        lambda world: {"value": "oppose"},
        audited=True,
    ),
    Write(
        "delete",
        "api-span-attribute",
        "alice",
        lambda world: [world.claim, world.stance],
        audited=True,
    ),
    Write(
        "post",
        "api-documents-import",
        "mona",
        lambda world: [world.slug],
        lambda world: {"documents": [{"text": "A new document."}]},
    ),
    Write("post", "api-assignments-distribute", "mona", lambda world: [world.slug]),
    Write(
        "post", "api-assignment-reopen", "cora", lambda world: [world.slug, world.bob_assignment]
    ),
    Write(
        "post",
        "api-spans",
        "alice",
        lambda world: [world.open_document],
        lambda world: {"label": world.threat, "start": 26, "end": 32, "text": "Moscow"},
        audited=True,
    ),
    Write("post", "api-submit", "alice", lambda world: [world.open_document]),
    Write(
        "post",
        "api-skip",
        "alice",
        lambda world: [world.open_document],
        lambda world: {"reason": "off topic"},
    ),
    Write(
        "patch",
        "api-span",
        "alice",
        lambda world: [world.span],
        lambda world: {"label": world.threat},
        audited=True,
    ),
    Write("delete", "api-span", "alice", lambda world: [world.span], audited=True),
    Write(
        "post",
        "api-gold-spans",
        "cora",
        lambda world: [world.adjudicated],
        lambda world: {"label": world.threat, "start": 18, "end": 31},
        audited=True,
    ),
    Write("post", "api-gold-premerge", "cora", lambda world: [world.adjudicated], audited=True),
    Write("post", "api-gold-accept-all", "cora", lambda world: [world.adjudicated], audited=True),
    Write(
        "post",
        "api-gold-status",
        "cora",
        lambda world: [world.adjudicated],
        lambda world: {"status": "gold", "confirm": True},
    ),
    Write(
        "patch",
        "api-gold-span",
        "cora",
        lambda world: [world.proposal],
        lambda world: {"label": world.threat},
        audited=True,
    ),
    Write("delete", "api-gold-span", "cora", lambda world: [world.proposal], audited=True),
    Write("post", "api-gold-span-accept", "cora", lambda world: [world.proposal], audited=True),
    Write(
        "post",
        "api-gold-relations",
        "cora",
        lambda world: [world.adjudicated],
        lambda world: {
            "type": world.addressee,
            "source": world.gold_claim,
            "target": world.gold_actor,
        },
        audited=True,
    ),
    Write(
        "post",
        "api-gold-relation-accept",
        "cora",
        lambda world: [world.gold_relation],
        audited=True,
    ),
    Write("delete", "api-gold-relation", "cora", lambda world: [world.gold_relation], audited=True),
    Write(
        "put",
        "api-gold-attribute",
        "cora",
        lambda world: [world.gold_claim, world.stance],
        lambda world: {"value": "oppose"},
        audited=True,
    ),
    Write(
        "delete",
        "api-gold-attribute",
        "cora",
        lambda world: [world.gold_claim, world.stance],
        audited=True,
    ),
    Write("post", "api-releases", "cora", lambda world: [world.slug]),
    Write(
        "post",
        "api-spans-import",
        "mona",
        lambda world: [world.slug],
        lambda world: {
            "target": "annotator",
            "annotator": "alice",
            "lines": [{"id": world.open_document, "label": [[26, 32, "threat"]]}],
        },
        audited=True,
    ),
    Write("post", "api-suggestion-accept", "alice", lambda world: [world.suggestion], audited=True),
    Write("post", "api-suggestion-reject", "alice", lambda world: [world.suggestion]),
    Write(
        "post",
        "api-suggestion-undo",
        "alice",
        lambda world: [world.accepted_suggestion],
        audited=True,
    ),
    Write(
        "post",
        "api-suggestions-accept-all",
        "alice",
        lambda world: [world.open_document],
        lambda world: {"label": world.threat},
        audited=True,
    ),
    Write(
        "post",
        "api-models",
        "cora",
        lambda world: [world.slug],
        lambda world: {"name": "spancat", "epochs": 1},
    ),
]


@pytest.mark.parametrize("write", WRITES, ids=[f"{write.method} {write.name}" for write in WRITES])
def test_every_audit_event_of_an_api_write_names_the_requesting_user(world, write):
    user = User.objects.get(username=write.username)
    client = APIClient()
    _, token = token_create(user=user, name="audit")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    response = getattr(client, write.method)(
        reverse(write.name, args=write.args(world)), write.body(world), format="json"
    )

    assert response.status_code < 500, response.content
    new = list(AuditEvent.objects.exclude(pk__in=before))
    if write.audited:
        assert response.status_code < 300, response.content
        assert new, "this write changes spans or gold spans and must be in the audit log"
    assert [(event.actor_id, event.actor_name) for event in new] == [
        (user.pk, user.username)
    ] * len(new)


def test_the_list_above_holds_every_api_write():
    routes = set()
    for pattern in api_urls.urlpatterns:
        if not isinstance(pattern, URLPattern):
            continue
        view_class = pattern.callback.view_class
        routes |= {
            (method, pattern.name) for method in WRITE_METHODS if hasattr(view_class, method)
        }
    # Only the release list writes among the export routes; the rest are downloads and reads.
    assert routes == {(write.method, write.name) for write in WRITES}

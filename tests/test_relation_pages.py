"""The annotate page's relation and attribute endpoints, and what the page carries.

They answer the page script in JSON and call annotator.annotation.relations; these
tests hold them to the span writes' rules: only the annotator's own spans and
relations, on a document they may annotate with an open assignment; blind; a
refusal changes nothing and says why; a retried create returns the first relation.
"""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from annotator.annotation.assignments import assignment_create, assignment_submit
from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.models import (
    AuditEvent,
    LabelAttribute,
    Relation,
    RelationType,
    Span,
    SpanAttribute,
)
from annotator.projects.setup import add_default_relations

JSON = {"HTTP_ACCEPT": "application/json"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _mark(user, document, label, phrase) -> Span:
    start = document.text.index(phrase)
    span, _ = span_create(
        document=document, annotator=user, label=label, start=start, end=start + len(phrase)
    )
    return span


def _state() -> tuple:
    return (
        sorted(Relation.objects.values_list("pk", "type_id", "source_id", "target_id")),
        sorted(SpanAttribute.objects.values_list("span_id", "attribute_id", "value")),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def claimant(project) -> RelationType:
    add_default_relations(project)
    return project.relation_types.get(name="claimant")


@pytest.fixture
def stance(claimant, labels) -> LabelAttribute:
    return LabelAttribute.objects.get(label=labels["claim"], name="stance")


@pytest.fixture
def spans(alice, document, labels, claimant) -> dict[str, Span]:
    """Alice's claim "NATO will meet" and actor "Sergey Lavrov"."""
    return {
        "claim": _mark(alice, document, labels["claim"], "NATO will meet"),
        "actor": _mark(alice, document, labels["actor"], "Sergey Lavrov"),
    }


def _create(client, document, relation_type, source, target, **extra):
    values = {"type": relation_type.pk, "source": source.pk, "target": target.pk, **extra}
    return client.post(
        reverse("relation-create", args=[document.project.slug, document.pk]), values, **JSON
    )


def _set(client, span, attribute, value):
    return client.post(
        reverse("span-attribute", args=[span.pk, attribute.pk]), {"value": value}, **JSON
    )


def test_create_then_retry_with_the_same_client_id_makes_one_relation(
    alice, document, claimant, spans
):
    client = _client(alice)
    client_id = str(uuid.uuid4())

    first = _create(client, document, claimant, spans["claim"], spans["actor"], client_id=client_id)
    again = _create(client, document, claimant, spans["claim"], spans["actor"], client_id=client_id)

    assert first.status_code == 200, first.content
    relation = Relation.objects.get()
    assert first.json() == {
        "relation": {
            "id": relation.pk,
            "type": claimant.pk,
            "source": spans["claim"].pk,
            "target": spans["actor"].pk,
        },
        "created": True,
    }
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    assert (relation.annotator, str(relation.client_id)) == (alice, client_id)


def test_delete_removes_the_relation(alice, document, claimant, spans):
    relation, _ = relation_create(
        relation_type=claimant, source=spans["claim"], target=spans["actor"], annotator=alice
    )

    response = _client(alice).post(reverse("relation-delete", args=[relation.pk]), **JSON)

    assert response.status_code == 200
    assert response.json()["deleted"]["id"] == relation.pk
    assert not Relation.objects.exists()


def test_set_change_and_clear_an_attribute_value(alice, spans, stance):
    client = _client(alice)

    assert _set(client, spans["claim"], stance, "oppose").json()["value"] == "oppose"
    assert _set(client, spans["claim"], stance, "support").status_code == 200
    assert SpanAttribute.objects.get().value == "support"
    assert _set(client, spans["claim"], stance, "support").status_code == 200  # a retry
    cleared = _set(client, spans["claim"], stance, "")

    assert cleared.json() == {"span": spans["claim"].pk, "attribute": stance.pk, "value": None}
    assert not SpanAttribute.objects.exists()
    assert _set(client, spans["claim"], stance, "").status_code == 200  # cleared again


def test_refusals_say_why_and_change_nothing(alice, document, labels, claimant, spans, stance):
    relation_create(
        relation_type=claimant, source=spans["claim"], target=spans["actor"], annotator=alice
    )
    client = _client(alice)
    before = _state()

    answers = {
        "wrong end": _create(client, document, claimant, spans["actor"], spans["claim"]),
        "twice": _create(client, document, claimant, spans["claim"], spans["actor"]),
        "itself": _create(client, document, claimant, spans["claim"], spans["claim"]),
        "bad client_id": _create(
            client, document, claimant, spans["claim"], spans["actor"], client_id="nope"
        ),
        "no type": client.post(
            reverse("relation-create", args=[document.project.slug, document.pk]),
            {"type": "x", "source": spans["claim"].pk, "target": spans["actor"].pk},
            **JSON,
        ),
        "bad value": _set(client, spans["claim"], stance, "maybe"),
        "not its label's": _set(client, spans["actor"], stance, "support"),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 400
    )
    messages = {name: answer.json()["error"] for name, answer in answers.items()}
    assert messages["wrong end"] == (
        "A claimant relation starts at a claim, threat or proposal span, "
        "not at the actor span “Sergey Lavrov”."
    )
    assert messages["twice"].startswith("You already have a claimant relation")
    assert messages["bad value"].startswith("“maybe” is not a value of stance")
    assert messages["no type"] == "Choose a relation type of this project."
    assert _state() == before


def test_a_submitted_document_refuses_every_write(alice, document, claimant, spans, stance):
    relation, _ = relation_create(
        relation_type=claimant, source=spans["claim"], target=spans["actor"], annotator=alice
    )
    assignment_create(document=document, annotator=alice)
    assignment_submit(document=document, annotator=alice)
    client = _client(alice)
    before = _state()

    answers = [
        _create(client, document, claimant, spans["claim"], spans["actor"]),
        client.post(reverse("relation-delete", args=[relation.pk]), **JSON),
        _set(client, spans["claim"], stance, "support"),
        _set(client, spans["claim"], stance, ""),
    ]

    assert [answer.status_code for answer in answers] == [400, 400, 400, 400]
    assert all("error" in answer.json() for answer in answers)
    assert _state() == before


def test_blind_another_annotators_spans_and_relations_are_out_of_reach(
    alice, bob, document, labels, claimant, spans, stance
):
    relation, _ = relation_create(
        relation_type=claimant, source=spans["claim"], target=spans["actor"], annotator=alice
    )
    bobs_actor = _mark(bob, document, labels["actor"], "NATO")
    client = _client(bob)
    before = _state()

    mixed = _create(client, document, claimant, spans["claim"], bobs_actor)
    assert mixed.status_code == 400
    assert mixed.json()["error"] == "A relation joins two of your own spans on this document."
    assert client.post(reverse("relation-delete", args=[relation.pk]), **JSON).status_code == 404
    assert _set(client, spans["claim"], stance, "support").status_code == 404
    assert _state() == before


def test_a_document_not_assigned_to_me_is_a_403(alice, bob, document, claimant, spans):
    assignment_create(document=document, annotator=alice)  # the project now requires them
    before = _state()

    answer = _create(_client(bob), document, claimant, spans["claim"], spans["actor"])

    assert answer.status_code == 403
    assert _state() == before


def test_get_changes_nothing(alice, document, claimant, spans, stance):
    client = _client(alice)
    before = _state()

    url = reverse("relation-create", args=[document.project.slug, document.pk])
    assert client.get(url).status_code == 405
    attribute_url = reverse("span-attribute", args=[spans["claim"].pk, stance.pk])
    assert client.get(attribute_url, {"value": "support"}).status_code == 405
    assert _state() == before


def test_the_page_carries_my_relations_and_values_only(
    alice, bob, document, labels, claimant, spans, stance
):
    relation, _ = relation_create(
        relation_type=claimant, source=spans["claim"], target=spans["actor"], annotator=alice
    )
    span_attribute_set(span=spans["claim"], attribute=stance, value="neutral")
    bobs_claim = _mark(bob, document, labels["claim"], "NATO will meet")
    bobs_actor = _mark(bob, document, labels["actor"], "Sergey Lavrov")
    relation_create(relation_type=claimant, source=bobs_claim, target=bobs_actor, annotator=bob)
    span_attribute_set(span=bobs_claim, attribute=stance, value="oppose")

    page = _client(alice).get(reverse("annotate", args=[document.project.slug, document.pk]))

    content = page.content.decode()
    data = json.loads(content.split('id="annotate-data" type="application/json">')[1].split("<")[0])
    assert data["relations"] == [[relation.pk, claimant.pk, spans["claim"].pk, spans["actor"].pk]]
    assert data["attributeValues"] == [[spans["claim"].pk, stance.pk, "neutral"]]
    assert [(t["name"], t["key"]) for t in data["relationTypes"]] == [
        ("claimant", "c"),
        ("addressee", "d"),
    ]
    claim_attributes = [a for a in data["attributes"] if a["label"] == labels["claim"].pk]
    assert claim_attributes == [
        {
            "id": stance.pk,
            "label": labels["claim"].pk,
            "name": "stance",
            "values": ["support", "oppose", "neutral"],
        }
    ]
    assert "Relation claimant <kbd>c</kbd>" in content

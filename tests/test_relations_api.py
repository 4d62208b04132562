"""The relations and attributes API: reads per project, writes per document, blind as spans.

The role matrix over these endpoints is in test_api_access.py and test_role_matrix.py;
here: what each answer holds, the client_id retry, refusals that change nothing, and
the blind rule (another annotator's relations and values are neither listed nor found).
"""

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.api_tokens import token_create
from annotator.models import AuditEvent, Label, LabelAttribute, Project, Relation, SpanAttribute
from annotator.projects.setup import add_default_relations


def _span(document, annotator, label, text: str):
    start = document.text.find(text)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(text)
    )
    return span


@pytest.fixture
def setup(project, document, labels, alice, bob, curator):
    add_default_relations(project)
    types = {relation_type.name: relation_type for relation_type in project.relation_types.all()}
    spans = {
        user.username: (
            _span(document, user, labels["claim"], "NATO will meet in January"),
            _span(document, user, labels["actor"], "Sergey Lavrov"),
        )
        for user in (alice, bob, curator)
    }
    return types, spans, LabelAttribute.objects.get(label=labels["claim"], name="stance")


def _client(user) -> APIClient:
    client = APIClient()
    _, token = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _state() -> tuple:
    return (
        list(Relation.objects.values_list("id", "type_id", "source_id", "target_id")),
        list(SpanAttribute.objects.values_list("id", "value")),
        AuditEvent.objects.count(),
    )


def test_members_read_the_relation_types_and_attributes(alice, setup, labels):
    client = _client(alice)

    types = client.get(reverse("api-relation-types", args=["talks"])).json()["results"]
    attributes = client.get(reverse("api-attributes", args=["talks"])).json()["results"]

    claim_like = sorted(labels[name].pk for name in ("claim", "threat", "proposal"))
    assert [(t["name"], t["key"], t["directed"]) for t in types] == [
        ("claimant", "c", True),
        ("addressee", "d", True),
    ]
    assert all(sorted(t["source_labels"]) == claim_like for t in types)
    assert all(t["target_labels"] == [labels["actor"].pk] for t in types)
    assert sorted(a["label_name"] for a in attributes) == ["claim", "proposal", "threat"]
    assert {tuple(a["allowed_values"]) for a in attributes} == {("support", "oppose", "neutral")}


def test_create_then_retry_with_the_same_client_id(alice, setup, document):
    types, spans, _ = setup
    claim, actor = spans["alice"]
    body = {
        "type": types["claimant"].pk,
        "source": claim.pk,
        "target": actor.pk,
        "client_id": str(uuid.uuid4()),
    }
    client = _client(alice)
    url = reverse("api-relations", args=[document.pk])

    first = client.post(url, body, format="json")
    again = client.post(url, body, format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["type_name"] == "claimant"
    assert (first.json()["source"], first.json()["target"]) == (claim.pk, actor.pk)
    assert Relation.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ("bobs_target", "target", "No such span of yours on this document."),
        ("reversed", "detail", "A claimant relation starts at a claim, threat or proposal span"),
        ("unknown_type", "type", "No such relation type in this document's project."),
    ],
)
def test_bad_relations_are_refused_and_change_nothing(
    alice, setup, document, change, field, message
):
    types, spans, _ = setup
    claim, actor = spans["alice"]
    body = {"type": types["claimant"].pk, "source": claim.pk, "target": actor.pk}
    if change == "bobs_target":
        body["target"] = spans["bob"][1].pk
    elif change == "reversed":
        body["source"], body["target"] = actor.pk, claim.pk
    else:
        body["type"] = 10**9
    before = _state()

    response = _client(alice).post(
        reverse("api-relations", args=[document.pk]), body, format="json"
    )

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert _state() == before


def test_a_body_naming_the_annotator_is_refused(alice, bob, setup, document):
    types, spans, _ = setup
    claim, actor = spans["alice"]

    response = _client(alice).post(
        reverse("api-relations", args=[document.pk]),
        {"type": types["claimant"].pk, "source": claim.pk, "target": actor.pk, "annotator": bob.pk},
        format="json",
    )

    assert response.status_code == 400
    assert not Relation.objects.exists()


def test_relations_and_values_are_blind(alice, bob, curator, setup, document):
    types, spans, stance = setup
    mine = {}
    for user in (alice, bob, curator):
        claim, actor = spans[user.username]
        mine[user.username], _ = relation_create(
            relation_type=types["claimant"], source=claim, target=actor, annotator=user
        )
        span_attribute_set(span=claim, attribute=stance, value="oppose")

    for user in (bob, curator):
        client = _client(user)
        listed = client.get(reverse("api-relations", args=[document.pk])).json()["results"]
        values = client.get(reverse("api-span-attributes", args=[document.pk])).json()["results"]
        alices = client.get(reverse("api-relation", args=[mine["alice"].pk]))
        deleted = client.delete(reverse("api-relation", args=[mine["alice"].pk]))
        put = client.put(
            reverse("api-span-attribute", args=[spans["alice"][0].pk, stance.pk]),
            {"value": "support"},
            format="json",
        )

        assert [relation["id"] for relation in listed] == [mine[user.username].pk]
        assert [value["span"] for value in values] == [spans[user.username][0].pk]
        assert (alices.status_code, deleted.status_code, put.status_code) == (404, 404, 404)
    assert Relation.objects.count() == 3
    assert set(SpanAttribute.objects.values_list("value", flat=True)) == {"oppose"}


def test_delete_a_relation(alice, setup):
    types, spans, _ = setup
    relation, _ = relation_create(
        relation_type=types["claimant"],
        source=spans["alice"][0],
        target=spans["alice"][1],
        annotator=alice,
    )

    response = _client(alice).delete(reverse("api-relation", args=[relation.pk]))

    assert response.status_code == 204
    assert not Relation.objects.exists()


def test_set_change_and_clear_an_attribute(alice, setup, document):
    _, spans, stance = setup
    claim = spans["alice"][0]
    client = _client(alice)
    url = reverse("api-span-attribute", args=[claim.pk, stance.pk])

    first = client.put(url, {"value": "support"}, format="json")
    retried = client.put(url, {"value": "support"}, format="json")
    changed = client.put(url, {"value": "neutral"}, format="json")
    listed = client.get(reverse("api-span-attributes", args=[document.pk])).json()["results"]
    cleared = client.delete(url)

    assert (first.status_code, retried.status_code, changed.status_code) == (200, 200, 200)
    assert first.json()["attribute_name"] == "stance"
    assert [(value["span"], value["value"]) for value in listed] == [(claim.pk, "neutral")]
    assert cleared.status_code == 204
    assert not SpanAttribute.objects.exists()
    assert AuditEvent.objects.filter(subject="span_attribute").count() == 3


def test_an_unknown_value_is_refused_with_the_allowed_ones(alice, setup):
    _, spans, stance = setup
    before = _state()

    response = _client(alice).put(
        reverse("api-span-attribute", args=[spans["alice"][0].pk, stance.pk]),
        {"value": "maybe"},
        format="json",
    )

    assert response.status_code == 400
    assert "is not a value of stance" in response.json()["detail"]
    assert response.json()["allowed_values"] == ["support", "oppose", "neutral"]
    assert _state() == before


def test_an_attribute_of_another_project_is_not_found(alice, setup, charlie):
    other = Label.objects.create(
        project=Project.objects.get(slug="other"), name="claim", colour="#fde68a", hotkey="1"
    )
    foreign = LabelAttribute.objects.create(label=other, name="stance", allowed_values=["x"])

    response = _client(alice).put(
        reverse("api-span-attribute", args=[setup[1]["alice"][0].pk, foreign.pk]),
        {"value": "x"},
        format="json",
    )

    assert response.status_code == 404
    assert not SpanAttribute.objects.exists()

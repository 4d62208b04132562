"""Marking gold with disagreements unsettled or annotators still at work needs a confirmation."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation.assignments import assignment_create, assignment_submit
from annotator.annotation.spans import span_create
from annotator.curation.gold import GoldError, gold_concerns, gold_span_create, gold_status_set
from annotator.models import Document, GoldStatus


def _span(document, annotator, label, phrase) -> None:
    start = document.text.find(phrase)
    span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(phrase)
    )


@pytest.fixture
def disputed(document, labels, alice, bob) -> Document:
    """Alice and Bob agree on Sergey Lavrov, differ on NATO (actor against claim), submitted."""
    for annotator in (alice, bob):
        _span(document, annotator, labels["actor"], "Sergey Lavrov")
    _span(document, alice, labels["actor"], "NATO")
    _span(document, bob, labels["claim"], "NATO")
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    return document


def _gold_status(document) -> str:
    return Document.objects.get(pk=document.pk).gold_status


def test_an_unsettled_region_needs_a_confirmation(disputed):
    with pytest.raises(GoldError) as refused:
        gold_status_set(document=disputed, status=GoldStatus.GOLD)

    assert refused.value.message == (
        "1 region where the annotators differ has no accepted gold span. "
        "Confirm to mark it gold anyway."
    )
    assert refused.value.detail["confirm_required"] is True
    assert _gold_status(disputed) == GoldStatus.NOT_STARTED


def test_a_confirmed_request_marks_gold(disputed):
    gold_status_set(document=disputed, status=GoldStatus.GOLD, confirm=True)

    assert _gold_status(disputed) == GoldStatus.GOLD


def test_a_region_settled_by_an_accepted_gold_span_needs_no_confirmation(disputed, labels, curator):
    start = disputed.text.find("NATO")
    gold_span_create(
        document=disputed, label=labels["actor"], start=start, end=start + 4, curator=curator
    )

    assert not gold_concerns(disputed)
    gold_status_set(document=disputed, status=GoldStatus.GOLD)
    assert _gold_status(disputed) == GoldStatus.GOLD


def test_an_annotator_still_at_work_needs_a_confirmation(document, labels, alice, bob):
    assignment_create(document=document, annotator=alice)
    assignment_create(document=document, annotator=bob)
    assignment_submit(document=document, annotator=alice)

    with pytest.raises(GoldError) as refused:
        gold_status_set(document=document, status=GoldStatus.GOLD)

    assert refused.value.message == (
        "bob has not submitted this document. Confirm to mark it gold anyway."
    )
    assert refused.value.detail["unfinished_annotators"] == ["bob"]
    assert _gold_status(document) == GoldStatus.NOT_STARTED


def test_both_concerns_are_named_together(disputed, manager, project):
    other = assignment_create(document=disputed, annotator=manager)
    assert other.is_open

    concerns = gold_concerns(disputed)

    assert (concerns.unsettled_regions, concerns.unfinished_annotators) == (1, ("mona",))
    assert concerns.message() == (
        "1 region where the annotators differ has no accepted gold span and mona has not "
        "submitted this document. Confirm to mark it gold anyway."
    )


# --------------------------------------------------------------------------- the API


@pytest.fixture
def curator_client(curator) -> APIClient:
    client = APIClient()
    client.force_authenticate(curator)
    return client


def test_the_api_refuses_without_confirm(curator_client, disputed):
    response = curator_client.post(
        reverse("api-gold-status", args=[disputed.pk]), {"status": "gold"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["confirm_required"] is True
    assert (body["unsettled_regions"], body["unfinished_annotators"]) == (1, [])
    assert "Confirm to mark it gold anyway." in body["detail"]
    assert _gold_status(disputed) == GoldStatus.NOT_STARTED


def test_the_api_marks_gold_with_confirm(curator_client, disputed):
    response = curator_client.post(
        reverse("api-gold-status", args=[disputed.pk]),
        {"status": "gold", "confirm": True},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["gold_status"] == GoldStatus.GOLD
    assert _gold_status(disputed) == GoldStatus.GOLD

"""Assignments, agreement and gold spans through the API: the same services as the pages."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create
from annotator.models import (
    Assignment,
    AssignmentStatus,
    DocumentAgreement,
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Membership,
    ProjectAgreement,
    Role,
    Span,
)


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def carl(project) -> User:
    """Curator of the project."""
    user = User.objects.create_user("carl", password="password")
    Membership.objects.create(project=project, user=user, role=Role.CURATOR)
    return user


@pytest.fixture
def both_submitted(document, labels, alice, bob, alice_span) -> None:
    """Alice and Bob both marked "Sergey Lavrov" as actor and submitted; Bob also marked NATO."""
    span_create(document=document, annotator=bob, label=labels["actor"], start=18, end=31)
    span_create(document=document, annotator=bob, label=labels["actor"], start=39, end=43)
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)


# --------------------------------------------------------------------------- assignments


def test_manager_distributes_documents(manager, project, document, alice, bob):
    response = _client(manager).post(reverse("api-assignments-distribute", args=[project.slug]))

    assert response.status_code == 200
    assert response.json() == {"created": 2}
    assert set(Assignment.objects.values_list("annotator__username", flat=True)) == {"alice", "bob"}
    project.refresh_from_db()
    assert project.assignment_required


def test_distribution_with_an_empty_pool_is_400(manager, project, document):
    response = _client(manager).post(reverse("api-assignments-distribute", args=[project.slug]))

    assert response.status_code == 400
    assert "pool is empty" in response.json()["detail"]
    assert not Assignment.objects.exists()


def test_annotator_submits_and_her_spans_become_read_only(alice, alice_span, document, labels):
    client = _client(alice)

    submitted = client.post(reverse("api-submit", args=[document.pk]))
    relabel = client.patch(
        reverse("api-span", args=[alice_span.pk]), {"label": labels["claim"].pk}, format="json"
    )
    again = client.post(reverse("api-submit", args=[document.pk]))

    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["annotator"] == "alice"
    assert relabel.status_code == 400
    assert again.status_code == 400
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]


def test_skip_needs_a_reason(alice, document):
    client = _client(alice)

    blank = client.post(reverse("api-skip", args=[document.pk]), {"reason": "  "}, format="json")
    skipped = client.post(reverse("api-skip", args=[document.pk]), {"reason": "Duplicate"})

    assert blank.status_code == 400
    assert skipped.status_code == 200
    assignment = Assignment.objects.get(annotator=alice)
    assert (assignment.status, assignment.skip_reason) == (AssignmentStatus.SKIPPED, "Duplicate")


def test_lists_of_assignments(alice, bob, carl, project, document, both_submitted):
    mine = _client(alice).get(reverse("api-my-assignments"))
    projects = _client(carl).get(
        reverse("api-assignments", args=[project.slug]), {"annotator": "bob"}
    )

    assert [(row["annotator"], row["project"]) for row in mine.json()["results"]] == [
        ("alice", "talks")
    ]
    [bobs] = projects.json()["results"]
    assert (bobs["annotator"], bobs["status"], bobs["span_count"]) == ("bob", "submitted", 2)


def test_curator_reopens_an_assignment(carl, alice, project, document, both_submitted):
    assignment = Assignment.objects.get(annotator=alice)

    response = _client(carl).post(
        reverse("api-assignment-reopen", args=[project.slug, assignment.pk])
    )

    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    assert not DocumentAgreement.objects.exists()


# --------------------------------------------------------------------------- agreement


def test_agreement_is_read_from_the_stored_rows(carl, project, document, both_submitted):
    client = _client(carl)

    summary = client.get(reverse("api-agreement", args=[project.slug]))
    rows = client.get(reverse("api-agreement-documents", args=[project.slug]))
    detail = client.get(reverse("api-document-agreement", args=[document.pk]))

    stored = ProjectAgreement.objects.get(project=project)
    assert summary.json()["documents"] == stored.documents == 1
    assert summary.json()["summary"] == stored.summary
    row = DocumentAgreement.objects.get(document=document)
    [listed] = rows.json()["results"]
    assert (listed["document"], listed["annotators"], listed["score"]) == (
        document.pk,
        2,
        row.score,
    )
    assert detail.json()["statistics"] == row.statistics


def test_agreement_before_any_submission_is_empty(carl, project, document):
    client = _client(carl)

    summary = client.get(reverse("api-agreement", args=[project.slug]))
    detail = client.get(reverse("api-document-agreement", args=[document.pk]))

    assert (summary.json()["documents"], summary.json()["summary"]) == (0, None)
    assert (detail.json()["annotators"], detail.json()["statistics"]) == (0, None)


# --------------------------------------------------------------------------- gold


def test_premerge_accept_and_mark_gold(carl, document, labels, both_submitted):
    client = _client(carl)

    proposed = client.post(reverse("api-gold-premerge", args=[document.pk]), {}, format="json")
    too_early = client.post(
        reverse("api-gold-status", args=[document.pk]), {"status": "gold"}, format="json"
    )
    [proposal] = proposed.json()["created"]
    accepted = client.post(reverse("api-gold-span-accept", args=[proposal["id"]]))
    # Bob's NATO is a disagreement nobody settled: marking gold needs the confirmation.
    gold = client.post(
        reverse("api-gold-status", args=[document.pk]),
        {"status": "gold", "confirm": True},
        format="json",
    )
    locked = client.post(
        reverse("api-gold-spans", args=[document.pk]),
        {"label": labels["actor"].pk, "start": 39, "end": 43},
        format="json",
    )

    assert (proposal["text"], proposal["status"], len(proposal["source_spans"])) == (
        "Sergey Lavrov",
        "proposed",
        2,
    )
    assert too_early.status_code == 400
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["curator"] == "carl"
    assert gold.json() == {"document": document.pk, "gold_status": "gold"}
    assert locked.status_code == 400
    assert GoldSpan.objects.count() == 1


def test_curator_adds_changes_and_deletes_a_gold_span(carl, document, labels, both_submitted):
    client = _client(carl)

    created = client.post(
        reverse("api-gold-spans", args=[document.pk]),
        {"label": labels["actor"].pk, "start": 38, "end": 44, "text": " NATO "},
        format="json",
    )
    url = reverse("api-gold-span", args=[created.json()["id"]])
    changed = client.patch(
        url, {"label": labels["claim"].pk, "start": 18, "end": 43}, format="json"
    )
    listed = client.get(reverse("api-gold-spans", args=[document.pk]), {"status": "accepted"})
    deleted = client.delete(url)

    assert created.status_code == 201
    assert (created.json()["start"], created.json()["end"], created.json()["text"]) == (
        39,
        43,
        "NATO",
    )
    assert len(created.json()["source_spans"]) == 1
    assert changed.status_code == 200
    assert (changed.json()["label_name"], changed.json()["start"]) == ("claim", 18)
    assert listed.json()["count"] == 1
    assert deleted.status_code == 204
    assert not GoldSpan.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"start": 18},
        {},
        {"label": 999_999},
        {"start": 0, "end": 10_000},
        {"label": "threat-label", "start": 18, "end": 31},
    ],
    ids=["start-alone", "nothing", "unknown-label", "past-the-end", "string-label"],
)
def test_bad_gold_change_is_400_and_changes_nothing(carl, document, labels, both_submitted, change):
    client = _client(carl)
    created = client.post(
        reverse("api-gold-spans", args=[document.pk]),
        {"label": labels["actor"].pk, "start": 39, "end": 43},
        format="json",
    )
    url = reverse("api-gold-span", args=[created.json()["id"]])

    response = client.patch(url, change, format="json")

    assert response.status_code == 400
    gold_span = GoldSpan.objects.get()
    assert (gold_span.label, gold_span.start, gold_span.end) == (labels["actor"], 39, 43)
    assert gold_span.status == GoldSpanStatus.ACCEPTED


def test_relabel_and_failed_resize_roll_back_together(carl, document, labels, both_submitted):
    client = _client(carl)
    created = client.post(
        reverse("api-gold-spans", args=[document.pk]),
        {"label": labels["actor"].pk, "start": 39, "end": 43},
        format="json",
    )

    response = client.patch(
        reverse("api-gold-span", args=[created.json()["id"]]),
        {"label": labels["claim"].pk, "start": 39, "end": 43, "text": "OTAN"},
        format="json",
    )

    assert response.status_code == 400
    assert GoldSpan.objects.get().label == labels["actor"]


def test_accept_all_and_reopen(carl, document, both_submitted):
    client = _client(carl)
    client.post(reverse("api-gold-premerge", args=[document.pk]), {"minimum": 1}, format="json")

    accepted = client.post(reverse("api-gold-accept-all", args=[document.pk]))
    client.post(reverse("api-gold-status", args=[document.pk]), {"status": "gold"}, format="json")
    reopened = client.post(
        reverse("api-gold-status", args=[document.pk]), {"status": "in_progress"}, format="json"
    )

    assert accepted.json() == {"accepted": 2}
    assert reopened.json()["gold_status"] == GoldStatus.IN_PROGRESS
    assert not GoldSpan.objects.filter(status=GoldSpanStatus.PROPOSED).exists()


def test_annotators_spans_are_untouched_by_gold_writes(carl, document, both_submitted):
    before = list(Span.objects.values_list("id", "label_id", "start", "end"))

    _client(carl).post(reverse("api-gold-premerge", args=[document.pk]), {}, format="json")

    assert list(Span.objects.values_list("id", "label_id", "start", "end")) == before

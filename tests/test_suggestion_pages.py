"""The annotate page's suggestion endpoints: list, accept, reject, undo, accept all.

They answer the page script in JSON and call annotator.annotation.suggestions;
these tests hold them to the span writes' rules: only the annotator the
suggestion is offered to, on a document they may annotate; blind; a refusal
changes nothing; a retried write answers as the first one did.
"""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.annotation.assignments import assignment_create, assignment_submit
from annotator.annotation.spans import span_create
from annotator.models import AuditEvent, Document, Span, Suggestion, SuggestionDecision

JSON = {"HTTP_ACCEPT": "application/json"}
WRITES = ("INSERT", "UPDATE", "DELETE")


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
        sorted(Span.objects.values_list("pk", "label_id", "start", "end", "origin")),
        sorted(Suggestion.objects.values_list("pk", "label_id", "start", "end", "source")),
        sorted(SuggestionDecision.objects.values_list("pk", "status", "span_id")),
        AuditEvent.objects.count(),
    )


def _list(client, document) -> list[dict]:
    url = reverse("suggestions", args=[document.project.slug, document.pk])
    response = client.post(url, **JSON)
    assert response.status_code == 200, response.content
    return response.json()["suggestions"]


@pytest.fixture
def other(project) -> Document:
    return Document.objects.create(
        project=project, title="Other", text="NATO and Sergey Lavrov met; NATO said no."
    )


@pytest.fixture
def imported(document, labels) -> Suggestion:
    """A prediction for every annotator: "January" (the second one) as a claim."""
    start = document.text.rindex("January")
    return Suggestion.objects.create(
        document=document, label=labels["claim"], start=start, end=start + 7, source="import:ner"
    )


def _accept(client, suggestion, **data):
    return client.post(reverse("suggestion-accept", args=[suggestion.pk]), data, **JSON)


def test_the_list_proposes_my_phrases_in_code_points_and_never_another_annotators(
    alice, bob, document, other, labels
):
    _mark(alice, other, labels["actor"], "NATO")
    _mark(bob, other, labels["threat"], "Sergey Lavrov")

    suggestions = _list(_client(alice), document)

    nato = document.text.index("NATO")  # after an emoji: code points, not UTF-16
    assert [(s["label"], s["start"], s["end"], s["source"]) for s in suggestions] == [
        (labels["actor"].pk, nato, nato + 4, "string-match")
    ]
    # Bob sees his phrase, not alice's; alice's suggestion is a 404 to him.
    assert [s["source"] for s in _list(_client(bob), document)] == ["string-match"]
    assert _list(_client(bob), document)[0]["label"] == labels["threat"].pk
    mine = Suggestion.objects.get(pk=suggestions[0]["id"])
    assert _accept(_client(bob), mine).status_code == 404
    reject = reverse("suggestion-reject", args=[mine.pk])
    assert _client(bob).post(reject, **JSON).status_code == 404


def test_opening_the_page_again_stores_nothing_until_a_phrase_changes(
    alice, document, other, labels
):
    _mark(alice, other, labels["actor"], "NATO")
    client = _client(alice)
    first = _list(client, document)

    with CaptureQueriesContext(connection) as queries:
        again = _list(client, document)

    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(WRITES)]
    assert again == first and writes == []
    _mark(alice, other, labels["actor"], "Sergey Lavrov")
    assert len(_list(client, document)) == len(first) + 1


def test_accepting_makes_my_span_with_its_origin_and_a_retry_returns_the_same_span(
    alice, document, imported, labels
):
    client = _client(alice)
    client_id = str(uuid.uuid4())

    first = _accept(client, imported, client_id=client_id)
    again = _accept(client, imported, client_id=client_id)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    span = Span.objects.get(annotator=alice)
    assert first.json()["span"] == {
        "id": span.pk,
        "label": labels["claim"].pk,
        "start": imported.start,
        "end": imported.end,
    }
    assert (span.origin, span.suggestion_id) == ("import:ner", imported.pk)
    # Decided, so no longer listed; the phrase is now alice's, so the other January is.
    assert [(s["source"], s["start"]) for s in _list(client, document)] == [
        ("string-match", document.text.index("January"))
    ]
    # Without the same client_id, accepting twice is refused.
    refused = _accept(client, imported, client_id=str(uuid.uuid4()))
    assert refused.status_code == 400
    assert "already" in refused.json()["error"]


def test_a_label_key_accepts_with_that_label(alice, imported, labels):
    response = _accept(_client(alice), imported, label=labels["actor"].pk)

    assert response.status_code == 200
    assert Span.objects.get(annotator=alice).label == labels["actor"]


def test_reject_then_undo_brings_the_suggestion_back_and_a_repeated_undo_is_no_error(
    alice, document, imported
):
    client = _client(alice)
    reject = reverse("suggestion-reject", args=[imported.pk])
    undo = reverse("suggestion-undo", args=[imported.pk])

    assert client.post(reject, **JSON).status_code == 200
    assert _list(client, document) == []
    assert client.post(undo, **JSON).status_code == 200
    assert [s["id"] for s in _list(client, document)] == [imported.pk]
    before = _state()
    assert client.post(undo, **JSON).json() == {"suggestion": imported.pk, "status": "pending"}
    assert _state() == before


def test_undo_of_an_acceptance_deletes_the_span(alice, document, imported):
    client = _client(alice)
    _accept(client, imported, client_id=str(uuid.uuid4()))

    response = client.post(reverse("suggestion-undo", args=[imported.pk]), **JSON)

    assert response.status_code == 200
    assert not Span.objects.filter(annotator=alice).exists()
    assert [s["id"] for s in _list(client, document)] == [imported.pk]


def test_accept_all_of_a_label_and_its_retry_answer_the_same(alice, document, other, labels):
    _mark(alice, other, labels["actor"], "Sergey Lavrov")
    _mark(alice, other, labels["actor"], "NATO")
    client = _client(alice)
    assert len(_list(client, document)) == 2
    url = reverse("suggestions-accept-all", args=[document.project.slug, document.pk])

    first = client.post(url, {"label": labels["actor"].pk}, **JSON)
    again = client.post(url, {"label": labels["actor"].pk}, **JSON)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    spans = Span.objects.filter(annotator=alice, document=document)
    assert sorted(document.text[s.start : s.end] for s in spans) == ["NATO", "Sergey Lavrov"]
    assert {row["span"]["id"] for row in first.json()["accepted"]} == {s.pk for s in spans}
    assert _list(client, document) == []


@pytest.mark.parametrize("who", ["charlie", "anonymous"])
def test_outsiders_reach_nothing(who, charlie, document, imported, labels):
    client = _client(charlie) if who == "charlie" else Client()
    before = _state()
    urls = [
        (reverse("suggestions", args=[document.project.slug, document.pk]), {}),
        (reverse("suggestion-accept", args=[imported.pk]), {}),
        (reverse("suggestion-reject", args=[imported.pk]), {}),
        (reverse("suggestion-undo", args=[imported.pk]), {}),
        (
            reverse("suggestions-accept-all", args=[document.project.slug, document.pk]),
            {"label": labels["claim"].pk},
        ),
    ]

    for url, data in urls:
        response = client.post(url, data, **JSON)
        assert response.status_code == (404 if who == "charlie" else 302), url

    assert _state() == before


def test_a_document_not_assigned_to_me_is_a_403_where_assignments_are_required(
    alice, bob, document, imported, labels
):
    project = document.project
    project.assignment_required = True
    project.save()
    assignment_create(document=document, annotator=bob)
    before = _state()
    client = _client(alice)

    assert (
        client.post(reverse("suggestions", args=[project.slug, document.pk]), **JSON).status_code
        == 403
    )
    assert _accept(client, imported).status_code == 403
    assert client.post(reverse("suggestion-reject", args=[imported.pk]), **JSON).status_code == 403
    assert _state() == before


def test_refused_decisions_change_nothing_and_say_why(alice, document, imported, labels, charlie):
    assignment_create(document=document, annotator=alice)
    assignment_submit(document=document, annotator=alice)
    client = _client(alice)
    before = _state()
    other_label = charlie.memberships.get().project.labels.create(
        name="elsewhere", colour="#fde68a", hotkey="1"
    )

    answers = [
        _accept(client, imported),
        client.post(reverse("suggestion-reject", args=[imported.pk]), **JSON),
        _accept(client, imported, client_id="not-a-uuid"),
        _accept(client, imported, label=other_label.pk),
        client.post(
            reverse("suggestions-accept-all", args=[document.project.slug, document.pk]),
            {"label": other_label.pk},
            **JSON,
        ),
    ]

    assert [answer.status_code for answer in answers] == [400] * 5
    assert all(answer.json()["error"] for answer in answers)
    assert "submitted" in answers[1].json()["error"].lower()
    assert _state() == before

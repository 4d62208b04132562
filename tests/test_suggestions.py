"""Suggestions: string matches from gold and the annotator's own spans, decisions, blindness."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation import suggestions as suggestions_module
from annotator.annotation.assignments import assignment_create, assignment_submit
from annotator.annotation.span_imports import SpanImportTarget, SpanUpload, import_spans
from annotator.annotation.spans import span_create, span_delete
from annotator.annotation.string_match import string_match_proposals
from annotator.annotation.suggestions import (
    SuggestionError,
    pending_suggestions,
    string_match_refresh,
    suggestion_accept,
    suggestion_reject,
    suggestion_undo,
    suggestions_accept_all,
)
from annotator.api_tokens import token_create
from annotator.curation.gold import gold_span_create
from annotator.models import (
    AuditEvent,
    Document,
    PhraseIndexVersion,
    Span,
    Suggestion,
    SuggestionDecision,
)


def _seed_text() -> str:
    fixture = json.loads((Path(settings.BASE_DIR) / "fixtures" / "demo.json").read_text())
    [seed] = [
        row["fields"]["text"]
        for row in fixture
        if row["model"] == "annotator.document"
        and row["fields"]["source"] == "corpus/000_c2cd7438dcd674fe.txt"
    ]
    return seed


def _mark(user, document, label, phrase, occurrence=0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = document.text.index(phrase, start + 1)
    span, _ = span_create(
        document=document, annotator=user, label=label, start=start, end=start + len(phrase)
    )
    return span


def _pending(document, user) -> set[tuple[str, str, str]]:
    string_match_refresh(document=document, annotator=user)
    return {
        (s.label.name, document.text[s.start : s.end], s.source)
        for s in pending_suggestions(document, user)
    }


def _state() -> tuple:
    return (
        sorted(Span.objects.values_list("pk", "label_id", "start", "end")),
        sorted(SuggestionDecision.objects.values_list("pk", "status", "span_id")),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def talks(project) -> list[Document]:
    texts = [
        "NATO met the Kremlin envoy. Sergey Lavrov said little.",
        "Moscow and NATO disagree; the Kremlin warned again.",
        "NATOs allies and the Kremlinology of NATO: Moscow waits, NATO talks.",
    ]
    return [
        Document.objects.create(project=project, title=f"T{i}", text=t) for i, t in enumerate(texts)
    ]


# String matching


def test_phrases_an_annotator_labelled_are_proposed_on_word_boundaries(talks, alice, labels):
    _mark(alice, talks[0], labels["actor"], "NATO")
    _mark(alice, talks[0], labels["actor"], "the Kremlin")
    _mark(alice, talks[1], labels["actor"], "Moscow")

    proposals = _pending(talks[2], alice)

    assert proposals == {
        ("actor", "NATO", "string-match"),
        ("actor", "Moscow", "string-match"),
    }
    # "NATOs" and "Kremlinology" are not on word boundaries; two NATOs are.
    assert len(pending_suggestions(talks[2], alice)) == 3


def test_gold_labels_come_first_then_the_most_frequent_own_label(talks, alice, manager, labels):
    _mark(alice, talks[0], labels["threat"], "NATO")
    _mark(alice, talks[1], labels["actor"], "NATO")
    _mark(alice, talks[1], labels["actor"], "Moscow")
    _mark(alice, talks[1], labels["claim"], "the Kremlin")
    kremlin = talks[0].text.index("the Kremlin")
    gold_span_create(
        document=talks[0], label=labels["actor"], start=kremlin, end=kremlin + 11, curator=manager
    )

    proposals = _pending(talks[2], alice)

    assert ("actor", "Moscow", "string-match") in proposals
    # NATO: threat once, actor once, a tie: the lower label id (claim 1 ... actor 4) wins.
    assert ("threat", "NATO", "string-match") in proposals
    assert ("actor", "the Kremlin", "string-match") not in proposals  # no boundary in doc 3
    assert _pending(talks[1], alice) >= {("actor", "the Kremlin", "string-match")}


def test_another_annotators_spans_are_never_proposed(talks, alice, bob, labels):
    _mark(bob, talks[0], labels["actor"], "NATO")
    _mark(bob, talks[0], labels["actor"], "Sergey Lavrov")

    assert _pending(talks[2], alice) == set()
    assert string_match_proposals(talks[1], alice.pk) == []


def test_an_annotators_string_matches_are_not_anyone_elses(talks, alice, bob, labels):
    _mark(alice, talks[0], labels["actor"], "NATO")
    string_match_refresh(document=talks[1], annotator=alice)
    [suggestion] = pending_suggestions(talks[1], alice)

    assert list(pending_suggestions(talks[1], bob)) == []
    client = _api(bob)
    assert client.post(reverse("api-suggestion-accept", args=[suggestion.pk])).status_code == 404
    assert client.get(reverse("api-suggestions", args=[talks[1].pk])).json() == []


def test_the_automaton_follows_every_change_of_the_spans_it_is_built_from(
    talks, alice, labels, django_assert_max_num_queries
):
    assert string_match_proposals(talks[2], alice.pk) == []
    span = _mark(alice, talks[0], labels["actor"], "NATO")
    assert len(string_match_proposals(talks[2], alice.pk)) == 2
    # A current automaton costs one query: the counters.
    with django_assert_max_num_queries(1):
        string_match_proposals(talks[2], alice.pk)
    # Written behind the services' back: the trigger still moves the counter.
    Span.objects.filter(pk=span.pk).update(end=span.start + 3)
    assert string_match_proposals(talks[2], alice.pk) == []
    moved = PhraseIndexVersion.objects.get(annotator_id=alice.pk).version
    span_delete(span=Span.objects.get(pk=span.pk))
    assert PhraseIndexVersion.objects.get(annotator_id=alice.pk).version > moved


def test_the_seed_article_proposes_the_actors_labelled_in_two_other_documents(
    project, alice, labels
):
    seed = Document.objects.create(project=project, title="Seed", text=_seed_text())
    others = [
        Document.objects.create(
            project=project,
            title="Before",
            text="Sergey Lavrov met Karen Donfried; NATO and the Kremlin listened.",
        ),
        Document.objects.create(
            project=project, title="After", text="Reuters says Moscow and NATO talk again."
        ),
    ]
    for phrase in ("Sergey Lavrov", "Karen Donfried", "NATO", "the Kremlin"):
        _mark(alice, others[0], labels["actor"], phrase)
    for phrase in ("Moscow", "Reuters"):
        _mark(alice, others[1], labels["actor"], phrase)

    proposed = _pending(seed, alice)

    assert {text for _, text, _ in proposed} >= {
        "Sergey Lavrov",
        "Karen Donfried",
        "NATO",
        "Moscow",
        "Reuters",
    }
    assert {label for label, _, _ in proposed} == {"actor"}


# Decisions


@pytest.fixture
def offered(talks, alice, labels) -> Suggestion:
    _mark(alice, talks[0], labels["actor"], "NATO")
    string_match_refresh(document=talks[1], annotator=alice)
    return pending_suggestions(talks[1], alice).get()


def test_accepting_makes_the_annotators_span_with_its_origin(offered, alice, talks):
    span = suggestion_accept(suggestion=offered, annotator=alice)

    assert (span.origin, span.suggestion_id, span.annotator_id) == (
        "string-match",
        offered.pk,
        alice.pk,
    )
    assert talks[1].text[span.start : span.end] == "NATO"
    assert AuditEvent.objects.filter(subject_id=span.pk).get().after["origin"] == "string-match"
    assert SuggestionDecision.objects.get().status == "accepted"
    assert list(pending_suggestions(talks[1], alice)) == []


def test_accepting_with_another_label(offered, alice, labels):
    span = suggestion_accept(suggestion=offered, annotator=alice, label=labels["claim"])

    assert (span.label.name, span.origin) == ("claim", "string-match")


def test_reject_then_undo_makes_it_pending_again(offered, alice, talks):
    suggestion_reject(suggestion=offered, annotator=alice)
    assert list(pending_suggestions(talks[1], alice)) == []

    suggestion_undo(suggestion=offered, annotator=alice)

    assert list(pending_suggestions(talks[1], alice)) == [offered]
    assert not Span.objects.filter(document=talks[1]).exists()


def test_undoing_an_acceptance_deletes_its_span(offered, alice, talks):
    span = suggestion_accept(suggestion=offered, annotator=alice)

    suggestion_undo(suggestion=offered, annotator=alice)

    assert not Span.objects.filter(pk=span.pk).exists()
    assert list(pending_suggestions(talks[1], alice)) == [offered]


def test_accept_all_takes_one_label_and_each_range_once(project, talks, alice, manager, labels):
    _mark(alice, talks[0], labels["actor"], "NATO")
    _mark(alice, talks[0], labels["proposal"], "Sergey Lavrov")
    moscow = talks[2].text.index("Moscow")
    nato = talks[2].text.index("of NATO") + 3
    raw = json.dumps(
        {"id": talks[2].pk, "label": [[moscow, moscow + 6, "actor"], [nato, nato + 4, "actor"]]}
    )
    import_spans(
        project=project,
        uploads=[SpanUpload("p.jsonl", io.BytesIO(raw.encode()), len(raw))],
        target=SpanImportTarget("suggestions", "ner"),
        actor=manager,
    )
    string_match_refresh(document=talks[2], annotator=alice)

    spans = suggestions_accept_all(document=talks[2], annotator=alice, label=labels["actor"])

    assert sorted(talks[2].text[s.start : s.end] for s in spans) == ["Moscow", "NATO", "NATO"]
    assert {s.origin for s in spans} <= {"string-match", "import:ner"}
    # "of NATO" came from both sources: both decisions say accepted.
    assert SuggestionDecision.objects.filter(status="accepted").count() == 4


@pytest.mark.parametrize("decide", ["accept", "reject", "undo", "accept_all"])
def test_no_decision_under_a_submitted_assignment(offered, alice, talks, labels, decide):
    if decide == "undo":
        suggestion_reject(suggestion=offered, annotator=alice)
    _mark(alice, talks[1], labels["claim"], "Moscow")
    assignment_submit(document=talks[1], annotator=alice)
    before = _state()

    with pytest.raises(SuggestionError, match="submitted this document"):
        if decide == "accept":
            suggestion_accept(suggestion=offered, annotator=alice)
        elif decide == "reject":
            suggestion_reject(suggestion=offered, annotator=alice)
        elif decide == "undo":
            suggestion_undo(suggestion=offered, annotator=alice)
        else:
            suggestions_accept_all(document=talks[1], annotator=alice, label=labels["actor"])

    assert _state() == before


def test_no_decision_on_a_document_not_assigned(project, offered, alice, bob, talks):
    assignment_create(document=talks[2], annotator=bob)  # the project now requires assignments
    before = _state()

    with pytest.raises(SuggestionError, match="not assigned to you"):
        suggestion_reject(suggestion=offered, annotator=alice)

    assert _state() == before


# The API


def _api(user) -> APIClient:
    client = APIClient()
    _, token = token_create(user=user, name="t")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_api_lists_accepts_rejects_and_undoes(talks, alice, labels):
    _mark(alice, talks[0], labels["actor"], "NATO")
    _mark(alice, talks[0], labels["actor"], "the Kremlin")
    client = _api(alice)

    listed = client.get(reverse("api-suggestions", args=[talks[1].pk])).json()
    assert [(s["text"], s["label_name"], s["source"], s["mine"]) for s in listed] == [
        ("NATO", "actor", "string-match", True),
        ("the Kremlin", "actor", "string-match", True),
    ]
    accepted = client.post(reverse("api-suggestion-accept", args=[listed[0]["id"]]))
    assert accepted.status_code == 201
    assert (accepted.json()["origin"], accepted.json()["text"]) == ("string-match", "NATO")
    assert client.post(reverse("api-suggestion-reject", args=[listed[1]["id"]])).status_code == 200
    assert client.get(reverse("api-suggestions", args=[talks[1].pk])).json() == []
    assert client.post(reverse("api-suggestion-undo", args=[listed[0]["id"]])).status_code == 200
    again = client.get(reverse("api-suggestions", args=[talks[1].pk])).json()
    assert [s["text"] for s in again] == ["NATO"]


def test_api_accept_all_and_refusals(talks, alice, labels):
    _mark(alice, talks[0], labels["actor"], "NATO")
    client = _api(alice)
    url = reverse("api-suggestions-accept-all", args=[talks[2].pk])
    client.get(reverse("api-suggestions", args=[talks[2].pk]))

    response = client.post(url, {"label": labels["actor"].pk}, format="json")

    assert response.status_code == 200
    assert [s["text"] for s in response.json()] == ["NATO", "NATO"]
    twice = client.post(
        reverse(
            "api-suggestion-accept", args=[Suggestion.objects.filter(document=talks[2]).first().pk]
        )
    )
    assert twice.status_code == 400
    assert "already" in twice.json()["detail"]


WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.fixture
def computed(monkeypatch) -> list[int]:
    """The documents string matching computes proposals for, call by call."""
    calls: list[int] = []
    compute = suggestions_module.string_match_proposals

    def counted(document, annotator_id):
        calls.append(document.pk)
        return compute(document, annotator_id)

    monkeypatch.setattr(suggestions_module, "string_match_proposals", counted)
    return calls


def test_listing_again_computes_and_writes_nothing(talks, alice, labels, computed):
    """A GET is a read: while no phrase changed, the stored string matches stand."""
    _mark(alice, talks[0], labels["actor"], "NATO")
    kremlin = _mark(alice, talks[0], labels["actor"], "the Kremlin")
    client = _api(alice)
    url = reverse("api-suggestions", args=[talks[1].pk])
    first = client.get(url).json()
    rejected = next(s for s in first if s["text"] == "the Kremlin")
    client.post(reverse("api-suggestion-reject", args=[rejected["id"]]))
    span_delete(span=kremlin)  # "the Kremlin" is proposed no more; the decision stays
    listed = client.get(url).json()
    assert computed == [talks[1].pk, talks[1].pk]

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url).json()

    assert _writes(queries.captured_queries) == []
    assert computed == [talks[1].pk, talks[1].pk]
    assert again == listed and [s["text"] for s in again] == ["NATO"]
    assert Suggestion.objects.filter(pk=rejected["id"]).exists()


def test_listing_after_a_new_phrase_computes_again(talks, alice, bob, manager, labels, computed):
    _mark(alice, talks[0], labels["actor"], "NATO")
    client = _api(alice)
    url = reverse("api-suggestions", args=[talks[1].pk])
    assert [s["text"] for s in client.get(url).json()] == ["NATO"]

    _mark(alice, talks[0], labels["actor"], "the Kremlin")
    with CaptureQueriesContext(connection) as queries:
        listed = client.get(url).json()

    assert [s["text"] for s in listed] == ["NATO", "the Kremlin"]
    assert _writes(queries.captured_queries)
    # Another annotator's spans are no phrase of alice's: nothing to compute.
    _mark(bob, talks[0], labels["actor"], "Sergey Lavrov")
    client.get(url)
    assert computed == [talks[1].pk] * 2
    # Gold is everyone's.
    start = talks[0].text.index("Sergey Lavrov")
    gold_span_create(
        document=talks[0], label=labels["actor"], start=start, end=start + 13, curator=manager
    )
    assert [s["text"] for s in client.get(url).json()] == ["NATO", "the Kremlin"]
    assert computed == [talks[1].pk] * 3

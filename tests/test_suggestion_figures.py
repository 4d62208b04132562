"""The dashboard's figures on the machine's help: pseudo-annotators against gold, sources."""

import io
import json

import pytest
from django.urls import reverse

from annotator.annotation.span_imports import SpanImportTarget, SpanUpload, import_spans
from annotator.annotation.spans import span_create
from annotator.annotation.suggestions import (
    pending_suggestions,
    string_match_refresh,
    suggestion_accept,
    suggestion_reject,
)
from annotator.curation.suggestion_figures import (
    exact_f1,
    pseudo_annotator_scores,
    source_shares,
)
from annotator.models import Document, GoldOrigin, GoldSpan, GoldSpanStatus, GoldStatus

TEXT = "NATO met the Kremlin envoy in Moscow; Sergey Lavrov proposed talks in Geneva."


def _at(phrase: str) -> tuple[int, int]:
    start = TEXT.index(phrase)
    return start, start + len(phrase)


@pytest.fixture
def gold_document(project, labels) -> Document:
    document = Document.objects.create(
        project=project, title="Gold", text=TEXT, gold_status=GoldStatus.GOLD
    )
    for label, phrase in [
        ("actor", "NATO"),
        ("actor", "the Kremlin"),
        ("actor", "Sergey Lavrov"),
        ("proposal", "Sergey Lavrov proposed talks in Geneva"),
    ]:
        GoldSpan.objects.create(
            document=document,
            label=labels[label],
            start=_at(phrase)[0],
            end=_at(phrase)[1],
            status=GoldSpanStatus.ACCEPTED,
            origin=GoldOrigin.CURATOR,
            guidelines_version=1,
        )
    return document


PREDICTED = [
    ("actor", "NATO"),
    ("actor", "the Kremlin envoy"),
    ("actor", "Moscow"),
    ("actor", "Sergey Lavrov"),
    ("proposal", "Sergey Lavrov proposed talks in Geneva"),
    ("claim", "talks in Geneva"),
]


def _import(project, manager, document, target) -> None:
    line = {"id": document.pk, "label": [[*_at(phrase), label] for label, phrase in PREDICTED]}
    raw = (json.dumps(line) + "\n").encode()
    import_spans(
        project=project,
        uploads=[SpanUpload("p.jsonl", io.BytesIO(raw), len(raw))],
        target=target,
        actor=manager,
    )


def test_a_pseudo_annotator_is_scored_against_gold_per_label(
    project, manager, gold_document, labels
):
    _import(project, manager, gold_document, SpanImportTarget("pseudo", "model:ner"))

    [row] = pseudo_annotator_scores(project)

    # The oracle: sets of (label, start, end), counted independently of the queries.
    gold = {(g.label.name, g.start, g.end) for g in GoldSpan.objects.all()}
    predicted = {(label, *_at(phrase)) for label, phrase in PREDICTED}
    by_label = {figure["label"].name: figure for figure in row["labels"]}
    for name in ("actor", "proposal", "claim", "threat"):
        mine = {span for span in predicted if span[0] == name}
        truth = {span for span in gold if span[0] == name}
        expected = exact_f1(len(mine & truth), len(mine), len(truth))
        assert by_label[name] == {"label": labels[name], **expected}
    assert (by_label["actor"]["precision"], by_label["actor"]["recall"]) == (0.5, 2 / 3)
    assert by_label["proposal"]["f1"] == 1.0
    assert (by_label["claim"]["f1"], by_label["claim"]["reason"]) == (None, "no gold span")
    assert by_label["threat"]["reason"] == "no span and no gold span"
    assert row["overall"]["f1"] == pytest.approx(2 * (3 / 6) * (3 / 4) / (3 / 6 + 3 / 4))
    assert row["username"] == "model:ner"


def test_documents_not_gold_do_not_count(project, manager, gold_document):
    Document.objects.filter(pk=gold_document.pk).update(gold_status=GoldStatus.IN_PROGRESS)
    _import(project, manager, gold_document, SpanImportTarget("pseudo", "model:ner"))

    [row] = pseudo_annotator_scores(project)

    assert row["overall"]["predicted"] == row["overall"]["gold"] == 0


def test_sources_count_what_annotators_accepted_and_rejected(
    project, manager, alice, bob, gold_document, labels, document
):
    _import(project, manager, document_with(project), SpanImportTarget("suggestions", "ner"))
    extra = Document.objects.get(title="Plain")
    first, second, *_ = pending_suggestions(extra, alice)
    suggestion_accept(suggestion=first, annotator=alice)
    suggestion_reject(suggestion=second, annotator=alice)
    suggestion_reject(suggestion=first, annotator=bob)
    span_create(document=document, annotator=alice, label=labels["actor"], start=0, end=5)
    string_match_refresh(document=extra, annotator=alice)

    shares = {row["source"]: row for row in source_shares(project)}

    assert shares["import:ner"] == {
        "source": "import:ner",
        "offered": 6,
        "accepted": 1,
        "rejected": 2,
        "accepted_share": 1 / 3,
    }
    assert shares["string-match"]["accepted_share"] is None


def document_with(project) -> Document:
    return Document.objects.create(project=project, title="Plain", text=TEXT)


def test_the_dashboard_shows_both_tables(client, project, manager, curator, gold_document):
    _import(project, manager, gold_document, SpanImportTarget("pseudo", "model:ner"))
    client.force_login(curator)

    page = client.get(reverse("dashboard", args=[project.slug])).content.decode()

    assert 'id="pseudo-annotator-scores"' in page and "model:ner" in page
    assert 'id="suggestion-sources"' in page
    assert 'id="trained-models"' in page

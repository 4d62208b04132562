"""Refusals read as sentences: label names with their article, quoted text, one full stop."""

import re

import pytest
from django.core.management import CommandError, call_command

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import SpanError, span_create, span_relabel
from annotator.curation.gold import GoldError, gold_span_create
from annotator.wording import quoted, sentence, with_article

RAW_OFFSETS = re.compile(r"\[\d+, \d+\)")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("actor", "an actor"),
        ("claim", "a claim"),
        ("Issue", "an Issue"),
        ("proposal", "a proposal"),
    ],
)
def test_the_article_follows_the_first_letter(word, expected):
    assert with_article(word) == expected


def test_quoted_text_is_on_one_line_and_shortened_in_the_middle():
    assert quoted("Sergey\nLavrov") == "“Sergey Lavrov”"
    long = quoted("word " * 40)
    assert len(long) == 61
    assert "…" in long


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("split ratios must sum to 1, got 0.7", "Split ratios must sum to 1, got 0.7."),
        ("Already a sentence.", "Already a sentence."),
        ("two stops..", "Two stops."),
        ("'xx' is not an ISO 639-1 code", "'xx' is not an ISO 639-1 code."),
    ],
)
def test_a_sentence_has_a_capital_and_one_full_stop(text, expected):
    assert sentence(text) == expected


def test_a_second_identical_span_names_the_label_and_the_text(alice, document, labels, alice_span):
    with pytest.raises(SpanError) as refused:
        span_create(
            document=document,
            annotator=alice,
            label=labels["actor"],
            start=alice_span.start,
            end=alice_span.end,
        )

    assert refused.value.message == "You already have an actor span on “Sergey Lavrov”."


def test_a_relabel_onto_an_existing_span_names_the_label_and_the_text(
    alice, document, labels, alice_span
):
    span_create(
        document=document,
        annotator=alice,
        label=labels["claim"],
        start=alice_span.start,
        end=alice_span.end,
    )

    with pytest.raises(SpanError) as refused:
        span_relabel(span=alice_span, label=labels["claim"])

    assert refused.value.message == "You already have a claim span on “Sergey Lavrov”."


def test_a_second_identical_gold_span_names_the_label_and_the_text(document, labels, curator):
    start = document.text.find("NATO")
    gold_span_create(
        document=document, label=labels["actor"], start=start, end=start + 4, curator=curator
    )

    with pytest.raises(GoldError) as refused:
        gold_span_create(
            document=document, label=labels["actor"], start=start, end=start + 4, curator=curator
        )

    assert refused.value.message == "The gold version already has an actor span on “NATO”."


def test_a_mismatched_selection_quotes_both_texts(alice, document, labels):
    start = document.text.find("NATO")

    with pytest.raises(SpanError) as refused:
        span_create(
            document=document,
            annotator=alice,
            label=labels["actor"],
            start=start,
            end=start + 4,
            text="NATA",
        )

    assert refused.value.message == (
        "The selected text “NATA” does not match the document, which has “NATO” there."
    )


def test_a_submitted_document_says_who_can_reopen_it(alice, document, labels, alice_span):
    assignment_submit(document=document, annotator=alice)

    with pytest.raises(SpanError) as refused:
        span_create(document=document, annotator=alice, label=labels["claim"], start=0, end=5)

    assert "You have submitted this document" in refused.value.message
    assert "curator" in refused.value.message


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [(-1, 5, None), (10, 5, None), (5, 5, None), (60, 1000, None), ("a", 5, None), (0, 5, "x")],
)
def test_offset_refusals_are_single_sentences(alice, document, labels, start, end, text):
    with pytest.raises(SpanError) as refused:
        span_create(
            document=document,
            annotator=alice,
            label=labels["claim"],
            start=start,
            end=end,
            text=text,
        )

    message = refused.value.message
    assert message[0].isupper()
    assert message.endswith(".")
    assert not message.endswith("..")
    assert not RAW_OFFSETS.search(message)


def test_a_command_error_ends_with_one_full_stop_before_what_happened(tmp_path, alice_span):
    with pytest.raises(CommandError) as refused:
        call_command(
            "export_dataset",
            "--project",
            "talks",
            "--source",
            "annotators",
            "--format",
            "jsonl",
            "--train",
            "0.5",
            "--out",
            str(tmp_path / "out.jsonl"),
        )

    message = str(refused.value)
    assert re.fullmatch(
        r"Split ratios must sum to 1, got [0-9.]+\d\. Nothing was written\.", message
    )


def test_an_unknown_project_for_refresh_agreement_is_a_sentence(db):
    with pytest.raises(CommandError) as refused:
        call_command("refresh_agreement", "nope")

    assert str(refused.value) == "No project with slug 'nope'."

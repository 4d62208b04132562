"""span_create: the one write path for spans, with its validation, trimming and retries."""

import uuid

import pytest

from annotator.annotation.spans import SpanError, span_create
from annotator.models import Assignment, AssignmentStatus, Label, Project, Span


def _span_count(document, annotator) -> int:
    assignment = Assignment.objects.filter(document=document, annotator=annotator).first()
    return assignment.span_count if assignment else 0


def _range(document, quote: str) -> tuple[int, int]:
    start = document.text.find(quote)
    assert start >= 0
    return start, start + len(quote)


def test_create_stores_span_and_counts_it(alice, document, labels, project):
    start, end = _range(document, "Sergey Lavrov")

    span, created = span_create(
        document=document, annotator=alice, label=labels["actor"], start=start, end=end
    )

    assert created is True
    span.refresh_from_db()
    assert (span.document, span.annotator, span.label) == (document, alice, labels["actor"])
    assert (span.start, span.end) == (18, 31)
    assert document.text[span.start : span.end] == "Sergey Lavrov"
    assert span.guidelines_version == project.guidelines_version
    assignment = Assignment.objects.get(document=document, annotator=alice)
    assert assignment.span_count == 1
    assert assignment.status == AssignmentStatus.IN_PROGRESS


def test_offsets_are_code_points_after_an_emoji(alice, document, labels):
    start = document.text.find("NATO")
    assert start == 39  # 40 in UTF-16: the emoji before it is one code point, two code units

    span, created = span_create(
        document=document,
        annotator=alice,
        label=labels["actor"],
        start=start,
        end=start + 4,
        text="NATO",
    )

    assert created is True
    assert (span.start, span.end) == (39, 43)


def test_utf16_offsets_after_an_emoji_are_caught_by_the_quoted_text(alice, document, labels):
    utf16_start = document.text.find("NATO") + 1

    with pytest.raises(SpanError, match="does not match"):
        span_create(
            document=document,
            annotator=alice,
            label=labels["actor"],
            start=utf16_start,
            end=utf16_start + 4,
            text="NATO",
        )

    assert Span.objects.count() == 0
    assert _span_count(document, alice) == 0


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (-1, 5, "must not be negative"),
        (10, 5, "greater than its start"),
        (5, 5, "greater than its start"),
        (60, 1000, "past the end"),
        ("18", 31, "must be an integer"),
        (18.0, 31, "must be an integer"),
        (True, 31, "must be an integer"),
        (None, 31, "must be an integer"),
        (18, "31", "must be an integer"),
    ],
    ids=[
        "negative",
        "reversed",
        "empty",
        "past-the-end",
        "string",
        "float",
        "bool",
        "none",
        "string-end",
    ],
)
def test_bad_offsets_are_refused(alice, alice_span, document, labels, start, end, message):
    with pytest.raises(SpanError, match=message):
        span_create(document=document, annotator=alice, label=labels["claim"], start=start, end=end)

    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_end_exactly_at_the_end_of_the_text_is_accepted(alice, document, labels):
    length = len(document.text)

    span, created = span_create(
        document=document, annotator=alice, label=labels["claim"], start=0, end=length
    )

    assert created is True
    assert (span.start, span.end) == (0, length - 1)  # the trailing newline is trimmed


def test_label_of_another_project_is_refused(alice, alice_span, document):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="claim", colour="#000000", hotkey="1")

    with pytest.raises(SpanError, match="does not belong"):
        span_create(document=document, annotator=alice, label=foreign, start=0, end=5)

    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_exact_duplicate_is_refused(alice, alice_span, document, labels):
    with pytest.raises(SpanError, match="already have an actor span on “Sergey Lavrov”"):
        span_create(
            document=document,
            annotator=alice,
            label=labels["actor"],
            start=alice_span.start,
            end=alice_span.end,
        )

    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_duplicate_after_trimming_is_refused(alice, alice_span, document, labels):
    # "\nSergey Lavrov " trims to the range alice already has
    with pytest.raises(SpanError, match="already have"):
        span_create(
            document=document,
            annotator=alice,
            label=labels["actor"],
            start=alice_span.start - 1,
            end=alice_span.end + 1,
        )

    assert Span.objects.count() == 1
    assert _span_count(document, alice) == 1


def test_same_range_by_another_annotator_is_not_a_duplicate(alice_span, bob, document, labels):
    span, created = span_create(
        document=document,
        annotator=bob,
        label=labels["actor"],
        start=alice_span.start,
        end=alice_span.end,
    )

    assert created is True
    assert span.pk != alice_span.pk
    assert _span_count(document, bob) == 1


def test_whitespace_only_is_refused(alice, document, labels):
    blank_start = document.text.find("\n\n")

    with pytest.raises(SpanError, match="whitespace only"):
        span_create(
            document=document,
            annotator=alice,
            label=labels["claim"],
            start=blank_start,
            end=blank_start + 2,
        )

    assert Span.objects.count() == 0
    assert not Assignment.objects.exists()


def test_leading_and_trailing_whitespace_is_trimmed(alice, document, labels):
    start, end = _range(document, "\nSergey Lavrov said ")

    span, _ = span_create(
        document=document,
        annotator=alice,
        label=labels["claim"],
        start=start,
        end=end,
        text="\nSergey Lavrov said ",
    )

    span.refresh_from_db()
    assert document.text[span.start : span.end] == "Sergey Lavrov said"
    assert (span.start, span.end) == (start + 1, end - 1)


def test_text_mismatch_names_both_texts(alice, alice_span, document, labels):
    start, end = _range(document, "NATO")

    with pytest.raises(SpanError) as refused:
        span_create(
            document=document,
            annotator=alice,
            label=labels["actor"],
            start=start,
            end=end,
            text="OTAN",
        )

    assert "“OTAN”" in refused.value.message
    assert "“NATO”" in refused.value.message
    assert refused.value.detail == {"sent": "OTAN", "stored": "NATO"}
    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_retry_with_the_same_client_id_returns_the_first_span(alice, document, labels):
    client_id = uuid.uuid4()
    start, end = _range(document, "NATO")
    first, first_created = span_create(
        document=document,
        annotator=alice,
        label=labels["actor"],
        start=start,
        end=end,
        client_id=client_id,
    )

    again, again_created = span_create(
        document=document,
        annotator=alice,
        label=labels["actor"],
        start=start,
        end=end,
        client_id=client_id,
    )

    assert (first_created, again_created) == (True, False)
    assert again.pk == first.pk
    assert Span.objects.count() == 1
    assert Span.objects.get().client_id == client_id
    assert _span_count(document, alice) == 1


def test_client_id_of_another_users_span_is_refused(alice_span, bob, document, labels):
    start, end = _range(document, "NATO")

    with pytest.raises(SpanError, match="another span"):
        span_create(
            document=document,
            annotator=bob,
            label=labels["actor"],
            start=start,
            end=end,
            client_id=alice_span.client_id,
        )

    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, bob) == 0
    assert _span_count(document, alice_span.annotator) == 1

"""The database itself refuses bad spans, whatever path writes them (no service involved)."""

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotator.annotation.span_imports import SPAN_COLUMNS, insert_rows
from annotator.models import Label, Project, Span


def _insert(document, annotator, label, start, end) -> Span:
    return Span.objects.create(
        document=document, annotator=annotator, label=label, start=start, end=end
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [(-1, 5), (10, 5), (5, 5), (0, 1000)],
    ids=["negative", "reversed", "empty", "past-the-end"],
)
def test_bad_offsets_are_refused_by_the_database(alice, alice_span, document, labels, start, end):
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert(document, alice, labels["claim"], start, end)

    assert list(Span.objects.all()) == [alice_span]


def test_end_one_past_the_text_is_refused_and_end_at_the_text_is_not(alice, document, labels):
    length = len(document.text)  # code points, as the trigger counts them

    with pytest.raises(IntegrityError), transaction.atomic():
        _insert(document, alice, labels["claim"], 0, length + 1)
    span = _insert(document, alice, labels["claim"], 0, length)

    assert list(Span.objects.all()) == [span]


def test_label_of_another_project_is_refused_by_the_database(alice, alice_span, document):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="claim", colour="#000000", hotkey="1")

    with pytest.raises(IntegrityError), transaction.atomic():
        _insert(document, alice, foreign, 0, 5)

    assert list(Span.objects.all()) == [alice_span]


def test_exact_duplicate_is_refused_by_the_database(alice, alice_span, document):
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert(document, alice, alice_span.label, alice_span.start, alice_span.end)

    assert list(Span.objects.all()) == [alice_span]


def test_queryset_update_cannot_move_the_end_past_the_text(alice_span, document):
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.filter(pk=alice_span.pk).update(end=len(document.text) + 1)

    alice_span.refresh_from_db()
    assert alice_span.end == 31


def test_queryset_update_cannot_give_a_label_of_another_project(alice_span, labels):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="actor", colour="#000000", hotkey="4")

    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.filter(pk=alice_span.pk).update(label=foreign)

    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]


def test_queryset_update_within_the_rules_is_allowed(alice_span, labels):
    Span.objects.filter(pk=alice_span.pk).update(label=labels["claim"], end=alice_span.end + 5)

    alice_span.refresh_from_db()
    assert (alice_span.label, alice_span.end) == (labels["claim"], 36)


def _copied(document, annotator, label, offsets) -> list[tuple]:
    """Rows for ``insert_rows``, the path imports take (``COPY`` on PostgreSQL)."""
    now = timezone.now()
    return [
        (document.pk, annotator.pk, label.pk, start, end, uuid.uuid4(), 1, "", now, now)
        for start, end in offsets
    ]


def test_a_bulk_insert_with_one_span_past_the_text_stores_none(alice, document, labels):
    length = len(document.text)
    rows = _copied(document, alice, labels["claim"], [(0, 4), (length - 3, length + 1), (5, 9)])

    with pytest.raises(IntegrityError, match=r"past the end|must end within"), transaction.atomic():
        insert_rows(Span, SPAN_COLUMNS, rows)

    assert not Span.objects.exists()


def test_a_bulk_insert_with_one_label_of_another_project_stores_none(alice, document, labels):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="claim", colour="#000000", hotkey="1")
    rows = [
        *_copied(document, alice, labels["claim"], [(0, 4), (5, 9)]),
        *_copied(document, alice, foreign, [(10, 14)]),
    ]

    with (
        pytest.raises(IntegrityError, match=r"not a label of the project|label of its project"),
        transaction.atomic(),
    ):
        insert_rows(Span, SPAN_COLUMNS, rows)

    assert not Span.objects.exists()


def test_a_bulk_insert_within_the_rules_stores_every_span(alice, document, labels):
    length = len(document.text)
    offsets = [(0, 4), (5, 9), (length - 3, length)]

    insert_rows(Span, SPAN_COLUMNS, _copied(document, alice, labels["claim"], offsets))

    assert sorted(Span.objects.values_list("start", "end")) == offsets

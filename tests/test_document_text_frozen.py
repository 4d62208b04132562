"""Document text is normalised when stored and frozen once the document has spans."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotator.models import Document


def test_text_is_normalised_and_hashed_on_save(project):
    decomposed = "Cafe\u0301 talks\r\nin Gene\u0300ve\rnext week"

    document = Document.objects.create(project=project, title="Café", text=decomposed)

    document.refresh_from_db()
    expected = "Caf\u00e9 talks\nin Gen\u00e8ve\nnext week"
    assert document.text == expected
    assert document.text_sha256 == hashlib.sha256(expected.encode("utf-8")).hexdigest()


def test_text_can_change_while_the_document_has_no_spans(document):
    document.text = "New text\r\nhere"
    document.full_clean()
    document.save()

    document.refresh_from_db()
    assert document.text == "New text\nhere"
    assert document.text_sha256 == hashlib.sha256(b"New text\nhere").hexdigest()


def test_queryset_update_of_text_is_allowed_without_spans(document):
    Document.objects.filter(pk=document.pk).update(text="Other text")

    document.refresh_from_db()
    assert document.text == "Other text"


def test_clean_refuses_a_text_change_once_the_document_has_spans(alice_span, document):
    original = document.text
    document.text = original.replace("NATO", "OTAN")

    with pytest.raises(ValidationError) as refused:
        document.full_clean()

    assert "text" in refused.value.message_dict
    assert Document.objects.get(pk=document.pk).text == original


def test_clean_accepts_a_text_that_normalises_to_the_stored_one(alice_span, document):
    document.text = document.text.replace("\n", "\r\n")

    document.full_clean()  # no error: the stored text would not change


def test_trigger_refuses_a_queryset_update_of_text_once_the_document_has_spans(
    alice_span, document
):
    original = document.text

    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(text="Something else entirely")

    document.refresh_from_db()
    assert document.text == original
    assert document.spans.get() == alice_span


def test_trigger_refuses_a_save_that_skips_clean(alice_span, document):
    original = document.text
    document.text = "Something else entirely"

    with pytest.raises(IntegrityError), transaction.atomic():
        document.save()

    assert Document.objects.get(pk=document.pk).text == original


def test_other_fields_can_still_change_once_the_document_has_spans(alice_span, document):
    document.title = "Renamed"
    document.full_clean()
    document.save()

    document.refresh_from_db()
    assert document.title == "Renamed"
    assert document.spans.get() == alice_span

"""The API span list reads the document text once, and a 1,000-span document in one request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation.spans import span_create
from annotator.api.serializers import SpanOutput
from annotator.api.spans import SPAN_PAGE_DEFAULT, SPAN_PAGE_MAX
from annotator.curation.gold import gold_span_create
from annotator.models import Assignment, AssignmentStatus, Document, Span

WORD = "word "


@pytest.fixture
def long_document(project, alice, labels) -> Document:
    """1,000 one-word spans of alice's on a 30,000-character document."""
    document = Document.objects.create(project=project, title="Long", text=WORD * 6000)
    Assignment.objects.create(
        document=document, annotator=alice, status=AssignmentStatus.IN_PROGRESS
    )
    Span.objects.bulk_create(
        Span(
            document=document,
            annotator=alice,
            label=labels["claim"],
            start=index * len(WORD),
            end=index * len(WORD) + 4,
            guidelines_version=1,
        )
        for index in range(1000)
    )
    return document


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _text_reads(queries) -> int:
    return sum('"annotator_document"."text"' in query["sql"] for query in queries)


def test_a_thousand_spans_come_in_one_request(long_document, alice):
    response = _client(alice).get(reverse("api-spans", args=[long_document.pk]))

    body = response.json()
    assert response.status_code == 200
    assert (body["count"], len(body["results"]), body["next"]) == (1000, 1000, None)
    assert {span["text"] for span in body["results"]} == {"word"}
    assert body["results"][1]["start"] == len(WORD)


def test_the_list_reads_the_document_text_once(long_document, alice):
    client = _client(alice)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api-spans", args=[long_document.pk]), {"limit": 1000})

    assert response.status_code == 200
    assert _text_reads(queries.captured_queries) == 1
    assert len(queries.captured_queries) <= 8


def test_the_limit_of_the_span_list_is_bounded(long_document, alice):
    response = _client(alice).get(reverse("api-spans", args=[long_document.pk]), {"limit": 10**9})

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(1000, SPAN_PAGE_MAX)
    assert SPAN_PAGE_DEFAULT >= 1000


def test_pages_of_the_span_list_still_follow_each_other(long_document, alice):
    client = _client(alice)
    url = reverse("api-spans", args=[long_document.pk])

    first = client.get(url, {"limit": 600}).json()
    second = client.get(first["next"]).json()

    starts = [span["start"] for span in first["results"] + second["results"]]
    assert starts == sorted(starts) == [index * len(WORD) for index in range(1000)]
    assert second["next"] is None


def test_the_gold_list_reads_the_document_text_once(document, labels, curator):
    for phrase in ("Sergey Lavrov", "NATO", "January"):
        start = document.text.find(phrase)
        gold_span_create(
            document=document,
            label=labels["actor"],
            start=start,
            end=start + len(phrase),
            curator=curator,
        )
    client = _client(curator)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api-gold-spans", args=[document.pk]))

    assert [span["text"] for span in response.json()["results"]] == [
        "January",
        "Sergey Lavrov",
        "NATO",
    ]
    assert _text_reads(queries.captured_queries) == 1


def test_a_single_span_still_has_its_text(alice, document, labels):
    start = document.text.find("NATO")
    span, _ = span_create(
        document=document, annotator=alice, label=labels["actor"], start=start, end=start + 4
    )

    body = _client(alice).get(reverse("api-span", args=[span.pk])).json()

    assert (body["text"], body["label_name"]) == ("NATO", "actor")


def test_the_list_rows_are_what_the_span_serializer_gives(alice, document, labels):
    # The emoji before NATO makes code points and UTF-16 units differ.
    for phrase, label in (("Sergey Lavrov", "actor"), ("NATO", "actor"), ("January", "claim")):
        start = document.text.rfind(phrase)
        span_create(
            document=document,
            annotator=alice,
            label=labels[label],
            start=start,
            end=start + len(phrase),
        )

    listed = _client(alice).get(reverse("api-spans", args=[document.pk])).json()["results"]

    spans = Span.objects.filter(annotator=alice).order_by("start", "-end", "label_id", "id")
    expected = [dict(SpanOutput(span).data) for span in spans]
    assert [list(row) for row in listed] == [list(row) for row in expected]
    assert listed == expected

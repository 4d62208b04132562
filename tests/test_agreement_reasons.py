"""A missing agreement score says why: in the API's ``reason`` and on the dashboard."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create


@pytest.fixture
def curator_client(curator) -> APIClient:
    client = APIClient()
    client.force_authenticate(curator)
    return client


def _document_agreement(client, document) -> dict:
    response = client.get(reverse("api-document-agreement", args=[document.pk]))
    assert response.status_code == 200
    return response.json()


def test_no_submission_says_so(curator_client, document):
    body = _document_agreement(curator_client, document)

    assert body["score"] is None
    assert body["reason"] == "fewer than two annotators have submitted this document (0 so far)"


def test_one_submission_says_a_second_is_needed(curator_client, document, alice, alice_span):
    assignment_submit(document=document, annotator=alice)

    body = _document_agreement(curator_client, document)

    assert body["score"] is None
    assert body["reason"] == "fewer than two annotators have submitted this document (1 so far)"


def test_two_submissions_without_spans_say_there_is_nothing_to_compare(
    curator_client, document, alice, bob
):
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)

    body = _document_agreement(curator_client, document)

    assert (body["annotators"], body["score"]) == (2, None)
    assert body["reason"] == "no spans from either side"


def test_a_defined_score_has_no_reason(curator_client, document, labels, alice, bob, alice_span):
    span_create(document=document, annotator=bob, label=labels["actor"], start=18, end=31)
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)

    body = _document_agreement(curator_client, document)

    assert body["score"] == 1.0
    assert body["reason"] is None


def test_the_project_summary_says_why_it_is_empty(curator_client, project, document, alice):
    assignment_submit(document=document, annotator=alice)

    body = curator_client.get(reverse("api-agreement", args=[project.slug])).json()

    assert body["summary"] is None
    assert body["reason"] == "no document has two submitted annotators yet"


def test_a_project_summary_has_no_reason_once_it_exists(
    curator_client, project, document, alice, bob
):
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)

    body = curator_client.get(reverse("api-agreement", args=[project.slug])).json()

    assert body["summary"] is not None
    assert body["reason"] is None


def test_the_dashboard_overall_rows_give_the_reason(client, curator, project, document, alice, bob):
    # Both submitted without a span: every overall figure is undefined, for a reason.
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    client.force_login(curator)

    response = client.get(reverse("dashboard", args=[project.slug]))

    page = response.content.decode()
    overall = page[
        page.index('id="overall-agreement"') : page.index(
            "</table>", page.index('id="overall-agreement"')
        )
    ]
    rows = overall.split("<tr>")[1:]
    assert len(rows) == 9
    for row in rows:
        cell = row.split("<td>")[1].split("</td>")[0]
        assert cell.startswith("\u2013")  # the en dash the page shows for no value
        assert 'class="muted reason"' in cell, row
        assert cell.split('class="muted reason">')[1].split("</span>")[0].strip(), row

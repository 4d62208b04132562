"""Blind annotation: an annotator's pages and API answers never carry another annotator's spans."""

import re

import pytest
from django.urls import reverse

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create
from annotator.models import Span

HTMX = {"HX-Request": "true"}


@pytest.fixture
def bobs_span(bob, document, labels):
    start = document.text.find("January.")
    span, _ = span_create(
        document=document, annotator=bob, label=labels["proposal"], start=start, end=start + 7
    )
    assignment_submit(document=document, annotator=bob)
    return span


def _span_ids(html: str) -> set[str]:
    return set(re.findall(r'data-span="(\d+)"', html))


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_annotate_page_shows_only_my_spans(client, alice, alice_span, bobs_span, document, headers):
    client.force_login(alice)

    response = client.get(
        reverse("annotate", args=[document.project.slug, document.pk]), headers=headers
    )

    assert response.status_code == 200
    assert _span_ids(response.text) == {str(alice_span.pk)}
    assert f'label-{bobs_span.label_id}" data-span' not in response.text


def test_api_lists_only_my_spans_and_hides_anothers_span(
    client, alice, alice_span, bobs_span, document
):
    client.force_login(alice)

    listing = client.get(reverse("api-spans", args=[document.pk]))
    detail = client.get(reverse("api-span", args=[bobs_span.pk]))
    deleted = client.delete(reverse("api-span", args=[bobs_span.pk]))

    assert listing.status_code == 200
    assert [span["id"] for span in listing.json()["results"]] == [alice_span.pk]
    assert (detail.status_code, deleted.status_code) == (404, 404)
    assert Span.objects.filter(pk=bobs_span.pk).exists()


def test_html_writes_on_anothers_span_are_404(client, alice, bobs_span, labels):
    client.force_login(alice)

    deleted = client.post(reverse("span-delete", args=[bobs_span.pk]))
    relabeled = client.post(
        reverse("span-relabel", args=[bobs_span.pk]), {"label": labels["claim"].pk}
    )

    assert (deleted.status_code, relabeled.status_code) == (404, 404)
    bobs_span.refresh_from_db()
    assert bobs_span.label == labels["proposal"]


def test_document_list_counts_only_my_spans(client, alice, bobs_span, document):
    client.force_login(alice)

    response = client.get(reverse("document-list", args=[document.project.slug]))

    assert response.status_code == 200
    row = next(d for d in response.context["documents"] if d.pk == document.pk)
    assert (row.my_status, row.my_span_count) == (None, 0)
    assert "Gold" not in response.text


@pytest.mark.parametrize("url_name", ["dashboard", "network", "adjudicate"])
def test_curation_pages_that_show_everyones_spans_are_403_for_an_annotator(
    client, alice, bobs_span, document, url_name
):
    client.force_login(alice)
    args = [document.project.slug] + ([document.pk] if url_name == "adjudicate" else [])

    response = client.get(reverse(url_name, args=args))

    assert response.status_code == 403
    assert "January." not in response.text

"""User-supplied titles, texts and label names are escaped, never rendered as markup."""

import pytest
from django.urls import reverse

from annotator.annotation.spans import span_create
from annotator.models import Document, Label

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def hostile_document(project):
    return Document.objects.create(
        project=project,
        title=f"Title {SCRIPT} {IMG}",
        text=f"Text {SCRIPT} and {IMG} & more.",
    )


@pytest.fixture
def hostile_labels(project) -> list[Label]:
    return [
        Label.objects.create(project=project, name=SCRIPT, colour="#111111", hotkey="5"),
        Label.objects.create(project=project, name=IMG, colour="#222222", hotkey="6"),
    ]


def _assert_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_annotate_page_escapes_title_text_and_label_names(
    client, alice, hostile_document, hostile_labels
):
    for label in hostile_labels:
        start = hostile_document.text.find(label.name)
        span_create(
            document=hostile_document,
            annotator=alice,
            label=label,
            start=start,
            end=start + len(label.name),
        )
    client.force_login(alice)
    url = reverse("annotate", args=[hostile_document.project.slug, hostile_document.pk])

    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})

    assert page.status_code == fragment.status_code == 200
    _assert_escaped(page.text)
    _assert_escaped(fragment.text)
    assert '<span class="span-label">&lt;script&gt;alert(1)&lt;/script&gt;</span>' in page.text
    assert "<h1>Title &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x" in page.text


def test_document_list_escapes_titles(client, alice, hostile_document):
    client.force_login(alice)

    response = client.get(reverse("document-list", args=[hostile_document.project.slug]))

    assert response.status_code == 200
    _assert_escaped(response.text)


def test_span_error_page_escapes_the_quoted_text(client, alice, hostile_document, labels):
    client.force_login(alice)
    url = reverse("span-create", args=[hostile_document.project.slug, hostile_document.pk])

    response = client.post(url, {"label": labels["claim"].pk, "start": 0, "end": 4, "text": SCRIPT})

    assert response.status_code == 400
    assert SCRIPT not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert not hostile_document.spans.exists()


def test_manager_pages_escape_titles_and_label_names(
    client, manager, alice, hostile_document, hostile_labels
):
    client.force_login(manager)
    slug = hostile_document.project.slug

    search = client.get(reverse("document-search", args=[slug]), {"q": "Title"})
    labels = client.get(reverse("labels", args=[slug]))

    assert search.status_code == labels.status_code == 200
    _assert_escaped(search.text)
    _assert_escaped(labels.text)

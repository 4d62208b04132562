"""Page queries do not grow with the number of spans or documents."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import Assignment, Document, Membership, Project, Role, Span

WORDS = " ".join(f"word{i:03d}" for i in range(250))


def _queries(client, url: str, **headers: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured)


def _document_with_spans(project, annotator, labels, count: int) -> Document:
    document = Document.objects.create(project=project, title=f"{count} spans", text=WORDS)
    label_cycle = list(labels.values())
    Span.objects.bulk_create(
        Span(
            document=document,
            annotator=annotator,
            label=label_cycle[i % len(label_cycle)],
            start=i * 8,
            end=i * 8 + 7 + (i % 3) * 8,  # some spans cross their neighbours
        )
        for i in range(count)
    )
    Assignment.objects.create(document=document, annotator=annotator, span_count=count)
    return document


def test_annotate_page_queries_do_not_grow_with_spans(client, alice, project, labels):
    one = _document_with_spans(project, alice, labels, 1)
    many = _document_with_spans(project, alice, labels, 200)
    client.force_login(alice)

    for headers in ({}, {"HX-Request": "true"}):
        with_one = _queries(client, reverse("annotate", args=[project.slug, one.pk]), **headers)
        with_many = _queries(client, reverse("annotate", args=[project.slug, many.pk]), **headers)

        assert with_one == with_many, headers
    assert many.spans.count() == 200
    page = client.get(reverse("annotate", args=[project.slug, many.pk]))
    assert page.text.count('<li class="span-item"') == 200


def _project_with_documents(name: str, annotator, count: int) -> Project:
    project = Project.objects.create(name=name, slug=name.lower())
    Membership.objects.create(project=project, user=annotator, role=Role.ANNOTATOR)
    documents = Document.objects.bulk_create(
        Document(project=project, title=f"Article {i}", text=f"Article {i} text", text_sha256="")
        for i in range(count)
    )
    Assignment.objects.bulk_create(
        Assignment(document=document, annotator=annotator, span_count=i)
        for i, document in enumerate(documents)
    )
    return project


def test_document_list_queries_do_not_grow_with_documents(client, alice):
    small = _project_with_documents("Small", alice, 1)
    large = _project_with_documents("Large", alice, 60)
    client.force_login(alice)

    with_one = _queries(client, reverse("document-list", args=[small.slug]))
    with_sixty = _queries(client, reverse("document-list", args=[large.slug]))

    assert with_one == with_sixty
    page = client.get(reverse("document-list", args=[large.slug]))
    assert page.text.count("<tr>") == 1 + 50  # header row and a full first page


def test_document_list_pages_by_id_with_the_stored_total(client, project, alice):
    Document.objects.bulk_create(
        Document(project=project, title=f"Doc {number}", text=f"Text {number}")
        for number in range(120)
    )
    client.force_login(alice)
    url = reverse("document-list", args=[project.slug])

    first = client.get(url)
    second = client.get(url, {"after": first.context["next_after"]})
    third = client.get(url, {"after": second.context["next_after"]})
    back = client.get(url, {"before": third.context["previous_before"]})

    titles = [document.title for document in second.context["documents"]]
    assert titles == [f"Doc {number}" for number in range(50, 100)]
    assert len(third.context["documents"]) == 20
    assert third.context["next_after"] is None
    assert [d.pk for d in back.context["documents"]] == [d.pk for d in second.context["documents"]]
    assert first.context["previous_before"] is None
    assert "120 documents" in first.text

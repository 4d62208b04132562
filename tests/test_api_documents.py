"""Projects, labels and documents through the API, and bulk import (managers only)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation.assignments import assignment_create
from annotator.api.serializers import MAX_IMPORT_DOCUMENTS
from annotator.models import Document


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_project_detail_and_labels(alice, project):
    client = _client(alice)

    detail = client.get(reverse("api-project", args=[project.slug]))
    labels = client.get(reverse("api-labels", args=[project.slug]))

    assert detail.json()["slug"] == "talks"
    assert detail.json()["role"] == "annotator"
    assert [label["name"] for label in labels.json()["results"]] == [
        "claim",
        "threat",
        "proposal",
        "actor",
    ]


def test_document_detail_has_the_text(alice, document):
    response = _client(alice).get(reverse("api-document", args=[document.pk]))

    assert response.status_code == 200
    assert response.json()["text"] == document.text
    assert response.json()["project"] == "talks"


def test_annotator_sees_only_her_assigned_documents_once_assignments_are_required(
    alice, manager, project, document
):
    other = Document.objects.create(project=project, title="Other", text="Another text.")
    assignment_create(document=document, annotator=alice)
    client = _client(alice)

    listed = client.get(reverse("api-documents", args=[project.slug]))
    unassigned = client.get(reverse("api-document", args=[other.pk]))
    everything = _client(manager).get(reverse("api-documents", args=[project.slug]))

    assert [row["id"] for row in listed.json()["results"]] == [document.pk]
    assert unassigned.status_code == 403
    assert everything.json()["count"] == 2


# --------------------------------------------------------------------------- import


def _import_url(project) -> str:
    return reverse("api-documents-import", args=[project.slug])


def test_manager_imports_json_records(manager, project, document):
    records = [
        {"title": "Budget", "text": "The budget 🎉 passed.", "meta": {"lang": "en"}},
        {"text": "Second\r\ndocument."},
        {"text": document.text},
    ]

    response = _client(manager).post(_import_url(project), {"documents": records}, format="json")

    assert response.status_code == 201
    assert response.json()["created"] == 2
    [skipped] = response.json()["skipped"]
    assert "already in the project" in skipped
    budget = Document.objects.get(title="Budget")
    assert (budget.text, budget.metadata) == ("The budget 🎉 passed.", {"lang": "en"})
    assert Document.objects.get(title="Second").text == "Second\ndocument."


@pytest.mark.parametrize(
    "records",
    [
        [{"text": "fine"}, {"text": "   "}],
        [{"text": "fine"}, {"text": "x", "annotator": 1}],
        [{"text": "fine"}, {"title": "no text"}],
        [{"text": "fine", "meta": {"k": "nul \x00"}}],
        [],
        [{"text": "x"}] * (MAX_IMPORT_DOCUMENTS + 1),
    ],
    ids=["blank-text", "unknown-key", "missing-text", "nul-in-meta", "empty", "too-many"],
)
def test_bad_import_is_400_and_imports_nothing(manager, project, document, records):
    response = _client(manager).post(_import_url(project), {"documents": records}, format="json")

    assert response.status_code == 400
    assert list(Document.objects.all()) == [document]


def test_manager_imports_files(manager, project):
    files = [
        SimpleUploadedFile("a.txt", b"Title A\n\nBody of A."),
        SimpleUploadedFile("b.jsonl", b'{"title": "B", "text": "Body of B."}\n'),
    ]

    response = _client(manager).post(_import_url(project), {"files": files}, format="multipart")

    assert response.status_code == 201
    assert response.json() == {"created": 2, "skipped": []}
    assert sorted(Document.objects.values_list("title", flat=True)) == ["B", "Title A"]


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("a.txt", b"\xff\xfe not UTF-8"),
        SimpleUploadedFile("a.html", b"<script>alert(1)</script>"),
    ],
    ids=["not-utf8", "wrong-type"],
)
def test_bad_file_is_400_and_imports_nothing(manager, project, upload):
    response = _client(manager).post(_import_url(project), {"files": [upload]}, format="multipart")

    assert response.status_code == 400
    assert not Document.objects.exists()


def test_too_many_files_are_refused(manager, project, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"{n}.txt", f"text {n}".encode()) for n in range(3)]

    response = _client(manager).post(_import_url(project), {"files": files}, format="multipart")

    assert response.status_code == 400
    assert not Document.objects.exists()


def test_file_over_the_size_limit_is_refused(manager, project, settings):
    settings.IMPORT_MAX_FILE_BYTES = 10

    response = _client(manager).post(
        _import_url(project),
        {"files": [SimpleUploadedFile("a.txt", b"more than ten bytes")]},
        format="multipart",
    )

    assert response.status_code == 400
    assert "limit" in response.json()["detail"]
    assert not Document.objects.exists()

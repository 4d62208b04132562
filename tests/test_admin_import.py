"""The admin's bulk upload goes through the same all-or-nothing import as the command."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.models import Document, Label, Span


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", password="password"))
    return client


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_upload_of_txt_and_jsonl_creates_documents(admin_client, project):
    files = [
        upload("a.txt", b"Title line\nBody of A\n"),
        upload("b.jsonl", b'{"title": "B", "text": "Body of B"}\n{"text": "C\\nbody"}\n'),
    ]

    response = admin_client.post(
        "/admin/annotator/document/import/", {"project": project.pk, "files": files}
    )

    assert response.status_code == 302
    assert sorted(Document.objects.values_list("title", flat=True)) == ["B", "C", "Title line"]


def test_upload_with_a_bad_line_imports_nothing_and_names_the_line(admin_client, project):
    files = [
        upload("a.txt", b"Good\ntext\n"),
        upload("b.jsonl", b'{"text": "fine"}\n{"text": \n'),
    ]

    response = admin_client.post(
        "/admin/annotator/document/import/", {"project": project.pk, "files": files}
    )

    assert response.status_code == 200
    assert "b.jsonl line 2" in response.content.decode()
    assert Document.objects.count() == 0


def test_import_page_is_refused_to_staff_without_add_permission(client, project):
    staff = User.objects.create_user("staff", password="password", is_staff=True)
    client.force_login(staff)

    response = client.post(
        "/admin/annotator/document/import/",
        {"project": project.pk, "files": [upload("a.txt", b"x\n")]},
    )

    assert response.status_code == 403
    assert Document.objects.count() == 0


def test_document_text_is_read_only_in_admin_once_annotated(admin_client, document, alice):
    Span.objects.create(
        document=document,
        annotator=alice,
        label=Label.objects.get(project=document.project, name="actor"),
        start=0,
        end=5,
    )

    response = admin_client.get(f"/admin/annotator/document/{document.pk}/change/")

    assert response.status_code == 200
    assert 'name="text"' not in response.content.decode()
    assert 'name="title"' in response.content.decode()

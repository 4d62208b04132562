"""Uploads through the admin: limits, type checked by content, nothing served back as HTML."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.models import Document

IMPORT_URL = "/admin/annotator/document/import/"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", password="password"))
    return client


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def _import(admin_client, project, *files: SimpleUploadedFile):
    return admin_client.post(IMPORT_URL, {"project": project.pk, "files": list(files)})


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("image.txt", PNG, "image.txt: this is a binary file, not text (it contains NUL bytes)."),
        ("image.jsonl", PNG, "image.jsonl line 1: not valid UTF-8 text"),
        ("latin1.txt", "Café crème".encode("latin-1"), "latin1.txt: not valid UTF-8 text"),
        ("utf16.txt", "Talks".encode("utf-16"), "utf16.txt: this is a binary file, not text"),
        (
            "nul.jsonl",
            b'{"text": "fine"}\n{"text": "a\\u0000b"}\n',
            "nul.jsonl line 2: the record contains a NUL character",
        ),
        (
            "nulmeta.jsonl",
            b'{"text": "fine", "meta": {"k": ["\\u0000"]}}\n',
            "nulmeta.jsonl line 1: the record contains a NUL character",
        ),
        ("page.html", b"<p>Hello</p>", "page.html: only .txt and .jsonl files can be imported."),
    ],
)
def test_content_that_is_not_text_is_refused_with_a_message(
    admin_client, project, name, content, message
):
    response = _import(
        admin_client, project, upload("good.txt", b"Good\ntext\n"), upload(name, content)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert Document.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(admin_client, project, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100

    response = _import(admin_client, project, upload("big.txt", b"x" * 101))

    assert "big.txt: 101 bytes is more than the limit of 100." in response.content.decode()
    assert Document.objects.count() == 0


def test_a_file_at_the_size_limit_is_imported(admin_client, project, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100

    response = _import(admin_client, project, upload("full.txt", b"x" * 100))

    assert response.status_code == 302
    assert Document.objects.count() == 1


def test_more_files_than_the_limit_are_refused_before_reading(admin_client, project, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [upload(f"{number}.txt", f"Document {number}".encode()) for number in range(3)]

    response = _import(admin_client, project, *files)

    assert response.status_code == 400
    assert Document.objects.count() == 0


def test_html_in_a_text_file_is_stored_as_text_and_shown_escaped(admin_client, project):
    hostile = b"<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n"

    _import(admin_client, project, upload("page.txt", hostile))
    document = Document.objects.get()
    change_list = admin_client.get(reverse("admin:annotator_document_changelist")).content
    change_page = admin_client.get(
        reverse("admin:annotator_document_change", args=[document.pk])
    ).content

    assert document.text == hostile.decode()
    for html in (change_list.decode(), change_page.decode()):
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x onerror=alert(2)>" not in change_page.decode()


def test_a_hostile_file_name_is_escaped_in_the_error(admin_client, project):
    name = "<img src=x onerror=alert(1)>.txt"

    response = _import(admin_client, project, upload(name, b" \n"))

    html = response.content.decode()
    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt: the file is empty." in html


def test_refusal_to_staff_without_add_permission_is_plain_text(client, project):
    client.force_login(User.objects.create_user("staff", password="password", is_staff=True))

    response = client.post(IMPORT_URL, {"project": project.pk})

    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"

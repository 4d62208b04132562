"""The upload pages in Chromium (documents, spans): the file goes up with a progress
bar, and the answer, an import or a refusal (a 400) naming its line, replaces the
result in place."""

import json

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from annotator.models import Document, Membership, Project, Role, Span, Suggestion

pytestmark = [pytest.mark.browser]


def _lines(document: Document, *labelled: tuple[str, str]) -> bytes:
    spans = []
    for phrase, label in labelled:
        start = document.text.index(phrase)
        spans.append([start, start + len(phrase), label, phrase])
    return (json.dumps({"id": document.pk, "label": spans}) + "\n").encode()


def _manager(project: Project) -> User:
    manager = User.objects.create_user("mona", password="password")
    Membership.objects.create(project=project, user=manager, role=Role.MANAGER)
    return manager


def test_a_refused_document_upload_shows_its_line_in_place(page_as, demo):
    project = Project.objects.get(slug="security-talks")
    before = Document.objects.count()
    page = page_as(_manager(project))
    page.goto(f"/projects/{project.slug}/upload/")

    page.set_input_files(
        "#upload-files",
        {
            "name": "wire.jsonl",
            "mimeType": "application/json",
            "buffer": b'{"text": "ok"}\n{"title": 1}\n',
        },
    )
    page.click("#upload-button")

    expect(page.locator("#import-error")).to_contain_text("wire.jsonl")
    expect(page.locator("#import-error")).to_contain_text("line 2")
    expect(page.locator("#upload-percent")).to_contain_text("100%")
    assert Document.objects.count() == before


def test_a_manager_imports_suggestions_with_a_progress_bar(page_as, demo):
    project = Project.objects.get(slug="security-talks")
    manager = _manager(project)
    document = project.documents.order_by("pk").first()
    phrase = document.text.split()[0]
    page = page_as(manager)
    page.goto(f"/projects/{project.slug}/spans/import/")

    page.set_input_files(
        "#id_file",
        {
            "name": "bad.jsonl",
            "mimeType": "application/json",
            "buffer": _lines(document, (phrase, "person")),
        },
    )
    page.click("#span-import-form button[type=submit]")
    expect(page.locator("#import-error")).to_contain_text("bad.jsonl line 1")
    expect(page.locator("#span-upload-progress")).to_have_js_property("value", 100)
    assert Suggestion.objects.count() == 0 and Span.objects.count() == 0

    page.set_input_files(
        "#id_file",
        {
            "name": "model.jsonl",
            "mimeType": "application/json",
            "buffer": _lines(document, (phrase, "actor")),
        },
    )
    page.click("#span-import-form button[type=submit]")
    expect(page.locator("#import-result")).to_contain_text("Imported 1 suggestion")
    expect(page.locator("#import-error")).to_have_count(0)
    expect(page.locator("form.upload-form output")).to_contain_text("100%")
    assert Suggestion.objects.get().document == document

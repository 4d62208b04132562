"""The span import page, API endpoint and command: the service's rules at each entrance."""

import json
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.api_tokens import token_create
from annotator.models import AuditEvent, Span, Suggestion


def _line(document, phrase: str, label: str = "actor") -> dict:
    start = document.text.index(phrase)
    return {"id": document.pk, "label": [[start, start + len(phrase), label, phrase]]}


def _file(*lines: dict, name: str = "spans.jsonl") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "".join(json.dumps(line) + "\n" for line in lines).encode())


def _state() -> tuple:
    return Span.objects.count(), Suggestion.objects.count(), AuditEvent.objects.count()


# The page


def test_the_page_offers_members_but_not_pseudo_annotators(client, project, manager, bob, document):
    call_command(
        "import_spans",
        _write(document, "model.jsonl"),
        project=project.slug,
        pseudo_annotator="model:ner",
        stdout=None,
    )
    client.force_login(manager)

    page = client.get(reverse("span-import", args=[project.slug])).content.decode()

    assert 'value="bob"' in page and 'value="model:ner"' not in page


def test_posting_a_file_imports_it_and_says_what_it_did(client, project, manager, bob, document):
    client.force_login(manager)

    response = client.post(
        reverse("span-import", args=[project.slug]),
        {"file": _file(_line(document, "NATO")), "target": "annotator", "annotator": "bob"},
    )

    assert response.status_code == 200
    assert "Imported 1 span of bob on 1 document" in " ".join(response.content.decode().split())
    assert Span.objects.get(annotator=bob).origin == "import:spans"


def test_a_refused_file_names_its_line_and_changes_nothing(client, project, manager, document):
    client.force_login(manager)
    before = _state()

    response = client.post(
        reverse("span-import", args=[project.slug]),
        {
            "file": _file(_line(document, "NATO"), _line(document, "NATO", "person")),
            "target": "suggestions",
        },
    )

    assert response.status_code == 400
    assert (
        "spans.jsonl line 2, span 1: unknown label &#x27;person&#x27;" in response.content.decode()
    )
    assert _state() == before


def test_a_pseudo_annotator_needs_a_name(client, project, manager, document):
    client.force_login(manager)
    before = _state()

    response = client.post(
        reverse("span-import", args=[project.slug]),
        {"file": _file(_line(document, "NATO")), "target": "pseudo"},
    )

    assert response.status_code == 400
    assert "Name the pseudo-annotator" in response.content.decode()
    assert _state() == before


def test_an_htmx_post_answers_with_the_result_alone(client, project, manager, bob, document):
    client.force_login(manager)

    response = client.post(
        reverse("span-import", args=[project.slug]),
        {"file": _file(_line(document, "NATO")), "target": "annotator", "annotator": "bob"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="span-import-result"')
    assert "<form" not in page and "Imported 1 span of bob" in " ".join(page.split())


def test_an_htmx_refusal_is_a_400_result_and_changes_nothing(client, project, manager, document):
    client.force_login(manager)
    before = _state()

    response = client.post(
        reverse("span-import", args=[project.slug]),
        {"file": _file(_line(document, "NATO")), "target": "pseudo"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert page.lstrip().startswith('<section id="span-import-result"')
    assert "Name the pseudo-annotator" in page
    assert _state() == before


def test_the_page_shows_the_uploads_progress(client, project, manager):
    client.force_login(manager)

    page = client.get(reverse("span-import", args=[project.slug])).content.decode()

    assert 'class="upload-form"' in page and 'hx-target="#span-import-result"' in page
    assert '<progress id="span-upload-progress"' in page and "annotator/upload" in page


def test_the_dashboard_links_managers_to_the_page(client, project, manager, curator):
    url = reverse("span-import", args=[project.slug])
    client.force_login(manager)
    assert url in client.get(reverse("dashboard", args=[project.slug])).content.decode()
    client.force_login(curator)
    assert url not in client.get(reverse("dashboard", args=[project.slug])).content.decode()


# The API


def _api(user: User) -> APIClient:
    client = APIClient()
    _, token = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_api_imports_files_as_a_pseudo_annotator(project, manager, document):
    response = _api(manager).post(
        reverse("api-spans-import", args=[project.slug]),
        {"files": [_file(_line(document, "NATO"))], "target": "pseudo", "annotator": "model:x"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert (response.data["spans_created"], response.data["annotator"]) == (1, "model:x")
    assert Span.objects.get().annotator.username == "model:x"


def test_api_imports_json_lines_as_suggestions(project, manager, document):
    response = _api(manager).post(
        reverse("api-spans-import", args=[project.slug]),
        {"target": "suggestions", "name": "ner", "lines": [_line(document, "NATO")]},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.data["source"] == "import:ner"
    assert Suggestion.objects.get().source == "import:ner"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"target": "annotator", "lines": [{"id": 1, "label": []}]}, "Name the annotator."),
        (
            {"target": "suggestions", "lines": [{"id": 1, "label": [[0, 1]]}]},
            "request.jsonl line 1",
        ),
    ],
)
def test_api_refusals_are_400_and_change_nothing(project, manager, document, body, message):
    before = _state()

    response = _api(manager).post(
        reverse("api-spans-import", args=[project.slug]), body, format="json"
    )

    assert response.status_code == 400
    assert message in json.dumps(response.data)
    assert _state() == before


def test_api_refuses_a_file_over_the_upload_limit(project, manager, document, settings):
    settings.IMPORT_MAX_FILE_BYTES = 20
    before = _state()

    response = _api(manager).post(
        reverse("api-spans-import", args=[project.slug]),
        {"files": [_file(_line(document, "NATO"))], "target": "suggestions"},
        format="multipart",
    )

    assert response.status_code == 400
    assert "is more than the limit of 20" in response.data["detail"]
    assert _state() == before


# The command


def _write(document, name: str, *extra: dict) -> str:
    folder = Path(tempfile.mkdtemp())
    path = folder / name
    path.write_text("".join(json.dumps(line) + "\n" for line in (_line(document, "NATO"), *extra)))
    return str(path)


def test_command_imports_and_reports(project, document, alice, capsys):
    call_command(
        "import_spans", _write(document, "preds.jsonl"), project=project.slug, annotator="alice"
    )

    assert "Imported 1 spans of alice on 1 documents of talks" in capsys.readouterr().out
    assert Span.objects.get(annotator=alice).origin == "import:preds"


def test_command_errors_name_the_file_and_line(project, document):
    path = _write(document, "preds.jsonl", {"id": document.pk, "label": [[0, 999, "actor"]]})
    before = _state()

    with pytest.raises(
        CommandError,
        match=r"preds.jsonl line 2, span 1: The span.s end \(999\) .* Nothing was imported",
    ):
        call_command("import_spans", path, project=project.slug, suggestions=True)

    assert _state() == before

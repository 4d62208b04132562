"""Inputs that used to reach a 500: each is a 400 (or a command-line error) naming the problem.

JSON Lines imports go through one service from three doors (the API, the
admin upload and ``import_documents``), so each bad line is tried at all three;
any JSON request body goes through one parser.
"""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.models import Document, ReleaseJob, Span

ADMIN_IMPORT_URL = "/admin/annotator/document/import/"
DEEP = 100_000

# (id, one JSONL line, words the refusal must contain)
BAD_LINES = [
    (
        "lone surrogate",
        b'{"text": "lone \\ud800 surrogate"}',
        "lone surrogate",
    ),
    (
        "NaN",
        b'{"text": "A story.", "meta": {"score": NaN}}',
        "NaN",
    ),
    (
        "1e999",
        b'{"text": "A story.", "meta": {"score": 1e999}}',
        "too large",
    ),
    (
        "4,300+ digits",
        b'{"text": "A story.", "meta": {"id": ' + b"7" * 4400 + b"}}",
        "digits",
    ),
    (
        "100,000 deep",
        b'{"text": "A story.", "meta": {"a": ' + b"[" * DEEP + b"]" * DEEP + b"}}",
        "nested",
    ),
]
IDS = [case[0] for case in BAD_LINES]


def _file(line: bytes) -> bytes:
    # A good first line, so the refusal must name line 2 and must undo line 1.
    return b'{"text": "A good first document."}\n' + line + b"\n"


@pytest.mark.parametrize(("name", "line", "words"), BAD_LINES, ids=IDS)
def test_the_command_names_file_and_line(project, tmp_path, name, line, words):
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(_file(line))

    with pytest.raises(CommandError) as refused:
        call_command("import_documents", str(path), project=project.slug)

    message = str(refused.value)
    assert message.startswith(f"{path} line 2: "), message
    assert words in message
    assert message.endswith(" Nothing was imported.")
    assert "Traceback" not in message
    assert Document.objects.count() == 0


@pytest.mark.parametrize(("name", "line", "words"), BAD_LINES, ids=IDS)
def test_an_api_file_upload_is_a_400(project, manager, name, line, words):
    client = APIClient()
    client.force_authenticate(manager)
    upload = SimpleUploadedFile("hostile.jsonl", _file(line), content_type="application/jsonl")

    response = client.post(
        reverse("api-documents-import", args=[project.slug]), {"files": [upload]}
    )

    assert response.status_code == 400, response.content[:300]
    detail = response.json()["detail"]
    assert detail.startswith("hostile.jsonl line 2: ")
    assert words in detail
    assert Document.objects.count() == 0


@pytest.mark.parametrize(("name", "line", "words"), BAD_LINES, ids=IDS)
def test_an_api_json_import_is_a_400(project, manager, name, line, words):
    client = APIClient()
    client.force_authenticate(manager)
    body = b'{"documents": [{"text": "A good first document."}, ' + line + b"]}"

    response = client.post(
        reverse("api-documents-import", args=[project.slug]),
        body,
        content_type="application/json",
    )

    assert response.status_code == 400, response.content[:300]
    assert words.lower() in response.content.decode().lower()
    assert Document.objects.count() == 0


@pytest.mark.parametrize(("name", "line", "words"), BAD_LINES, ids=IDS)
def test_an_admin_upload_shows_the_refusal(client, project, name, line, words):
    client.force_login(User.objects.create_superuser("root", password="password"))
    upload = SimpleUploadedFile("hostile.jsonl", _file(line), content_type="text/plain")

    response = client.post(ADMIN_IMPORT_URL, {"project": project.pk, "files": [upload]})

    assert response.status_code == 200
    page = response.content.decode()
    assert "hostile.jsonl line 2: " in page
    assert "Nothing was imported." in page
    assert Document.objects.count() == 0


# --------------------------------------------------------------------------- any JSON body


def _deep_body() -> bytes:
    return b'{"label": ' + b"[" * DEEP + b"]" * DEEP + b"}"


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("post", "api-spans", lambda world: [world["document"]]),
        ("patch", "api-span", lambda world: [world["span"]]),
        ("post", "api-documents-import", lambda world: [world["slug"]]),
        ("post", "api-gold-status", lambda world: [world["document"]]),
        ("post", "api-releases", lambda world: [world["slug"]]),
    ],
    ids=["spans", "span", "import", "gold-status", "releases"],
)
def test_a_json_body_nested_100000_deep_is_a_400(
    project, document, manager, alice_span, method, name, args
):
    world = {"document": document.pk, "span": alice_span.pk, "slug": project.slug}
    client = APIClient()
    client.force_authenticate(alice_span.annotator if name.startswith("api-span") else manager)
    spans = list(Span.objects.values_list("id", "label_id", "start", "end"))

    response = getattr(client, method)(
        reverse(name, args=args(world)), _deep_body(), content_type="application/json"
    )

    assert response.status_code == 400, response.content[:300]
    assert "nested too deeply" in response.json()["detail"]
    assert list(Span.objects.values_list("id", "label_id", "start", "end")) == spans
    assert not ReleaseJob.objects.exists()


# --------------------------------------------------------------------------- release list


@pytest.fixture
def curator_client(curator) -> APIClient:
    client = APIClient()
    client.force_authenticate(curator)
    return client


def test_a_limit_past_64_bits_on_the_release_list_is_bounded(project, curator_client):
    url = reverse("api-releases", args=[project.slug])

    response = curator_client.get(url, {"limit": 2**63, "offset": 2**70})

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (0, [])


def test_the_schema_declares_the_release_list_paginated(client, db):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    operation = schema.json()["paths"]["/api/v1/projects/{slug}/releases/"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].startswith("#/components/schemas/Paginated")
    assert {"limit", "offset"} <= {parameter["name"] for parameter in operation["parameters"]}

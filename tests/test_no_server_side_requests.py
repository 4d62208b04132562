"""Imports never fetch anything: a source URL is stored as text (no server-side request forgery).

Peers fetched URLs named in imported tasks; here no import path opens a
connection, which these tests prove by refusing every socket connection.
"""

import io
import socket

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.models import Document

INTERNAL = "http://169.254.169.254/latest/meta-data/"


@pytest.fixture
def no_network(monkeypatch) -> list:
    attempts = []

    def refuse(sock, address):
        attempts.append(address)
        raise OSError("network refused in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_api_import_stores_a_source_url_as_text_without_fetching_it(manager, project, no_network):
    client = APIClient()
    client.force_authenticate(manager)
    records = [{"title": "Metadata", "text": f"See {INTERNAL}", "source": INTERNAL}]

    response = client.post(
        reverse("api-documents-import", args=[project.slug]), {"documents": records}, format="json"
    )

    assert response.status_code == 201
    assert Document.objects.get(title="Metadata").source == INTERNAL
    assert no_network == []


def test_command_import_stores_a_source_url_as_text_without_fetching_it(
    project, tmp_path, no_network
):
    path = tmp_path / "urls.jsonl"
    path.write_text(f'{{"text": "Body", "source": "{INTERNAL}"}}\n', encoding="utf-8")

    call_command("import_documents", str(path), project=project.slug, stdout=io.StringIO())

    assert Document.objects.get(project=project).source == INTERNAL
    assert no_network == []

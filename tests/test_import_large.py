"""The import command takes a file of any size, streamed, with a progress bar; web uploads keep
their size limit."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient
from tqdm import tqdm

from annotator.annotation.imports import DocumentImportError, UploadedText, import_documents
from annotator.management.commands import import_documents as command
from annotator.models import Document


def _jsonl(count: int) -> bytes:
    return "".join(
        json.dumps({"title": f"Story {number}", "text": f"Story number {number} about NATO."})
        + "\n"
        for number in range(count)
    ).encode()


def test_the_command_has_no_size_limit(project, tmp_path, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    path = tmp_path / "big.jsonl"
    path.write_bytes(_jsonl(50))
    assert path.stat().st_size > 100

    call_command("import_documents", str(path), project=project.slug)

    assert Document.objects.count() == 50


def test_the_api_keeps_the_size_limit(project, manager, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    client = APIClient()
    client.force_authenticate(manager)
    upload = SimpleUploadedFile("big.jsonl", _jsonl(50))

    response = client.post(
        reverse("api-documents-import", args=[project.slug]), {"files": [upload]}
    )

    assert response.status_code == 400
    assert "is more than the limit of 100" in response.json()["detail"]
    assert not Document.objects.exists()


def test_the_service_keeps_the_limit_unless_told_otherwise(project, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    raw = _jsonl(50)

    with pytest.raises(DocumentImportError, match="more than the limit of 100"):
        import_documents(project=project, uploads=[UploadedText("a.jsonl", io.BytesIO(raw), 5000)])
    result = import_documents(
        project=project,
        uploads=[UploadedText("a.jsonl", io.BytesIO(raw), len(raw))],
        limit_size=False,
    )

    assert result.created == 50


class CountingLines(io.RawIOBase):
    """A long JSONL stream that counts the lines handed out: a streamed read stops early."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = iter(lines)
        self.read_lines = 0

    def readable(self) -> bool:
        return True

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = next(self.lines)
        self.read_lines += 1
        return line


def test_an_error_stops_the_read_at_its_line(project):
    lines = [b'{"text": "A good story."}\n', b'{"text": "Another."}\n', b"not json\n"]
    lines += [b'{"text": "Never read."}\n'] * 100_000
    stream = CountingLines(lines)

    with pytest.raises(DocumentImportError, match="line 3: invalid JSON"):
        import_documents(
            project=project, uploads=[UploadedText("long.jsonl", stream, 10**9)], limit_size=False
        )

    assert stream.read_lines == 3
    assert not Document.objects.exists()


def test_the_progress_bar_says_how_far_the_import_got(project, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command, "PROGRESS_BAR_FROM_BYTES", 0)
    path = tmp_path / "stories.jsonl"
    path.write_bytes(_jsonl(30))

    call_command("import_documents", str(path), project=project.slug)

    bar = capsys.readouterr().err
    size = tqdm.format_sizeof(path.stat().st_size, "B", 1024)
    assert f"{size}/{size}" in bar
    assert "30 documents" in bar


def test_the_progress_bar_stops_where_an_error_is(project, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command, "PROGRESS_BAR_FROM_BYTES", 0)
    path = tmp_path / "stories.jsonl"
    good = _jsonl(5)
    path.write_bytes(good + b"not json\n" + _jsonl(5))

    with pytest.raises(CommandError, match="line 6: invalid JSON"):
        call_command("import_documents", str(path), project=project.slug)

    bar = capsys.readouterr().err
    read = tqdm.format_sizeof(len(good) + len(b"not json\n"), "B", 1024)
    assert f"{read}/{tqdm.format_sizeof(path.stat().st_size, 'B', 1024)}" in bar
    assert "5 documents" in bar
    assert not Document.objects.exists()


def test_the_command_keeps_no_sql_log_with_debug_on(project, tmp_path, settings):
    # With DEBUG on Django logs every query, and a bulk insert's SQL holds the texts.
    settings.DEBUG = True
    path = tmp_path / "stories.jsonl"
    path.write_bytes(_jsonl(2500))

    call_command("import_documents", str(path), project=project.slug)

    assert Document.objects.count() == 2500
    assert not any("Story number" in query["sql"] for query in connection.queries)

"""Importing documents from .txt and JSONL: the service and the management command."""

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotator.annotation.imports import DocumentImportError, UploadedText, import_documents
from annotator.models import Document


def _upload(name: str, raw: bytes) -> UploadedText:
    return UploadedText(name, io.BytesIO(raw), len(raw))


def _jsonl(*records: object) -> bytes:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()


def _titles(project) -> list[str]:
    return list(project.documents.order_by("id").values_list("title", flat=True))


# the service


def test_txt_is_one_document_titled_by_its_first_line(project):
    raw = "\n  Talks resume in Gene\u0300ve  \r\n\r\nThe ministers met.\r\n".encode()

    result = import_documents(project=project, uploads=[_upload("talks.txt", raw)])

    assert (result.created, result.skipped) == (1, [])
    document = project.documents.get()
    assert document.title == "Talks resume in Gen\u00e8ve"
    assert document.text == "\n  Talks resume in Gen\u00e8ve  \n\nThe ministers met.\n"
    assert document.text_sha256 == hashlib.sha256(document.text.encode()).hexdigest()
    assert document.source == "talks.txt"


def test_jsonl_is_one_document_per_line(project):
    raw = _jsonl(
        {"title": "First", "text": "One\r\ntwo", "source": "wire", "meta": {"id": 7}},
        {"text": "Untitled first line\nbody"},
    )

    result = import_documents(project=project, uploads=[_upload("batch.jsonl", raw)])

    assert result.created == 2
    first, second = project.documents.order_by("id")
    assert (first.title, first.text, first.source, first.metadata) == (
        "First",
        "One\ntwo",
        "wire",
        {"id": 7},
    )
    assert first.text_sha256 == hashlib.sha256(b"One\ntwo").hexdigest()
    assert (second.title, second.text) == ("Untitled first line", "Untitled first line\nbody")


def test_a_malformed_line_names_file_and_line_and_imports_nothing(project, document):
    good = _upload("good.jsonl", _jsonl({"text": "From an earlier file"}))
    bad = _upload("bad.jsonl", _jsonl({"text": "Line one is fine"}) + b'{"text": "broken\n')

    with pytest.raises(DocumentImportError, match=r"bad\.jsonl line 2: invalid JSON"):
        import_documents(project=project, uploads=[good, bad])

    assert list(Document.objects.all()) == [document]


def test_a_file_that_is_not_utf8_is_refused(project, document):
    raw = "Caf\u00e9 talks".encode("latin-1")

    with pytest.raises(DocumentImportError, match=r"latin\.txt: not valid UTF-8"):
        import_documents(project=project, uploads=[_upload("latin.txt", raw)])

    assert list(Document.objects.all()) == [document]


def test_a_jsonl_line_that_is_not_utf8_names_the_line(project, document):
    raw = _jsonl({"text": "fine"}) + b'{"text": "caf\xe9"}\n'

    with pytest.raises(DocumentImportError, match=r"latin\.jsonl line 2: not valid UTF-8"):
        import_documents(project=project, uploads=[_upload("latin.jsonl", raw)])

    assert list(Document.objects.all()) == [document]


@pytest.mark.parametrize(
    ("name", "raw"), [("empty.txt", b""), ("blank.txt", b"  \n\n"), ("empty.jsonl", b"\n\n")]
)
def test_an_empty_file_is_refused(project, document, name, raw):
    with pytest.raises(DocumentImportError, match=rf"{name}: the file is empty"):
        import_documents(project=project, uploads=[_upload(name, raw)])

    assert list(Document.objects.all()) == [document]


def test_unknown_keys_are_refused(project, document):
    raw = _jsonl({"text": "ok"}, {"text": "Body", "body": "x", "author": "y"})

    with pytest.raises(DocumentImportError, match=r"keys\.jsonl line 2: unknown keys author, body"):
        import_documents(project=project, uploads=[_upload("keys.jsonl", raw)])

    assert list(Document.objects.all()) == [document]


@pytest.mark.parametrize(
    "record",
    [["a list"], {"title": "no text"}, {"text": "   "}, {"text": 5}, {"text": "x", "meta": []}],
    ids=["not-object", "no-text", "blank-text", "number-text", "meta-list"],
)
def test_bad_records_are_refused(project, document, record):
    with pytest.raises(DocumentImportError, match=r"records\.jsonl line 1: "):
        import_documents(project=project, uploads=[_upload("records.jsonl", _jsonl(record))])

    assert list(Document.objects.all()) == [document]


def test_a_text_already_in_the_project_is_skipped_with_a_notice(project, document):
    # same text once normalised: CRLF instead of LF
    raw = _jsonl({"text": document.text.replace("\n", "\r\n")}, {"text": "Something new"})

    result = import_documents(project=project, uploads=[_upload("again.jsonl", raw)])

    assert result.created == 1
    assert len(result.skipped) == 1
    assert result.skipped[0].startswith("again.jsonl line 1: skipped")
    assert _titles(project) == [document.title, "Something new"]


def test_a_text_twice_in_one_import_is_stored_once(project):
    uploads = [
        _upload("a.txt", b"Same words\n"),
        _upload("b.jsonl", _jsonl({"title": "Copy", "text": "Same words\n"})),
    ]

    result = import_documents(project=project, uploads=uploads)

    assert result.created == 1
    assert result.skipped == [
        "b.jsonl line 1: skipped, the same text is already in the project ('Copy')."
    ]
    assert _titles(project) == ["Same words"]


def test_an_unsupported_extension_is_refused(project, document):
    with pytest.raises(DocumentImportError, match=r"notes\.csv: only \.txt and \.jsonl"):
        import_documents(project=project, uploads=[_upload("notes.csv", b"text\nhello\n")])

    assert list(Document.objects.all()) == [document]


# the management command


def test_command_imports_txt_and_jsonl(project, tmp_path, capsys):
    (tmp_path / "one.txt").write_text("First article\n\nBody.\n", encoding="utf-8")
    (tmp_path / "more.jsonl").write_bytes(_jsonl({"title": "Second", "text": "Body two"}))

    call_command(
        "import_documents",
        str(tmp_path / "one.txt"),
        str(tmp_path / "more.jsonl"),
        "--project",
        project.slug,
    )

    assert _titles(project) == ["First article", "Second"]
    assert "Imported 2 documents into talks; skipped 0 duplicates." in capsys.readouterr().out


def test_command_stores_a_txt_files_name_as_its_source_not_the_path_typed(project, tmp_path):
    (tmp_path / "wire").mkdir()
    (tmp_path / "wire" / "story.txt").write_text("Wire story\n\nBody.\n", encoding="utf-8")

    call_command("import_documents", str(tmp_path / "wire" / "story.txt"), "--project", "talks")

    assert Document.objects.get(project=project).source == "story.txt"


def test_command_reports_skipped_duplicates(project, document, tmp_path, capsys):
    path = tmp_path / "again.txt"
    path.write_text(document.text, encoding="utf-8")

    call_command("import_documents", str(path), "--project", project.slug)

    captured = capsys.readouterr()
    assert "Imported 0 documents into talks; skipped 1 duplicates." in captured.out
    assert f"{path}: skipped, the same text is already in the project" in captured.err
    assert list(Document.objects.all()) == [document]


def test_command_rolls_back_earlier_files_on_a_malformed_line(project, document, tmp_path):
    (tmp_path / "good.txt").write_text("Good article\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(_jsonl({"text": "fine"}, {"text": "fine too"}) + b"not json\n")

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_documents", str(tmp_path / "good.txt"), str(bad), "--project", project.slug
        )

    assert f"{bad} line 3: invalid JSON" in str(refused.value)
    assert "Nothing was imported." in str(refused.value)
    assert list(Document.objects.all()) == [document]


def test_command_refuses_an_unknown_project(project, document, tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("An article\n", encoding="utf-8")

    with pytest.raises(CommandError, match="No project with slug 'nowhere'"):
        call_command("import_documents", str(path), "--project", "nowhere")

    assert list(Document.objects.all()) == [document]


def test_command_refuses_a_missing_file(project, document, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_documents", str(tmp_path / "gone.txt"), "--project", project.slug)

    assert list(Document.objects.all()) == [document]


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("notes.md", b"# A note\n", "only .txt and .jsonl"),
        ("latin.txt", "caf\u00e9".encode("latin-1"), "not valid UTF-8"),
        ("empty.txt", b"", "the file is empty"),
        ("keys.jsonl", b'{"text": "x", "lang": "en"}\n', "line 1: unknown keys lang"),
    ],
)
def test_command_refuses_bad_files(project, document, tmp_path, name, raw, message):
    path = tmp_path / name
    path.write_bytes(raw)

    with pytest.raises(CommandError) as refused:
        call_command("import_documents", str(path), "--project", project.slug)

    assert f"{path}: " in str(refused.value) or f"{path} line" in str(refused.value)
    assert message in str(refused.value)
    assert list(Document.objects.all()) == [document]

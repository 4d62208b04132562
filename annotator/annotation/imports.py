"""Documents from ``.txt`` and JSONL files, all or nothing.

A ``.txt`` file is one document: the whole file is the text (normalised: NFC,
CRLF and CR to LF) and its first non-blank line is the title. A ``.jsonl`` file
holds one document per line: ``{"title", "text", "source", "meta"}``, of which
only ``text`` is required. A document whose text already exists in the project
(same ``text_sha256``), or earlier in the same import, is skipped with a notice.

Files are checked by content, not by name alone: text must decode as UTF-8 and
hold no NUL character, so a binary file renamed ``.txt`` is refused. Any error
names the file and line and rolls the whole import back. Files are read line
by line and documents inserted in chunks inside one transaction, so memory
stays bounded however large the input; web uploads (API, admin) are also
refused over ``IMPORT_MAX_FILE_BYTES``, the command is not.
"""

import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import BinaryIO

from django.conf import settings
from django.db import transaction

from .. import untrusted_json
from ..models import Document, Project, normalize_text, text_digest

JSONL_KEYS = {"title", "text", "source", "meta"}
INSERT_CHUNK = 1000


class DocumentImportError(Exception):
    """An import was refused; nothing was stored."""


@dataclass
class ImportResult:
    created: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UploadedText:
    """A named binary stream, from disk or from an upload form."""

    name: str
    stream: BinaryIO
    size: int


def _title_from(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            return line.strip()[:500]
    return ""


def _decode(raw: bytes, where: str) -> str:
    if b"\x00" in raw:
        raise DocumentImportError(
            f"{where}: this is a binary file, not text (it contains NUL bytes)."
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentImportError(
            f"{where}: not valid UTF-8 text (byte {error.start} cannot be decoded)."
        ) from None


def _document(project: Project, *, title: str, text: str, source: str, meta: dict) -> Document:
    text = normalize_text(text)
    return Document(
        project=project,
        title=unicodedata.normalize("NFC", title) or _title_from(text),
        text=text,
        text_sha256=text_digest(text),
        source=source,
        metadata=meta,
    )


# Called with the bytes just read and the documents read so far (new and skipped).
Progress = Callable[[int, int], None]


def _from_txt(
    project: Project, upload: UploadedText, on_progress: Callable[[int], None]
) -> Iterator[tuple[str, Document]]:
    raw = upload.stream.read()
    on_progress(len(raw))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    text = _decode(raw, upload.name)
    if not text.strip():
        raise DocumentImportError(f"{upload.name}: the file is empty.")
    # The file's name, not the path it was given by: a path typed on the command line
    # would travel into every export as the document's source.
    source = PurePath(upload.name).name
    yield upload.name, _document(project, title="", text=text, source=source, meta={})


def _from_jsonl(
    project: Project, upload: UploadedText, on_progress: Callable[[int], None]
) -> Iterator[tuple[str, Document]]:
    seen_any = False
    for number, raw_line in enumerate(upload.stream, start=1):
        on_progress(len(raw_line))
        where = f"{upload.name} line {number}"
        if number == 1 and raw_line.startswith(b"\xef\xbb\xbf"):
            raw_line = raw_line[3:]
        line = _decode(raw_line, where)
        if not line.strip():
            continue
        try:
            record = untrusted_json.loads(line)
        except json.JSONDecodeError as error:
            raise DocumentImportError(f"{where}: invalid JSON ({error.msg}).") from None
        except untrusted_json.UntrustedJSONError as error:
            raise DocumentImportError(f"{where}: the record {error}.") from None
        yield where, _document_from_record(project, record, where)
        seen_any = True
    if not seen_any:
        raise DocumentImportError(f"{upload.name}: the file is empty.")


def _document_from_record(project: Project, record: object, where: str) -> Document:
    if not isinstance(record, dict):
        raise DocumentImportError(f"{where}: expected a JSON object.")
    unknown = sorted(set(record) - JSONL_KEYS)
    if unknown:
        raise DocumentImportError(
            f"{where}: unknown keys {', '.join(unknown)} (allowed: title, text, source, meta)."
        )
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DocumentImportError(f'{where}: "text" must be a non-empty string.')
    title = record.get("title", "")
    source = record.get("source", "")
    meta = record.get("meta", {})
    if not isinstance(title, str) or len(title) > 500:
        raise DocumentImportError(f'{where}: "title" must be a string of at most 500 characters.')
    if not isinstance(source, str) or len(source) > 2000:
        raise DocumentImportError(f'{where}: "source" must be a string of at most 2000 characters.')
    if not isinstance(meta, dict):
        raise DocumentImportError(f'{where}: "meta" must be a JSON object.')
    return _document(project, title=title.strip(), text=text, source=source, meta=meta)


def _documents(
    project: Project, upload: UploadedText, on_progress: Callable[[int], None], limit_size: bool
) -> Iterator[tuple[str, Document]]:
    if limit_size and upload.size > settings.IMPORT_MAX_FILE_BYTES:
        raise DocumentImportError(
            f"{upload.name}: {upload.size} bytes is more than the limit of "
            f"{settings.IMPORT_MAX_FILE_BYTES}."
        )
    suffix = PurePath(upload.name).suffix.lower()
    if suffix == ".txt":
        return _from_txt(project, upload, on_progress)
    if suffix == ".jsonl":
        return _from_jsonl(project, upload, on_progress)
    raise DocumentImportError(f"{upload.name}: only .txt and .jsonl files can be imported.")


def _ignore(byte_count: int, documents: int) -> None:
    pass


def import_documents(
    *,
    project: Project,
    uploads: Iterable[UploadedText],
    on_progress: Progress | None = None,
    limit_size: bool = True,
) -> ImportResult:
    """Import every document of every upload, or none of them.

    ``on_progress`` is called with each number of bytes read and the documents
    read so far, for a progress bar. ``limit_size`` refuses a file over
    ``IMPORT_MAX_FILE_BYTES`` before reading it, as web uploads must; the
    command, run on the server, turns it off: the files are read line by line
    and inserted in chunks, so memory stays bounded whatever their size.
    """
    result = ImportResult()
    progress = on_progress or _ignore
    documents = 0

    def read(byte_count: int) -> None:
        progress(byte_count, documents)

    known = set(project.documents.values_list("text_sha256", flat=True))
    pending: list[Document] = []
    with transaction.atomic():
        for upload in uploads:
            for where, document in _documents(project, upload, read, limit_size):
                documents += 1
                if document.text_sha256 in known:
                    result.skipped.append(
                        f"{where}: skipped, the same text is already in the project "
                        f"({document.title!r})."
                    )
                    continue
                known.add(document.text_sha256)
                pending.append(document)
                if len(pending) >= INSERT_CHUNK:
                    Document.objects.bulk_create(pending)
                    result.created += len(pending)
                    pending = []
        Document.objects.bulk_create(pending)
        result.created += len(pending)
    progress(0, documents)
    return result

"""Spans from JSON Lines files, all or nothing: as an annotator's spans, or as suggestions.

Two shapes are read, the ones :mod:`annotator.exports` writes, and a file may
mix them line by line:

- doccano, one document per line: ``{"id"?, "text"?, "label": [[start, end,
  "LABEL"], ...]}``, each span optionally with a fourth item, the text it
  quotes; or ``{"id"?, "text"?, "entities": [{"start_offset", "end_offset",
  "label", "text"?}, ...]}``. ``meta`` and ``title`` are read only to create a
  missing document.
- W3C Web Annotation, one span per line: ``{"type": "Annotation", "body":
  {"value": "LABEL"}, "target": {"source": "urn:annotator:document:7",
  "selector": [{"type": "TextPositionSelector", "start", "end"},
  {"type": "TextQuoteSelector", "exact"}?]}}``.

Which document a line means: its ``text`` when it has one (the project's
document with the same normalised text; with ``create_documents`` a missing
one is created), else its ``id`` (doccano) or the id at the end of the target
IRI (W3C), which must be a document of the project. Where a text and an id
are both given, the id only chooses between documents of the same text.

Offsets are Python code points, half-open ``[start, end)``, counted on the
document's normalised text (NFC, CRLF and CR turned into LF, see
:func:`annotator.models.normalize_text`), which is what every export writes.
A doccano line whose ``text`` is not normalised (CRLF line ends, decomposed
accents) has its offsets counted on that text: they are mapped onto the
normalised one, and an offset that falls where normalisation joins
characters (between CR and LF, or between a letter and its combining accent)
is refused, naming the line. A W3C line carries no text, so its offsets must
already be on the normalised text; its quote, when present, is checked.

Every span is checked as the span service checks one (offsets, quote, a label
of the project, trimmed of surrounding whitespace: see
:func:`annotator.annotation.spans.validate_range`). Label names match exactly,
else ignoring case. The same span twice in a file is refused, naming the
second line; a span the target already has from before the import is skipped
and counted. Any refusal names the file and line and rolls everything back.

Targets (:class:`SpanImportTarget`):

- a named user's spans: they go into that user's assignments, created where
  missing (a manager imports, and a manager may assign); a submitted or
  skipped assignment is refused, as it would be for the user. ``submit``
  hands the assignments in, which refreshes agreement.
- a pseudo-annotator's spans (``model:ner-v3``; see
  :class:`annotator.models.PseudoAnnotator`): created on first use as a
  member who can never log in, outside the distribution pool; its assignments
  are always submitted, so agreement and the dashboard count it as an
  annotator.
- suggestions, offered to every annotator of the project with the source
  ``import:<name>`` (see :mod:`annotator.annotation.suggestions`).

Imported spans record their origin (``import:<name>``) and an audit event
each, naming who imported them. Lines are read one at a time and written a
chunk at a time inside one transaction; a thread reads and checks the next
chunk while this one is written (:func:`read_ahead`), so memory holds two or
three chunks, however large the file.
"""

import json
import queue
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import BinaryIO, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, Model, Q
from django.utils import timezone

from ..audit import SPAN
from ..curation.agreement_refresh import documents_agreement_refresh
from ..models import (
    PSEUDO_ANNOTATOR_NAME,
    SOURCE_MAX_LENGTH,
    Assignment,
    AssignmentStatus,
    AuditAction,
    AuditEvent,
    Document,
    GoldStatus,
    Label,
    Membership,
    Project,
    PseudoAnnotator,
    Role,
    Span,
    Suggestion,
    normalize_text,
    text_digest,
)
from .spans import SpanError, validate_range_in

#: Lines resolved and written together: one query for their documents, a few inserts.
LINE_CHUNK = 500
#: Spans (or suggestions) per INSERT.
INSERT_CHUNK = 5000
DOCUMENT_IRI = "urn:annotator:document:{id}"
#: Notices listed one by one; past this, only counted.
MAX_NOTICES = 50
#: Chunks of lines waiting while one is written (and one more is being read).
READ_AHEAD = 1

Progress = Callable[[int], None]


class SpanImportError(Exception):
    """An import was refused; nothing was stored. The message names the file and line."""


@dataclass(frozen=True)
class SpanUpload:
    """A named binary stream of JSON Lines, from disk, a form or a request."""

    name: str
    stream: BinaryIO
    size: int


@dataclass(frozen=True)
class SpanImportTarget:
    """Whose spans the file's spans become: ``kind`` is one of :data:`TARGET_KINDS`.

    ``name`` is the username (``annotator``), the pseudo-annotator's name
    (``pseudo``, e.g. ``model:ner-v3``) or the import's name (``suggestions``:
    the source becomes ``import:<name>``).
    """

    kind: str
    name: str


TARGET_KINDS = {
    "annotator": "a member's spans",
    "pseudo": "a pseudo-annotator's spans (model:<name>)",
    "suggestions": "suggestions to every annotator",
}


@dataclass
class SpanImportResult:
    lines: int = 0
    documents: int = 0
    documents_created: int = 0
    spans_created: int = 0
    suggestions_created: int = 0
    already_present: int = 0
    annotator: str = ""
    source: str = ""
    notices: list[str] = field(default_factory=list)

    def notice(self, message: str) -> None:
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(message)


@dataclass
class ImportedSpan:
    start: object
    end: object
    label: object
    quote: object
    where: str


@dataclass
class ImportedLine:
    """One line of a file: the document it names and the spans it gives that document."""

    where: str
    document_id: int | None
    text: str | None
    title: str
    meta: dict
    spans: list[ImportedSpan]
    has_label_key: bool = True
    #: Read ahead with the line when it has a text: its normalised form, digest and
    #: checked spans (which still lack their document id).
    normalised: str | None = None
    digest: str | None = None
    checked: list["ResolvedSpan"] | None = None


@dataclass(slots=True)
class ResolvedSpan:
    document_id: int
    label: Label
    start: int
    end: int
    where: str


# Reading lines ------------------------------------------------------------------------------


def _decode(raw: bytes, where: str) -> str:
    if b"\x00" in raw:
        raise SpanImportError(f"{where}: this is a binary file, not text (it contains NUL bytes).")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpanImportError(
            f"{where}: not valid UTF-8 text (byte {error.start} cannot be decoded)."
        ) from None


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _optional_id(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpanImportError(f'{where}: "id" must be a positive integer, not {value!r}.')
    return value


def _doccano_line(record: dict, where: str) -> ImportedLine:
    text = record.get("text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise SpanImportError(f'{where}: "text" must be a non-empty string.')
    document_id = _optional_id(record.get("id"), where)
    if text is None and document_id is None:
        raise SpanImportError(f'{where}: give the document\'s "text" or its "id".')
    meta = record.get("meta", {})
    if not isinstance(meta, dict):
        raise SpanImportError(f'{where}: "meta" must be a JSON object.')
    title = record.get("title", "")
    if not isinstance(title, str):
        raise SpanImportError(f'{where}: "title" must be a string.')
    spans = []
    if "label" in record:
        entries = record["label"]
        if not isinstance(entries, list):
            raise SpanImportError(f'{where}: "label" must be a list of [start, end, label].')
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, list) or len(entry) not in (3, 4):
                raise SpanImportError(
                    f"{where}: span {number} must be [start, end, label] or "
                    f"[start, end, label, text], not {entry!r}."
                )
            quote = entry[3] if len(entry) == 4 else None
            spans.append(ImportedSpan(*entry[:3], quote, f"{where}, span {number}"))
    else:
        entries = record["entities"]
        if not isinstance(entries, list):
            raise SpanImportError(f'{where}: "entities" must be a list of objects.')
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                raise SpanImportError(f"{where}: entity {number} must be a JSON object.")
            spans.append(
                ImportedSpan(
                    entry.get("start_offset"),
                    entry.get("end_offset"),
                    entry.get("label"),
                    entry.get("text"),
                    f"{where}, entity {number}",
                )
            )
    return ImportedLine(where, document_id, text, title.strip(), meta, spans)


def _selector(selectors: list, kind: str) -> dict | None:
    for selector in selectors:
        if isinstance(selector, dict) and selector.get("type") == kind:
            return selector
    return None


def _w3c_line(record: dict, where: str, iri: re.Pattern) -> ImportedLine:
    body = record.get("body")
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict) or "value" not in body:
        raise SpanImportError(f'{where}: "body" must be one TextualBody whose value is the label.')
    target = record.get("target")
    if not isinstance(target, dict) or not isinstance(target.get("source"), str):
        raise SpanImportError(f'{where}: "target" must name its "source" document.')
    match = iri.fullmatch(target["source"])
    if match is None:
        raise SpanImportError(
            f"{where}: the target source {target['source']!r} does not name a document of "
            f"this project (expected {iri.pattern!r})."
        )
    selectors = target.get("selector", [])
    if isinstance(selectors, dict):
        selectors = [selectors]
    if not isinstance(selectors, list):
        raise SpanImportError(f'{where}: "selector" must be a list of selectors.')
    position = _selector(selectors, "TextPositionSelector")
    if position is None:
        raise SpanImportError(f"{where}: a TextPositionSelector (start, end) is required.")
    quote = _selector(selectors, "TextQuoteSelector")
    span = ImportedSpan(
        position.get("start"),
        position.get("end"),
        body["value"],
        quote.get("exact") if quote else None,
        where,
    )
    return ImportedLine(where, int(match.group(1)), None, "", {}, [span])


def _iri_pattern(document_iri: str) -> re.Pattern:
    if document_iri.count("{id}") != 1:
        raise SpanImportError("The document IRI must contain {id} once.")
    before, after = document_iri.split("{id}")
    return re.compile(re.escape(before) + r"([1-9][0-9]{0,17})" + re.escape(after))


def _parse(
    record: object, where: str, iri: re.Pattern, *, may_hold_nul: bool = True
) -> ImportedLine:
    if not isinstance(record, dict):
        raise SpanImportError(f"{where}: expected a JSON object.")
    if may_hold_nul and _has_nul(record):
        raise SpanImportError(f"{where}: the record contains a NUL character (\\u0000).")
    if record.get("type") == "Annotation" or "target" in record:
        return _w3c_line(record, where, iri)
    if "label" in record or "entities" in record:
        return _doccano_line(record, where)
    raise SpanImportError(
        f'{where}: neither a doccano line ("label" or "entities") nor a W3C annotation '
        '("type": "Annotation").'
    )


def _lines(
    upload: SpanUpload, iri: re.Pattern, on_progress: Progress, max_bytes: int | None
) -> Iterator[ImportedLine]:
    """The upload's lines, parsed; ``on_progress`` is told each line's bytes."""
    if max_bytes is not None and upload.size > max_bytes:
        raise SpanImportError(
            f"{upload.name}: {upload.size} bytes is more than the limit of {max_bytes}."
        )
    if PurePath(upload.name).suffix.lower() not in (".jsonl", ".json", ".ndjson"):
        raise SpanImportError(f"{upload.name}: only JSON Lines (.jsonl) files can be imported.")
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
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise SpanImportError(f"{where}: invalid JSON ({error.msg}).") from None
        seen_any = True
        # JSON can spell NUL only as \u0000 (raw NULs were refused above, and json.loads
        # refuses raw control characters): without it, no walk through the record.
        yield _parse(record, where, iri, may_hold_nul="\\u0000" in line)
    if not seen_any:
        raise SpanImportError(f"{upload.name}: the file is empty.")


def _checked(line: ImportedLine, find_label: Callable[[object, str], Label]) -> ImportedLine:
    """Normalise a line's text and check its spans against it, when the line has one.

    All of this is pure Python, so :func:`_chunks` does it ahead of the writes.
    """
    if line.text is not None:
        line.normalised = normalize_text(line.text)
        line.digest = text_digest(line.normalised)
        line.checked = check_spans(line, line.normalised, find_label)
    return line


def _chunks(
    uploads: list[SpanUpload],
    iri: re.Pattern,
    max_bytes: int | None,
    find_label: Callable[[object, str], Label],
) -> Iterator[tuple[list[ImportedLine], int]]:
    """Chunks of :data:`LINE_CHUNK` checked lines, with the bytes read for them.

    A refused line ends the chunk before it: the lines above it are written
    (and may be refused first, as they come first) before its error is raised.
    """
    pending: list[ImportedLine] = []
    read = 0

    def count(byte_count: int) -> None:
        nonlocal read
        read += byte_count

    for upload in uploads:
        lines = _lines(upload, iri, count, max_bytes)
        while True:
            try:
                line = next(lines, None)
                if line is None:
                    break
                pending.append(_checked(line, find_label))
            except SpanImportError:
                if pending:
                    yield pending, read
                raise
            if len(pending) >= LINE_CHUNK:
                yield pending, read
                pending, read = [], 0
    if pending or read:
        yield pending, read


_T = TypeVar("_T")
_END = object()


def _put(handoff: queue.Queue, item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.05)
        except queue.Full:
            continue
        return True
    return False


def read_ahead(items: Iterator[_T], depth: int) -> Iterator[_T]:
    """Yield ``items`` as a thread computes them, up to ``depth`` ahead.

    Reading and checking lines is pure Python, and psycopg releases the GIL
    while it waits for the database, so the next chunk is read and checked
    while PostgreSQL stores this one (on one core the two took turns). The
    thread touches no database connection. Its exception is raised here, after
    the items before it; leaving the loop early (a refusal while writing) stops
    the thread before this returns.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(handoff, (item, None), stop):
                    return
            _put(handoff, (_END, None), stop)
        except BaseException as error:
            _put(handoff, (_END, error), stop)

    thread = threading.Thread(target=produce, name="span-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join()


# Offsets on un-normalised text -------------------------------------------------------------


def _require_offset(value: object, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpanImportError(f"{where}: {name} must be an integer, not {value!r}.")
    return value


def normalised_offsets(raw: str, offsets: Iterable[int], where: str) -> dict[int, int]:
    """Map code point offsets counted on ``raw`` onto ``normalize_text(raw)``.

    Raises :class:`SpanImportError` for an offset outside ``raw`` or one that
    normalisation cannot keep: inside a CRLF pair, or between a character and
    a combining mark that composes with it.
    """
    points = sorted(set(offsets))
    for point in points:
        if not 0 <= point <= len(raw):
            raise SpanImportError(
                f"{where}: offset {point} is outside the line's text (length {len(raw)})."
            )
    mapping = {}
    position = previous = 0
    for point in points:
        position += len(normalize_text(raw[previous:point]))
        mapping[point] = position
        previous = point
    whole = normalize_text(raw)
    if position + len(normalize_text(raw[previous:])) == len(whole) and all(
        normalize_text(raw[:point]) == whole[: mapping[point]] for point in points
    ):
        return mapping
    for point in points:
        if normalize_text(raw[:point]) + normalize_text(raw[point:]) != whole:
            raise SpanImportError(
                f"{where}: offset {point} falls inside a character sequence that "
                "normalisation joins (a CR LF line end, or a letter and its combining "
                "accent), so it has no place in the stored text. Count offsets on the "
                "normalised text (NFC, LF line ends) or move the offset."
            )
    raise AssertionError("normalised offsets disagree, yet no offset splits a sequence")


# Writing -----------------------------------------------------------------------------------


SPAN_COLUMNS = (
    "document_id",
    "annotator_id",
    "label_id",
    "start",
    "end",
    "client_id",
    "guidelines_version",
    "origin",
    "created",
    "updated",
)
DOCUMENT_COLUMNS = (
    "project_id",
    "title",
    "source",
    "published",
    "text",
    "text_sha256",
    "metadata",
    "gold_status",
    "created",
)
ASSIGNMENT_COLUMNS = (
    "document_id",
    "annotator_id",
    "status",
    "skip_reason",
    "span_count",
    "submitted",
    "updated",
    "distribution_id",
)
AUDIT_COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "project_id",
    "document_id",
    "subject",
    "subject_id",
    "action",
    "before",
    "after",
)


class EncodedJSON(str):
    """A JSON field's value already encoded, which :func:`insert_rows` writes as it is."""


def _decoded(row: tuple, json_columns: list[int]) -> tuple:
    row = list(row)
    for index in json_columns:
        if isinstance(row[index], EncodedJSON):
            row[index] = json.loads(row[index])
    return tuple(row)


def insert_rows(model: type[Model], attnames: tuple[str, ...], rows: list[tuple]) -> list[int]:
    """Insert rows of ``attnames`` values into ``model``'s table; return their new ids.

    PostgreSQL takes ids from the table's sequence and the rows through
    ``COPY``, at a fraction of the cost of building a model instance per row;
    other databases go through ``bulk_create``. Either way the database's
    constraints and triggers see every row, and their refusals come out as
    Django's ``IntegrityError`` on both; ``auto_now`` fields must be given.
    A JSON field's value may come as :class:`EncodedJSON`.
    """
    if not rows:
        return []
    json_columns = [
        index
        for index, name in enumerate(attnames)
        if model._meta.get_field(name).get_internal_type() == "JSONField"
    ]
    if connection.vendor != "postgresql":
        if json_columns:
            rows = [_decoded(row, json_columns) for row in rows]
        created = model.objects.bulk_create(
            (model(**dict(zip(attnames, row, strict=True))) for row in rows),
            batch_size=INSERT_CHUNK,
        )
        return [instance.pk for instance in created]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in ("id", *attnames))
    with connection.cursor() as cursor:
        # The sequence is looked up once: pg_get_serial_sequence() is only stable, so
        # in the select list it read the catalogue once per id (40 of 45 ms per 5,000).
        cursor.execute(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) "
            "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        # Django wraps the errors of execute(), not of the psycopg cursor's copy().
        with (
            connection.wrap_database_errors,
            cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy,
        ):
            for pk, row in zip(ids, rows, strict=True):
                if json_columns:
                    row = list(row)
                    for index in json_columns:
                        if row[index] is not None and not isinstance(row[index], EncodedJSON):
                            row[index] = json.dumps(row[index])
                copy.write_row((pk, *row))
    return ids


def pseudo_annotator_for(*, project: Project, name: str) -> AbstractBaseUser:
    """The pseudo-annotator called ``name``, created on first use, as a member of ``project``.

    Raises :class:`SpanImportError` for a name not of the form ``kind:name`` or
    one a person already uses.
    """
    if not re.fullmatch(PSEUDO_ANNOTATOR_NAME, name) or len(name) > 150:
        raise SpanImportError(
            f"{name!r} is not a pseudo-annotator name: write a kind, a colon and a name, "
            "such as model:ner-v3 (letters, digits and . @ + - _ after the colon)."
        )
    users = get_user_model()
    user = users.objects.filter(username=name).first()
    if user is None:
        user = users(username=name, is_active=False)
        user.set_unusable_password()
        user.save()
        PseudoAnnotator.objects.create(user=user)
    elif not PseudoAnnotator.objects.filter(user=user).exists():
        raise SpanImportError(f"{name!r} is a person's account, not a pseudo-annotator.")
    membership, _ = Membership.objects.get_or_create(
        project=project, user=user, defaults={"role": Role.ANNOTATOR, "in_pool": False}
    )
    if membership.role != Role.ANNOTATOR or membership.in_pool:
        membership.role = Role.ANNOTATOR
        membership.in_pool = False
        membership.save(update_fields=["role", "in_pool"])
    return user


def _member(project: Project, username: str) -> AbstractBaseUser:
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not Membership.objects.filter(project=project, user=user).exists():
        raise SpanImportError(f"{username!r} is not a member of this project.")
    if PseudoAnnotator.objects.filter(user=user).exists():
        raise SpanImportError(
            f"{username!r} is a pseudo-annotator: import as a pseudo-annotator instead."
        )
    return user


def _label_finder(project: Project) -> Callable[[object, str], Label]:
    labels = list(Label.objects.filter(project=project))
    exact = {label.name: label for label in labels}
    folded = {label.name.casefold(): label for label in labels}
    names = ", ".join(sorted(exact))

    def find(name: object, where: str) -> Label:
        if isinstance(name, str):
            label = exact.get(name) or folded.get(name.casefold())
            if label is not None:
                return label
        raise SpanImportError(f"{where}: unknown label {name!r}; this project has {names}.")

    return find


def _import_name(name: str, uploads: list[SpanUpload]) -> str:
    name = (name or PurePath(uploads[0].name).stem).strip()
    name = unicodedata.normalize("NFC", name)
    if not name or len(name) > SOURCE_MAX_LENGTH - len("import:"):
        raise SpanImportError("Give the import a name of 1 to 190 characters.")
    return name


def check_spans(
    line: ImportedLine, text: str, find_label: Callable[[object, str], Label]
) -> list[ResolvedSpan]:
    """The line's spans checked against ``text``, its document's normalised text.

    Their document id is left 0 for the caller to set: lines with a text are
    checked before their document is looked up.
    """
    raw = line.text
    mapping = None
    if raw is not None and raw != text:
        offsets = []
        for span in line.spans:
            offsets.append(_require_offset(span.start, "start", span.where))
            offsets.append(_require_offset(span.end, "end", span.where))
        mapping = normalised_offsets(raw, offsets, line.where)
    resolved = []
    for span in line.spans:
        label = find_label(span.label, span.where)
        start = _require_offset(span.start, "start", span.where)
        end = _require_offset(span.end, "end", span.where)
        quote = span.quote
        if quote is not None and not isinstance(quote, str):
            raise SpanImportError(f"{span.where}: the quoted text must be a string.")
        if mapping is not None:
            start, end = mapping[start], mapping[end]
            quote = normalize_text(quote) if quote is not None else None
        try:
            start, end = validate_range_in(text, start, end, quote)
        except SpanError as error:
            raise SpanImportError(f"{span.where}: {error.message}") from None
        resolved.append(ResolvedSpan(0, label, start, end, span.where))
    return resolved


@dataclass
class _Importer:
    project: Project
    target: SpanImportTarget
    actor: AbstractBaseUser | None
    create_documents: bool
    submit: bool
    source: str
    annotator: AbstractBaseUser | None
    started: object
    result: SpanImportResult
    find_label: Callable[[object, str], Label]
    refresh: list[int] = field(default_factory=list)
    previous_ids: set[int] = field(default_factory=set)
    client_ids: Iterator[str] = field(default_factory=lambda: client_ids())

    # Documents of a chunk of lines ----------------------------------------------------------

    def _documents(self, lines: list[ImportedLine]) -> dict[int, tuple[int, str]]:
        """Line index -> (document id, normalised text); creates missing documents if asked."""
        digests = {index: line.digest for index, line in enumerate(lines) if line.text is not None}
        by_digest: dict[str, list[int]] = {}
        for pk, digest in Document.objects.filter(
            project=self.project, text_sha256__in=set(digests.values())
        ).values_list("pk", "text_sha256"):
            by_digest.setdefault(digest, []).append(pk)
        wanted_ids = {
            line.document_id
            for index, line in enumerate(lines)
            if line.text is None and line.document_id is not None
        }
        texts = dict(
            Document.objects.filter(project=self.project, pk__in=wanted_ids).values_list(
                "pk", "text"
            )
        )
        resolved: dict[int, tuple[int, str]] = {}
        missing: dict[str, Document] = {}
        for index, line in enumerate(lines):
            if line.text is None:
                if line.document_id not in texts:
                    raise SpanImportError(
                        f"{line.where}: document {line.document_id} is not in this project."
                    )
                resolved[index] = (line.document_id, texts[line.document_id])
                continue
            text = line.normalised
            candidates = by_digest.get(digests[index], [])
            if line.document_id in candidates:
                resolved[index] = (line.document_id, text)
            elif len(candidates) == 1:
                resolved[index] = (candidates[0], text)
            elif candidates:
                raise SpanImportError(
                    f"{line.where}: {len(candidates)} documents of this project have this "
                    'text; give the "id" of the one you mean.'
                )
            elif self.create_documents:
                if digests[index] not in missing:
                    missing[digests[index]] = self._new_document(line, text, digests[index])
            else:
                raise SpanImportError(
                    f"{line.where}: no document of this project has this text. Import the "
                    "documents first, or ask for missing documents to be created."
                )
        if missing:
            ids = insert_rows(Document, DOCUMENT_COLUMNS, list(missing.values()))
            self.result.documents_created += len(ids)
            created = dict(zip(missing, ids, strict=True))
            for index in range(len(lines)):
                if index not in resolved:
                    resolved[index] = (created[digests[index]], lines[index].normalised)
        return resolved

    def _new_document(self, line: ImportedLine, text: str, digest: str) -> tuple:
        """A row of :data:`DOCUMENT_COLUMNS`."""
        meta = {k: v for k, v in line.meta.items() if k not in ("source", "span_annotators")}
        source = line.meta.get("source", "")
        title = line.title or next((row.strip() for row in text.split("\n") if row.strip()), "")
        return (
            self.project.pk,
            unicodedata.normalize("NFC", title)[:500],
            source[:2000] if isinstance(source, str) else "",
            None,
            text,
            digest,
            meta,
            GoldStatus.NOT_STARTED,
            self.started,
        )

    # Spans of a chunk of lines --------------------------------------------------------------

    def chunk(self, lines: list[ImportedLine]) -> None:
        documents = self._documents(lines)
        spans: list[ResolvedSpan] = []
        for index, line in enumerate(lines):
            document_id, text = documents[index]
            checked = line.checked
            if checked is None:
                checked = check_spans(line, text, self.find_label)
            for span in checked:
                span.document_id = document_id
            spans += checked
        document_ids = sorted({document_id for document_id, _ in documents.values()})
        self.result.lines += len(lines)
        # W3C lines of one document may straddle two chunks: count it once.
        self.result.documents += len(set(document_ids) - self.previous_ids)
        self.previous_ids = set(document_ids)
        fresh = self._drop_present(spans, document_ids)
        if self.target.kind == "suggestions":
            self._write_suggestions(fresh)
        else:
            self._write_spans(fresh, document_ids)

    def _present(self, document_ids: list[int]) -> Iterable[tuple]:
        if self.target.kind == "suggestions":
            rows = Suggestion.objects.filter(
                document_id__in=document_ids, annotator__isnull=True, source=self.source
            )
        else:
            rows = Span.objects.filter(document_id__in=document_ids, annotator=self.annotator)
        return rows.values_list("document_id", "label_id", "start", "end", "created")

    def _drop_present(self, spans: list[ResolvedSpan], document_ids: list[int]) -> list:
        """The spans to write: a span the target had before the import is skipped and
        counted; one already written by this import, or twice in this chunk, is refused."""
        present = {row[:4]: row[4] for row in self._present(document_ids)}
        fresh = []
        seen: dict[tuple, str] = {}
        for span in spans:
            key = (span.document_id, span.label.pk, span.start, span.end)
            created = present.get(key)
            if key in seen or (created is not None and created >= self.started):
                earlier = f" ({seen[key]})" if key in seen else ""
                raise SpanImportError(
                    f"{span.where}: the same span ({span.label.name} [{span.start}, "
                    f"{span.end}) of document {span.document_id}) appears earlier in the "
                    f"import{earlier}."
                )
            if created is not None:
                self.result.already_present += 1
                continue
            seen[key] = span.where
            fresh.append(span)
        return fresh

    def _write_suggestions(self, spans: list[ResolvedSpan]) -> None:
        now = timezone.now()
        insert_rows(
            Suggestion,
            ("document_id", "label_id", "start", "end", "source", "created"),
            [
                (span.document_id, span.label.pk, span.start, span.end, self.source, now)
                for span in spans
            ],
        )
        self.result.suggestions_created += len(spans)

    def _assignments(self, document_ids: list[int]) -> None:
        """Lock or create the target's assignments on these documents; refuse closed ones."""
        existing = {
            assignment.document_id: assignment
            for assignment in Assignment.objects.select_for_update().filter(
                annotator=self.annotator, document_id__in=document_ids
            )
        }
        pseudo = self.target.kind == "pseudo"
        now = timezone.now()
        for assignment in existing.values():
            if not assignment.is_open and not pseudo:
                raise SpanImportError(
                    f"{self.annotator.get_username()} has "
                    f"{assignment.get_status_display().lower()} document "
                    f"{assignment.document_id}: a curator must reopen it before spans are "
                    "imported into it."
                )
        status = AssignmentStatus.SUBMITTED if pseudo or self.submit else None
        insert_rows(
            Assignment,
            ASSIGNMENT_COLUMNS,
            [
                (
                    document_id,
                    self.annotator.pk,
                    status or AssignmentStatus.IN_PROGRESS,
                    "",
                    0,
                    now if status else None,
                    now,
                    None,
                )
                for document_id in document_ids
                if document_id not in existing
            ],
        )
        if status:
            Assignment.objects.filter(
                annotator=self.annotator, document_id__in=document_ids
            ).exclude(status=AssignmentStatus.SUBMITTED).update(
                status=AssignmentStatus.SUBMITTED, submitted=now, skip_reason="", updated=now
            )

    def _write_spans(self, spans: list[ResolvedSpan], document_ids: list[int]) -> None:
        self._assignments(document_ids)
        now = timezone.now()
        guidelines_version = self.project.guidelines_version
        annotator_id = self.annotator.pk
        span_ids = insert_rows(
            Span,
            SPAN_COLUMNS,
            [
                (
                    span.document_id,
                    annotator_id,
                    span.label.pk,
                    span.start,
                    span.end,
                    client_id,
                    guidelines_version,
                    self.source,
                    now,
                    now,
                )
                for span, client_id in zip(spans, self.client_ids, strict=False)
            ],
        )
        actor_id = self.actor.pk if self.actor is not None else None
        actor_name = self.actor.get_username() if self.actor is not None else ""
        project_id = self.project.pk
        # span_values() as JSON, written out: json.dumps per span cost more than the COPY.
        origin = json.dumps(self.source)
        insert_rows(
            AuditEvent,
            AUDIT_COLUMNS,
            [
                (
                    now,
                    actor_id,
                    actor_name,
                    project_id,
                    span.document_id,
                    SPAN,
                    span_id,
                    AuditAction.CREATED,
                    None,
                    EncodedJSON(
                        f'{{"label": {span.label.pk}, "start": {span.start}, '
                        f'"end": {span.end}, "origin": {origin}}}'
                    ),
                )
                for span_id, span in zip(span_ids, spans, strict=True)
            ],
        )
        self.result.spans_created += len(spans)
        _recount_assignments(self.annotator.pk, document_ids)
        if self.target.kind == "pseudo" or self.submit:
            self.refresh += (
                Document.objects.filter(pk__in=document_ids)
                .annotate(
                    submitted=Count(
                        "assignments", filter=Q(assignments__status=AssignmentStatus.SUBMITTED)
                    )
                )
                .filter(submitted__gte=2)
                .values_list("pk", flat=True)
            )


def client_ids() -> Iterator[str]:
    """Unique client ids for imported spans: a random prefix, then a counter.

    ``Span.client_id`` is unique, and random ids would insert each of 100,000
    spans at a random leaf of its index; these land side by side, like the span
    ids. The prefix is 64 random bits, so they do not meet another import's.
    """
    prefix = uuid.uuid4().hex
    head = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}"
    # Written as text (a UUID instance per span cost more than its COPY); the variant
    # bits stay RFC 4122's, the version is the prefix's 4.
    for number in range(1 << 60):
        yield f"{head}-{0x8000 | number >> 48:04x}-{number & 0xFFFFFFFFFFFF:012x}"


def _recount_assignments(annotator_id: int, document_ids: list[int]) -> None:
    """Set the annotator's assignments on these documents to their span counts.

    The counts come from one grouped query, and go in by one ``CASE`` over the
    assignments: a subquery or a join per assignment is planned by PostgreSQL
    from statistics of tables the import is filling, and on a young database it
    read every span once per assignment (194 s of a 10,000-document import).
    """
    totals = dict(
        Span.objects.filter(document_id__in=document_ids, annotator_id=annotator_id)
        .order_by()
        .values_list("document_id")
        .annotate(total=Count("*"))
    )
    quote = connection.ops.quote_name
    cases = " ".join(["WHEN %s THEN %s"] * len(document_ids))
    documents = ", ".join(["%s"] * len(document_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Assignment._meta.db_table)} "  # noqa: S608 - names, placeholders
            f"SET span_count = CASE document_id {cases} END "
            f"WHERE annotator_id = %s AND document_id IN ({documents})",
            [
                *(value for pk in document_ids for value in (pk, totals.get(pk, 0))),
                annotator_id,
                *document_ids,
            ],
        )


def _ignore(byte_count: int) -> None:
    pass


def import_spans(
    *,
    project: Project,
    uploads: Iterable[SpanUpload],
    target: SpanImportTarget,
    actor: AbstractBaseUser | None,
    name: str = "",
    create_documents: bool = False,
    submit: bool = False,
    document_iri: str = DOCUMENT_IRI,
    max_bytes: int | None = None,
    on_progress: Progress | None = None,
) -> SpanImportResult:
    """Import every span of every upload into ``project`` as ``target`` says, or none.

    ``actor`` is who imports, for the audit log (None: a script). ``name``
    names the import (default: the first file's name without suffix): spans
    record the origin ``import:<name>``, suggestions the source. ``document_iri``
    is the template W3C targets follow. ``max_bytes`` refuses larger files
    (the pages and the API pass the upload limit). ``on_progress`` is called
    with each number of bytes read, for a progress bar.
    """
    uploads = list(uploads)
    if not uploads:
        raise SpanImportError("Choose a file to import.")
    if target.kind not in TARGET_KINDS:
        raise SpanImportError(f"Import as one of {', '.join(TARGET_KINDS)}, not {target.kind!r}.")
    # A pseudo-annotator's work is complete as imported: it is handed in at once.
    submit = submit or target.kind == "pseudo"
    iri = _iri_pattern(document_iri)
    if target.kind == "suggestions":
        name = name or target.name
    source = f"import:{_import_name(name, uploads)}"
    result = SpanImportResult(source=source)
    with transaction.atomic():
        annotator = None
        if target.kind == "annotator":
            annotator = _member(project, target.name)
        elif target.kind == "pseudo":
            annotator = pseudo_annotator_for(project=project, name=target.name)
        result.annotator = annotator.get_username() if annotator else ""
        importer = _Importer(
            project=project,
            target=target,
            actor=actor,
            create_documents=create_documents,
            submit=submit,
            source=source,
            annotator=annotator,
            started=timezone.now(),
            result=result,
            find_label=_label_finder(project),
        )
        progress = on_progress or _ignore
        chunks = _chunks(uploads, iri, max_bytes, importer.find_label)
        for lines, byte_count in read_ahead(chunks, READ_AHEAD):
            if lines:
                importer.chunk(lines)
            progress(byte_count)
        if importer.refresh:
            documents_agreement_refresh(project=project, document_ids=importer.refresh)
    return result

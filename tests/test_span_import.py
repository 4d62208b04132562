"""Importing spans from JSON Lines: round trips through our exporters, targets and refusals."""

import io
import json
import threading
import tracemalloc
import unicodedata
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annotator.annotation import span_imports
from annotator.annotation.span_imports import (
    LINE_CHUNK,
    SpanImportError,
    SpanImportTarget,
    SpanUpload,
    import_spans,
)
from annotator.annotation.spans import span_create
from annotator.api_tokens import token_create
from annotator.exports.jsonl import write_doccano_entities_jsonl, write_doccano_jsonl
from annotator.exports.reader import Selection, export_labels, read_documents
from annotator.exports.w3c import write_w3c
from annotator.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    Document,
    Membership,
    Project,
    ProjectAgreement,
    PseudoAnnotator,
    Role,
    Span,
    Suggestion,
)

ALICE = SpanImportTarget("annotator", "alice")
BOB = SpanImportTarget("annotator", "bob")
MODEL = SpanImportTarget("pseudo", "model:ner-v3")
SUGGEST = SpanImportTarget("suggestions", "ner-v3")


def _upload(raw: bytes, name: str = "spans.jsonl") -> SpanUpload:
    return SpanUpload(name, io.BytesIO(raw), len(raw))


def _jsonl(*records: object) -> bytes:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()


def _export(project: Project, annotator: User, writer) -> bytes:
    selection = Selection(project, "annotator", annotator=annotator)
    stream = io.BytesIO()
    # Releases write the split into each line; an import reads past it.
    writer(read_documents(selection), export_labels(project), stream, split="train")
    return stream.getvalue()


def _spans(user: User) -> set[tuple]:
    return set(
        Span.objects.filter(annotator=user).values_list(
            "document_id", "label__name", "start", "end"
        )
    )


def _state() -> tuple:
    """Everything an import may write, to show that a refused one wrote nothing."""
    return (
        Span.objects.count(),
        Suggestion.objects.count(),
        Document.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )


@pytest.fixture
def documents(project) -> list[Document]:
    texts = [
        "Sergey Lavrov said 🎉 NATO will meet in January.",
        "NATO rejected the claims; the Kremlin warned of sanctions.",
        "Talks resume in Genève.\nThe envoy proposed a draft treaty.",
    ]
    return [
        Document.objects.create(project=project, title=f"Talk {i}", text=text)
        for i, text in enumerate(texts)
    ]


def _mark(user: User, document: Document, label, phrase: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = document.text.index(phrase, start + 1)
    span, _ = span_create(
        document=document, annotator=user, label=label, start=start, end=start + len(phrase)
    )
    return span


@pytest.fixture
def alice_spans(alice, documents, labels) -> set[tuple]:
    _mark(alice, documents[0], labels["actor"], "Sergey Lavrov")
    _mark(alice, documents[0], labels["actor"], "NATO")
    _mark(alice, documents[0], labels["claim"], "NATO will meet in January")
    _mark(alice, documents[1], labels["actor"], "the Kremlin")
    _mark(alice, documents[1], labels["threat"], "the Kremlin warned of sanctions")
    _mark(alice, documents[2], labels["proposal"], "The envoy proposed a draft treaty")
    _mark(alice, documents[2], labels["actor"], "Genève")
    return _spans(alice)


# Round trips through the exporters


ORIGIN_KEYS = ("span_origins", "origin", "urn:annotator:origin")


def _without_origins(exported: bytes) -> list:
    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ORIGIN_KEYS}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    return [strip(json.loads(line)) for line in exported.splitlines()]


@pytest.mark.parametrize(
    "writer",
    [write_doccano_jsonl, write_doccano_entities_jsonl, write_w3c],
    ids=lambda w: w.__name__,
)
def test_exported_spans_import_as_the_same_spans_of_another_annotator(
    project, alice, bob, manager, alice_spans, writer
):
    exported = _export(project, alice, writer)

    result = import_spans(project=project, uploads=[_upload(exported)], target=BOB, actor=manager)

    assert result.spans_created == len(alice_spans) == 7
    assert {(d, label, s, e) for d, label, s, e in _spans(bob)} == alice_spans
    again = _export(project, bob, writer)
    # The same lines, but for the origin, which the exports now carry: bob's spans came
    # from an import, alice marked hers by hand.
    assert _without_origins(again) == _without_origins(exported.replace(b'"alice"', b'"bob"'))
    assert b"import:spans" in again and b"import:spans" not in exported


def test_doccano_line_imports_into_a_new_project_with_its_documents(
    project, alice, manager, alice_spans
):
    exported = _export(project, alice, write_doccano_jsonl)
    copy = Project.objects.create(name="Copy", slug="copy")
    for label in project.labels.all():
        copy.labels.create(name=label.name, colour=label.colour, hotkey=label.hotkey)
    Membership.objects.create(project=copy, user=alice, role=Role.ANNOTATOR)

    result = import_spans(
        project=copy,
        uploads=[_upload(exported)],
        target=ALICE,
        actor=manager,
        create_documents=True,
    )

    assert (result.documents_created, result.spans_created) == (3, 7)
    originals = {d.text: d.title for d in project.documents.all()}
    assert {d.text: d.title for d in copy.documents.all()} == originals
    by_text = {(Document.objects.get(pk=d).text, label, s, e) for d, label, s, e in alice_spans}
    assert {
        (Document.objects.get(pk=d).text, label, s, e)
        for d, label, s, e in _spans(alice)
        if Document.objects.get(pk=d).project_id == copy.pk
    } == by_text


def test_imported_spans_record_origin_audit_and_assignment(
    project, documents, bob, manager, labels
):
    text = documents[0].text
    start = text.index("NATO")
    raw = _jsonl({"id": documents[0].pk, "label": [[start, start + 4, "actor", "NATO"]]})

    import_spans(project=project, uploads=[_upload(raw, "wire.jsonl")], target=BOB, actor=manager)

    span = Span.objects.get(annotator=bob)
    assert (span.origin, span.label.name, span.start, span.end) == (
        "import:wire",
        "actor",
        start,
        start + 4,
    )
    event = AuditEvent.objects.get(subject_id=span.pk)
    assert (event.actor_name, event.action, event.after["origin"]) == (
        "mona",
        "created",
        "import:wire",
    )
    assignment = Assignment.objects.get(annotator=bob, document=documents[0])
    assert (assignment.status, assignment.span_count) == (AssignmentStatus.IN_PROGRESS, 1)


def test_an_assignment_counts_the_spans_it_had_and_the_imported_ones(
    project, documents, bob, manager, labels
):
    first, second = documents[0], documents[1]
    span_create(document=first, annotator=bob, label=labels["claim"], start=0, end=4)
    nato = first.text.index("NATO")
    raw = _jsonl(
        {"id": first.pk, "label": [[nato, nato + 4, "actor"], [0, 4, "actor"]]},
        {"id": second.pk, "label": [[0, 4, "actor"]]},
    )

    import_spans(project=project, uploads=[_upload(raw)], target=BOB, actor=manager)

    counts = dict(Assignment.objects.filter(annotator=bob).values_list("document", "span_count"))
    assert counts == {first.pk: 3, second.pk: 1}


def test_labels_match_ignoring_case_and_surrounding_whitespace_is_trimmed(
    project, documents, bob, manager
):
    text = documents[0].text
    start = text.index("NATO")
    raw = _jsonl({"id": documents[0].pk, "label": [[start - 1, start + 5, "ACTOR"]]})

    import_spans(project=project, uploads=[_upload(raw)], target=BOB, actor=manager)

    assert _spans(bob) == {(documents[0].pk, "actor", start, start + 4)}


def test_a_span_already_there_is_skipped_and_counted(project, documents, alice, manager, labels):
    _mark(alice, documents[0], labels["actor"], "NATO")
    start = documents[0].text.index("NATO")
    raw = _jsonl({"id": documents[0].pk, "label": [[start, start + 4, "actor"], [0, 6, "actor"]]})

    result = import_spans(project=project, uploads=[_upload(raw)], target=ALICE, actor=manager)

    assert (result.spans_created, result.already_present) == (1, 1)
    assert Span.objects.filter(annotator=alice).count() == 2


# Offsets counted on text that is not normalised


def test_offsets_on_crlf_and_decomposed_text_are_mapped_onto_the_normalised_text(
    project, bob, manager
):
    raw_text = "Talks in Gene\u0300ve.\r\nThe envoy said:\r\nNATO will meet."
    stored = Document.objects.create(project=project, title="t", text=raw_text)
    assert stored.text == unicodedata.normalize("NFC", raw_text.replace("\r\n", "\n"))
    raw_spans = [
        [
            raw_text.index("Gene\u0300ve"),
            raw_text.index("Gene\u0300ve") + 7,
            "actor",
            "Gene\u0300ve",
        ],
        [raw_text.index("NATO"), raw_text.index("NATO") + 4, "actor"],
    ]

    import_spans(
        project=project,
        uploads=[_upload(_jsonl({"text": raw_text, "label": raw_spans}))],
        target=BOB,
        actor=manager,
    )

    got = {stored.text[s:e] for _, _, s, e in _spans(bob)}
    assert got == {"Genève", "NATO"}


@pytest.mark.parametrize(
    ("raw_text", "start", "end", "why"),
    [
        ("One\r\nTwo", 0, 4, "CR LF"),
        ("Gene\u0300ve", 0, 4, "combining"),
    ],
)
def test_an_offset_that_splits_what_normalisation_joins_is_refused(
    project, bob, manager, raw_text, start, end, why
):
    Document.objects.create(project=project, title="t", text=raw_text)
    before = _state()
    raw = _jsonl({"text": raw_text, "label": [[start, end, "actor"]]})

    with pytest.raises(SpanImportError, match=r"spans.jsonl line 1: offset 4 falls inside"):
        import_spans(project=project, uploads=[_upload(raw)], target=BOB, actor=manager)

    assert _state() == before


# Refusals: each names the file and line, and nothing changes


def _refusals(documents) -> list[tuple[bytes, str]]:
    first = documents[0]
    nato = first.text.index("NATO")
    return [
        (
            _jsonl({"id": first.pk, "label": [[0, 999, "actor"]]}),
            r"line 1, span 1: The span's end \(999\) is past",
        ),
        (
            _jsonl({"id": first.pk, "label": [[5, 2, "actor"]]}),
            r"line 1, span 1: The span's end must be greater",
        ),
        (
            _jsonl({"id": first.pk, "label": [[0, 4, "person"]]}),
            r"line 1, span 1: unknown label 'person'",
        ),
        (
            _jsonl({"id": first.pk, "label": [[nato, nato + 4, "actor", "OTAN"]]}),
            r"line 1, span 1: The selected text “OTAN” does not match",
        ),
        (
            _jsonl(
                {"id": first.pk, "label": [[nato, nato + 4, "actor"]]},
                {"id": first.pk, "label": [[nato, nato + 4, "actor"]]},
            ),
            r"line 2, span 1: the same span \(actor \[\d+, \d+\) of document \d+\) appears earlier",
        ),
        (
            _jsonl(
                {"id": first.pk, "label": [[nato, nato + 4, "actor"], [nato, nato + 4, "actor"]]}
            ),
            r"line 1, span 2: the same span .* \(spans.jsonl line 1, span 1\)",
        ),
        (_jsonl({"id": 999999, "label": []}), r"line 1: document 999999 is not in this project"),
        (_jsonl({"text": "Never imported.", "label": []}), r"line 1: no document of this project"),
        (
            _jsonl({"id": first.pk, "label": [["0", 4, "actor"]]}),
            r"line 1, span 1: start must be an integer",
        ),
        (
            _jsonl({"id": first.pk, "label": [[0, 4]]}),
            r"line 1: span 1 must be \[start, end, label\]",
        ),
        (b'{"id": 1, "label": [\n', r"spans.jsonl line 1: invalid JSON"),
        (_jsonl({"id": first.pk}), r"line 1: neither a doccano line"),
        (
            _jsonl({"id": first.pk, "label": []}, ["not", "an", "object"]),
            r"line 2: expected a JSON object",
        ),
        (b"\n\n", r"spans.jsonl: the file is empty"),
        (
            _jsonl({"id": first.pk, "label": [], "meta": {"note": ["ok", "a\x00b"]}}),
            r"line 1: the record contains a NUL character",
        ),
        (
            _jsonl({"id": first.pk, "label": [[nato, nato + 4, "actor", "NA\x00TO"]]}),
            r"line 1: the record contains a NUL character",
        ),
        (b'{"text": "\xff"}\n', r"line 1: not valid UTF-8"),
        (
            _jsonl(
                {
                    "type": "Annotation",
                    "body": {"value": "actor"},
                    "target": {"source": "https://elsewhere.example/7", "selector": []},
                }
            ),
            r"line 1: the target source .* does not name a document",
        ),
        (
            _jsonl(
                {
                    "type": "Annotation",
                    "body": {"value": "actor"},
                    "target": {
                        "source": f"urn:annotator:document:{first.pk}",
                        "selector": [
                            {"type": "TextPositionSelector", "start": nato, "end": nato + 4},
                            {"type": "TextQuoteSelector", "exact": "OTAN"},
                        ],
                    },
                }
            ),
            r"line 1: The selected text “OTAN” does not match",
        ),
    ]


@pytest.mark.parametrize("target", [BOB, MODEL, SUGGEST], ids=lambda t: t.kind)
@pytest.mark.parametrize("case", range(19))
def test_bad_lines_are_refused_naming_file_and_line_and_nothing_changes(
    project, documents, bob, manager, target, case
):
    raw, message = _refusals(documents)[case]
    good = _jsonl({"id": documents[1].pk, "label": [[0, 4, "actor"]]})
    before = _state()

    with pytest.raises(SpanImportError, match=message):
        import_spans(
            project=project,
            uploads=[_upload(good, "first.jsonl"), _upload(raw)],
            target=target,
            actor=manager,
        )

    assert _state() == before


def _many_lines(count: int) -> list[dict]:
    text = "Ministers from Oslo met the envoy of NATO, said officials {}."
    return [{"text": text.format(i), "label": [[37, 41, "actor"]]} for i in range(count)]


def _readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "span-import-reader"]


def test_a_bad_line_chunks_ahead_refuses_the_whole_file_and_stops_the_reader(
    project, manager, labels
):
    """Lines are read ahead of the writes: a refusal found there still comes after the
    chunks before it were written, names its line, and rolls all of them back."""
    records = _many_lines(2 * LINE_CHUNK + 10)
    records[2 * LINE_CHUNK + 4]["label"] = [[37, 400, "actor"]]
    before = _state()

    with pytest.raises(SpanImportError, match=rf"spans.jsonl line {2 * LINE_CHUNK + 5}, span 1: "):
        import_spans(
            project=project,
            uploads=[_upload(_jsonl(*records))],
            target=MODEL,
            actor=manager,
            create_documents=True,
        )

    assert _state() == before
    assert _readers() == []


def test_a_refusal_while_writing_stops_the_reader_ahead(project, documents, manager):
    records = [{"id": 10**9, "label": [[0, 4, "actor"]]}, *_many_lines(3 * LINE_CHUNK)]
    before = _state()

    with pytest.raises(SpanImportError, match=r"line 1: document 1000000000 is not in this"):
        import_spans(
            project=project, uploads=[_upload(_jsonl(*records))], target=SUGGEST, actor=manager
        )

    assert _state() == before
    assert _readers() == []


def test_imported_spans_get_client_ids_of_their_own(project, manager, labels):
    for name in ("model:a", "model:b"):
        import_spans(
            project=project,
            uploads=[_upload(_jsonl(*_many_lines(3)))],
            target=SpanImportTarget("pseudo", name),
            actor=manager,
            create_documents=True,
        )

    client_ids = [
        uuid.UUID(str(value)) for value in Span.objects.values_list("client_id", flat=True)
    ]
    assert len(set(client_ids)) == len(client_ids) == 6
    assert {(value.version, value.variant) for value in client_ids} == {(4, uuid.RFC_4122)}


def test_refusals_cover_every_case(documents):
    assert len(_refusals(documents)) == 19


def test_a_submitted_assignment_is_refused_for_a_named_annotator(project, documents, bob, manager):
    Assignment.objects.create(
        document=documents[0], annotator=bob, status=AssignmentStatus.SUBMITTED
    )
    before = _state()
    raw = _jsonl({"id": documents[0].pk, "label": [[0, 6, "actor"]]})

    with pytest.raises(SpanImportError, match="bob has submitted document"):
        import_spans(project=project, uploads=[_upload(raw)], target=BOB, actor=manager)

    assert _state() == before


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (SpanImportTarget("annotator", "charlie"), "'charlie' is not a member"),
        (SpanImportTarget("pseudo", "ner-v3"), "not a pseudo-annotator name"),
        (SpanImportTarget("pseudo", "model:bob"), None),
        (SpanImportTarget("robot", "x"), "Import as one of"),
    ],
)
def test_bad_targets_are_refused(project, documents, bob, charlie, manager, target, message):
    if target.name == "model:bob":
        User.objects.create_user("model:bob", password="password")
        message = "a person's account"
    before = _state()
    raw = _jsonl({"id": documents[0].pk, "label": [[0, 6, "actor"]]})

    with pytest.raises(SpanImportError, match=message):
        import_spans(project=project, uploads=[_upload(raw)], target=target, actor=manager)

    assert _state() == before


# Pseudo-annotators


def test_a_pseudo_annotator_is_a_member_who_cannot_log_in(project, documents, manager):
    raw = _jsonl({"id": documents[0].pk, "label": [[0, 6, "actor"]]})

    result = import_spans(project=project, uploads=[_upload(raw)], target=MODEL, actor=manager)

    model = User.objects.get(username="model:ner-v3")
    assert result.annotator == "model:ner-v3"
    assert PseudoAnnotator.objects.filter(user=model).exists()
    assert not model.is_active and not model.has_usable_password()
    membership = Membership.objects.get(project=project, user=model)
    assert (membership.role, membership.in_pool) == (Role.ANNOTATOR, False)
    assert Assignment.objects.get(annotator=model).status == AssignmentStatus.SUBMITTED
    client = Client()
    for password in ("", "!", model.password):
        client.post(reverse("login"), {"username": "model:ner-v3", "password": password})
        assert "_auth_user_id" not in client.session
    _, token = token_create(user=model, name="leak")
    response = Client().get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


def test_a_pseudo_annotator_counts_in_agreement(project, documents, alice, manager, labels):
    from annotator.annotation.assignments import assignment_submit

    _mark(alice, documents[0], labels["actor"], "NATO")
    assignment_submit(document=documents[0], annotator=alice)
    nato = documents[0].text.index("NATO")
    raw = _jsonl({"id": documents[0].pk, "label": [[nato, nato + 4, "actor"], [0, 6, "actor"]]})

    import_spans(project=project, uploads=[_upload(raw)], target=MODEL, actor=manager)

    model = User.objects.get(username="model:ner-v3")
    summary = ProjectAgreement.objects.get(project=project).summary
    assert set(summary["annotators"]) == {str(alice.pk), str(model.pk)}
    # One span of two agrees: precision 1/2 one way, recall 1/1 the other; F1 = 2/3.
    assert summary["span_f1"]["exact"]["overall"]["micro"]["value"] == pytest.approx(2 / 3)


# Suggestions


def test_suggestions_are_imported_for_everyone_with_their_source(project, documents, manager):
    nato = documents[0].text.index("NATO")
    raw = _jsonl({"id": documents[0].pk, "label": [[nato, nato + 4, "actor"]]})

    result = import_spans(
        project=project, uploads=[_upload(raw)], target=SUGGEST, actor=manager, name="ner-v3"
    )

    suggestion = Suggestion.objects.get()
    assert result.suggestions_created == 1 and not Span.objects.exists()
    assert (suggestion.source, suggestion.annotator, suggestion.start) == (
        "import:ner-v3",
        None,
        nato,
    )


def test_importing_the_same_suggestions_again_adds_nothing(project, documents, manager):
    raw = _jsonl({"id": documents[0].pk, "label": [[0, 6, "actor"]]})
    import_spans(project=project, uploads=[_upload(raw)], target=SUGGEST, actor=manager)

    again = import_spans(project=project, uploads=[_upload(raw)], target=SUGGEST, actor=manager)

    assert (again.suggestions_created, again.already_present) == (0, 1)
    assert Suggestion.objects.count() == 1


# Size, progress and memory


def test_progress_reports_every_byte_and_a_file_over_the_limit_is_refused(
    project, documents, manager, bob
):
    raw = _jsonl(*({"id": d.pk, "label": [[0, 4, "actor"]]} for d in documents))
    seen = []

    import_spans(
        project=project, uploads=[_upload(raw)], target=BOB, actor=manager, on_progress=seen.append
    )

    assert sum(seen) == len(raw)
    with pytest.raises(
        SpanImportError, match=r"spans.jsonl: \d+ bytes is more than the limit of 10"
    ):
        import_spans(
            project=project, uploads=[_upload(raw)], target=SUGGEST, actor=manager, max_bytes=10
        )


def _peak_import(project, manager, lines: int) -> int:
    text = "Ministers from Oslo met the envoy of NATO in a hall by the river, said officials {}."
    raw = b"".join(
        (
            json.dumps({"text": text.format(i), "label": [[37, 41, "actor"], [15, 19, "actor"]]})
            + "\n"
        ).encode()
        for i in range(lines)
    )
    tracemalloc.start()
    try:
        import_spans(
            project=project,
            uploads=[_upload(raw)],
            target=SUGGEST,
            actor=manager,
            name=f"size-{lines}",
            create_documents=True,
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_file_grows(project, manager, monkeypatch):
    """Four times the lines, nearly the same peak: it holds a few chunks at a time (the raw
    file itself is outside the traced heap: it sits in a BytesIO made before).

    Chunks of 20 lines, so the chunks alive at once (one written, one waiting, one being read,
    as the reader or the writer is ahead) weigh little beside what every import holds. The
    peak still varies by a few hundred KB from run to run, so the bound is absolute: keeping
    the parsed lines would add several MB for 3,000 more lines."""
    monkeypatch.setattr(span_imports, "LINE_CHUNK", 20)
    small = _peak_import(project, manager, 1000)
    large = _peak_import(project, manager, 4000)

    assert Suggestion.objects.count() == 2 * 5000
    assert large - small < 1_000_000

"""Export formats by name: how each is written by split, served, previewed and counted.

Every format honours the train/validation/test split (:mod:`annotator.exports.splits`)
and is a folder, the same in a download (zipped, under a folder named after the
download) and in a release (under ``data/<format>/``):

=================  ==============================================================
format             files
=================  ==============================================================
jsonl              ``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` (a ``split`` field too)
doccano-entities   ``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` (a ``split`` field too)
conll              ``train.conll``, ``validation.conll``, ``test.conll``
w3c                ``<split>/annotations.jsonl`` and ``<split>/documents.jsonl``
brat               ``<split>/annotation.conf``, ``<split>/<id>.txt``, ``<split>/<id>.ann``
spacy              ``train/NNNNN.spacy``, ``dev/NNNNN.spacy``, ``test/NNNNN.spacy``
huggingface        ``train-NNNNN-of-NNNNN.parquet``, ``validation-…``, ``test-…``
=================  ==============================================================

A split that receives no document has no file. Every format but Hugging Face
is written front to back, split after split (:func:`~annotator.exports.splits.by_split`
reads the documents once, spooling the later splits to disk), so a download is
sent while it is written; Hugging Face writes its splits side by side, so its
folder is built on disk first. A download ends with ``export.json``
(:data:`TRAILER_NAME`): the counts, the spans each split left out and why, and
every document's split; a download cut short has no such file and no zip
directory, so no unzip tool takes it for whole.
"""

import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from annotator.exports.reader import ExportError
from annotator.exports.records import (
    LEFT_OUT_REASONS,
    ExportCounts,
    ExportDocument,
    token_layer_counts,
    tokenize_document,
)
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split, by_split
from annotator.exports.zipstream import ZipEntry, file_entry, zip_stream

PREVIEW_RECORDS = 3
PREVIEW_CHARACTERS = 6000
STREAM_BATCH_DOCUMENTS = 100
# What these two writers hold in memory at once, each held several times over
# while it is packed, compressed or encoded. At 1,000 documents of 3,000
# characters a spaCy shard took the export 88 MB past its baseline (250: 41 MB)
# and Hugging Face row groups 171 MB (100: 30 MB).
SPACY_SHARD_DOCUMENTS = 250
HUGGINGFACE_ROWS_PER_GROUP = 100
TRAILER_NAME = "export.json"
ZIP = "application/zip"


@dataclass
class Tally:
    """What an export wrote, added up while it writes: counts per split and the ids
    of each split's documents."""

    per_split: dict[str, ExportCounts] = field(
        default_factory=lambda: {split: ExportCounts() for split in SPLIT_NAMES}
    )
    document_ids: dict[str, list[int]] = field(
        default_factory=lambda: {split: [] for split in SPLIT_NAMES}
    )

    def add(self, split: str, counts: ExportCounts) -> None:
        self.per_split[split] += counts

    @property
    def total(self) -> ExportCounts:
        total = ExportCounts()
        for counts in self.per_split.values():
            total += counts
        return total

    def read(self, split: str, document: ExportDocument) -> None:
        self.document_ids[split].append(document.id)

    def recording(
        self, documents: Iterable[ExportDocument], seed: str | int, ratios: SplitRatios
    ) -> Iterator[ExportDocument]:
        for document in documents:
            self.read(assign_split(document.id, seed, ratios), document)
            yield document


#: (documents of one split, labels, the split, the tally, a scratch directory) ->
#: the split's files, named inside the format's folder.
FileWriter = Callable[
    [Iterator[ExportDocument], Sequence[str], str, Tally, Path], Iterator[ZipEntry]
]
#: (documents, labels, directory to create, seed, ratios) -> counts per split.
DirectoryWriter = Callable[
    [Iterable[ExportDocument], Sequence[str], Path, str | int, SplitRatios],
    dict[str, ExportCounts],
]


def _batches(documents: Iterable[ExportDocument], size: int) -> Iterator[list[ExportDocument]]:
    iterator = iter(documents)
    while batch := list(islice(iterator, size)):
        yield batch


def _line_file(extension: str, write: Callable) -> FileWriter:
    """A writer of one text file per split, ``<split><extension>``, written a batch of
    documents at a time by ``write(batch, labels, stream, split=, spans_before=,
    relations_before=)``, so ids can run across the file."""

    def split_files(documents, labels, split, tally, scratch) -> Iterator[ZipEntry]:
        def pieces() -> Iterator[bytes]:
            spans_before = relations_before = 0
            for batch in _batches(documents, STREAM_BATCH_DOCUMENTS):
                buffer = io.BytesIO()
                counts = write(
                    batch,
                    labels,
                    buffer,
                    split=split,
                    spans_before=spans_before,
                    relations_before=relations_before,
                )
                tally.add(split, counts)
                spans_before += counts.spans
                relations_before += counts.relations
                yield buffer.getvalue()

        yield ZipEntry(f"{split}{extension}", pieces())

    return split_files


def _doccano(documents, labels, stream, *, split, spans_before, relations_before) -> ExportCounts:
    from annotator.exports.jsonl import write_doccano_jsonl

    return write_doccano_jsonl(documents, labels, stream, split=split)


def _doccano_entities(
    documents, labels, stream, *, split, spans_before, relations_before
) -> ExportCounts:
    from annotator.exports.jsonl import write_doccano_entities_jsonl

    return write_doccano_entities_jsonl(
        documents,
        labels,
        stream,
        split=split,
        first_entity_id=spans_before + 1,
        first_relation_id=relations_before + 1,
    )


def _conll(documents, labels, stream, *, split, spans_before, relations_before) -> ExportCounts:
    from annotator.exports.conll import write_conll

    return write_conll(documents, labels, stream)


def _w3c(documents, labels, split, tally, scratch) -> Iterator[ZipEntry]:
    """``documents.jsonl`` as the documents come; the annotations meanwhile to a spool
    file, sent after it."""
    from annotator.exports.w3c import write_w3c

    spool = scratch / f"w3c-{split}.jsonl"

    def texts() -> Iterator[bytes]:
        with spool.open("xb") as annotations:
            for batch in _batches(documents, STREAM_BATCH_DOCUMENTS):
                buffer = io.BytesIO()
                tally.add(split, write_w3c(batch, labels, annotations, texts=buffer, split=split))
                yield buffer.getvalue()

    yield ZipEntry(f"{split}/documents.jsonl", texts())
    yield file_entry(f"{split}/annotations.jsonl", spool, compress=True)


def _brat(documents, labels, split, tally, scratch) -> Iterator[ZipEntry]:
    from annotator.exports.brat import brat_files

    for name, data, counts in brat_files(documents, labels):
        tally.add(split, counts)
        yield ZipEntry(f"{split}/{name}", data)


def _spacy(documents, labels, split, tally, scratch) -> Iterator[ZipEntry]:
    from annotator.exports.spacy_docbin import SPLIT_FOLDERS, spacy_shards

    shards = spacy_shards(documents, labels, shard_size=SPACY_SHARD_DOCUMENTS, split=split)
    for name, data, counts in shards:
        tally.add(split, counts)
        # Stored: DocBin is compressed already.
        yield ZipEntry(f"{SPLIT_FOLDERS[split]}/{name}", data, compress=False)


def _huggingface(documents, labels, directory, seed, ratios) -> dict[str, ExportCounts]:
    from annotator.exports.huggingface import write_huggingface

    return write_huggingface(
        documents,
        labels,
        directory,
        seed=seed,
        ratios=ratios,
        rows_per_group=HUGGINGFACE_ROWS_PER_GROUP,
    )


def _nothing_left_out(document: ExportDocument, labels: Sequence[str]) -> ExportCounts:
    return ExportCounts(1, len(document.spans))


def _spacy_left_out(document: ExportDocument, labels: Sequence[str]) -> ExportCounts:
    from annotator.exports.spacy_docbin import spacy_left_out

    return spacy_left_out(document, labels)


def _brat_left_out(document: ExportDocument, labels: Sequence[str]) -> ExportCounts:
    from annotator.exports.brat import brat_left_out

    return brat_left_out(document, labels)


@dataclass(frozen=True)
class ExportFormat:
    """One format. Exactly one of ``file_writer`` / ``directory_writer`` is set.

    ``left_out`` tells, for one document, what the format leaves out of it (the
    same counts its writer reports), so that a summary can say so before writing.
    ``where_kept`` says where the spans left out can still be found, if anywhere.
    ``preview`` is how :func:`preview` shows it: its text, brat's ``.ann``
    files, or the token-aligned spans of a binary format.
    """

    name: str
    title: str
    layout: str
    left_out: Callable[[ExportDocument, Sequence[str]], ExportCounts]
    preview: str
    file_writer: FileWriter | None = None
    directory_writer: DirectoryWriter | None = None
    where_kept: str = ""

    @property
    def streams(self) -> bool:
        return self.file_writer is not None

    def download_name(self, stem: str) -> str:
        return f"{stem}-{self.name}.zip"


TEXT, ANN, ALIGNED = "text", "ann", "aligned"

FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in [
        ExportFormat(
            "jsonl",
            "doccano JSONL",
            "train.jsonl, validation.jsonl, test.jsonl",
            _nothing_left_out,
            TEXT,
            file_writer=_line_file(".jsonl", _doccano),
        ),
        ExportFormat(
            "doccano-entities",
            "doccano JSONL, entities and relations",
            "train.jsonl, validation.jsonl, test.jsonl",
            _nothing_left_out,
            TEXT,
            file_writer=_line_file(".jsonl", _doccano_entities),
        ),
        ExportFormat(
            "conll",
            "CoNLL, IOB2 tags",
            "train.conll, validation.conll, test.conll",
            token_layer_counts,
            TEXT,
            file_writer=_line_file(".conll", _conll),
        ),
        ExportFormat(
            "w3c",
            "W3C Web Annotation (JSON Lines)",
            "train/, validation/, test/ folders of annotations.jsonl and documents.jsonl",
            _nothing_left_out,
            TEXT,
            file_writer=_w3c,
        ),
        ExportFormat(
            "spacy",
            "spaCy DocBin",
            "train/, dev/, test/ folders of .spacy files",
            _spacy_left_out,
            ALIGNED,
            file_writer=_spacy,
            where_kept="overlapping spans are in doc.spans['sc'], only doc.ents leaves them out",
        ),
        ExportFormat(
            "huggingface",
            "Hugging Face datasets (Parquet)",
            "train-*.parquet, validation-*.parquet, test-*.parquet",
            token_layer_counts,
            ALIGNED,
            directory_writer=_huggingface,
            where_kept="every span is in the spans column; only the tag columns leave them out",
        ),
        ExportFormat(
            "brat",
            "brat standoff",
            "train/, validation/, test/ folders of .txt and .ann files",
            _brat_left_out,
            ANN,
            file_writer=_brat,
        ),
    ]
}


def get_format(name: str) -> ExportFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ExportError(
            f"Unknown export format {name!r}; choose one of {', '.join(FORMATS)}."
        ) from None


def export_entries(
    export_format: ExportFormat,
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    *,
    seed: str | int,
    ratios: SplitRatios,
    scratch: Path,
    tally: Tally,
) -> Iterator[ZipEntry]:
    """The files of a format written front to back, split after split (see the module
    docstring); ``tally`` adds up what they hold as they are taken."""
    if export_format.file_writer is None:
        raise ValueError(f"{export_format.name} is not written front to back")
    splits = by_split(documents, seed=seed, ratios=ratios, scratch=scratch, on_read=tally.read)
    for split, split_documents in splits:
        yield from export_format.file_writer(split_documents, labels, split, tally, scratch)


def write_export(
    export_format: ExportFormat,
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    path: Path,
    *,
    seed: str | int = 0,
    ratios: SplitRatios | None = None,
    tally: Tally | None = None,
) -> ExportCounts:
    """Write the format's folder at ``path``, which must not exist; return its counts.

    ``tally``, if given, receives the counts per split and each split's documents.
    """
    ratios = ratios or SplitRatios()
    tally = tally if tally is not None else Tally()
    if path.exists():
        raise FileExistsError(f"{path} exists")
    if export_format.directory_writer is not None:
        documents = tally.recording(documents, seed, ratios)
        per_split = export_format.directory_writer(documents, labels, path, seed, ratios)
        for split, counts in per_split.items():
            tally.add(split, counts)
        return tally.total
    path.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="export-") as scratch:
        entries = export_entries(
            export_format,
            documents,
            labels,
            seed=seed,
            ratios=ratios,
            scratch=Path(scratch),
            tally=tally,
        )
        folders = {path}
        for entry in entries:
            target = path / entry.name
            # brat writes a file per document: one mkdir per folder, not per file.
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            with target.open("xb") as stream:
                for piece in entry.pieces():
                    stream.write(piece)
    return tally.total


def folder_entries(folder: Path) -> Iterator[ZipEntry]:
    """The files of a format written as a folder (Hugging Face), sorted, as entries named
    inside it; stored, since Parquet is compressed already."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield file_entry(path.relative_to(folder).as_posix(), path, compress=False)


def export_report(
    export_format: ExportFormat,
    tally: Tally,
    labels: Sequence[str],
    *,
    seed: str | int,
    ratios: SplitRatios,
) -> dict:
    """What ``export.json`` says about an export: counts, spans left out and why, splits."""
    total = tally.total
    return {
        "format": export_format.name,
        "title": export_format.title,
        **total.as_dict(labels),
        "left_out_reasons": {
            reason: why for reason, why in LEFT_OUT_REASONS.items() if reason in total.left_out
        },
        "left_out_still_in": export_format.where_kept,
        "splits": {
            "seed": str(seed),
            "ratios": ratios.as_dict(),
            "counts": {
                split: tally.per_split[split].as_dict(labels)
                for split in SPLIT_NAMES
                if tally.document_ids[split]
            },
            "documents": {
                split: tally.document_ids[split]
                for split in SPLIT_NAMES
                if tally.document_ids[split]
            },
        },
    }


def _trailer(
    export_format: ExportFormat,
    tally: Tally,
    labels: Sequence[str],
    name: str,
    seed: str | int,
    ratios: SplitRatios,
) -> Iterator[ZipEntry]:
    # A generator, so that the report is made when the zip reaches it, after the data.
    report = export_report(export_format, tally, labels, seed=seed, ratios=ratios)
    yield ZipEntry(name, (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode())


def stream_export(
    export_format: ExportFormat,
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    *,
    stem: str,
    seed: str | int = 0,
    ratios: SplitRatios | None = None,
) -> Iterator[bytes]:
    """The zip of a download: the format's folder under ``stem/``, then ``export.json``.

    Written while it is sent for every format but Hugging Face, whose folder is
    built in a temporary directory before the first byte (an error then comes
    before any byte is sent).
    """
    ratios = ratios or SplitRatios()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="download-") as scratch:
        if export_format.streams:
            entries: Iterable[ZipEntry] = export_entries(
                export_format,
                documents,
                labels,
                seed=seed,
                ratios=ratios,
                scratch=Path(scratch),
                tally=tally,
            )
        else:
            folder = Path(scratch) / "export"
            write_export(
                export_format, documents, labels, folder, seed=seed, ratios=ratios, tally=tally
            )
            entries = folder_entries(folder)
        named = (
            ZipEntry(f"{stem}/{entry.name}", entry.content, entry.compress, entry.size, entry.crc32)
            for entry in entries
        )
        trailer = _trailer(export_format, tally, labels, f"{stem}/{TRAILER_NAME}", seed, ratios)
        yield from zip_stream(chain(named, trailer))


def count_left_out(
    export_format: ExportFormat, documents: Iterable[ExportDocument], labels: Sequence[str]
) -> ExportCounts:
    """What the format would leave out of ``documents``, without writing them."""
    total = ExportCounts()
    for document in documents:
        total += export_format.left_out(document, labels)
    return total


def preview(
    export_format: ExportFormat,
    documents: Sequence[ExportDocument],
    labels: Sequence[str],
    *,
    seed: str | int = 0,
    ratios: SplitRatios | None = None,
) -> str:
    """The first documents as the format writes them, as text, each file under its name.

    Text formats show their files (line formats their first ``PREVIEW_RECORDS``
    lines); brat shows its ``.ann`` files; spaCy and Hugging Face, which are
    binary, the token-aligned spans they carry and what they leave out. Cut at
    ``PREVIEW_CHARACTERS`` characters.
    """
    documents = list(documents[:PREVIEW_RECORDS])
    ratios = ratios or SplitRatios()
    if export_format.preview == ALIGNED:
        text = "".join(_aligned_spans(export_format, document, labels) for document in documents)
    else:
        parts = []
        with tempfile.TemporaryDirectory(prefix="preview-") as scratch:
            entries = export_entries(
                export_format,
                documents,
                labels,
                seed=seed,
                ratios=ratios,
                scratch=Path(scratch),
                tally=Tally(),
            )
            for entry in entries:
                if export_format.preview == ANN and not entry.name.endswith(".ann"):
                    continue
                content = b"".join(entry.pieces()).decode("utf-8")
                if entry.name.endswith(".jsonl"):
                    # "\n" only: JSON strings may hold U+2028, which splitlines() would break on.
                    content = "".join(
                        f"{line}\n" for line in content.split("\n")[:PREVIEW_RECORDS] if line
                    )
                parts.append(f"== {entry.name} ==\n{content}\n")
        text = "".join(parts)
    if len(text) > PREVIEW_CHARACTERS:
        text = text[:PREVIEW_CHARACTERS] + "\n[… preview cut here]\n"
    return text


def _aligned_spans(
    export_format: ExportFormat, document: ExportDocument, labels: Sequence[str]
) -> str:
    tokenized = tokenize_document(document, labels)
    lines = [f"document {document.id}: {document.title}\n"]
    lines += [
        f"{span.start}\t{span.end}\t{span.label}\t{document.text[span.start : span.end]}\n"
        for _, _, span in tokenized.aligned
    ]
    left_out = export_format.left_out(document, labels)
    for reason, per_label in left_out.left_out.items():
        listed = ", ".join(f"{label} {number}" for label, number in per_label.items())
        lines.append(f"(left out, {LEFT_OUT_REASONS[reason]}: {listed})\n")
    return "".join(lines) + "\n"

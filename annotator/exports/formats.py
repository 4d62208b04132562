"""Export formats by name: how each is written, named, served and previewed.

Line formats (the two doccano JSON Lines shapes, CoNLL, W3C) are UTF-8 text
written document by document, brat is one zip written entry by entry and spaCy
a directory of shards written one after the other, so a download streams them
(spaCy zipped, a shard at a time). Hugging Face writes its split files side by
side, so its directory is built on disk first and served zipped.

Only the Hugging Face format has train/validation/test files; ``seed`` and
``ratios`` are ignored by the others.
"""

import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import islice
from operator import add
from pathlib import Path
from typing import BinaryIO

from annotator.exports.reader import ExportError
from annotator.exports.records import (
    ZIP_DATE_TIME,
    ExportCounts,
    ExportDocument,
    tokenize_document,
)
from annotator.exports.splits import SplitRatios
from annotator.exports.zipstream import Pieces, streaming_zip

PREVIEW_RECORDS = 3
PREVIEW_CHARACTERS = 6000
STREAM_BATCH_DOCUMENTS = 100
# What these two writers hold in memory at once, each held several times over
# while it is packed, compressed or encoded. At 1,000 documents of 3,000
# characters a spaCy shard took the export 88 MB past its baseline (250: 41 MB)
# and Hugging Face row groups 171 MB (100: 30 MB).
SPACY_SHARD_DOCUMENTS = 250
HUGGINGFACE_ROWS_PER_GROUP = 100

StreamWriter = Callable[[Iterable[ExportDocument], Sequence[str], BinaryIO, int], ExportCounts]
#: (documents, labels, documents per piece, the folder inside a zip) -> the bytes in pieces.
ChunkWriter = Callable[[Iterable[ExportDocument], Sequence[str], int, str], Iterator[bytes]]
DirectoryWriter = Callable[
    [Iterable[ExportDocument], Sequence[str], Path, str | int, SplitRatios | None], ExportCounts
]


def _doccano(documents, labels, stream, spans_before) -> ExportCounts:
    from annotator.exports.jsonl import write_doccano_jsonl

    return write_doccano_jsonl(documents, labels, stream)


def _doccano_entities(documents, labels, stream, spans_before) -> ExportCounts:
    from annotator.exports.jsonl import write_doccano_entities_jsonl

    return write_doccano_entities_jsonl(documents, labels, stream, first_entity_id=spans_before + 1)


def _conll(documents, labels, stream, spans_before) -> ExportCounts:
    from annotator.exports.conll import write_conll

    return write_conll(documents, labels, stream)


def _w3c(documents, labels, stream, spans_before) -> ExportCounts:
    from annotator.exports.w3c import write_w3c

    return write_w3c(documents, labels, stream)


def _brat(documents, labels, stream, spans_before) -> ExportCounts:
    from annotator.exports.brat import write_brat

    return write_brat(documents, labels, stream)


def _brat_chunks(documents, labels, batch_documents, stem) -> Iterator[bytes]:
    from annotator.exports.brat import brat_chunks

    return (data for data, _ in brat_chunks(documents, labels, batch_documents=batch_documents))


def _spacy_chunks(documents, labels, batch_documents, stem) -> Iterator[bytes]:
    """The zip a download of the spaCy directory is, sent a shard at a time."""
    from annotator.exports.spacy_docbin import spacy_shards

    pieces = Pieces()
    with streaming_zip(pieces) as archive:
        shards = spacy_shards(documents, labels, shard_size=SPACY_SHARD_DOCUMENTS)
        for name, data, _ in shards:
            # Stored: DocBin is compressed already.
            archive.add(f"{stem}/{name}", data, compress=False)
            yield pieces.drain()
        yield from archive.closing_pieces()


def _spacy(documents, labels, directory, seed, ratios) -> ExportCounts:
    from annotator.exports.spacy_docbin import write_spacy

    return write_spacy(documents, labels, directory, shard_size=SPACY_SHARD_DOCUMENTS)


def _huggingface(documents, labels, directory, seed, ratios) -> ExportCounts:
    from annotator.exports.huggingface import write_huggingface

    per_split = write_huggingface(
        documents,
        labels,
        directory,
        seed=seed,
        ratios=ratios,
        rows_per_group=HUGGINGFACE_ROWS_PER_GROUP,
    )
    return reduce(add, per_split.values(), ExportCounts())


@dataclass(frozen=True)
class ExportFormat:
    """One format. Exactly one of ``stream_writer`` / ``directory_writer`` is set.

    ``streams`` formats are written front to back, so a download is sent while
    it is written: the text line formats a batch of documents per call of their
    ``stream_writer``; brat (a zip) and spaCy (its directory, zipped) through
    their ``chunk_writer``, in pieces of a batch of documents or a shard.
    """

    name: str
    title: str
    extension: str
    content_type: str
    streams: bool
    stream_writer: StreamWriter | None = None
    directory_writer: DirectoryWriter | None = None
    chunk_writer: ChunkWriter | None = None

    @property
    def is_text(self) -> bool:
        return self.content_type != ZIP

    def download_name(self, stem: str) -> str:
        return f"{stem}-{self.name}{self.extension}"


JSON_LINES = "application/jsonl; charset=utf-8"
ZIP = "application/zip"

FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in [
        ExportFormat("jsonl", "doccano JSONL", ".jsonl", JSON_LINES, True, _doccano),
        ExportFormat(
            "doccano-entities",
            "doccano JSONL, entities and relations",
            ".jsonl",
            JSON_LINES,
            True,
            _doccano_entities,
        ),
        ExportFormat(
            "conll", "CoNLL, IOB2 tags", ".conll", "text/plain; charset=utf-8", True, _conll
        ),
        ExportFormat("w3c", "W3C Web Annotation (JSON Lines)", ".jsonl", JSON_LINES, True, _w3c),
        ExportFormat(
            "spacy",
            "spaCy DocBin",
            ".zip",
            ZIP,
            True,
            directory_writer=_spacy,
            chunk_writer=_spacy_chunks,
        ),
        ExportFormat(
            "huggingface",
            "Hugging Face datasets (Parquet)",
            ".zip",
            ZIP,
            False,
            directory_writer=_huggingface,
        ),
        ExportFormat("brat", "brat standoff", ".zip", ZIP, True, _brat, chunk_writer=_brat_chunks),
    ]
}


def get_format(name: str) -> ExportFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ExportError(
            f"Unknown export format {name!r}; choose one of {', '.join(FORMATS)}."
        ) from None


def write_export(
    export_format: ExportFormat,
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    path: Path,
    *,
    seed: str | int = 0,
    ratios: SplitRatios | None = None,
) -> ExportCounts:
    """Write the export at ``path``, which must not exist: a directory for spaCy and
    Hugging Face, a file for the others."""
    if export_format.directory_writer is not None:
        if path.exists():
            raise FileExistsError(f"{path} exists")
        return export_format.directory_writer(documents, labels, path, seed, ratios)
    with open(path, "xb") as stream:
        return export_format.stream_writer(documents, labels, stream, 0)


def stream_export(
    export_format: ExportFormat,
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    *,
    batch_documents: int = STREAM_BATCH_DOCUMENTS,
    stem: str = "export",
) -> Iterator[bytes]:
    """Yield a streaming format's bytes a batch of documents at a time.

    ``stem`` names the folder that a zipped directory format's files are in.
    """
    if not export_format.streams:
        raise ValueError(f"{export_format.name} does not stream")
    if export_format.chunk_writer is not None:
        yield from export_format.chunk_writer(documents, labels, batch_documents, stem)
        return
    documents = iter(documents)
    spans_before = 0
    while batch := list(islice(documents, batch_documents)):
        buffer = io.BytesIO()
        spans_before += export_format.stream_writer(batch, labels, buffer, spans_before).spans
        yield buffer.getvalue()


def build_download(
    export_format: ExportFormat,
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    *,
    stem: str,
    seed: str | int = 0,
    ratios: SplitRatios | None = None,
) -> tuple[BinaryIO, ExportCounts]:
    """The download as an anonymous temporary file (gone once closed), at offset 0.

    A directory format is zipped with its files under a folder named ``stem``.
    """
    download = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    try:
        if export_format.directory_writer is None:
            counts = export_format.stream_writer(documents, labels, download, 0)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                directory = Path(scratch) / "export"
                counts = export_format.directory_writer(documents, labels, directory, seed, ratios)
                zip_directory(directory, download, folder=stem)
    except BaseException:
        download.close()
        raise
    download.seek(0)
    return download, counts


def zip_directory(directory: Path, stream: BinaryIO, *, folder: str) -> None:
    """Zip the files of ``directory`` into ``stream``, file by file, never whole in memory.

    Entries are stored, not deflated: DocBin and Parquet are compressed already.
    Fixed timestamps keep the same files giving the same zip.
    """
    with zipfile.ZipFile(stream, "w") as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(
                f"{folder}/{path.relative_to(directory).as_posix()}", date_time=ZIP_DATE_TIME
            )
            info.external_attr = 0o644 << 16
            with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target)


def preview(
    export_format: ExportFormat, documents: Sequence[ExportDocument], labels: Sequence[str]
) -> str:
    """The first records of ``documents`` as the format writes them, as text.

    Line formats show their first ``PREVIEW_RECORDS`` lines (CoNLL: documents).
    Binary formats cannot be shown, so brat shows its ``.ann`` files and spaCy
    and Hugging Face the token-aligned spans they carry. Cut at
    ``PREVIEW_CHARACTERS`` characters.
    """
    documents = list(documents[:PREVIEW_RECORDS])
    if export_format.streams and export_format.is_text:
        text = b"".join(stream_export(export_format, documents, labels)).decode("utf-8")
        if export_format.name != "conll":
            # "\n" only: JSON strings may hold U+2028, which splitlines() would break on.
            text = "".join(f"{line}\n" for line in text.split("\n")[:PREVIEW_RECORDS] if line)
    elif export_format.name == "brat":
        from annotator.exports.brat import ann_text

        text = "".join(
            f"{document.id}.ann\n{ann_text(document, labels)[0]}\n" for document in documents
        )
    else:
        text = "".join(_aligned_spans(document, labels) for document in documents)
    if len(text) > PREVIEW_CHARACTERS:
        text = text[:PREVIEW_CHARACTERS] + "\n[… preview cut here]\n"
    return text


def _aligned_spans(document: ExportDocument, labels: Sequence[str]) -> str:
    tokenized = tokenize_document(document, labels)
    lines = [f"document {document.id}: {document.title}\n"]
    lines += [
        f"{span.start}\t{span.end}\t{span.label}\t{document.text[span.start : span.end]}\n"
        for _, _, span in tokenized.aligned
    ]
    if tokenized.misaligned:
        lines.append(f"({tokenized.misaligned} spans off token boundaries left out)\n")
    return "".join(lines) + "\n"

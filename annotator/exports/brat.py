"""brat standoff: a zip of ``<id>.txt`` / ``<id>.ann`` per document and ``annotation.conf``.

``<id>.txt`` is the text exactly, UTF-8. Each span is a text-bound line
``T<n>\\t<label> <start> <end>\\t<text>`` with code point offsets, half-open, as
brat (a Python server) counts them. ``.ann`` is line-oriented, so a span that
crosses a line break is written as fragments ``start end;start end`` that skip
the line-break characters, and its text field is the fragment texts joined by a
space. A span made only of line breaks has no fragment: it is left out and
counted in ``misaligned_spans``. A span's annotator, when present, is an
``AnnotatorNotes`` comment on it.

``annotation.conf`` lists the labels in order and allows entities to overlap,
since nested and overlapping spans are normal here.
"""

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import BinaryIO

from annotator.exports.records import LINE_BREAKS, ExportCounts, ExportDocument, checked_spans
from annotator.exports.zipstream import Pieces, streaming_zip


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into the non-empty ranges between line breaks."""
    pieces = []
    piece_start = start
    for position in range(start, end + 1):
        if position == end or text[position] in LINE_BREAKS:
            if position > piece_start:
                pieces.append((piece_start, position))
            piece_start = position + 1
    return pieces


def annotation_conf(labels: Sequence[str]) -> str:
    entities = "".join(f"{label}\n" for label in labels)
    return (
        f"[entities]\n{entities}\n"
        "[relations]\n<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>\n\n"
        "[events]\n\n[attributes]\n"
    )


def ann_text(document: ExportDocument, labels: Sequence[str]) -> tuple[str, int]:
    """The ``.ann`` content of a document and the number of spans left out."""
    lines = []
    left_out = 0
    number = 0
    for span in checked_spans(document, labels):
        pieces = fragments(document.text, span.start, span.end)
        if not pieces:
            left_out += 1
            continue
        number += 1
        offsets = ";".join(f"{start} {end}" for start, end in pieces)
        quote = " ".join(document.text[start:end] for start, end in pieces)
        lines.append(f"T{number}\t{span.label} {offsets}\t{quote}\n")
        if span.annotator is not None:
            lines.append(f"#{number}\tAnnotatorNotes T{number}\tannotator: {span.annotator}\n")
    return "".join(lines), left_out


def brat_chunks(
    documents: Iterable[ExportDocument], labels: Sequence[str], *, batch_documents: int
) -> Iterator[tuple[bytes, ExportCounts]]:
    """The brat zip in pieces of ``batch_documents`` documents, each with their counts.

    The pieces joined are the zip, so a download can be sent while it is
    written; its memory does not grow with the number of documents (see
    :mod:`annotator.exports.zipstream`).
    """
    pieces = Pieces()
    documents = iter(documents)
    with streaming_zip(pieces) as archive:
        archive.add("annotation.conf", annotation_conf(labels).encode("utf-8"))
        while batch := list(islice(documents, batch_documents)):
            counts = ExportCounts()
            for document in batch:
                ann, left_out = ann_text(document, labels)
                archive.add(f"{document.id}.txt", document.text.encode("utf-8"))
                archive.add(f"{document.id}.ann", ann.encode("utf-8"))
                counts += ExportCounts(1, len(document.spans), misaligned_spans=left_out)
            yield pieces.drain(), counts
        yield pieces.drain(), ExportCounts()
        for piece in archive.closing_pieces():
            yield piece, ExportCounts()


def write_brat(
    documents: Iterable[ExportDocument], labels: Sequence[str], stream: BinaryIO
) -> ExportCounts:
    """Write the brat zip to ``stream`` (need not be seekable); see the module docstring."""
    counts = ExportCounts()
    for data, batch_counts in brat_chunks(documents, labels, batch_documents=100):
        stream.write(data)
        counts += batch_counts
    return counts

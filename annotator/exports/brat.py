"""brat standoff: a folder per split of ``<id>.txt`` / ``<id>.ann`` per document, and
``annotation.conf``.

``<id>.txt`` is the text exactly, UTF-8. Each span is a text-bound line
``T<n>\\t<label> <start> <end>\\t<text>`` with code point offsets, half-open, as
brat (a Python server) counts them. ``.ann`` is line-oriented, so a span that
crosses a line break is written as fragments ``start end;start end`` that skip
the line-break characters, and its text field is the fragment texts joined by a
space. A span made only of line breaks has no fragment: it is left out and
counted as ``line_breaks_only``. A span's annotator, when present, is an
``AnnotatorNotes`` comment on it.

``annotation.conf`` lists the labels in order and allows entities to overlap,
since nested and overlapping spans are normal here. Each split folder has its
own, so that a folder copied alone into brat's data directory still opens.
"""

from collections.abc import Iterable, Iterator, Sequence

from annotator.exports.records import (
    LINE_BREAKS,
    ExportCounts,
    ExportDocument,
    ExportSpan,
    checked_spans,
)

CONF_NAME = "annotation.conf"


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


def ann_text(document: ExportDocument, labels: Sequence[str]) -> tuple[str, list[ExportSpan]]:
    """The ``.ann`` content of a document and the spans left out."""
    lines = []
    left_out = []
    number = 0
    for span in checked_spans(document, labels):
        pieces = fragments(document.text, span.start, span.end)
        if not pieces:
            left_out.append(span)
            continue
        number += 1
        offsets = ";".join(f"{start} {end}" for start, end in pieces)
        quote = " ".join(document.text[start:end] for start, end in pieces)
        lines.append(f"T{number}\t{span.label} {offsets}\t{quote}\n")
        if span.annotator is not None:
            lines.append(f"#{number}\tAnnotatorNotes T{number}\tannotator: {span.annotator}\n")
    return "".join(lines), left_out


def brat_left_out(document: ExportDocument, labels: Sequence[str]) -> ExportCounts:
    """What brat leaves out of ``document``: spans of line breaks only."""
    left_out = [
        span
        for span in checked_spans(document, labels)
        if not fragments(document.text, span.start, span.end)
    ]
    return ExportCounts.of(1, len(document.spans), line_breaks_only=left_out)


def brat_files(
    documents: Iterable[ExportDocument], labels: Sequence[str]
) -> Iterator[tuple[str, bytes, ExportCounts]]:
    """The files of one split folder, one at a time: ``annotation.conf``, then each
    document's ``.txt`` and ``.ann``, each with the counts it adds."""
    yield CONF_NAME, annotation_conf(labels).encode("utf-8"), ExportCounts()
    for document in documents:
        ann, left_out = ann_text(document, labels)
        yield f"{document.id}.txt", document.text.encode("utf-8"), ExportCounts()
        counts = ExportCounts.of(1, len(document.spans), line_breaks_only=left_out)
        yield f"{document.id}.ann", ann.encode("utf-8"), counts

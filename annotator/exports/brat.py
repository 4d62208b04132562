"""brat standoff: a folder per split of ``<id>.txt`` / ``<id>.ann`` per document, and
``annotation.conf``.

``<id>.txt`` is the text exactly, UTF-8. Each span is a text-bound line
``T<n>\\t<label> <start> <end>\\t<text>`` with code point offsets, half-open, as
brat (a Python server) counts them. ``.ann`` is line-oriented, so a span that
crosses a line break is written as fragments ``start end;start end`` that skip
the line-break characters, and its text field is the fragment texts joined by a
space. A span made only of line breaks has no fragment: it is left out and
counted as ``line_breaks_only``. A span's annotator and origin, when present,
are an ``AnnotatorNotes`` comment on it (``annotator: alice; origin: string-match``:
the origin, where the span came from when its annotator did not mark it by hand).

Each relation (an annotator's, or an accepted gold relation) is a line
``R<n>\t<type> Arg1:T<i> Arg2:T<j>`` from its source span to its target span,
and each attribute value of a span is a line ``A<n>\t<attribute> T<i> <value>``.
A relation with an end left out (a span of line breaks only) is left out too.

``annotation.conf`` lists the labels in order and allows entities to overlap,
since nested and overlapping spans are normal here. Its ``[relations]`` section
declares each relation type written, with the labels seen at each end
(``claimant\tArg1:claim|threat, Arg2:actor``), and ``[attributes]`` each
attribute written, with the labels that carry it and the values seen
(``stance\tArg:claim, Value:oppose|support``), so that brat accepts every line
of the folder's ``.ann`` files. brat reads a type, an attribute or a value as one
token, and the configuration splits on ``|`` and ``,``: in relation types,
attribute names and values, each run of whitespace or of those characters is
written as ``_`` (``strongly oppose`` becomes ``strongly_oppose``), the same in
``.ann`` and ``annotation.conf``. Because it is built from the lines written, it
is the last file of its folder. Each split folder has its own, so that a folder
copied alone into brat's data directory still opens.
"""

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from annotator.exports.records import (
    LINE_BREAKS,
    ExportCounts,
    ExportDocument,
    ExportSpan,
    checked_spans,
    ordered_relations,
)

CONF_NAME = "annotation.conf"
#: What brat cannot read inside a type, attribute or value (see the module docstring).
NOT_IN_A_NAME = re.compile(r"[\s|,]+")


def brat_name(name: str) -> str:
    """``name`` as one brat token: runs of whitespace, ``|`` and ``,`` become ``_``."""
    return NOT_IN_A_NAME.sub("_", name)


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


@dataclass
class Schema:
    """The relation types and attributes a folder's ``.ann`` files use, gathered while
    they are written, for ``annotation.conf``: type -> (source labels, target labels),
    and attribute -> (labels, values)."""

    relations: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    attributes: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)


def _conf_labels(seen: set[str], labels: Sequence[str]) -> str:
    return "|".join(label for label in labels if label in seen)


def annotation_conf(labels: Sequence[str], schema: Schema | None = None) -> str:
    schema = schema or Schema()
    entities = "".join(f"{label}\n" for label in labels)
    relations = "".join(
        f"{name}\tArg1:{_conf_labels(sources, labels)}, Arg2:{_conf_labels(targets, labels)}\n"
        for name, (sources, targets) in sorted(schema.relations.items())
    )
    attributes = "".join(
        f"{name}\tArg:{_conf_labels(carriers, labels)}, Value:{'|'.join(sorted(values))}\n"
        for name, (carriers, values) in sorted(schema.attributes.items())
    )
    return (
        f"[entities]\n{entities}\n"
        f"[relations]\n<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>\n{relations}\n"
        f"[events]\n\n[attributes]\n{attributes}"
    )


def ann_text(
    document: ExportDocument, labels: Sequence[str], schema: Schema | None = None
) -> tuple[str, list[ExportSpan], int]:
    """The ``.ann`` content of a document, the spans left out and the relations
    written; ``schema`` gathers the relation types and attributes used."""
    schema = schema if schema is not None else Schema()
    lines = []
    left_out = []
    number = 0
    attribute_number = 0
    spans = checked_spans(document, labels)
    text_bound: dict[int, int] = {}
    for position, span in enumerate(spans):
        pieces = fragments(document.text, span.start, span.end)
        if not pieces:
            left_out.append(span)
            continue
        number += 1
        text_bound[position] = number
        offsets = ";".join(f"{start} {end}" for start, end in pieces)
        quote = " ".join(document.text[start:end] for start, end in pieces)
        lines.append(f"T{number}\t{span.label} {offsets}\t{quote}\n")
        notes = []
        if span.annotator is not None:
            notes.append(f"annotator: {span.annotator}")
        if span.origin is not None:
            # A note runs to the end of its line: an import's name may hold tabs or breaks.
            notes.append(f"origin: {' '.join(span.origin.split())}")
        if notes:
            lines.append(f"#{number}\tAnnotatorNotes T{number}\t{'; '.join(notes)}\n")
        for name, value in span.attributes:
            name, value = brat_name(name), brat_name(value)
            attribute_number += 1
            lines.append(f"A{attribute_number}\t{name} T{number} {value}\n")
            carriers, values = schema.attributes.setdefault(name, (set(), set()))
            carriers.add(span.label)
            values.add(value)
    relation_number = 0
    for source, target, type_ in ordered_relations(document, spans):
        if source not in text_bound or target not in text_bound:
            continue
        type_ = brat_name(type_)
        relation_number += 1
        lines.append(
            f"R{relation_number}\t{type_} Arg1:T{text_bound[source]} Arg2:T{text_bound[target]}\n"
        )
        sources, targets = schema.relations.setdefault(type_, (set(), set()))
        sources.add(spans[source].label)
        targets.add(spans[target].label)
    return "".join(lines), left_out, relation_number


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
    """The files of one split folder, one at a time: each document's ``.txt`` and
    ``.ann``, each with the counts it adds, then ``annotation.conf``."""
    schema = Schema()
    for document in documents:
        ann, left_out, relations = ann_text(document, labels, schema)
        yield f"{document.id}.txt", document.text.encode("utf-8"), ExportCounts()
        counts = ExportCounts.of(1, len(document.spans), line_breaks_only=left_out)
        counts = ExportCounts(counts.documents, counts.spans, counts.left_out, relations)
        yield f"{document.id}.ann", ann.encode("utf-8"), counts
    yield CONF_NAME, annotation_conf(labels, schema).encode("utf-8"), ExportCounts()

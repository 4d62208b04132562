"""Plain data handed to the export writers, and the helpers they share.

Every offset in this package is a Python code point index into
``ExportDocument.text``, and every range is half-open ``[start, end)``.
"""

import zipfile
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple

from annotator.annotation.tokenization import tokenize_words

#: Labels of the actor layer. Every other label belongs to the content layer;
#: actors nest inside claims, so token formats tag the two layers separately.
ACTOR_LABELS = frozenset({"actor"})

#: The characters ``str.splitlines`` breaks on: line-oriented formats must not
#: carry them inside a field, and CoNLL ends a sentence at them.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

#: Written into every zip entry so that the same input gives the same bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


class ExportSpan(NamedTuple):
    """A labelled range ``[start, end)`` of code points; ``annotator`` is None for gold.

    A named tuple rather than a dataclass: the reader makes one per span of the
    corpus, and a tuple is made in a third of the time.
    """

    start: int
    end: int
    label: str
    annotator: str | None = None


@dataclass(frozen=True)
class ExportDocument:
    id: int
    title: str
    text: str
    source: str
    meta: dict
    spans: tuple[ExportSpan, ...]


@dataclass(frozen=True)
class ExportCounts:
    """What a writer wrote.

    ``spans`` counts the spans of the documents written. ``misaligned_spans``
    counts spans a format could not carry: for token formats, a boundary not on
    a token edge (inside a token, or on whitespace). They are left out, never
    moved. ``overlapping_spans`` counts spans left out of a one-label-per-token
    encoding because they overlap a kept span of the same layer (see
    :func:`resolve_overlaps`). A format carries ``spans - misaligned_spans -
    overlapping_spans`` spans unless its writer says otherwise.
    """

    documents: int = 0
    spans: int = 0
    misaligned_spans: int = 0
    overlapping_spans: int = 0

    def __add__(self, other: "ExportCounts") -> "ExportCounts":
        return ExportCounts(
            self.documents + other.documents,
            self.spans + other.spans,
            self.misaligned_spans + other.misaligned_spans,
            self.overlapping_spans + other.overlapping_spans,
        )


def span_sort_key(span: ExportSpan) -> tuple[int, int, str, str]:
    return (span.start, span.end, span.label, span.annotator or "")


def checked_spans(document: ExportDocument, labels: Sequence[str]) -> list[ExportSpan]:
    """Return the document's spans in a stable order, after checking them.

    Raises ValueError for an empty or out-of-range span or an unknown label:
    writing such a span would produce a file its consumer rejects or misreads.
    """
    known = set(labels)
    for span in document.spans:
        if not 0 <= span.start < span.end <= len(document.text):
            raise ValueError(
                f"document {document.id}: span [{span.start}, {span.end}) "
                f"is empty or outside a text of {len(document.text)} code points"
            )
        if span.label not in known:
            raise ValueError(f"document {document.id}: unknown label {span.label!r}")
    return sorted(document.spans, key=span_sort_key)


def layers(labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split ``labels`` (order kept) into the actor layer and the content layer."""
    actor = [label for label in labels if label in ACTOR_LABELS]
    content = [label for label in labels if label not in ACTOR_LABELS]
    return actor, content


def iob2_names(layer_labels: Sequence[str]) -> list[str]:
    """Tag names of one layer: ``O``, then ``B-x``, ``I-x`` for each label in order."""
    names = ["O"]
    for label in layer_labels:
        names += [f"B-{label}", f"I-{label}"]
    return names


@dataclass
class TokenizedDocument:
    """A document's tokens with its spans mapped onto them.

    ``words``, ``starts`` and ``ends`` are the tokens' text and code point
    ranges (see ``annotator.annotation.tokenization.tokenize_words``); ``spans`` are the checked
    spans in stable order (see :func:`checked_spans`); ``aligned`` holds
    ``(first_token, end_token, span)`` with ``end_token`` exclusive, for each
    span whose start is a token start and whose end is a token end; the others
    are counted in ``misaligned``.
    """

    document: ExportDocument
    words: list[str]
    starts: list[int]
    ends: list[int]
    spans: list[ExportSpan]
    aligned: list[tuple[int, int, ExportSpan]] = field(default_factory=list)
    misaligned: int = 0


def tokenize_document(document: ExportDocument, labels: Sequence[str]) -> TokenizedDocument:
    words, starts, ends = tokenize_words(document.text)
    result = TokenizedDocument(document, words, starts, ends, checked_spans(document, labels))
    # Tokens are sorted and disjoint, so a binary search per span finds the
    # token starting at its start and the one ending at its end; cheaper than
    # indexing every token of a long document for its ten spans.
    for span in result.spans:
        first = bisect_left(starts, span.start)
        last = bisect_left(ends, span.end)
        if (
            first < len(starts)
            and starts[first] == span.start
            and last < len(ends)
            and ends[last] == span.end
        ):
            result.aligned.append((first, last + 1, span))
        else:
            result.misaligned += 1
    return result


def resolve_overlaps(
    ranges: Iterable[tuple[int, int, ExportSpan]],
) -> tuple[list[tuple[int, int, ExportSpan]], int]:
    """Keep a non-overlapping subset of token ranges; return it and how many were dropped.

    Longer ranges win, then earlier ones, then the span sort order, so the
    choice does not depend on input order.
    """
    by_first = sorted(ranges, key=itemgetter(0))
    # Most documents have no overlap in a layer: then every range is kept.
    if all(before[1] <= after[0] for before, after in pairwise(by_first)):
        return by_first, 0
    ordered = sorted(by_first, key=lambda r: (r[0] - r[1], r[0], span_sort_key(r[2])))
    taken = [False] * (max((end for _, end, _ in ordered), default=0))
    kept: list[tuple[int, int, ExportSpan]] = []
    for first, end, span in ordered:
        if any(taken[first:end]):
            continue
        taken[first:end] = [True] * (end - first)
        kept.append((first, end, span))
    kept.sort(key=lambda r: r[0])
    return kept, len(ordered) - len(kept)


def iob2_tags(
    token_count: int, ranges: Iterable[tuple[int, int, ExportSpan]], layer_labels: Sequence[str]
) -> tuple[list[str], int]:
    """IOB2 tags of one layer for ``token_count`` tokens, and the number of overlaps dropped."""
    wanted = set(layer_labels)
    kept, dropped = resolve_overlaps(r for r in ranges if r[2].label in wanted)
    tags = ["O"] * token_count
    for first, end, span in kept:
        tags[first] = f"B-{span.label}"
        for index in range(first + 1, end):
            tags[index] = f"I-{span.label}"
    return tags, dropped


def write_zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Add ``data`` as ``name`` with fixed metadata, so archives are byte-identical."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)

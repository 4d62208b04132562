"""Plain data handed to the export writers, and the helpers they share.

Every offset in this package is a Python code point index into
``ExportDocument.text``, and every range is half-open ``[start, end)``.
"""

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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
    #: The span's attribute values as ``(name, value)`` pairs sorted by name, such as
    #: ``(("stance", "oppose"),)``; only annotator sources have any so far.
    attributes: tuple[tuple[str, str], ...] = ()
    #: Where an annotator's span came from when they did not mark it by hand: the
    #: suggestion source they accepted or the import that wrote it (``Span.origin``).
    origin: str | None = None


class ExportRelation(NamedTuple):
    """A typed link between two spans of a document: ``source`` and ``target`` are
    indexes into its ``ExportDocument.spans``."""

    source: int
    target: int
    type: str


@dataclass(frozen=True)
class ExportDocument:
    id: int
    title: str
    text: str
    source: str
    meta: dict
    spans: tuple[ExportSpan, ...]
    relations: tuple[ExportRelation, ...] = ()


#: Why a format left a span out (keys of ``ExportCounts.left_out``), in words for the user.
MISALIGNED = "misaligned"
OVERLAPPING = "overlapping"
LINE_BREAKS_ONLY = "line_breaks_only"
LEFT_OUT_REASONS = {
    MISALIGNED: "a boundary is not on a token edge (inside a word or on whitespace)",
    OVERLAPPING: "it overlaps a kept span and the encoding holds one label per token",
    LINE_BREAKS_ONLY: "it holds only line breaks, which a .ann line cannot carry",
}


@dataclass(frozen=True)
class ExportCounts:
    """What a writer wrote, and what it left out.

    ``spans`` counts the spans of the documents written. ``left_out`` counts the
    spans a format could not carry, by reason (a key of :data:`LEFT_OUT_REASONS`)
    and label: for token formats, a boundary not on a token edge
    (``misaligned``), or a span overlapping a kept span where one label per
    token is all the encoding holds (``overlapping``, see :func:`resolve_overlaps`);
    for brat, a span of line breaks only. They are left out, never moved; where
    a format keeps them elsewhere (spaCy's ``doc.spans``, the Hugging Face
    ``spans`` column) its module says so.
    """

    documents: int = 0
    spans: int = 0
    left_out: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: Relations written, by the formats that carry them (doccano entities).
    relations: int = 0

    @classmethod
    def of(
        cls,
        documents: int,
        spans: int,
        **left_out: Sequence[ExportSpan],
    ) -> "ExportCounts":
        """Counts of ``documents`` and ``spans``, with the spans left out per reason."""
        if not any(left_out.values()):
            return cls(documents, spans)
        counted = {
            reason: dict(Counter(span.label for span in left)) for reason, left in left_out.items()
        }
        return cls(
            documents, spans, {reason: labels for reason, labels in counted.items() if labels}
        )

    def __add__(self, other: "ExportCounts") -> "ExportCounts":
        left_out = {reason: dict(labels) for reason, labels in self.left_out.items()}
        for reason, labels in other.left_out.items():
            mine = left_out.setdefault(reason, {})
            for label, number in labels.items():
                mine[label] = mine.get(label, 0) + number
        return ExportCounts(
            self.documents + other.documents,
            self.spans + other.spans,
            left_out,
            self.relations + other.relations,
        )

    def left_out_spans(self, reason: str | None = None) -> int:
        """Spans left out for ``reason``, or for any reason."""
        reasons = self.left_out.values() if reason is None else [self.left_out.get(reason, {})]
        return sum(sum(labels.values()) for labels in reasons)

    @property
    def misaligned_spans(self) -> int:
        return self.left_out_spans(MISALIGNED)

    @property
    def overlapping_spans(self) -> int:
        return self.left_out_spans(OVERLAPPING)

    def as_dict(self, labels: Sequence[str]) -> dict:
        """``documents``, ``spans`` and ``left_out`` as reason -> label -> count, every
        label listed (in ``labels`` order) under every reason that left a span out."""
        return {
            "documents": self.documents,
            "spans": self.spans,
            "left_out": {
                reason: {label: self.left_out[reason].get(label, 0) for label in labels}
                for reason in LEFT_OUT_REASONS
                if reason in self.left_out
            },
        }


def span_sort_key(span: ExportSpan) -> tuple[int, int, str, str]:
    return (span.start, span.end, span.label, span.annotator or "")


def ordered_relations(
    document: ExportDocument, spans: Sequence[ExportSpan]
) -> list[tuple[int, int, str]]:
    """The document's relations as ``(source, target, type)`` with ``source`` and
    ``target`` indexes into ``spans``, the document's spans in the order a writer
    writes them (:func:`checked_spans`).

    Relations name spans by their index in ``document.spans``; equal spans are
    matched to equal positions in order, so each index gets a position of its own.
    """
    if not document.relations:
        return []
    positions: dict[ExportSpan, list[int]] = {}
    for position, span in enumerate(spans):
        positions.setdefault(span, []).append(position)
    position_of = [positions[span].pop(0) for span in document.spans]
    return [
        (position_of[relation.source], position_of[relation.target], relation.type)
        for relation in document.relations
    ]


def carries_relations(document: ExportDocument, spans: Sequence[ExportSpan]) -> bool:
    """Whether the document has relations or attribute values to write: the writers that
    write them only for annotators' spans write them for gold that has them too."""
    return bool(document.relations) or any(span.attributes for span in spans)


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
    are in ``misaligned``.
    """

    document: ExportDocument
    words: list[str]
    starts: list[int]
    ends: list[int]
    spans: list[ExportSpan]
    aligned: list[tuple[int, int, ExportSpan]] = field(default_factory=list)
    misaligned: list[ExportSpan] = field(default_factory=list)


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
            result.misaligned.append(span)
    return result


def overlap_priority(span: ExportSpan) -> int:
    """Actors first: they nest inside claims, threats and proposals."""
    return 0 if span.label in ACTOR_LABELS else 1


def resolve_overlaps(
    ranges: Iterable[tuple[int, int, ExportSpan]],
) -> tuple[list[tuple[int, int, ExportSpan]], list[ExportSpan]]:
    """Keep the largest subset of token ranges that do not overlap; return it and the
    spans left out.

    The rule (interval scheduling, which keeps as many ranges as any choice
    can): take the range that ends first, then the next that starts at or after
    its end, and so on. Between ranges ending at the same token: an actor
    first, then the shorter, then by the span sort order, so the choice does
    not depend on input order. Ranges are ``(first, end)`` token indices, end
    exclusive.
    """
    by_first = sorted(ranges, key=itemgetter(0))
    # Most documents have no overlap in a layer: then every range is kept.
    if all(before[1] <= after[0] for before, after in pairwise(by_first)):
        return by_first, []
    ordered = sorted(
        by_first,
        key=lambda r: (r[1], overlap_priority(r[2]), -r[0], span_sort_key(r[2])),
    )
    kept: list[tuple[int, int, ExportSpan]] = []
    dropped: list[ExportSpan] = []
    free_from = 0
    for first, end, span in ordered:
        if first >= free_from:
            kept.append((first, end, span))
            free_from = end
        else:
            dropped.append(span)
    kept.sort(key=itemgetter(0))
    return kept, dropped


def iob2_tags(
    token_count: int, ranges: Iterable[tuple[int, int, ExportSpan]], layer_labels: Sequence[str]
) -> tuple[list[str], list[ExportSpan]]:
    """IOB2 tags of one layer for ``token_count`` tokens, and the spans left out as overlapping."""
    wanted = set(layer_labels)
    kept, dropped = resolve_overlaps(r for r in ranges if r[2].label in wanted)
    tags = ["O"] * token_count
    for first, end, span in kept:
        tags[first] = f"B-{span.label}"
        for index in range(first + 1, end):
            tags[index] = f"I-{span.label}"
    return tags, dropped


def token_layer_counts(document: "ExportDocument", labels: Sequence[str]) -> "ExportCounts":
    """What a format with one IOB2 tag column per layer (CoNLL, Hugging Face) leaves out
    of ``document``: spans off token edges, and per layer the spans :func:`resolve_overlaps`
    drops."""
    tokenized = tokenize_document(document, labels)
    overlapping: list[ExportSpan] = []
    for layer in layers(labels):
        wanted = set(layer)
        overlapping += resolve_overlaps(r for r in tokenized.aligned if r[2].label in wanted)[1]
    return ExportCounts.of(
        1, len(document.spans), misaligned=tokenized.misaligned, overlapping=overlapping
    )

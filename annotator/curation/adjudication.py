"""Aligning annotators' spans and proposing gold spans: pure functions, no ORM.

Spans are :class:`SourceSpan` tuples; offsets are code points, ``[start, end)``.

* Pre-merge: a ``(label, start, end)`` on which at least ``minimum`` of the
  document's annotators agree exactly becomes a proposal, with the spans it came
  from. Exact agreement only: spans that merely overlap are disagreements for the
  curator, because picking a boundary between them is a judgement.
* Alignment: the spans of all annotators and the gold spans are cut into
  *regions*, maximal runs of text where spans (of any label) overlap one
  another; a region where the annotators' sets of ``(label, start, end)`` are
  not all the same is marked as a disagreement, and so is every span within it
  that not every annotator has.
* Relations and attribute values: once the annotators' spans are mapped to gold
  spans, a relation whose type and both (mapped) ends at least ``minimum``
  annotators agree on becomes a proposal, and so does an attribute value at least
  ``minimum`` annotators gave the spans mapped to one gold span, unless another
  value reaches ``minimum`` too (a tie is the curator's to break).
"""

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class SourceSpan(NamedTuple):
    id: int
    annotator: int
    label: int
    start: int
    end: int

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.label, self.start, self.end)


class Proposal(NamedTuple):
    label: int
    start: int
    end: int
    sources: tuple[int, ...]
    annotators: tuple[int, ...]


def premerge(
    spans: Iterable[SourceSpan], annotators: Sequence[int], minimum: int
) -> list[Proposal]:
    """Every ``(label, start, end)`` marked by at least ``minimum`` of ``annotators``."""
    if not 1 <= minimum <= max(len(annotators), 1):
        raise ValueError(f"minimum must be between 1 and {len(annotators)}, not {minimum}")
    allowed = set(annotators)
    groups: dict[tuple[int, int, int], list[SourceSpan]] = {}
    for span in spans:
        if span.annotator in allowed:
            groups.setdefault(span.key, []).append(span)
    proposals = []
    for (label, start, end), group in sorted(groups.items(), key=lambda item: item[0][1:]):
        who = tuple(sorted({span.annotator for span in group}))
        if len(who) >= minimum:
            sources = tuple(sorted(span.id for span in group))
            proposals.append(Proposal(label, start, end, sources, who))
    return proposals


class SourceRelation(NamedTuple):
    id: int
    annotator: int
    type: int
    source: int
    target: int


class RelationProposal(NamedTuple):
    type: int
    source: int
    target: int
    sources: tuple[int, ...]
    annotators: tuple[int, ...]


def premerge_relations(
    relations: Iterable[SourceRelation],
    gold_of: Mapping[int, int],
    annotators: Sequence[int],
    minimum: int,
    undirected: Container[int] = (),
) -> list[RelationProposal]:
    """Every ``(type, gold source, gold target)`` at least ``minimum`` of ``annotators`` drew.

    ``gold_of`` maps an annotator's span id to the gold span it was merged into; a
    relation with an end that maps to none is left out. For a type in ``undirected``
    the two ends are put in id order, so ``A - B`` and ``B - A`` agree.
    """
    allowed = set(annotators)
    groups: dict[tuple[int, int, int], list[SourceRelation]] = {}
    for relation in relations:
        source, target = gold_of.get(relation.source), gold_of.get(relation.target)
        if relation.annotator not in allowed or source is None or target is None:
            continue
        if source == target:
            continue
        if relation.type in undirected:
            source, target = sorted((source, target))
        groups.setdefault((relation.type, source, target), []).append(relation)
    proposals = []
    for (type_id, source, target), group in sorted(groups.items()):
        who = tuple(sorted({relation.annotator for relation in group}))
        if len(who) >= minimum:
            sources = tuple(sorted(relation.id for relation in group))
            proposals.append(RelationProposal(type_id, source, target, sources, who))
    return proposals


class SourceValue(NamedTuple):
    id: int
    annotator: int
    span: int
    attribute: int
    value: str


class ValueProposal(NamedTuple):
    gold_span: int
    attribute: int
    value: str
    sources: tuple[int, ...]
    annotators: tuple[int, ...]


def premerge_values(
    values: Iterable[SourceValue],
    gold_of: Mapping[int, int],
    annotators: Sequence[int],
    minimum: int,
) -> list[ValueProposal]:
    """For each gold span and attribute, the one value at least ``minimum`` annotators gave.

    When two values both reach ``minimum`` (possible when it is half of the
    annotators or fewer), neither is proposed.
    """
    allowed = set(annotators)
    groups: dict[tuple[int, int], dict[str, list[SourceValue]]] = {}
    for row in values:
        gold_span = gold_of.get(row.span)
        if row.annotator not in allowed or gold_span is None:
            continue
        groups.setdefault((gold_span, row.attribute), {}).setdefault(row.value, []).append(row)
    proposals = []
    for (gold_span, attribute), by_value in sorted(groups.items()):
        reached = [
            (value, group)
            for value, group in sorted(by_value.items())
            if len({row.annotator for row in group}) >= minimum
        ]
        if len(reached) == 1:
            value, group = reached[0]
            proposals.append(
                ValueProposal(
                    gold_span,
                    attribute,
                    value,
                    tuple(sorted(row.id for row in group)),
                    tuple(sorted({row.annotator for row in group})),
                )
            )
    return proposals


@dataclass
class Region:
    """A stretch of text whose spans overlap one another, with each annotator's share."""

    start: int
    end: int
    by_annotator: dict[int, list[SourceSpan]] = field(default_factory=dict)
    gold: list = field(default_factory=list)
    differs: bool = False


def align(
    spans: Iterable[SourceSpan], annotators: Sequence[int], gold: Iterable = ()
) -> tuple[list[Region], set[int]]:
    """Group spans into overlapping regions; return them and the ids of spans not everyone has.

    ``gold`` items need ``start`` and ``end``; they join regions but do not decide
    agreement.
    """
    items = [(span.start, span.end, span) for span in spans] + [
        (item.start, item.end, item) for item in gold
    ]
    items.sort(key=lambda item: (item[0], -item[1]))
    regions: list[Region] = []
    for start, end, item in items:
        if not regions or start >= regions[-1].end:
            regions.append(Region(start, end, {annotator: [] for annotator in annotators}))
        region = regions[-1]
        region.end = max(region.end, end)
        if isinstance(item, SourceSpan):
            region.by_annotator.setdefault(item.annotator, []).append(item)
        else:
            region.gold.append(item)
    disputed: set[int] = set()
    for region in regions:
        keys = {
            annotator: {span.key for span in region.by_annotator.get(annotator, [])}
            for annotator in annotators
        }
        everyone = set.intersection(*keys.values()) if keys else set()
        for annotator_spans in region.by_annotator.values():
            for span in annotator_spans:
                if span.key not in everyone:
                    disputed.add(span.id)
                    region.differs = True
    return regions, disputed

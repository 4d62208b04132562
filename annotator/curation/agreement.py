"""Inter-annotator agreement over labelled spans of a document.

Pure functions over plain data: no Django, no ORM. Spans are
``(annotator, label, start, end)`` tuples (or :class:`Span`) with half-open
``[start, end)`` code-point offsets into the document text.

Two steps, so that a project of many documents never recomputes from spans:

* :func:`document_statistics` turns one document's spans into *sufficient
  statistics*: a JSON-serialisable dict of additive counts.
* :func:`merge_statistics` adds such dicts up (per project, per subset, ...),
  and :func:`summarize` turns any statistics dict, one document's or a merged
  one, into the final figures.

Every figure in a summary is a dict ``{"value": float | None, "reason": str |
None}``; ``value`` is None exactly when the figure is undefined and ``reason``
then says why. NaN never appears.

Rules chosen where the metrics leave room
----------------------------------------
* Duplicate spans (same annotator, label, start, end) count once.
* Overlap span matching: between two annotators and within one label, any two
  spans whose ranges intersect may match. Candidate pairs are taken greedily,
  largest overlap first, then smallest boundary distance
  (``|start1 - start2| + |end1 - end2|``), then by the two ranges themselves;
  each span matches at most once. The key is symmetric in the two annotators, so
  swapping them gives the same matching, and identical spans always match each
  other.
* Tokens are those of :mod:`annotator.annotation.tokenization` (grapheme clusters
  and UAX #29 word boundaries), the tokens of the token-based exports; the rule's
  name is stored with the statistics, which are recomputed when it changes.
* Token tagging: a span covers a token when they share at least one code point.
  Each layer (by default ``actor`` and ``content``) is tagged separately; a token
  covered by several spans of one annotator in the same layer takes the label of
  the span that starts first, then the longest one, then the label first in
  alphabetical order. Uncovered tokens are ``"O"``.
* Token metrics of a pair (Cohen) use the tokens of the documents both
  annotators annotated; Fleiss' kappa and Krippendorff's alpha use every token
  annotated by two or more annotators. Fleiss' kappa with a varying number of
  annotators per document averages each token's own agreement (Fleiss' formula
  with ``n`` taken per token); with a constant number it is Fleiss' kappa.
* Unitized alpha (Krippendorff's alpha-U) follows Krippendorff (1995, 2004) as
  implemented by DKPro Statistics (``KrippendorffAlphaUnitizingAgreement``):
  each label is a binary unitization (units of that label versus gaps), the
  continuum is the whole text in code points, and the overall value is
  ``1 - sum(D_o) / sum(D_e)`` over labels. Same-label spans of one annotator
  that overlap are merged into their union, since alpha-U requires one
  annotator's units of a category not to overlap.
* Project-level alpha-U treats the project as one continuum with the documents
  laid end to end, where a document's edges close the gaps on either side (a
  unit never crosses documents, so neither does a gap). Documents may have
  different numbers of annotators ``R_d``: as in Krippendorff's alpha with
  varying coders per unit, each document's observed disagreement is weighted by
  ``1 / (R_d - 1)`` and the pairable length is ``N = sum(R_d * L_d)``, which for
  a constant ``R`` is exactly the single-continuum formula. Documents with fewer
  than two annotators contribute nothing. Stored per document: the length, the
  pairable length, the weighted observed disagreement, and histograms of unit
  and gap lengths per label, all additive.
* Relation F1, per relation type and annotator pair: a relation of one annotator
  matches one of the other when its two ends match theirs under the span rule of
  the mode (exact: same label and range; overlap: the one-to-one overlap matching
  above) and the type is the same. An undirected type's ``A - B`` and ``B - A``
  are one relation (counted once if an annotator drew both). The "overall" F1
  pools the counts of all pairs, as span F1 does.
* Attribute agreement is measured on spans matched exactly (same label and
  range), whose attribute values are compared. A span without a value for an
  attribute is a missing datum, as Krippendorff's alpha treats one: it is left
  out, so a pair (Cohen) counts only the spans both gave a value, and alpha
  counts the values of every span two or more annotators marked alike and gave
  a value. Leaving a value out is therefore never counted as a disagreement;
  alpha's figure says how many values it rests on (``values``).
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ..annotation.tokenization import TOKENIZATION_RULE, tokenize

LABELS: tuple[str, ...] = ("claim", "threat", "proposal", "actor")
DEFAULT_LAYERS: dict[str, tuple[str, ...]] = {
    "actor": ("actor",),
    "content": ("claim", "threat", "proposal"),
}
OUTSIDE = "O"
#: 2 added relations and attributes; rows of an older format are recomputed.
STATISTICS_FORMAT = 2
#: The ``tokenization`` of statistics computed over tokens the caller gave.
GIVEN_TOKENS = "given"

Statistics = dict[str, Any]
Figure = dict[str, Any]


class Span(NamedTuple):
    """One annotator's labelled range ``[start, end)`` of the document text."""

    annotator: str
    label: str
    start: int
    end: int


# --------------------------------------------------------------------------- figures


def _figure(value: float | None, reason: str | None = None, **counts: Any) -> Figure:
    return {"value": value, "reason": reason, **counts}


def _undefined(reason: str, **counts: Any) -> Figure:
    return _figure(None, reason, **counts)


# --------------------------------------------------------------------------- input


def _normalise_spans(
    spans: Iterable[Sequence[Any]],
    text_length: int,
    annotators: Iterable[str] | None,
    labels: Sequence[str],
) -> tuple[list[str], list[Span]]:
    cleaned = {Span(*span) for span in spans}
    for span in cleaned:
        if span.label not in labels:
            raise ValueError(f"unknown label {span.label!r} in {span}")
        if not 0 <= span.start < span.end <= text_length:
            raise ValueError(f"span {span} is empty or outside the text")
    if annotators is None:
        names = sorted({span.annotator for span in cleaned})
    else:
        names = sorted(set(annotators))
        strangers = {span.annotator for span in cleaned} - set(names)
        if strangers:
            raise ValueError(f"spans by annotators not listed: {sorted(strangers)}")
    return names, sorted(cleaned)


def _by_annotator_label(spans: list[Span]) -> dict[tuple[str, str], list[tuple[int, int]]]:
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for span in spans:
        ranges.setdefault((span.annotator, span.label), []).append((span.start, span.end))
    return ranges


# --------------------------------------------------------------------------- span F1


def _overlap_alignment(
    first: list[tuple[int, int]], second: list[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Pair ranges of two annotators one to one under the overlap rule (module docstring)."""
    candidates = []
    for a in first:
        for b in second:
            overlap = min(a[1], b[1]) - max(a[0], b[0])
            if overlap > 0:
                distance = abs(a[0] - b[0]) + abs(a[1] - b[1])
                candidates.append((-overlap, distance, min(a, b), max(a, b), a, b))
    candidates.sort()
    alignment: dict[tuple[int, int], tuple[int, int]] = {}
    used_second: set[tuple[int, int]] = set()
    for *_, a, b in candidates:
        if a not in alignment and b not in used_second:
            alignment[a] = b
            used_second.add(b)
    return alignment


def _span_counts(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> dict:
    exact = len(set(first) & set(second))
    overlap = len(_overlap_alignment(first, second))
    return {
        "exact": {"tp": exact, "fp": len(second) - exact, "fn": len(first) - exact},
        "overlap": {"tp": overlap, "fp": len(second) - overlap, "fn": len(first) - overlap},
    }


def _span_f1_statistics(
    names: list[str], ranges: dict[tuple[str, str], list[tuple[int, int]]], labels: Sequence[str]
) -> dict:
    # Counts take the first annotator of the (sorted) pair as the reference;
    # F1 itself is symmetric, so the choice only names fp versus fn.
    return {
        first: {
            second: {
                label: _span_counts(ranges.get((first, label), []), ranges.get((second, label), []))
                for label in labels
            }
            for second in names[i + 1 :]
        }
        for i, first in enumerate(names)
    }


# --------------------------------------------------------------------------- tokens


def _tag_tokens(
    tokens: list[tuple[int, int]], spans: list[Span], layer_labels: Sequence[str]
) -> list[str]:
    tags = [OUTSIDE] * len(tokens)
    token_ends = [end for _, end in tokens]
    token_starts = [start for start, _ in tokens]
    in_layer = [span for span in spans if span.label in layer_labels]
    # Painting the lowest-priority span first lets the winner (earliest start,
    # then longest, then label) overwrite everything it shares a token with.
    in_layer.sort(key=lambda span: (span.start, -span.end, span.label), reverse=True)
    for span in in_layer:
        first = bisect.bisect_right(token_ends, span.start)
        last = bisect.bisect_left(token_starts, span.end)
        for index in range(first, last):
            tags[index] = span.label
    return tags


def tag_tokens(
    tokens: list[tuple[int, int]], spans: Iterable[Sequence[Any]], layer_labels: Sequence[str]
) -> list[str]:
    """Return one annotator's label per token in one layer (``"O"`` if uncovered).

    ``spans`` are that annotator's spans; labels outside ``layer_labels`` are
    ignored. See the module docstring for the rule between nested spans.
    """
    return _tag_tokens(tokens, [Span(*span) for span in spans], layer_labels)


def _token_statistics(
    names: list[str],
    tokens: list[tuple[int, int]],
    spans: list[Span],
    layer_labels: Sequence[str],
) -> dict:
    tags = {
        name: _tag_tokens(tokens, [s for s in spans if s.annotator == name], layer_labels)
        for name in names
    }
    cohen: dict = {}
    for i, first in enumerate(names):
        cohen[first] = {}
        for second in names[i + 1 :]:
            confusion: dict[str, dict[str, int]] = {}
            for (a, b), count in Counter(zip(tags[first], tags[second], strict=True)).items():
                confusion.setdefault(a, {})[b] = count
            cohen[first][second] = confusion

    raters = len(names)
    fleiss: dict = {"items": 0, "agreement": 0.0, "assignments": {}}
    coincidence: dict[str, dict[str, float]] = {}
    if raters >= 2:
        assignments: Counter[str] = Counter()
        agreement = 0
        pair_counts: Counter[tuple[str, str]] = Counter()
        for column in zip(*(tags[name] for name in names), strict=True):
            counts = Counter(column)
            assignments.update(counts)
            agreement += sum(n * (n - 1) for n in counts.values())
            for c, n_c in counts.items():
                for k, n_k in counts.items():
                    pair_counts[c, k] += n_c * (n_c - 1) if c == k else n_c * n_k
        fleiss = {
            "items": len(tokens),
            "agreement": agreement / (raters * (raters - 1)),
            "assignments": dict(assignments),
        }
        for (c, k), count in pair_counts.items():
            if count:
                coincidence.setdefault(c, {})[k] = count / (raters - 1)
    return {"cohen": cohen, "fleiss": fleiss, "alpha": coincidence}


# --------------------------------------------------------------------------- alpha-U


def _merged_units(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    units: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if units and start < units[-1][1]:
            units[-1] = (units[-1][0], max(units[-1][1], end))
        else:
            units.append((start, end))
    return units


def _gaps(units: list[tuple[int, int]], length: int) -> list[int]:
    edges = [0, *itertools.chain.from_iterable(units), length]
    return [edges[i + 1] - edges[i] for i in range(0, len(edges), 2) if edges[i + 1] > edges[i]]


def _pair_distance(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> int:
    """Sum over one unordered pair of annotators of Krippendorff's squared distances."""
    total = 0
    second_starts = [start for start, _ in second]
    touched_second: set[int] = set()
    for start, end in first:
        # Units of one annotator are disjoint and sorted, so the candidates that
        # may intersect [start, end) are contiguous.
        index = max(bisect.bisect_right(second_starts, start) - 1, 0)
        matched = False
        while index < len(second) and second[index][0] < end:
            other_start, other_end = second[index]
            if other_end > start:
                matched = True
                touched_second.add(index)
                total += (start - other_start) ** 2 + (end - other_end) ** 2
            index += 1
        if not matched:
            total += (end - start) ** 2
    total += sum(
        (end - start) ** 2 for i, (start, end) in enumerate(second) if i not in touched_second
    )
    return total


def unitized_statistics(
    length: int,
    spans: Iterable[Sequence[Any]],
    annotators: Iterable[str] | None = None,
    labels: Sequence[str] = LABELS,
) -> dict:
    """Sufficient statistics for alpha-U over a continuum ``[0, length)``.

    This is the ``"unitized"`` part of :func:`document_statistics`, usable
    without a text. ``annotators`` lists everyone who unitized the continuum,
    including those who marked nothing.
    """
    names, cleaned = _normalise_spans(spans, length, annotators, labels)
    raters = len(names)
    if raters < 2 or length == 0:
        return {"length": 0, "pairable_length": 0, "labels": {}}
    ranges = _by_annotator_label(cleaned)
    per_label = {}
    for label in labels:
        units = {name: _merged_units(ranges.get((name, label), [])) for name in names}
        ordered_distance = 2 * sum(
            _pair_distance(units[first], units[second])
            for first, second in itertools.combinations(names, 2)
        )
        unit_lengths = Counter(end - start for name in names for start, end in units[name])
        gap_lengths = Counter(g for name in names for g in _gaps(units[name], length))
        per_label[label] = {
            "observed": ordered_distance / (raters - 1),
            "units": {str(n): count for n, count in unit_lengths.items()},
            "gaps": {str(n): count for n, count in gap_lengths.items()},
        }
    return {"length": length, "pairable_length": raters * length, "labels": per_label}


def _expected_numerator(units: dict[str, int], gaps: dict[str, int]) -> int:
    """Krippendorff's sum over units of within-unit and unit-in-gap placements."""
    unit_count = sum(units.values())
    gap_items = sorted((int(g), count) for g, count in gaps.items())
    gap_lengths = [g for g, _ in gap_items]
    # Suffix sums give, for any unit length l, sum over gaps g >= l of
    # (g - l + 1) = sum(g + 1) - l * count, in one bisect per distinct length.
    suffix_count = [0] * (len(gap_items) + 1)
    suffix_weight = [0] * (len(gap_items) + 1)
    for i in range(len(gap_items) - 1, -1, -1):
        g, count = gap_items[i]
        suffix_count[i] = suffix_count[i + 1] + count
        suffix_weight[i] = suffix_weight[i + 1] + count * (g + 1)
    total = 0
    for key, count in units.items():
        n = int(key)
        within = (unit_count - 1) * n * (n - 1) * (2 * n - 1) // 3
        first = bisect.bisect_left(gap_lengths, n)
        in_gaps = n * n * (suffix_weight[first] - n * suffix_count[first])
        total += count * (within + in_gaps)
    return total


def _unitized_summary(unitized: dict, labels: Sequence[str]) -> dict:
    length = unitized["length"]
    pairable = unitized["pairable_length"]
    if length == 0:
        reason = "fewer than two annotators or empty text"
        return {
            "overall": _undefined(reason),
            "labels": {label: _undefined(reason) for label in labels},
        }
    per_label = {}
    observed_total = expected_total = 0.0
    for label in labels:
        stats = unitized["labels"].get(label, {"observed": 0.0, "units": {}, "gaps": {}})
        numerator = _expected_numerator(stats["units"], stats["gaps"])
        squared = sum(int(n) * (int(n) - 1) * c for n, c in stats["units"].items())
        denominator = length * (pairable * (pairable - 1) - squared)
        observed = stats["observed"] / (length * pairable)
        expected = 2 * numerator / denominator if numerator else 0.0
        observed_total += observed
        expected_total += expected
        counts = {"observed_disagreement": observed, "expected_disagreement": expected}
        if expected == 0:
            per_label[label] = _undefined(f"no units labelled {label}", **counts)
        else:
            per_label[label] = _figure(1 - observed / expected, **counts)
    if expected_total == 0:
        overall = _undefined("no units of any label")
    else:
        overall = _figure(1 - observed_total / expected_total)
    return {"overall": overall, "labels": per_label}


# --------------------------------------------------------------------------- relations


class Relation(NamedTuple):
    """One annotator's typed link between two of their spans, each ``(label, start, end)``."""

    annotator: str
    type: str
    source: tuple[str, int, int]
    target: tuple[str, int, int]


class AttributeValue(NamedTuple):
    """One annotator's value of one attribute on their span ``(label, start, end)``."""

    annotator: str
    label: str
    start: int
    end: int
    attribute: str
    value: str


SpanKey = tuple[str, int, int]


def _span_keys(spans: list[Span]) -> dict[str, set[SpanKey]]:
    keys: dict[str, set[SpanKey]] = {}
    for span in spans:
        keys.setdefault(span.annotator, set()).add((span.label, span.start, span.end))
    return keys


def _normalise_relations(
    relations: Iterable[Sequence[Any]],
    keys: dict[str, set[SpanKey]],
    relation_types: Mapping[str, bool],
) -> dict[tuple[str, str], set[tuple[SpanKey, SpanKey]]]:
    """Each annotator's relations per type as a set of ``(source, target)`` span keys;
    an undirected type's ends are put in order, so ``A - B`` and ``B - A`` are one relation."""
    by_annotator_type: dict[tuple[str, str], set[tuple[SpanKey, SpanKey]]] = {}
    for relation in relations:
        annotator, type_name, source, target = relation
        source, target = tuple(source), tuple(target)
        if type_name not in relation_types:
            raise ValueError(f"unknown relation type {type_name!r} in {relation}")
        own = keys.get(annotator, set())
        if source not in own or target not in own:
            raise ValueError(f"relation {relation} joins spans its annotator does not have")
        ends = (source, target) if relation_types[type_name] else tuple(sorted((source, target)))
        by_annotator_type.setdefault((annotator, type_name), set()).add(ends)
    return by_annotator_type


def _alignments(
    first: set[SpanKey], second: set[SpanKey], labels: Sequence[str]
) -> dict[str, dict[SpanKey, SpanKey]]:
    """Which span of ``second`` each span of ``first`` matches, per matching mode."""
    overlap: dict[SpanKey, SpanKey] = {}
    for label in labels:
        mine = [(start, end) for name, start, end in first if name == label]
        theirs = [(start, end) for name, start, end in second if name == label]
        for a, b in _overlap_alignment(mine, theirs).items():
            overlap[(label, *a)] = (label, *b)
    return {"exact": {key: key for key in first & second}, "overlap": overlap}


def _relation_counts(
    first: set[tuple[SpanKey, SpanKey]],
    second: set[tuple[SpanKey, SpanKey]],
    alignment: dict[SpanKey, SpanKey],
    directed: bool,
) -> dict[str, int]:
    # The alignment is one to one, so each relation matches at most one other.
    carried = set()
    for source, target in first:
        if source in alignment and target in alignment:
            ends = (alignment[source], alignment[target])
            carried.add(ends if directed else tuple(sorted(ends)))
    tp = len(carried & second)
    return {"tp": tp, "fp": len(second) - tp, "fn": len(first) - tp}


def _relation_statistics(
    names: list[str],
    keys: dict[str, set[SpanKey]],
    relations: dict[tuple[str, str], set[tuple[SpanKey, SpanKey]]],
    relation_types: Mapping[str, bool],
    labels: Sequence[str],
) -> dict:
    result: dict = {}
    for i, first in enumerate(names):
        result[first] = {}
        for second in names[i + 1 :]:
            if not relation_types:
                # Aligning spans costs as much as span F1 does: skip it when unused.
                result[first][second] = {}
                continue
            alignments = _alignments(keys.get(first, set()), keys.get(second, set()), labels)
            result[first][second] = {
                type_name: {
                    mode: _relation_counts(
                        relations.get((first, type_name), set()),
                        relations.get((second, type_name), set()),
                        alignments[mode],
                        directed,
                    )
                    for mode in ("exact", "overlap")
                }
                for type_name, directed in relation_types.items()
            }
    return result


# --------------------------------------------------------------------------- attributes


def _normalise_attribute_values(
    values: Iterable[Sequence[Any]],
    keys: dict[str, set[SpanKey]],
    attributes: Mapping[str, Sequence[str]],
) -> dict[tuple[str, SpanKey], dict[str, str]]:
    by_span: dict[tuple[str, SpanKey], dict[str, str]] = {}
    for item in values:
        value = AttributeValue(*item)
        key = (value.label, value.start, value.end)
        if value.attribute not in attributes.get(value.label, ()):
            raise ValueError(f"unknown attribute {value.attribute!r} of {value.label!r}")
        if key not in keys.get(value.annotator, set()):
            raise ValueError(f"attribute value {item} on a span its annotator does not have")
        by_span.setdefault((value.annotator, key), {})[value.attribute] = value.value
    return by_span


def _attribute_statistics(
    names: list[str],
    keys: dict[str, set[SpanKey]],
    values: dict[tuple[str, SpanKey], dict[str, str]],
    attributes: Mapping[str, Sequence[str]],
) -> dict:
    """Cohen confusion tables per pair and alpha coincidences, per label and attribute.

    A unit is a span key ``(label, start, end)``: exact matching pairs a span only
    with the same key, so a unit is well defined across any number of annotators.
    """

    def value_of(name: str, key: SpanKey, attribute: str) -> str | None:
        return values.get((name, key), {}).get(attribute)

    cohen: dict = {}
    for i, first in enumerate(names):
        cohen[first] = {}
        for second in names[i + 1 :]:
            shared = keys.get(first, set()) & keys.get(second, set())
            per_label: dict = {}
            for label, attribute_names in attributes.items():
                for attribute in attribute_names:
                    confusion: dict[str, dict[str, int]] = {}
                    for key in shared:
                        if key[0] != label:
                            continue
                        a, b = value_of(first, key, attribute), value_of(second, key, attribute)
                        if a is not None and b is not None:
                            row = confusion.setdefault(a, {})
                            row[b] = row.get(b, 0) + 1
                    per_label.setdefault(label, {})[attribute] = confusion
            cohen[first][second] = per_label

    alpha: dict = {}
    units = set().union(*keys.values()) if keys else set()
    for label, attribute_names in attributes.items():
        for attribute in attribute_names:
            coincidence: dict[str, dict[str, float]] = {}
            for key in units:
                if key[0] != label:
                    continue
                counts = Counter(
                    value for name in names if (value := value_of(name, key, attribute)) is not None
                )
                pairable = sum(counts.values())
                if pairable < 2:
                    continue
                for c, n_c in counts.items():
                    for k, n_k in counts.items():
                        pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                        if pairs:
                            row = coincidence.setdefault(c, {})
                            row[k] = row.get(k, 0.0) + pairs / (pairable - 1)
            alpha.setdefault(label, {})[attribute] = coincidence
    return {"cohen": cohen, "alpha": alpha}


# --------------------------------------------------------------------------- public API


def document_statistics(
    text: str,
    spans: Iterable[Sequence[Any]],
    annotators: Iterable[str] | None = None,
    layers: Mapping[str, Sequence[str]] = DEFAULT_LAYERS,
    labels: Sequence[str] = LABELS,
    tokens: list[tuple[int, int]] | None = None,
    *,
    relations: Iterable[Sequence[Any]] = (),
    relation_types: Mapping[str, bool] | None = None,
    attribute_values: Iterable[Sequence[Any]] = (),
    attributes: Mapping[str, Sequence[str]] | None = None,
) -> Statistics:
    """Return the additive, JSON-serialisable agreement statistics of one document.

    ``spans`` are ``(annotator, label, start, end)``. ``annotators`` lists
    everyone who annotated the document, including those who marked nothing;
    by default it is whoever has a span. ``tokens`` defaults to
    ``annotator.annotation.tokenization.tokenize(text)``.

    ``relations`` are :class:`Relation` ``(annotator, type, source, target)`` with
    both ends ``(label, start, end)`` spans of that annotator; ``relation_types``
    maps every type name to whether it is directed. ``attribute_values`` are
    :class:`AttributeValue` ``(annotator, label, start, end, attribute, value)``;
    ``attributes`` maps a label to the names of its attributes.

    Shape (pairs are keyed ``[first][second]`` with ``first < second``)::

        {"format": 1, "tokenization": TOKENIZATION_RULE (or "given"),
         "documents": 1, "labels": [...], "layers": {...},
         "annotators": [...],
         "span_f1": {first: {second: {label: {"exact": {"tp", "fp", "fn"},
                                              "overlap": {...}}}}},
         "token": {layer: {"cohen": {first: {second: {tag: {tag: count}}}},
                           "fleiss": {"items", "agreement", "assignments"},
                           "alpha": {tag: {tag: coincidence}}}},
         "unitized": {"length", "pairable_length",
                      "labels": {label: {"observed", "units", "gaps"}}},
         "relation_types": {type: directed}, "attributes": {label: [attribute]},
         "relations": {first: {second: {type: {"exact": {"tp", "fp", "fn"},
                                               "overlap": {...}}}}},
         "attribute_values": {
             "cohen": {first: {second: {label: {attribute: {value: {value: count}}}}}},
             "alpha": {label: {attribute: {value: {value: coincidence}}}}}}

    Raises ValueError for an unknown label, relation type or attribute, an empty
    or out-of-text span, a span by an annotator missing from ``annotators``, or
    a relation or attribute value on a span its annotator does not have.
    """
    names, cleaned = _normalise_spans(spans, len(text), annotators, labels)
    tokenization = TOKENIZATION_RULE if tokens is None else GIVEN_TOKENS
    if tokens is None:
        tokens = tokenize(text)
    relation_types = dict(relation_types or {})
    attributes = {label: list(names) for label, names in (attributes or {}).items()}
    keys = _span_keys(cleaned)
    relation_sets = _normalise_relations(relations, keys, relation_types)
    values = _normalise_attribute_values(attribute_values, keys, attributes)
    return {
        "format": STATISTICS_FORMAT,
        "tokenization": tokenization,
        "documents": 1,
        "labels": list(labels),
        "layers": {name: list(layer) for name, layer in layers.items()},
        "annotators": names,
        "span_f1": _span_f1_statistics(names, _by_annotator_label(cleaned), labels),
        "token": {
            name: _token_statistics(names, tokens, cleaned, layer) for name, layer in layers.items()
        },
        "unitized": unitized_statistics(len(text), cleaned, names, labels),
        "relation_types": relation_types,
        "attributes": attributes,
        "relations": _relation_statistics(names, keys, relation_sets, relation_types, labels),
        "attribute_values": _attribute_statistics(names, keys, values, attributes),
    }


def _add_into(total: dict, part: Mapping) -> None:
    for key, value in part.items():
        if isinstance(value, Mapping):
            _add_into(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def merge_statistics(statistics: Iterable[Statistics]) -> Statistics:
    """Add up statistics of documents (or of already merged groups).

    All inputs must share labels, layers, relation types and attributes. The
    result has the same shape as one document's statistics, so it can be merged
    again or summarised.
    """
    merged: Statistics | None = None
    annotators: set[str] = set()
    for part in statistics:
        if part["format"] != STATISTICS_FORMAT:
            raise ValueError(f"unsupported statistics format {part['format']!r}")
        if merged is None:
            merged = {
                "format": STATISTICS_FORMAT,
                "tokenization": part.get("tokenization"),
                "documents": 0,
                "labels": list(part["labels"]),
                "layers": {name: list(layer) for name, layer in part["layers"].items()},
                "annotators": [],
                "span_f1": {},
                "token": {},
                "unitized": {"length": 0, "pairable_length": 0, "labels": {}},
                "relation_types": dict(part["relation_types"]),
                "attributes": {label: list(names) for label, names in part["attributes"].items()},
                "relations": {},
                "attribute_values": {},
            }
        elif part["labels"] != merged["labels"] or part["layers"] != merged["layers"]:
            raise ValueError("statistics computed with different labels or layers")
        elif (
            part["relation_types"] != merged["relation_types"]
            or part["attributes"] != merged["attributes"]
        ):
            raise ValueError("statistics computed with different relation types or attributes")
        elif part.get("tokenization") != merged["tokenization"]:
            raise ValueError("statistics computed with different tokenisation rules")
        merged["documents"] += part["documents"]
        annotators.update(part["annotators"])
        for key in ("span_f1", "token", "unitized", "relations", "attribute_values"):
            _add_into(merged[key], part[key])
    if merged is None:
        raise ValueError("no statistics to merge")
    merged["annotators"] = sorted(annotators)
    return merged


def _f1(counts: Mapping[str, int], units: str) -> Figure:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    if tp + fp + fn == 0:
        return _undefined(f"no {units} from either side", tp=tp, fp=fp, fn=fn)
    return _figure(2 * tp / (2 * tp + fp + fn), tp=tp, fp=fp, fn=fn)


def _summed(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = {"tp": 0, "fp": 0, "fn": 0}
    for part in counts:
        for key in total:
            total[key] += part[key]
    return total


def _f1_block(
    per_label: Mapping[str, Mapping[str, Mapping[str, int]]], mode: str, units: str
) -> dict:
    return {
        "micro": _f1(_summed(counts[mode] for counts in per_label.values()), units),
        "labels": {label: _f1(counts[mode], units) for label, counts in per_label.items()},
    }


def _span_f1_summary(span_f1: dict, labels: Sequence[str], units: str = "spans") -> dict:
    """F1 per matching mode, pooled over pairs and per pair; ``labels`` are the span
    labels, or the relation types when ``span_f1`` holds relation counts."""
    pairs = [(a, b, per_label) for a, row in span_f1.items() for b, per_label in row.items()]
    result = {}
    for mode in ("exact", "overlap"):
        if pairs:
            pooled = {
                label: {mode: _summed(per_label[label][mode] for _, _, per_label in pairs)}
                for label in labels
            }
            overall = _f1_block(pooled, mode, units)
        else:
            overall = {
                "micro": _undefined("fewer than two annotators"),
                "labels": {label: _undefined("fewer than two annotators") for label in labels},
            }
        by_pair: dict = {}
        for a, b, per_label in pairs:
            by_pair.setdefault(a, {})[b] = _f1_block(per_label, mode, units)
        result[mode] = {"overall": overall, "pairs": by_pair}
    return result


TOKEN_REASONS = {
    "empty": "no tokens",
    "uniform": "no variation: both annotators used one and the same tag",
}
TOKEN_ALPHA_REASONS = {
    "empty": "no tokens annotated by two or more annotators",
    "uniform": "no variation: every token has the same tag",
}
ATTRIBUTE_REASONS = {
    "empty": "no span both annotators marked alike and gave a value",
    "uniform": "no variation: both annotators gave one and the same value",
}
ATTRIBUTE_ALPHA_REASONS = {
    "empty": "no span marked alike and given a value by two or more annotators",
    "uniform": "no variation: every value given is the same",
}


def _cohen(confusion: Mapping[str, Mapping[str, int]], reasons: Mapping[str, str]) -> Figure:
    rows: Counter[str] = Counter()
    columns: Counter[str] = Counter()
    agreeing = 0
    for a, row in confusion.items():
        for b, count in row.items():
            rows[a] += count
            columns[b] += count
            if a == b:
                agreeing += count
    n = sum(rows.values())
    if n == 0:
        return _undefined(reasons["empty"])
    chance = sum(rows[c] * columns[c] for c in rows)
    if chance == n * n:
        return _undefined(reasons["uniform"])
    return _figure((n * agreeing - chance) / (n * n - chance))


def _fleiss(fleiss: Mapping[str, Any]) -> Figure:
    items = fleiss["items"]
    if items == 0:
        return _undefined("no tokens annotated by two or more annotators")
    total = sum(fleiss["assignments"].values())
    squares = sum(n * n for n in fleiss["assignments"].values())
    if squares == total * total:
        return _undefined("no variation: every token has the same tag")
    chance = squares / (total * total)
    return _figure((fleiss["agreement"] / items - chance) / (1 - chance))


def _krippendorff_alpha(
    coincidence: Mapping[str, Mapping[str, float]], reasons: Mapping[str, str]
) -> Figure:
    margins = {c: sum(row.values()) for c, row in coincidence.items()}
    n = sum(margins.values())
    if n == 0:
        return _undefined(reasons["empty"])
    expected = n * n - sum(m * m for m in margins.values())
    if expected <= 0:
        return _undefined(reasons["uniform"])
    observed = n - sum(row.get(c, 0.0) for c, row in coincidence.items())
    return _figure(1 - (n - 1) * observed / expected)


def _cohen_pairs(cohen: Mapping[str, Mapping[str, Any]], reasons: Mapping[str, str]) -> dict:
    """Cohen's kappa of each pair from its confusion table, and their unweighted mean."""
    pair_figures: dict = {}
    values = []
    for a, row in cohen.items():
        for b, confusion in row.items():
            figure = _cohen(confusion, reasons)
            pair_figures.setdefault(a, {})[b] = figure
            if figure["value"] is not None:
                values.append(figure["value"])
    if values:
        mean = _figure(sum(values) / len(values), pairs=len(values))
    elif pair_figures:
        mean = _undefined("undefined for every annotator pair", pairs=0)
    else:
        mean = _undefined("fewer than two annotators", pairs=0)
    return {"pairs": pair_figures, "mean": mean}


def _token_summary(token: Mapping[str, Any]) -> dict:
    return {
        "cohen_kappa": _cohen_pairs(token["cohen"], TOKEN_REASONS),
        "fleiss_kappa": _fleiss(token["fleiss"]),
        "krippendorff_alpha": _krippendorff_alpha(token["alpha"], TOKEN_ALPHA_REASONS),
    }


def _attribute_summary(attribute_values: Mapping[str, Any], attributes: Mapping) -> dict:
    summary: dict = {}
    for label, names in attributes.items():
        for attribute in names:
            cohen = {
                first: {second: per_label[label][attribute] for second, per_label in row.items()}
                for first, row in attribute_values["cohen"].items()
            }
            coincidence = attribute_values["alpha"][label][attribute]
            alpha = _krippendorff_alpha(coincidence, ATTRIBUTE_ALPHA_REASONS)
            alpha["values"] = round(sum(sum(row.values()) for row in coincidence.values()))
            summary.setdefault(label, {})[attribute] = {
                "cohen_kappa": _cohen_pairs(cohen, ATTRIBUTE_REASONS),
                "krippendorff_alpha": alpha,
            }
    return summary


def summarize(statistics: Statistics) -> dict:
    """Turn statistics (one document's or merged) into agreement figures.

    Shape::

        {"documents": int, "annotators": [...],
         "span_f1": {"exact" | "overlap": {
             "overall": {"micro": figure, "labels": {label: figure}},
             "pairs": {first: {second: {"micro": figure, "labels": {...}}}}}},
         "token": {layer: {"cohen_kappa": {"pairs": {first: {second: figure}},
                                           "mean": figure},
                           "fleiss_kappa": figure,
                           "krippendorff_alpha": figure}},
         "unitized_alpha": {"overall": figure, "labels": {label: figure}},
         "relation_f1": {"exact" | "overlap": {
             "overall": {"micro": figure, "labels": {type: figure}},
             "pairs": {first: {second: {"micro": figure, "labels": {...}}}}}},
         "attributes": {label: {attribute: {
             "cohen_kappa": {"pairs": {first: {second: figure}}, "mean": figure},
             "krippendorff_alpha": figure}}}}

    A figure is ``{"value": float | None, "reason": str | None, ...counts}``.
    F1 "overall" pools the counts of all annotator pairs; the Cohen "mean" is
    the unweighted mean of the defined pairwise kappas.
    """
    labels = statistics["labels"]
    return {
        "documents": statistics["documents"],
        "annotators": list(statistics["annotators"]),
        "span_f1": _span_f1_summary(statistics["span_f1"], labels),
        "token": {
            layer: _token_summary(statistics["token"][layer]) for layer in statistics["layers"]
        },
        "unitized_alpha": _unitized_summary(statistics["unitized"], labels),
        "relation_f1": _span_f1_summary(
            statistics["relations"], list(statistics["relation_types"]), units="relations"
        ),
        "attributes": _attribute_summary(statistics["attribute_values"], statistics["attributes"]),
    }

"""Properties of annotator.curation.agreement that must hold for any annotations."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.curation.agreement import (
    LABELS,
    document_statistics,
    merge_statistics,
    summarize,
)

WORDS = ["the", "minister", "said", ",", "taxes", "will", "rise", ".", "€5"]
ANNOTATORS = ["A", "B", "C"]


@st.composite
def span_lists(draw, length, annotators=ANNOTATORS, max_spans=14):
    spans = []
    for _ in range(draw(st.integers(0, max_spans))):
        start = draw(st.integers(0, length - 1))
        end = draw(st.integers(start + 1, length))
        spans.append((draw(st.sampled_from(annotators)), draw(st.sampled_from(LABELS)), start, end))
    return spans


@st.composite
def documents(draw):
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=20)))
    return text, draw(span_lists(len(text)))


def figures(summary):
    """Yield (path, figure) for every figure in a summary."""
    stack = [((), summary)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if "value" in node and "reason" in node:
                yield path, node
            else:
                stack.extend(((*path, key), child) for key, child in node.items())


def assert_close(actual, expected):
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            assert_close(actual[key], expected[key])
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12)
    else:
        assert actual == expected


@settings(max_examples=150, deadline=None)
@given(document=documents())
def test_every_figure_is_a_number_or_none_with_a_reason_and_json_safe(document):
    text, spans = document
    summary = summarize(document_statistics(text, spans, annotators=ANNOTATORS))

    json.dumps(summary, allow_nan=False)
    for _, figure in figures(summary):
        if figure["value"] is None:
            assert isinstance(figure["reason"], str) and figure["reason"]
        else:
            assert figure["reason"] is None
            assert not math.isnan(figure["value"])


@settings(max_examples=150, deadline=None)
@given(document=documents(), copies=st.integers(2, 3))
def test_identical_annotations_agree_perfectly_where_defined(document, copies):
    text, spans = document
    names = ANNOTATORS[:copies]
    identical = [(name, label, start, end) for name in names for _, label, start, end in spans]

    summary = summarize(document_statistics(text, identical, annotators=names))

    for path, figure in figures(summary):
        if figure["value"] is not None:
            assert figure["value"] == pytest.approx(1.0), path


@settings(max_examples=150, deadline=None)
@given(document=documents())
def test_span_order_does_not_matter(document):
    text, spans = document

    forwards = document_statistics(text, spans, annotators=ANNOTATORS)
    backwards = document_statistics(text, spans[::-1], annotators=ANNOTATORS)
    shuffled = document_statistics(text, sorted(spans, key=hash), annotators=ANNOTATORS)

    assert forwards == backwards == shuffled


def by_unordered_pair(pairs, rename=lambda name: name):
    return {
        frozenset((rename(first), rename(second))): figure
        for first, row in pairs.items()
        for second, figure in row.items()
    }


@settings(max_examples=150, deadline=None)
@given(document=documents(), swap=st.sampled_from([("A", "B"), ("A", "C"), ("B", "C")]))
def test_figures_are_symmetric_in_the_annotators(document, swap):
    text, spans = document
    rename = {swap[0]: swap[1], swap[1]: swap[0]}
    swapped = [(rename.get(name, name), label, start, end) for name, label, start, end in spans]

    original = summarize(document_statistics(text, spans, annotators=ANNOTATORS))
    mirrored = summarize(document_statistics(text, swapped, annotators=ANNOTATORS))

    def values(figure):
        return {key: value for key, value in figure.items() if key not in ("fp", "fn")}

    for mode in ("exact", "overlap"):
        assert_close(
            values(mirrored["span_f1"][mode]["overall"]["micro"]),
            values(original["span_f1"][mode]["overall"]["micro"]),
        )
        pairs = by_unordered_pair(original["span_f1"][mode]["pairs"])
        mirrored_pairs = by_unordered_pair(
            mirrored["span_f1"][mode]["pairs"], lambda name: rename.get(name, name)
        )
        for pair, block in pairs.items():
            for label, figure in block["labels"].items():
                assert_close(values(mirrored_pairs[pair]["labels"][label]), values(figure))
    for layer, block in original["token"].items():
        other = mirrored["token"][layer]
        assert_close(other["fleiss_kappa"], block["fleiss_kappa"])
        assert_close(other["krippendorff_alpha"], block["krippendorff_alpha"])
        assert_close(other["cohen_kappa"]["mean"], block["cohen_kappa"]["mean"])
        assert_close(
            by_unordered_pair(other["cohen_kappa"]["pairs"], lambda name: rename.get(name, name)),
            by_unordered_pair(block["cohen_kappa"]["pairs"]),
        )
    assert_close(mirrored["unitized_alpha"], original["unitized_alpha"])


@settings(max_examples=150, deadline=None)
@given(document=documents())
def test_overlap_matching_finds_every_exact_match(document):
    text, spans = document

    counts = document_statistics(text, spans, annotators=ANNOTATORS)["span_f1"]

    for row in counts.values():
        for per_label in row.values():
            for label_counts in per_label.values():
                assert label_counts["overlap"]["tp"] >= label_counts["exact"]["tp"]


@settings(max_examples=150, deadline=None)
@given(first=documents(), second=documents())
def test_merged_span_and_token_figures_equal_the_concatenated_document(first, second):
    # Joined by a space, no token or span crosses the seam, so span F1 and the
    # token coefficients of the concatenation are those of the merged statistics.
    (text1, spans1), (text2, spans2) = first, second
    shift = len(text1) + 1
    joined = [*spans1, *((name, label, s + shift, e + shift) for name, label, s, e in spans2)]

    merged = summarize(
        merge_statistics(
            [
                document_statistics(text1, spans1, annotators=ANNOTATORS),
                document_statistics(text2, spans2, annotators=ANNOTATORS),
            ]
        )
    )
    concatenated = summarize(document_statistics(f"{text1} {text2}", joined, annotators=ANNOTATORS))

    assert_close(merged["span_f1"], concatenated["span_f1"])
    assert_close(merged["token"], concatenated["token"])
    assert merged["documents"] == 2


@settings(max_examples=150, deadline=None)
@given(
    lengths=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    data=st.data(),
)
def test_merged_unitized_alpha_equals_one_continuum_laid_end_to_end(lengths, data):
    # Project-level alpha-U closes gaps at document edges. Where every annotator
    # has a unit of every label at the start of the second document, no gap
    # crosses the seam, so the single continuum must give the same figures.
    first_length, second_length = lengths
    spans1 = data.draw(span_lists(first_length))
    anchors = [
        (name, label, 0, data.draw(st.integers(1, second_length)))
        for name in ANNOTATORS
        for label in LABELS
    ]
    spans2 = [*data.draw(span_lists(second_length)), *anchors]
    shifted = [(name, label, s + first_length, e + first_length) for name, label, s, e in spans2]

    def unitized_alpha(statistics):
        return summarize(statistics)["unitized_alpha"]

    merged = merge_statistics(
        [
            document_statistics(" " * first_length, spans1, annotators=ANNOTATORS, layers={}),
            document_statistics(" " * second_length, spans2, annotators=ANNOTATORS, layers={}),
        ]
    )
    whole = document_statistics(
        " " * (first_length + second_length),
        [*spans1, *shifted],
        annotators=ANNOTATORS,
        layers={},
    )

    assert_close(unitized_alpha(merged), unitized_alpha(whole))


@settings(max_examples=100, deadline=None)
@given(documents=st.lists(documents(), min_size=1, max_size=4))
def test_merge_is_independent_of_document_order_and_grouping(documents):
    statistics = [
        document_statistics(text, spans, annotators=ANNOTATORS) for text, spans in documents
    ]

    flat = summarize(merge_statistics(statistics))
    reversed_order = summarize(merge_statistics(statistics[::-1]))
    nested = summarize(merge_statistics([merge_statistics(statistics[:1]), *statistics[1:]]))

    assert_close(reversed_order, flat)
    assert_close(nested, flat)

"""annotator.curation.agreement against independent implementations of the same figures.

Each library is compared only where its definition is ours: scikit-learn's
Cohen's kappa per pair, NLTK's ``kappa`` (mean pairwise Cohen), ``pi`` (multi-pi,
i.e. Fleiss' kappa) and ``alpha``; statsmodels' Fleiss' kappa; the krippendorff
package with a nominal metric; seqeval's strict IOB2 entity F1 for exact span F1.
NLTK's ``multi_kappa`` (Davies and Fleiss) is not a figure we report.
"""

import math
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask
from seqeval.metrics import f1_score
from seqeval.scheme import IOB2
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from annotator.annotation.tokenization import tokenize
from annotator.curation.agreement import (
    DEFAULT_LAYERS,
    LABELS,
    document_statistics,
    summarize,
    tag_tokens,
)

WORDS = ["the", "minister", "said", ",", "taxes", "will", "rise", "."]
ANNOTATORS = ["A", "B", "C"]


@st.composite
def documents(draw, annotators=ANNOTATORS):
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25)))
    spans = []
    for _ in range(draw(st.integers(0, 14))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        spans.append((draw(st.sampled_from(annotators)), draw(st.sampled_from(LABELS)), start, end))
    return text, spans


def layer_tags(text, spans, layer):
    tokens = tokenize(text)
    return {
        name: tag_tokens(tokens, [s for s in spans if s[0] == name], DEFAULT_LAYERS[layer])
        for name in ANNOTATORS
    }


def quietly(function, *args, **kwargs):
    # The references warn (and return nan) on degenerate input; ours says None.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.mark.parametrize("layer", sorted(DEFAULT_LAYERS))
@settings(max_examples=60, deadline=None)
@given(document=documents())
def test_token_coefficients_match_reference_implementations(layer, document):
    text, spans = document
    figures = summarize(document_statistics(text, spans, annotators=ANNOTATORS))["token"][layer]
    tags = layer_tags(text, spans, layer)
    categories = ["O", *DEFAULT_LAYERS[layer]]

    pair_values = []
    for first, row in figures["cohen_kappa"]["pairs"].items():
        for second, figure in row.items():
            reference = quietly(cohen_kappa_score, tags[first], tags[second])
            if figure["value"] is None:
                assert math.isnan(reference)
            else:
                assert figure["value"] == pytest.approx(reference)
            pair_values.append(figure["value"])

    table = np.array(
        [[column.count(c) for c in categories] for column in zip(*tags.values(), strict=True)]
    )
    fleiss = figures["fleiss_kappa"]["value"]
    reference_fleiss = quietly(fleiss_kappa, table, method="fleiss")
    if fleiss is None:
        assert math.isnan(reference_fleiss)
    else:
        assert fleiss == pytest.approx(reference_fleiss)

    alpha = figures["krippendorff_alpha"]["value"]
    codes = [[categories.index(tag) for tag in tags[name]] for name in ANNOTATORS]
    if alpha is None:
        assert len({code for row in codes for code in row}) == 1
    else:
        reference_alpha = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
        assert alpha == pytest.approx(reference_alpha)

    task = AnnotationTask(
        data=[(name, index, tag) for name in ANNOTATORS for index, tag in enumerate(tags[name])]
    )
    if None not in pair_values:
        assert figures["cohen_kappa"]["mean"]["value"] == pytest.approx(task.kappa())
    if fleiss is not None:
        assert fleiss == pytest.approx(task.pi())
    if alpha is not None:
        assert alpha == pytest.approx(task.alpha())


def iob2(segments, size):
    sequence = ["O"] * size
    for first, last, label in segments:
        sequence[first : last + 1] = [f"B-{label}"] + [f"I-{label}"] * (last - first)
    return sequence


@st.composite
def token_aligned_annotations(draw):
    """Two annotators' content spans on whole tokens, never overlapping within one.

    B either segments independently or edits A's segments (drops, relabels,
    shortens), so that matches are common.
    """
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30)))
    tokens = tokenize(text)
    labels = st.sampled_from(DEFAULT_LAYERS["content"])
    segments = {"A": []}
    index = 0
    while index < len(tokens):
        if draw(st.booleans()):
            index += 1
            continue
        last = draw(st.integers(index, len(tokens) - 1))
        segments["A"].append((index, last, draw(labels)))
        index = last + 1
    segments["B"] = []
    for first, last, label in segments["A"]:
        edit = draw(st.sampled_from(["keep", "drop", "relabel", "shorten"]))
        if edit == "relabel":
            label = draw(labels)
        elif edit == "shorten":
            last = draw(st.integers(first, last))
        if edit != "drop":
            segments["B"].append((first, last, label))
    spans = [
        (name, label, tokens[first][0], tokens[last][1])
        for name, segmentation in segments.items()
        for first, last, label in segmentation
    ]
    tags = {name: iob2(segmentation, len(tokens)) for name, segmentation in segments.items()}
    return text, spans, tags


@settings(max_examples=100, deadline=None)
@given(annotation=token_aligned_annotations())
def test_exact_span_f1_matches_seqeval_strict_iob2(annotation):
    text, spans, tags = annotation

    figure = summarize(document_statistics(text, spans, annotators=["A", "B"]))["span_f1"]
    micro = figure["exact"]["pairs"]["A"]["B"]["micro"]

    if micro["value"] is None:
        assert not any(span for span in spans)
    else:
        reference = quietly(f1_score, [tags["A"]], [tags["B"]], mode="strict", scheme=IOB2)
        assert micro["value"] == pytest.approx(reference)

"""Hand-worked and published cases for annotator.curation.agreement."""

import json
import math
from fractions import Fraction

import pytest

from annotator.annotation.tokenization import tokenize
from annotator.curation.agreement import (
    DEFAULT_LAYERS,
    Span,
    document_statistics,
    merge_statistics,
    summarize,
    tag_tokens,
    unitized_statistics,
)

# Krippendorff (2004), Content Analysis 2nd ed., p. 254: a continuum [150, 450)
# unitized by two observers into categories c and k; shifted here to start at 0.
KRIPPENDORFF_2004 = [
    (annotator, label, start - 150, start - 150 + length)
    for start, length, annotator, label in [
        (225, 70, "i", "c"),
        (370, 30, "i", "c"),
        (220, 80, "j", "c"),
        (355, 20, "j", "c"),
        (400, 20, "j", "c"),
        (180, 60, "i", "k"),
        (300, 50, "i", "k"),
        (180, 60, "j", "k"),
        (300, 50, "j", "k"),
    ]
]


def unitized_alpha(length, spans, annotators=None, labels=("c", "k")):
    statistics = document_statistics(
        " " * length, spans, annotators=annotators, labels=labels, layers={}
    )
    return summarize(statistics)["unitized_alpha"]


def test_unitized_alpha_reproduces_krippendorff_2004_example():
    result = unitized_alpha(300, KRIPPENDORFF_2004)

    assert result["overall"]["value"] == pytest.approx(0.8591, abs=0.0005)
    c, k = result["labels"]["c"], result["labels"]["k"]
    assert c["observed_disagreement"] == pytest.approx(0.0144, abs=0.0001)
    assert c["expected_disagreement"] == pytest.approx(0.0532, abs=0.0001)
    assert c["value"] == pytest.approx(0.7286, abs=0.0001)
    assert k["observed_disagreement"] == 0
    assert k["expected_disagreement"] == pytest.approx(0.0490, abs=0.0001)
    assert k["value"] == 1.0


def test_unitized_alpha_is_one_for_identical_unitizations():
    spans = [("A", "c", 2, 7), ("B", "c", 2, 7), ("A", "k", 10, 12), ("B", "k", 10, 12)]

    result = unitized_alpha(20, spans)

    assert result["overall"] == {"value": 1.0, "reason": None}
    assert result["labels"]["c"]["value"] == 1.0


def test_unitized_alpha_hand_worked_partial_overlap():
    # A marks [0, 10), B marks [5, 10) in a continuum of 20, R = 2, N = R * L = 40.
    # Observed: one overlapping pair, (0 - 5)^2 + (10 - 10)^2 = 25, both orders: 50,
    #   D_o = 50 / (L * N).
    # Expected: units 10 and 5, gaps A: [10]; B: [5, 10].
    #   unit 10: (2 - 1) * (2 * 1000 - 3 * 100 + 10) / 3 + 100 * (1 + 1) = 770
    #   unit 5: (2 - 1) * (2 * 125 - 3 * 25 + 5) / 3 + 25 * (6 + 6 + 1) = 385
    #   D_e = (2 / L) * 1155 / (N * (N - 1) - (10 * 9 + 5 * 4))
    length, pairable = 20, 40
    observed = Fraction(50, length * pairable)
    expected = Fraction(2, length) * 1155 / (pairable * (pairable - 1) - 110)

    result = unitized_alpha(length, [("A", "c", 0, 10), ("B", "c", 5, 10)], labels=("c",))

    assert result["labels"]["c"]["value"] == pytest.approx(float(1 - observed / expected))
    assert result["overall"]["value"] == pytest.approx(float(1 - observed / expected))


def test_unitized_alpha_unit_inside_a_gap_costs_its_squared_length():
    # B marks nothing: A's unit lies in B's gap, distance 4^2 = 16, both orders 32.
    statistics = unitized_statistics(10, [("A", "c", 3, 7)], annotators=["A", "B"], labels=["c"])

    assert statistics["labels"]["c"]["observed"] == 32
    # A leaves gaps [0, 3) and [7, 10); B one gap over the whole continuum.
    assert statistics["labels"]["c"]["gaps"] == {"3": 2, "10": 1}


def test_unitized_alpha_merges_overlapping_units_of_one_annotator_and_label():
    overlapping = [("A", "c", 0, 6), ("A", "c", 4, 10), ("B", "c", 0, 10)]

    result = unitized_alpha(20, overlapping, labels=("c",))

    assert result["labels"]["c"]["value"] == 1.0


def test_exact_and_overlap_span_f1_hand_worked():
    text = "x" * 40
    spans = [
        ("A", "claim", 0, 10),
        ("A", "claim", 12, 20),
        ("B", "claim", 5, 15),
        ("A", "actor", 30, 35),
        ("B", "actor", 30, 35),
    ]

    result = summarize(document_statistics(text, spans))["span_f1"]

    exact = result["exact"]["pairs"]["A"]["B"]
    assert exact["labels"]["claim"] == {"value": 0.0, "reason": None, "tp": 0, "fp": 1, "fn": 2}
    assert exact["labels"]["actor"]["value"] == 1.0
    assert exact["micro"]["value"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 2))
    overlap = result["overlap"]["pairs"]["A"]["B"]
    # [5, 15) overlaps [0, 10) by 5 and [12, 20) by 3: it matches [0, 10) only.
    assert overlap["labels"]["claim"] == {
        "value": pytest.approx(2 / 3),
        "reason": None,
        "tp": 1,
        "fp": 0,
        "fn": 1,
    }


def test_overlap_matching_prefers_largest_overlap():
    spans = [("A", "claim", 0, 10), ("B", "claim", 0, 3), ("B", "claim", 2, 10)]

    statistics = document_statistics("y" * 10, spans)

    counts = statistics["span_f1"]["A"]["B"]["claim"]["overlap"]
    assert counts == {"tp": 1, "fp": 1, "fn": 0}


def test_overall_span_f1_pools_counts_over_pairs():
    spans = [("A", "claim", 0, 4), ("B", "claim", 0, 4), ("C", "claim", 5, 9)]

    overall = summarize(document_statistics("z" * 10, spans))["span_f1"]["exact"]["overall"]

    # Pairs A-B: tp 1; A-C: fp 1, fn 1; B-C: fp 1, fn 1.
    assert overall["micro"] == {"value": 2 / 6, "reason": None, "tp": 1, "fp": 2, "fn": 2}


def test_nested_same_layer_spans_tag_tokens_by_earliest_then_longest():
    text = "one two three four five"
    tokens = tokenize(text)
    spans = [
        ("A", "threat", 4, 13),  # "two three"
        ("A", "claim", 4, 8),  # "two", same start but shorter: loses
        ("A", "proposal", 0, 7),  # "one two", starts first: wins on "two"
        ("A", "actor", 8, 13),  # other layer: ignored here
    ]

    tags = tag_tokens(tokens, spans, DEFAULT_LAYERS["content"])

    assert tags == ["proposal", "proposal", "threat", "O", "O"]


def test_span_covers_a_token_when_they_share_a_code_point():
    text = "alpha beta gamma"
    tokens = tokenize(text)

    tags = tag_tokens(tokens, [("A", "actor", 4, 7)], ["actor"])

    assert tags == ["actor", "actor", "O"]


def test_token_kappa_hand_worked():
    # Four tokens; A tags claim, claim, O, O; B tags claim, O, O, O.
    text = "a b c d"
    spans = [("A", "claim", 0, 3), ("B", "claim", 0, 1)]

    figures = summarize(document_statistics(text, spans))["token"]["content"]

    # p_o = 3/4, p_e = (2/4)(1/4) + (2/4)(3/4) = 1/2, kappa = 1/2.
    assert figures["cohen_kappa"]["pairs"]["A"]["B"]["value"] == pytest.approx(0.5)
    # Fleiss (= Scott's pi for two): p_claim = 3/8, P_e = 9/64 + 25/64 = 34/64.
    assert figures["fleiss_kappa"]["value"] == pytest.approx((0.75 - 34 / 64) / (1 - 34 / 64))
    # Krippendorff: n = 8, alpha = 1 - (n - 1) * 2 / (64 - 9 - 25).
    assert figures["krippendorff_alpha"]["value"] == pytest.approx(1 - 7 * 2 / 30)


def test_single_annotator_is_undefined_everywhere():
    summary = summarize(document_statistics("a b c", [("A", "claim", 0, 3)]))

    assert summary["span_f1"]["exact"]["overall"]["micro"] == {
        "value": None,
        "reason": "fewer than two annotators",
    }
    content = summary["token"]["content"]
    assert content["cohen_kappa"]["mean"]["value"] is None
    assert content["cohen_kappa"]["mean"]["reason"] == "fewer than two annotators"
    assert content["fleiss_kappa"]["value"] is None
    assert content["fleiss_kappa"]["reason"]
    assert content["krippendorff_alpha"]["value"] is None
    assert summary["unitized_alpha"]["overall"]["value"] is None
    assert summary["unitized_alpha"]["overall"]["reason"]


def test_no_variation_and_no_spans_are_undefined_not_one():
    summary = summarize(document_statistics("a b c", [], annotators=["A", "B"]))

    for figure in (
        summary["span_f1"]["exact"]["overall"]["micro"],
        summary["span_f1"]["overlap"]["pairs"]["A"]["B"]["labels"]["claim"],
        summary["token"]["content"]["cohen_kappa"]["pairs"]["A"]["B"],
        summary["token"]["content"]["cohen_kappa"]["mean"],
        summary["token"]["actor"]["fleiss_kappa"],
        summary["token"]["actor"]["krippendorff_alpha"],
        summary["unitized_alpha"]["overall"],
        summary["unitized_alpha"]["labels"]["threat"],
    ):
        assert figure["value"] is None
        assert isinstance(figure["reason"], str)


def test_empty_text_is_undefined():
    summary = summarize(document_statistics("", [], annotators=["A", "B"]))

    assert summary["token"]["content"]["fleiss_kappa"]["reason"]
    assert summary["token"]["content"]["cohen_kappa"]["pairs"]["A"]["B"]["reason"] == "no tokens"
    assert summary["unitized_alpha"]["overall"]["value"] is None


def test_statistics_and_summary_survive_a_json_round_trip():
    spans = [
        Span("A", "claim", 0, 12),
        Span("A", "actor", 0, 3),
        Span("B", "claim", 4, 12),
        Span("C", "proposal", 13, 20),
    ]
    statistics = document_statistics("The plan is bad. Act now!", spans)

    stored = json.loads(json.dumps(merge_statistics([statistics, statistics])))
    summary = summarize(stored)

    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert summary == summarize(merge_statistics([statistics, statistics]))
    assert summary["documents"] == 2


def test_merge_rejects_different_labels():
    first = document_statistics("a", [], annotators=["A", "B"])
    second = document_statistics("a", [], annotators=["A", "B"], labels=["claim", "actor"])

    with pytest.raises(ValueError, match="labels or layers"):
        merge_statistics([first, second])


@pytest.mark.parametrize(
    "span",
    [("A", "rumour", 0, 1), ("A", "claim", 3, 3), ("A", "claim", 0, 99), ("Z", "claim", 0, 1)],
)
def test_invalid_spans_are_rejected(span):
    with pytest.raises(ValueError):
        document_statistics("a b c", [span], annotators=["A", "B"])


def test_documents_with_one_annotator_do_not_dilute_project_unitized_alpha():
    two = document_statistics(" " * 300, KRIPPENDORFF_2004, labels=["c", "k"], layers={})
    alone = document_statistics(
        " " * 50, [("i", "c", 0, 10)], annotators=["i"], labels=["c", "k"], layers={}
    )

    merged = summarize(merge_statistics([two, alone]))["unitized_alpha"]["overall"]

    assert merged["value"] == summarize(two)["unitized_alpha"]["overall"]["value"]
    assert not math.isnan(merged["value"])

"""Relation F1 and attribute agreement (annotator.curation.agreement), pure maths.

Hand-worked cases first; then attribute kappa and alpha against scikit-learn's
``cohen_kappa_score`` and the ``krippendorff`` package on random documents, and
relation F1 against a direct count over sets of relations.
"""

import json
import math
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from annotator.curation.agreement import document_statistics, merge_statistics, summarize

TEXT = "x" * 40
LABELS = ["claim", "actor"]
TYPES = {"claimant": True, "addressee": True, "ally": False}
STANCE = {"claim": ["stance"]}
CLAIM = ("claim", 0, 10)
ACTOR = ("actor", 12, 16)
OTHER = ("actor", 20, 25)


def _spans(annotator, *keys):
    return [(annotator, *key) for key in keys]


def relation_figures(spans, relations, types=TYPES, annotators=("A", "B")):
    statistics = document_statistics(
        TEXT,
        spans,
        annotators=annotators,
        layers={},
        labels=LABELS,
        relations=relations,
        relation_types=types,
    )
    return summarize(statistics)["relation_f1"]


def test_relation_matches_when_both_ends_and_the_type_match():
    near_other = ("actor", 21, 25)
    spans = _spans("A", CLAIM, ACTOR, OTHER) + _spans("B", CLAIM, ACTOR, near_other)
    relations = [
        ("A", "claimant", CLAIM, ACTOR),
        ("A", "addressee", CLAIM, OTHER),
        ("B", "claimant", CLAIM, ACTOR),
        ("B", "addressee", CLAIM, near_other),
    ]

    figures = relation_figures(spans, relations)

    exact = figures["exact"]["overall"]
    assert exact["labels"]["claimant"]["value"] == 1.0
    # The addressee's target is [20, 25) for A and [21, 25) for B: no exact match.
    assert {k: exact["labels"]["addressee"][k] for k in ("value", "tp", "fp", "fn")} == {
        "value": 0.0,
        "tp": 0,
        "fp": 1,
        "fn": 1,
    }
    assert exact["micro"]["value"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    overlap = figures["overlap"]["overall"]
    assert overlap["labels"]["addressee"]["value"] == 1.0
    assert overlap["micro"]["value"] == 1.0
    assert figures["exact"]["pairs"]["A"]["B"]["micro"]["value"] == 0.5
    assert exact["labels"]["ally"] == {
        "value": None,
        "reason": "no relations from either side",
        "tp": 0,
        "fp": 0,
        "fn": 0,
    }


def test_a_directed_relation_drawn_backwards_does_not_match_an_undirected_one_does():
    spans = _spans("A", CLAIM, ACTOR, OTHER) + _spans("B", CLAIM, ACTOR, OTHER)
    relations = [
        ("A", "claimant", CLAIM, ACTOR),
        ("B", "claimant", ACTOR, CLAIM),
        ("A", "ally", ACTOR, OTHER),
        ("B", "ally", OTHER, ACTOR),
        # Both directions of an undirected type are one relation.
        ("B", "ally", ACTOR, OTHER),
    ]

    figures = relation_figures(spans, relations)["exact"]["overall"]["labels"]

    assert (figures["claimant"]["value"], figures["claimant"]["tp"]) == (0.0, 0)
    assert {k: figures["ally"][k] for k in ("value", "tp", "fp", "fn")} == {
        "value": 1.0,
        "tp": 1,
        "fp": 0,
        "fn": 0,
    }


def test_overlap_relations_follow_the_one_to_one_span_matching():
    # A's actor [12, 20) overlaps B's [12, 16) most, so B's [17, 20) stays unmatched
    # and the relation to it does not match A's.
    wide = ("actor", 12, 20)
    tail = ("actor", 17, 20)
    spans = _spans("A", CLAIM, wide) + _spans("B", CLAIM, ACTOR, tail)
    relations = [("A", "claimant", CLAIM, wide), ("B", "claimant", CLAIM, tail)]

    overlap = relation_figures(spans, relations)["overlap"]["overall"]["labels"]["claimant"]

    assert (overlap["tp"], overlap["fp"], overlap["fn"]) == (0, 1, 1)


def test_an_undirected_relation_matches_when_the_overlap_matching_swaps_its_ends_order():
    # Largest overlap first: A's [11, 20) takes B's [10, 20), A's [10, 14) takes B's
    # [12, 14). A's ends in order are B's ends in reverse order.
    spans = _spans("A", ("actor", 10, 14), ("actor", 11, 20))
    spans += _spans("B", ("actor", 12, 14), ("actor", 10, 20))
    relations = [
        ("A", "ally", ("actor", 10, 14), ("actor", 11, 20)),
        ("B", "ally", ("actor", 12, 14), ("actor", 10, 20)),
    ]

    figures = relation_figures(spans, relations)

    assert figures["overlap"]["overall"]["labels"]["ally"]["value"] == 1.0
    assert figures["exact"]["overall"]["labels"]["ally"]["value"] == 0.0


def test_relation_f1_pools_the_pairs_of_three_annotators():
    spans = [s for name in "ABC" for s in _spans(name, CLAIM, ACTOR)]
    relations = [("A", "claimant", CLAIM, ACTOR), ("B", "claimant", CLAIM, ACTOR)]

    figures = relation_figures(spans, relations, annotators="ABC")["exact"]

    # A-B agree (tp 1); A-C and B-C each have one relation C lacks (fn 1).
    pooled = figures["overall"]["labels"]["claimant"]
    assert (pooled["tp"], pooled["fp"], pooled["fn"]) == (1, 0, 2)
    assert pooled["value"] == pytest.approx(2 / 4)
    assert figures["pairs"]["A"]["C"]["micro"]["value"] == 0.0


def test_relation_statistics_add_up_over_documents_and_survive_json():
    spans = _spans("A", CLAIM, ACTOR) + _spans("B", CLAIM, ACTOR)
    agree = document_statistics(
        TEXT,
        spans,
        layers={},
        labels=LABELS,
        relations=[("A", "claimant", CLAIM, ACTOR), ("B", "claimant", CLAIM, ACTOR)],
        relation_types=TYPES,
    )
    differ = document_statistics(
        TEXT,
        spans,
        layers={},
        labels=LABELS,
        relations=[("A", "claimant", CLAIM, ACTOR)],
        relation_types=TYPES,
    )

    merged = json.loads(json.dumps(merge_statistics([agree, differ])))

    claimant = summarize(merged)["relation_f1"]["exact"]["overall"]["labels"]["claimant"]
    assert (claimant["tp"], claimant["fp"], claimant["fn"]) == (1, 0, 1)
    assert claimant["value"] == pytest.approx(2 / 3)


def test_statistics_with_other_relation_types_do_not_merge():
    first = document_statistics("a", [], annotators=["A", "B"], relation_types=TYPES)
    second = document_statistics("a", [], annotators=["A", "B"], relation_types={"claimant": True})

    with pytest.raises(ValueError, match="relation types or attributes"):
        merge_statistics([first, second])


@pytest.mark.parametrize(
    ("relation", "message"),
    [
        (("A", "rebuts", CLAIM, ACTOR), "unknown relation type"),
        (("A", "claimant", CLAIM, ("actor", 30, 35)), "does not have"),
        (("A", "claimant", CLAIM, ("actor", 12, 16)), None),
        (("B", "claimant", CLAIM, ACTOR), "does not have"),
    ],
)
def test_relations_must_join_the_annotators_own_spans_with_a_known_type(relation, message):
    spans = _spans("A", CLAIM, ACTOR) + _spans("B", CLAIM)

    def compute():
        return document_statistics(
            TEXT, spans, labels=LABELS, layers={}, relations=[relation], relation_types=TYPES
        )

    if message is None:
        assert compute()["relations"]["A"]["B"]["claimant"]["exact"]["fn"] == 1
    else:
        with pytest.raises(ValueError, match=message):
            compute()


# --------------------------------------------------------------------------- attributes

KEYS = [("claim", start, start + 4) for start in range(0, 30, 5)]
K1, K2, K3, K4, K5, K6 = KEYS


def attribute_figures(spans, values, annotators=("A", "B", "C")):
    statistics = document_statistics(
        TEXT,
        spans,
        annotators=annotators,
        layers={},
        labels=LABELS,
        attribute_values=values,
        attributes=STANCE,
    )
    return summarize(statistics)["attributes"]["claim"]["stance"]


def _values(annotator, pairs):
    return [(annotator, *key, "stance", value) for key, value in pairs]


HAND_SPANS = (
    _spans("A", K1, K2, K3, K4, K5)
    + _spans("B", K1, K2, K3, K4, K5, K6)
    + _spans("C", K1, K2, K3)
    + [("A", "claim", 25, 30)]
)
HAND_VALUES = (
    _values("A", [(K1, "support"), (K2, "oppose"), (K3, "support"), (K4, "neutral")])
    + _values("B", [(K1, "support"), (K2, "support"), (K3, "support"), (K4, "neutral")])
    + _values("B", [(K5, "oppose"), (K6, "oppose")])
    + _values("C", [(K1, "support"), (K2, "oppose")])
    # A's [25, 30) is not B's [25, 29): not matched exactly, so its value is not compared.
    + [("A", "claim", 25, 30, "stance", "support")]
)


def test_attribute_kappa_per_pair_by_hand():
    figures = attribute_figures(HAND_SPANS, HAND_VALUES)["cohen_kappa"]

    # A-B compare K1..K4 (A gave K5 no value): p_o = 3/4, p_e = (2*3 + 1*1) / 16.
    assert figures["pairs"]["A"]["B"]["value"] == pytest.approx((3 / 4 - 7 / 16) / (1 - 7 / 16))
    assert figures["pairs"]["A"]["B"]["value"] == pytest.approx(5 / 9)
    assert figures["pairs"]["A"]["C"]["value"] == pytest.approx(1.0)
    assert figures["pairs"]["B"]["C"]["value"] == pytest.approx(0.0)
    assert figures["mean"]["value"] == pytest.approx((5 / 9 + 1 + 0) / 3)


def test_attribute_alpha_across_annotators_by_hand():
    alpha = attribute_figures(HAND_SPANS, HAND_VALUES)["krippendorff_alpha"]

    # Units with two or more values: K1 (s s s), K2 (o s o), K3 (s s), K4 (n n).
    # Coincidences: ss = 3 + 1/2*0 + 2 = 5, oo = 1, os = so = 1, nn = 2; n = 10,
    # n_s = 6, n_o = 2, n_n = 2: alpha = 1 - 9 * (10 - 8) / (100 - 44) = 19 / 28.
    assert alpha["value"] == pytest.approx(19 / 28)
    assert alpha["values"] == 10
    reliability = [
        ["support", "oppose", "support", "neutral", np.nan, np.nan],
        ["support", "support", "support", "neutral", "oppose", "oppose"],
        ["support", "oppose", np.nan, np.nan, np.nan, np.nan],
    ]
    codes = [
        [{"support": 0, "oppose": 1, "neutral": 2}.get(v, np.nan) for v in row]
        for row in reliability
    ]
    assert alpha["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    )


def test_attribute_figures_say_why_they_are_undefined():
    spans = _spans("A", K1, K2) + _spans("B", K1, K2)
    same = _values("A", [(K1, "support"), (K2, "support")]) + _values(
        "B", [(K1, "support"), (K2, "support")]
    )

    uniform = attribute_figures(spans, same, annotators="AB")
    lonely = attribute_figures(spans, _values("A", [(K1, "support")]), annotators="AB")

    assert uniform["cohen_kappa"]["pairs"]["A"]["B"]["reason"].startswith("no variation")
    assert uniform["krippendorff_alpha"]["value"] is None
    assert uniform["krippendorff_alpha"]["reason"].startswith("no variation")
    assert lonely["cohen_kappa"]["mean"] == {
        "value": None,
        "reason": "undefined for every annotator pair",
        "pairs": 0,
    }
    assert lonely["krippendorff_alpha"]["reason"] == (
        "no span marked alike and given a value by two or more annotators"
    )


def test_attribute_values_must_be_on_the_annotators_spans_and_known():
    spans = _spans("A", K1)
    with pytest.raises(ValueError, match="unknown attribute"):
        document_statistics(
            TEXT,
            spans,
            labels=LABELS,
            attribute_values=[("A", *K1, "tone", "x")],
            attributes=STANCE,
        )
    with pytest.raises(ValueError, match="does not have"):
        document_statistics(
            TEXT,
            spans,
            labels=LABELS,
            attribute_values=[("A", *K2, "stance", "oppose")],
            attributes=STANCE,
        )


# --------------------------------------------------------------------------- oracles

ANNOTATORS = ["A", "B", "C"]
CHOICES = ["support", "oppose", "neutral"]
POSITIONS = [(0, 4), (5, 9), (10, 14), (15, 19), (20, 24), (25, 29)]


@st.composite
def annotated(draw):
    """Each annotator marks some claims among a few places and may give each a stance."""
    spans, values, grid = [], [], {}
    for name in ANNOTATORS:
        for unit, (start, end) in enumerate(POSITIONS):
            if draw(st.booleans()):
                spans.append((name, "claim", start, end))
                value = draw(st.sampled_from([None, *CHOICES]))
                if value is not None:
                    values.append((name, "claim", start, end, "stance", value))
                    grid[name, unit] = value
    return spans, values, grid


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@settings(max_examples=80, deadline=None)
@given(document=annotated())
def test_attribute_kappa_matches_scikit_learn(document):
    spans, values, grid = document
    figures = attribute_figures(spans, values)["cohen_kappa"]["pairs"]

    for first, row in figures.items():
        for second, figure in row.items():
            units = [u for u in range(len(POSITIONS)) if (first, u) in grid and (second, u) in grid]
            if not units:
                assert figure["value"] is None
                continue
            reference = quietly(
                cohen_kappa_score, [grid[first, u] for u in units], [grid[second, u] for u in units]
            )
            if figure["value"] is None:
                assert math.isnan(reference)
            else:
                assert figure["value"] == pytest.approx(reference)


@settings(max_examples=80, deadline=None)
@given(document=annotated())
def test_attribute_alpha_matches_the_krippendorff_package(document):
    spans, values, grid = document
    alpha = attribute_figures(spans, values)["krippendorff_alpha"]

    codes = [
        [CHOICES.index(grid[name, u]) if (name, u) in grid else np.nan for u in range(6)]
        for name in ANNOTATORS
    ]
    pairable = [
        [row[u] for row in codes]
        for u in range(6)
        if sum(not math.isnan(row[u]) for row in codes) >= 2
    ]
    assert alpha["values"] == sum(sum(not math.isnan(c) for c in unit) for unit in pairable)
    if alpha["value"] is None:
        assert len({c for unit in pairable for c in unit if not math.isnan(c)}) <= 1
    else:
        reference = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
        assert alpha["value"] == pytest.approx(reference)


@st.composite
def related(draw):
    keys = [("claim", 0, 4), ("claim", 5, 9), ("actor", 10, 14), ("actor", 15, 19)]
    spans, relations = [], []
    for name in ("A", "B"):
        own = [key for key in keys if draw(st.booleans())]
        spans += [(name, *key) for key in own]
        for source in own:
            for target in own:
                if source != target and draw(st.integers(0, 3)) == 0:
                    relations.append((name, draw(st.sampled_from(sorted(TYPES))), source, target))
    return spans, relations


@settings(max_examples=80, deadline=None)
@given(document=related())
def test_exact_relation_f1_is_the_f1_of_relation_sets(document):
    spans, relations = document
    figures = relation_figures(spans, relations)["exact"]["overall"]["labels"]

    for type_name, directed in TYPES.items():

        def ends(relation, directed=directed):
            pair = (relation[2], relation[3])
            return pair if directed else frozenset(pair)

        mine = {ends(r) for r in relations if r[0] == "A" and r[1] == type_name}
        theirs = {ends(r) for r in relations if r[0] == "B" and r[1] == type_name}
        tp = len(mine & theirs)
        assert (figures[type_name]["tp"], figures[type_name]["fp"], figures[type_name]["fn"]) == (
            tp,
            len(theirs) - tp,
            len(mine) - tp,
        )


@settings(max_examples=60, deadline=None)
@given(document=related())
def test_relation_f1_does_not_depend_on_which_annotator_is_first(document):
    spans, relations = document
    swap = {"A": "B", "B": "A"}
    swapped_spans = [(swap[s[0]], *s[1:]) for s in spans]
    swapped_relations = [(swap[r[0]], *r[1:]) for r in relations]

    for mode in ("exact", "overlap"):
        forwards = relation_figures(spans, relations)[mode]["overall"]["labels"]
        backwards = relation_figures(swapped_spans, swapped_relations)[mode]["overall"]["labels"]
        assert {t: f["value"] for t, f in forwards.items()} == {
            t: f["value"] for t, f in backwards.items()
        }

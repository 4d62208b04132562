"""Document-level train/validation/test assignment."""

from collections import Counter

import pytest

from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split, hash_unit


def test_assignment_is_deterministic_and_seeded() -> None:
    ids = range(1000)
    first = [assign_split(i, "seed-a") for i in ids]
    assert first == [assign_split(i, "seed-a") for i in ids]
    assert first != [assign_split(i, "seed-b") for i in ids]
    assert all(0 <= hash_unit("s", i) < 1 for i in ids)


def test_default_ratios_are_respected_approximately() -> None:
    counts = Counter(assign_split(i, 7) for i in range(1000))
    assert set(counts) == set(SPLIT_NAMES)
    assert 760 <= counts["train"] <= 840
    assert 70 <= counts["validation"] <= 130
    assert 70 <= counts["test"] <= 130


def test_custom_ratios_are_respected_approximately() -> None:
    ratios = SplitRatios(train=0.5, validation=0.0, test=0.5)
    counts = Counter(assign_split(i, "x", ratios) for i in range(1000))
    assert counts["validation"] == 0
    assert 450 <= counts["train"] <= 550


def test_a_document_is_in_exactly_one_split() -> None:
    ids = list(range(1000))
    by_split = {name: set() for name in SPLIT_NAMES}
    for i in ids:
        by_split[assign_split(i, "s")].add(i)
    assert sum(len(members) for members in by_split.values()) == len(ids)
    assert set().union(*by_split.values()) == set(ids)


def test_assignment_does_not_depend_on_the_rest_of_the_corpus() -> None:
    assert [assign_split(i, 3) for i in (5, 900)] == [assign_split(i, 3) for i in (900, 5)][::-1]


@pytest.mark.parametrize(
    "ratios",
    [(0.8, 0.1, 0.2), (0.5, 0.5, 0.5), (1.1, -0.1, 0.0), (0.0, 0.0, 0.0), (float("nan"), 0.5, 0.5)],
)
def test_bad_ratios_are_rejected(ratios: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError):
        SplitRatios(*ratios)


def test_zero_ratio_split_never_receives_documents() -> None:
    ratios = SplitRatios(train=0.7, validation=0.3, test=0.0)
    assert {assign_split(i, "z", ratios) for i in range(2000)} == {"train", "validation"}

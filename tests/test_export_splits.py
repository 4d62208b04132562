"""Document-level train/validation/test assignment."""

from collections import Counter

import pytest

from annotator.exports.records import ExportDocument
from annotator.exports.splits import (
    SPLIT_NAMES,
    SplitRatios,
    assign_split,
    by_split,
    hash_unit,
    rule_in_words,
)


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


def documents(count: int) -> list[ExportDocument]:
    return [ExportDocument(n, f"D{n}", f"Text {n}.", "s", {}, ()) for n in range(1, count + 1)]


def test_by_split_hands_over_each_split_in_order_reading_once(tmp_path) -> None:
    corpus = documents(200)
    read = []

    def reading():
        for document in corpus:
            read.append(document.id)
            yield document

    seen = []
    splits = by_split(
        reading(),
        seed="s",
        ratios=SplitRatios(),
        scratch=tmp_path,
        on_read=lambda s, d: seen.append(d.id),
    )
    name, first = next(splits)
    head = next(first)

    # The first split's first document comes as soon as it is read, not after the corpus.
    assert name == "train" and len(read) < len(corpus)
    handed = {name: [head.id, *(d.id for d in first)]}
    handed |= {split: [d.id for d in split_documents] for split, split_documents in splits}
    assert list(handed) == list(SPLIT_NAMES)
    assert read == seen == [d.id for d in corpus]
    for split, ids in handed.items():
        assert ids == [d.id for d in corpus if assign_split(d.id, "s") == split]


def test_by_split_skips_splits_without_documents(tmp_path) -> None:
    ratios = SplitRatios(0.0, 0.0, 1.0)

    handed = [split for split, _ in by_split(documents(5), seed=1, ratios=ratios, scratch=tmp_path)]

    assert handed == ["test"]


def test_rule_in_words_gives_the_assignment(tmp_path) -> None:
    ratios = SplitRatios(0.6, 0.4, 0.0)
    code = rule_in_words("seed-x", ratios).split("```python\n")[1].split("```")[0]

    for document_id in range(300):
        namespace = {"id": document_id}
        exec(code, namespace)  # noqa: S102 - the rule as a card states it
        assert namespace["split"] == assign_split(document_id, "seed-x", ratios)

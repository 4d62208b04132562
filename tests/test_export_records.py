"""Helpers shared by the export writers: checks, token alignment, overlaps, IOB2."""

from itertools import combinations, pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    ExportSpan,
    iob2_names,
    iob2_tags,
    layers,
    resolve_overlaps,
    tokenize_document,
)

LABELS = ["claim", "threat", "proposal", "actor"]


def make(text: str, *spans: ExportSpan) -> ExportDocument:
    return ExportDocument(1, "t", text, "s", {}, spans)


@pytest.mark.parametrize(
    "span",
    [ExportSpan(3, 3, "claim"), ExportSpan(-1, 2, "claim"), ExportSpan(0, 99, "claim")],
)
def test_bad_offsets_are_rejected(span: ExportSpan) -> None:
    with pytest.raises(ValueError, match="document 1"):
        tokenize_document(make("abc def", span), LABELS)


def test_unknown_label_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown label"):
        tokenize_document(make("abc", ExportSpan(0, 3, "gossip")), LABELS)


def test_alignment_counts_boundaries_off_token_edges() -> None:
    document = make(
        "abc def ghi",
        ExportSpan(4, 7, "claim"),  # exact token
        ExportSpan(5, 7, "claim"),  # start inside a token
        ExportSpan(3, 7, "claim"),  # start on whitespace
        ExportSpan(0, 11, "actor"),
    )
    tokenized = tokenize_document(document, LABELS)
    assert tokenized.misaligned == [ExportSpan(3, 7, "claim"), ExportSpan(5, 7, "claim")]
    assert [(first, end) for first, end, _ in tokenized.aligned] == [(0, 3), (1, 2)]


def test_overlaps_keep_the_earliest_ending_whatever_the_input_order() -> None:
    a = (0, 3, ExportSpan(0, 9, "claim"))
    b = (2, 5, ExportSpan(6, 15, "claim"))
    c = (4, 6, ExportSpan(12, 20, "claim"))
    assert resolve_overlaps([a, b, c]) == ([a, c], [b[2]])
    assert resolve_overlaps([c, b, a]) == ([a, c], [b[2]])


def test_overlaps_keep_the_most_spans_rather_than_the_longest() -> None:
    """Longest first would keep the claim alone; two nested actors are more spans."""
    claim = (0, 10, ExportSpan(0, 50, "claim"))
    first = (1, 2, ExportSpan(5, 9, "actor"))
    second = (5, 7, ExportSpan(25, 35, "actor"))
    assert resolve_overlaps([claim, first, second]) == ([first, second], [claim[2]])


def test_between_spans_ending_together_the_actor_then_the_shorter_wins() -> None:
    actor = (2, 4, ExportSpan(10, 20, "actor"))
    threat = (2, 4, ExportSpan(10, 20, "threat"))
    claim = (0, 4, ExportSpan(0, 20, "claim"))
    assert resolve_overlaps([claim, threat, actor]) == ([actor], [threat[2], claim[2]])
    assert resolve_overlaps([claim, threat]) == ([threat], [claim[2]])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(1, 5), st.sampled_from(LABELS)),
        max_size=9,
    )
)
def test_no_other_choice_keeps_more_spans(drawn: list[tuple[int, int, str]]) -> None:
    ranges = [
        (first, first + length, ExportSpan(first, first + length, label, str(n)))
        for n, (first, length, label) in enumerate(drawn)
    ]
    kept, dropped = resolve_overlaps(ranges)
    assert all(a[1] <= b[0] for a, b in pairwise(kept))
    assert len(kept) + len(dropped) == len(ranges)
    best = max(
        (
            len(subset)
            for size in range(len(ranges) + 1)
            for subset in combinations(sorted(ranges, key=lambda r: r[0]), size)
            if all(a[1] <= b[0] for a, b in pairwise(subset))
        ),
        default=0,
    )
    assert len(kept) == best


def test_counts_by_reason_and_label_add_up() -> None:
    a = ExportCounts.of(1, 3, misaligned=[ExportSpan(0, 1, "claim")])
    b = ExportCounts.of(
        2, 4, misaligned=[ExportSpan(0, 1, "claim")], overlapping=[ExportSpan(0, 1, "actor")]
    )
    total = a + b
    assert total == ExportCounts(3, 7, {"misaligned": {"claim": 2}, "overlapping": {"actor": 1}})
    assert (total.misaligned_spans, total.overlapping_spans, total.left_out_spans()) == (2, 1, 3)
    assert total.as_dict(LABELS)["left_out"] == {
        "misaligned": {"claim": 2, "threat": 0, "proposal": 0, "actor": 0},
        "overlapping": {"claim": 0, "threat": 0, "proposal": 0, "actor": 1},
    }
    assert ExportCounts.of(1, 0, misaligned=[]) == ExportCounts(1, 0)


def test_iob2_layers_and_names() -> None:
    assert layers(LABELS) == (["actor"], ["claim", "threat", "proposal"])
    assert iob2_names(["actor"]) == ["O", "B-actor", "I-actor"]
    ranges = [(0, 3, ExportSpan(0, 11, "claim")), (1, 2, ExportSpan(4, 7, "actor"))]
    assert iob2_tags(4, ranges, ["claim"]) == (["B-claim", "I-claim", "I-claim", "O"], [])
    assert iob2_tags(4, ranges, ["actor"]) == (["O", "B-actor", "O", "O"], [])

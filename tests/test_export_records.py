"""Helpers shared by the export writers: checks, token alignment, overlaps, IOB2."""

import io
import zipfile

import pytest

from annotator.exports.records import (
    ExportDocument,
    ExportSpan,
    iob2_names,
    iob2_tags,
    layers,
    resolve_overlaps,
    tokenize_document,
    write_zip_entry,
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
    assert tokenized.misaligned == 2
    assert [(first, end) for first, end, _ in tokenized.aligned] == [(0, 3), (1, 2)]


def test_overlaps_keep_longest_then_earliest_whatever_the_input_order() -> None:
    a = (0, 3, ExportSpan(0, 9, "claim"))
    b = (2, 5, ExportSpan(6, 15, "claim"))
    c = (4, 6, ExportSpan(12, 20, "claim"))
    assert resolve_overlaps([a, b, c]) == ([a, c], 1)
    assert resolve_overlaps([c, b, a]) == ([a, c], 1)


def test_iob2_layers_and_names() -> None:
    assert layers(LABELS) == (["actor"], ["claim", "threat", "proposal"])
    assert iob2_names(["actor"]) == ["O", "B-actor", "I-actor"]
    ranges = [(0, 3, ExportSpan(0, 11, "claim")), (1, 2, ExportSpan(4, 7, "actor"))]
    assert iob2_tags(4, ranges, ["claim"]) == (["B-claim", "I-claim", "I-claim", "O"], 0)
    assert iob2_tags(4, ranges, ["actor"]) == (["O", "B-actor", "O", "O"], 0)


def test_zip_entries_have_fixed_metadata() -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        write_zip_entry(archive, "a.txt", b"x")
    info = zipfile.ZipFile(io.BytesIO(stream.getvalue())).getinfo("a.txt")
    assert info.date_time == (1980, 1, 1, 0, 0, 0)
    assert info.compress_type == zipfile.ZIP_DEFLATED

"""The Hugging Face writer's columns, checked against a plain per-document computation.

The writer builds its columns a row group at a time from flat buffers (token
strings cut out of the joined UTF-8, tags spread from token ranges). Here every
row is recomputed the obvious way, one document at a time, from
``annotator.annotation.tokenization.tokenize`` and the shared IOB2 helpers, and the Parquet
files read back by pyarrow must hold exactly that. Offsets are code points,
half-open.
"""

import json
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.annotation.tokenization import tokenize
from annotator.exports.huggingface import _offsets, arrow_schema, write_huggingface
from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    ExportRelation,
    ExportSpan,
    iob2_names,
    iob2_tags,
    layers,
    ordered_relations,
    span_sort_key,
    token_layer_counts,
    tokenize_document,
)
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split

LABELS = ["claim", "threat", "proposal", "actor"]
SEED = "fixtures"


def span_at(text: str, quote: str, label: str) -> ExportSpan:
    start = text.index(quote)
    return ExportSpan(start, start + len(quote), label)


def document(doc_id: int, text: str, *quotes: tuple[str, str], **fields) -> ExportDocument:
    spans = tuple(span_at(text, quote, label) for quote, label in quotes)
    defaults = {"title": f"Document {doc_id}", "source": "fixture", "meta": {"n": doc_id}}
    defaults.update(fields)
    return ExportDocument(
        doc_id, defaults["title"], text, defaults["source"], defaults["meta"], spans
    )


NFD = unicodedata.normalize("NFD", "Le président a déclaré que la réforme échouera.")
DOCUMENTS = [
    document(
        1,
        "Summit 🎉🌍 in Oslo: NATO 👍🏽 says the alliance will grow.",
        ("Oslo", "actor"),
        ("NATO", "actor"),
        ("NATO 👍🏽 says the alliance will grow", "claim"),
        title="Sommet 🎉",
        meta={"lieu": "Oslo", "émoji": "🌍"},
    ),
    document(
        2,
        NFD,
        (unicodedata.normalize("NFD", "président"), "actor"),
        (unicodedata.normalize("NFD", "la réforme échouera"), "claim"),
    ),
    document(
        3,
        "قال الرئيس إن الاقتصاد سينمو. השר אמר שהמס יעלה.",
        ("الرئيس", "actor"),
        ("الاقتصاد سينمو", "claim"),
        ("שהמס יעלה", "threat"),
    ),
    document(
        4, "习近平 表示 经济 将 增长。东京都知事", ("经济 将 增长", "claim"), ("东京", "actor")
    ),
    document(
        5,
        "Parliament will vote\r\non Friday.\u2028Critics\twarned\u00a0of\nunrest.",
        ("vote\r\non Friday", "proposal"),
        ("warned\u00a0of\nunrest", "threat"),
    ),
    document(6, "", source="", meta={}),
    document(7, "No spans at all, just words."),
    document(8, " \n\t\u3000 ", title="Only whitespace"),
    document(
        9,
        "We propose a new tax on imports today.",
        ("We", "actor"),
        ("a new tax on imports", "proposal"),
        ("tax on imports today", "claim"),
    ),
    document(10, "a,b;c\x00d—e…", ("a", "claim"), ("b", "claim"), ("c\x00d", "threat")),
]


def coded(
    document: ExportDocument, relations: list[tuple[int, int, str]], **values
) -> ExportDocument:
    """``document`` with ``relations`` between its spans (indexes into ``spans``) and
    attribute values on spans, ``values`` mapping ``"s<index>"`` to ``(name, value)`` pairs."""
    spans = tuple(
        span._replace(annotator="ann", attributes=tuple(sorted(values.get(f"s{index}", ()))))
        for index, span in enumerate(document.spans)
    )
    return replace(document, spans=spans, relations=tuple(ExportRelation(*r) for r in relations))


# The claim (third span, first in the sorted order) is made by NATO (second span);
# in document 9 the proposal and the overlapping claim both point at "We".
DOCUMENTS[0] = coded(
    DOCUMENTS[0], [(2, 1, "claimant"), (2, 0, "addressee")], s2=[("stance", "support"), ("x", "y")]
)
DOCUMENTS[8] = coded(
    DOCUMENTS[8], [(1, 0, "claimant"), (2, 0, "claimant")], s1=[("stance", "oppose")]
)
# Where spans came from when not marked by hand: an accepted suggestion, an import.
DOCUMENTS[2] = replace(
    DOCUMENTS[2],
    spans=tuple(
        span._replace(origin=origin)
        for span, origin in zip(
            DOCUMENTS[2].spans, ["string-match", None, "import:ner-v3"], strict=False
        )
    ),
)


def test_fixtures_exercise_what_they_claim() -> None:
    assert not unicodedata.is_normalized("NFC", DOCUMENTS[1].text)
    assert any(len(c.encode("utf-16-le")) == 4 for c in DOCUMENTS[0].text)  # astral
    assert not tokenize(DOCUMENTS[5].text) and not tokenize(DOCUMENTS[7].text)
    overlapping = tokenize_document(DOCUMENTS[8], LABELS).aligned
    assert len(iob2_tags(len(tokenize(DOCUMENTS[8].text)), overlapping, LABELS[:3])[1]) == 1
    assert DOCUMENTS[0].spans[2].label == "claim" and DOCUMENTS[0].spans[1].label == "actor"
    # Every split gets documents, so rows interleave between the three buffers.
    assert {assign_split(d.id, SEED) for d in DOCUMENTS} == set(SPLIT_NAMES)


def expected_row(document: ExportDocument) -> dict:
    """The row of one document, computed on its own with plain Python."""
    ranges = tokenize(document.text)
    aligned = tokenize_document(document, LABELS).aligned
    actor_labels, content_labels = layers(LABELS)
    ner_tags, _ = iob2_tags(len(ranges), aligned, content_labels)
    actor_tags, _ = iob2_tags(len(ranges), aligned, actor_labels)
    return {
        "id": document.id,
        "title": document.title,
        "text": document.text,
        "source": document.source,
        "meta": json.dumps(document.meta, ensure_ascii=False, sort_keys=True),
        "tokens": [document.text[start:end] for start, end in ranges],
        "token_starts": [start for start, _ in ranges],
        "token_ends": [end for _, end in ranges],
        "ner_tags": [iob2_names(content_labels).index(tag) for tag in ner_tags],
        "actor_tags": [iob2_names(actor_labels).index(tag) for tag in actor_tags],
        "spans": [
            {"start": span.start, "end": span.end, "label": span.label}
            for span in sorted(document.spans, key=span_sort_key)
        ],
        "relations": [
            {"head": head, "tail": tail, "type": type_}
            for head, tail, type_ in ordered_relations(
                document, sorted(document.spans, key=span_sort_key)
            )
        ],
        "span_attributes": [
            [{"name": name, "value": value} for name, value in span.attributes]
            for span in sorted(document.spans, key=span_sort_key)
        ],
        "span_origins": [span.origin for span in sorted(document.spans, key=span_sort_key)],
    }


def expected_counts(documents: list[ExportDocument]) -> ExportCounts:
    counts = ExportCounts()
    actor_labels, content_labels = layers(LABELS)
    for document in documents:
        tokenized = tokenize_document(document, LABELS)
        token_count = len(tokenize(document.text))
        dropped = [
            span
            for layer in (actor_labels, content_labels)
            for span in iob2_tags(token_count, tokenized.aligned, layer)[1]
        ]
        written = ExportCounts.of(
            1, len(document.spans), misaligned=tokenized.misaligned, overlapping=dropped
        )
        # What a summary says before writing is what the writer reports.
        assert token_layer_counts(document, LABELS) == written
        counts += written + ExportCounts(relations=len(document.relations))
    return counts


def read_splits(directory: Path) -> dict[str, list[dict]]:
    """The rows of each split, from its files in order (``train-00000-of-00002.parquet``, ...)."""
    splits: dict[str, list[dict]] = {}
    for path in sorted(directory.glob("*.parquet")):
        splits.setdefault(path.name.split("-")[0], []).extend(pq.read_table(path).to_pylist())
    return splits


def assert_written_as_expected(
    documents: list[ExportDocument],
    directory: Path,
    rows_per_group: int,
    seed: str,
    rows_per_file: int = 10_000,
) -> None:
    counts = write_huggingface(
        documents,
        LABELS,
        directory,
        seed=seed,
        rows_per_group=rows_per_group,
        rows_per_file=rows_per_file,
    )
    by_split = {
        name: [d for d in documents if assign_split(d.id, seed) == name] for name in SPLIT_NAMES
    }
    assert read_splits(directory) == {
        name: [expected_row(d) for d in split] for name, split in by_split.items() if split
    }
    assert counts == {name: expected_counts(split) for name, split in by_split.items()}


@pytest.mark.parametrize("rows_per_group", [1, 2, 3, 1000])
def test_columns_match_a_per_document_computation(tmp_path: Path, rows_per_group: int) -> None:
    assert_written_as_expected(DOCUMENTS, tmp_path / "hf", rows_per_group, seed=SEED)


@pytest.mark.parametrize(("rows_per_group", "rows_per_file"), [(1, 1), (2, 3), (2, 4)])
def test_splits_spread_over_files_keep_every_row_in_order(
    tmp_path: Path, rows_per_group: int, rows_per_file: int
) -> None:
    assert_written_as_expected(DOCUMENTS, tmp_path / "hf", rows_per_group, SEED, rows_per_file)


def test_files_are_named_as_on_the_hub_with_their_count(tmp_path: Path) -> None:
    documents = [ExportDocument(n, "", "Text.", "", {}, ()) for n in range(1, 9)]

    write_huggingface(
        documents,
        LABELS,
        tmp_path,
        rows_per_group=1,
        rows_per_file=3,
        ratios=SplitRatios(1.0, 0.0, 0.0),
    )

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "train-00000-of-00003.parquet",
        "train-00001-of-00003.parquet",
        "train-00002-of-00003.parquet",
    ]


def test_every_file_has_the_schema_and_features(tmp_path: Path) -> None:
    write_huggingface(DOCUMENTS, LABELS, tmp_path, rows_per_group=4)
    schema = arrow_schema(LABELS)
    files = sorted(tmp_path.glob("*.parquet"))
    assert files
    for path in files:
        written = pq.read_schema(path)
        assert written.equals(schema, check_metadata=False)
        assert written.metadata[b"huggingface"] == schema.metadata[b"huggingface"]
        features = json.loads(written.metadata[b"huggingface"])["info"]["features"]
        assert features["ner_tags"]["feature"]["names"] == ["O"] + [
            f"{prefix}-{label}" for label in LABELS[:3] for prefix in "BI"
        ]
        assert features["actor_tags"]["feature"]["names"] == ["O", "B-actor", "I-actor"]


PIECES = [
    "a",
    "Z",
    "7",
    "_",
    "é",
    "e\u0301",
    "🎉",
    "👍🏽",
    "中",
    "文",
    "\u0627",  # Arabic alef
    "ש",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    "\u00a0",
    "\u2028",
    "\u3000",
    ",",
    ".",
    "—",
    "\x00",
]


@st.composite
def documents(draw: st.DrawFn) -> list[ExportDocument]:
    built = []
    for doc_id in range(1, draw(st.integers(1, 8)) + 1):
        text = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=30)))
        spans = []
        if text:
            for _ in range(draw(st.integers(0, 5))):
                start = draw(st.integers(0, len(text) - 1))
                end = draw(st.integers(start + 1, len(text)))
                label = draw(st.sampled_from(LABELS))
                origin = draw(st.sampled_from([None, "string-match", "model:ner@2"]))
                spans.append(ExportSpan(start, end, label, origin=origin))
        meta = draw(st.dictionaries(st.sampled_from(["k", "ключ", "🔑"]), st.integers()))
        built.append(ExportDocument(doc_id, text[:5], text, "s", meta, tuple(spans)))
    return built


@settings(max_examples=60, deadline=None)
@given(documents(), st.integers(1, 4))
def test_any_documents_match_a_per_document_computation(
    generated: list[ExportDocument], rows_per_group: int
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        assert_written_as_expected(generated, Path(directory), rows_per_group, seed="hypothesis")


def test_a_row_group_past_32_bit_offsets_is_refused() -> None:
    """Arrow's string and list offsets are int32: wrapping around would corrupt the file."""
    assert _offsets(np.array([2**30, 2**30 - 1])).to_pylist() == [0, 2**30, 2**31 - 1]
    with pytest.raises(ValueError, match="too large"):
        _offsets(np.array([2**30, 2**30]))


def test_writing_does_not_import_pandas(tmp_path: Path) -> None:
    """``pa.array`` imports pandas (45 MB) when it is installed; the writer must not call it."""
    script = (
        "import sys; from pathlib import Path;"
        "from annotator.exports.huggingface import write_huggingface;"
        "from annotator.exports.records import ExportDocument, ExportSpan;"
        "d = ExportDocument(1, 't', 'NATO says 🎉', 's', {}, (ExportSpan(0, 4, 'actor'),));"
        "write_huggingface([d], ['actor'], Path(sys.argv[1]));"
        "assert 'pandas' not in sys.modules, 'pandas was imported'"
    )
    # Runs this interpreter on a fixed script: no outside input reaches the call.
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(tmp_path / "hf")],
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert list((tmp_path / "hf").glob("*.parquet"))


def test_datasets_reads_relations_and_attributes_back(tmp_path: Path, monkeypatch) -> None:
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    write_huggingface(DOCUMENTS, LABELS, tmp_path / "hf", ratios=SplitRatios(1.0, 0.0, 0.0))

    loaded = datasets.load_dataset(str(tmp_path / "hf"), cache_dir=str(tmp_path / "cache"))

    features = loaded["train"].features
    assert set(features["relations"].feature) == {"head", "tail", "type"}
    rows = {row["id"]: row for row in loaded["train"]}
    read_back = {}
    for doc_id, row in rows.items():
        text, spans = row["text"], row["spans"]
        assert len(row["span_attributes"]) == len(spans)
        read_back[doc_id] = {
            "relations": {
                (
                    r["type"],
                    text[spans[r["head"]]["start"] : spans[r["head"]]["end"]],
                    text[spans[r["tail"]]["start"] : spans[r["tail"]]["end"]],
                )
                for r in row["relations"]
            },
            "attributes": {
                text[span["start"] : span["end"]]: {a["name"]: a["value"] for a in values}
                for span, values in zip(spans, row["span_attributes"], strict=True)
                if values
            },
        }
    assert read_back[1] == {
        "relations": {
            ("claimant", "NATO 👍🏽 says the alliance will grow", "NATO"),
            ("addressee", "NATO 👍🏽 says the alliance will grow", "Oslo"),
        },
        "attributes": {"NATO 👍🏽 says the alliance will grow": {"stance": "support", "x": "y"}},
    }
    assert read_back[9] == {
        "relations": {
            ("claimant", "a new tax on imports", "We"),
            ("claimant", "tax on imports today", "We"),
        },
        "attributes": {"a new tax on imports": {"stance": "oppose"}},
    }
    assert all(
        read_back[d] == {"relations": set(), "attributes": {}} for d in rows if d not in (1, 9)
    )

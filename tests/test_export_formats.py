"""Every export format read back by its real consumer, on awkward Unicode fixtures."""

import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

from annotator.annotation.tokenization import tokenize
from annotator.exports.brat import brat_files
from annotator.exports.conll import write_conll
from annotator.exports.formats import FORMATS, get_format, write_export
from annotator.exports.huggingface import write_huggingface
from annotator.exports.jsonl import write_doccano_entities_jsonl, write_doccano_jsonl
from annotator.exports.records import (
    LINE_BREAKS,
    ExportCounts,
    ExportDocument,
    ExportSpan,
    iob2_names,
    layers,
    resolve_overlaps,
    tokenize_document,
)
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split
from annotator.exports.w3c import write_w3c

LABELS = ["claim", "threat", "proposal", "actor"]


def doc(doc_id: int, text: str, *spans: tuple[str, str, int]) -> ExportDocument:
    """A document whose spans are given as (quoted text, label, occurrence)."""
    built = []
    for quote, label, occurrence in spans:
        start = -1
        for _ in range(occurrence + 1):
            start = text.index(quote, start + 1)
        built.append(ExportSpan(start, start + len(quote), label))
    return ExportDocument(
        doc_id, f"Document {doc_id}", text, "fixture", {"n": doc_id}, tuple(built)
    )


EMOJI = doc(
    1,
    "Summit 🎉🌍 in Oslo: NATO says the alliance will grow.",
    ("Oslo", "actor", 0),
    ("NATO", "actor", 0),
    ("NATO says the alliance will grow", "claim", 0),
)
ACCENTS = doc(
    2,
    unicodedata.normalize("NFC", "Le président Macron a déclaré que la réforme échouera."),
    ("président Macron", "actor", 0),
    ("la réforme échouera", "claim", 0),
)
RTL = doc(
    3,
    "قال الرئيس إن الاقتصاد سينمو. השר אמר שהמס יעלה.",
    ("الرئيس", "actor", 0),
    ("الاقتصاد سينمو", "claim", 0),
    ("השר", "actor", 0),
    ("שהמס יעלה", "threat", 0),
)
CJK = doc(
    4,
    "习近平 表示 经济 将 增长。东京都知事 Tokyo2020",
    ("习近平", "actor", 0),
    ("经济 将 增长", "claim", 0),
    # Ideographs are a token each, so a name inside a run of them lines up.
    ("东京", "actor", 0),
    # A boundary inside a word: token formats must count, not shift, it.
    ("Tokyo", "actor", 0),
)
NEWLINE = doc(
    5,
    "Parliament will vote on Friday.\nCritics warned of\nunrest in the streets.",
    ("vote on Friday", "proposal", 0),
    ("Critics", "actor", 0),
    ("warned of\nunrest", "threat", 0),
)
OVERLAP = doc(
    6,
    "We propose a new tax on imports today.",
    ("We", "actor", 0),
    ("a new tax on imports", "proposal", 0),
    ("tax on imports today", "claim", 0),
)
FIXTURES = [EMOJI, ACCENTS, RTL, CJK, NEWLINE, OVERLAP]


def span_triples(document: ExportDocument) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for s in document.spans}


def token_aligned(document: ExportDocument) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for _, _, s in tokenize_document(document, LABELS).aligned}


def test_fixtures_exercise_what_they_claim() -> None:
    before_oslo = EMOJI.text[: EMOJI.text.index("Oslo")]
    assert len(before_oslo.encode("utf-16-le")) // 2 > len(before_oslo)  # astral emoji
    assert unicodedata.is_normalized("NFC", ACCENTS.text) and "é" in ACCENTS.text
    assert any(LINE_BREAKS & set(NEWLINE.text[s.start : s.end]) for s in NEWLINE.spans)
    assert len(token_aligned(CJK)) == len(CJK.spans) - 1


def test_doccano_jsonl_offsets_and_text() -> None:
    stream = io.BytesIO()
    counts = write_doccano_jsonl(FIXTURES, LABELS, stream, split="train")
    assert counts == ExportCounts(len(FIXTURES), sum(len(d.spans) for d in FIXTURES))
    lines = stream.getvalue().decode("utf-8").splitlines()
    assert len(lines) == len(FIXTURES)
    for document, line in zip(FIXTURES, lines, strict=True):
        record = json.loads(line)
        assert set(record) == {"id", "title", "text", "label", "meta", "source", "split"}
        assert record["text"] == document.text and record["id"] == document.id
        assert {tuple(entry) for entry in record["label"]} == span_triples(document)
        # The user's meta whole; our own fields beside it, never inside.
        assert record["meta"] == {"n": document.id}
        assert (record["source"], record["split"]) == ("fixture", "train")
    assert "🎉" in lines[0]  # ensure_ascii=False


def test_doccano_jsonl_keeps_meta_whose_keys_are_our_own_field_names() -> None:
    meta = {"source": "Reuters", "split": "theirs", "span_annotators": 3, "id": "x"}
    document = ExportDocument(7, "Wire", "Wire story about NATO.", "wire.txt", meta, ())
    stream = io.BytesIO()
    write_doccano_jsonl([document], LABELS, stream, split="test")
    record = json.loads(stream.getvalue())
    assert record["meta"] == meta
    assert (record["id"], record["source"], record["split"]) == (7, "wire.txt", "test")


def test_doccano_jsonl_keeps_annotators() -> None:
    document = ExportDocument(1, "t", "abc def", "s", {}, (ExportSpan(4, 7, "claim", "ann1"),))
    stream = io.BytesIO()
    write_doccano_jsonl([document], LABELS, stream, split="train")
    assert json.loads(stream.getvalue())["span_annotators"] == ["ann1"]
    stream = io.BytesIO()
    write_doccano_entities_jsonl([document], LABELS, stream, split="train")
    assert json.loads(stream.getvalue())["entities"][0]["annotator"] == "ann1"


def test_doccano_entities_jsonl_offsets_and_ids() -> None:
    stream = io.BytesIO()
    write_doccano_entities_jsonl(FIXTURES, LABELS, stream, split="validation")
    records = [json.loads(line) for line in stream.getvalue().decode("utf-8").splitlines()]
    ids = [entity["id"] for record in records for entity in record["entities"]]
    assert ids == list(range(1, len(ids) + 1))
    for document, record in zip(FIXTURES, records, strict=True):
        assert set(record) == {"id", "text", "entities", "relations", "split"}
        assert record["text"] == document.text and record["relations"] == []
        assert record["split"] == "validation"
        found = {(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]}
        assert found == span_triples(document)


def test_w3c_selectors_match_text() -> None:
    stream, texts = io.BytesIO(), io.BytesIO()
    counts = write_w3c(FIXTURES, LABELS, stream, texts=texts, split="test", context=8)
    annotations = [json.loads(line) for line in stream.getvalue().decode("utf-8").splitlines()]
    assert len(annotations) == counts.spans == sum(len(d.spans) for d in FIXTURES)
    # The annotations are read against the documents file, not against our fixtures.
    sources = {}
    for line in texts.getvalue().decode("utf-8").split("\n")[:-1]:
        record = json.loads(line)
        sources[record["id"]] = record
    assert set(sources) == {f"urn:annotator:document:{d.id}" for d in FIXTURES}
    by_source = {f"urn:annotator:document:{d.id}": d for d in FIXTURES}
    for iri, record in sources.items():
        document = by_source[iri]
        assert (record["text"], record["title"], record["split"]) == (
            document.text,
            document.title,
            "test",
        )
        assert (record["source"], record["meta"]) == (document.source, document.meta)
    found: dict[int, set] = {d.id: set() for d in FIXTURES}
    for annotation in annotations:
        assert annotation["@context"] == "http://www.w3.org/ns/anno.jsonld"
        assert annotation["type"] == "Annotation"
        assert annotation["id"].startswith(annotation["target"]["source"] + "#span-")
        assert annotation["body"] == {
            "type": "TextualBody",
            "purpose": "tagging",
            "value": annotation["body"]["value"],
        }
        text = sources[annotation["target"]["source"]]["text"]
        position, quote = annotation["target"]["selector"]
        assert position["type"] == "TextPositionSelector"
        assert quote["type"] == "TextQuoteSelector"
        start, end = position["start"], position["end"]
        assert quote["exact"] == text[start:end]
        assert quote["prefix"] == text[max(0, start - 8) : start]
        assert quote["suffix"] == text[end : end + 8]
        assert quote["prefix"] + quote["exact"] + quote["suffix"] in text
        document = by_source[annotation["target"]["source"]]
        found[document.id].add((start, end, annotation["body"]["value"]))
    assert all(found[d.id] == span_triples(d) for d in FIXTURES)


def read_brat(files: dict[str, bytes]) -> tuple[str, dict[str, str], dict[str, str]]:
    """A minimal brat reader of one folder: (annotation.conf, {id: txt}, {id: ann})."""
    conf = files["annotation.conf"].decode("utf-8")
    texts = {n[:-4]: data.decode("utf-8") for n, data in files.items() if n.endswith(".txt")}
    anns = {n[:-4]: data.decode("utf-8") for n, data in files.items() if n.endswith(".ann")}
    return conf, texts, anns


def brat_folder(documents: list[ExportDocument]) -> tuple[dict[str, bytes], ExportCounts]:
    files, counts = {}, ExportCounts()
    for name, data, file_counts in brat_files(documents, LABELS):
        files[name] = data
        counts += file_counts
    return files, counts


def test_brat_fragments_match_txt() -> None:
    files, counts = brat_folder(FIXTURES)
    assert counts.left_out_spans() == 0 and counts.spans == sum(len(d.spans) for d in FIXTURES)
    conf, texts, anns = read_brat(files)
    assert conf.splitlines()[:5] == ["[entities]", *LABELS]
    assert "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>" in conf
    fragmented = 0
    for document in FIXTURES:
        text = texts[str(document.id)]
        assert text == document.text
        found = set()
        for line in anns[str(document.id)].splitlines():
            ident, type_offsets, quote = line.split("\t")
            assert ident.startswith("T")
            label, offsets = type_offsets.split(" ", 1)
            pieces = [tuple(map(int, part.split())) for part in offsets.split(";")]
            fragmented += len(pieces) > 1
            assert quote == " ".join(text[start:end] for start, end in pieces)
            for start, end in pieces:
                assert not LINE_BREAKS & set(text[start:end])
            found.add((pieces[0][0], pieces[-1][1], label))
        assert found == span_triples(document)
    assert fragmented == 1


def test_brat_fragment_syntax() -> None:
    document = ExportDocument(9, "t", "first\nsecond", "s", {}, (ExportSpan(0, 12, "claim", "a"),))
    _, _, anns = read_brat(brat_folder([document])[0])
    assert anns["9"] == "T1\tclaim 0 5;6 12\tfirst second\n#1\tAnnotatorNotes T1\tannotator: a\n"


def test_brat_counts_a_span_of_line_breaks_only_by_label() -> None:
    document = ExportDocument(
        9, "t", "a\n\nb", "s", {}, (ExportSpan(1, 3, "threat"), ExportSpan(0, 1, "claim"))
    )
    files, counts = brat_folder([document])
    assert counts.left_out == {"line_breaks_only": {"threat": 1}}
    assert read_brat(files)[2]["9"] == "T1\tclaim 0 1\ta\n"


def expected_tag_spans(document: ExportDocument) -> set[tuple[int, int, str]]:
    """Aligned spans minus those the fixture overlaps on purpose."""
    dropped = {(OVERLAP.text.index("tax"), OVERLAP.text.index(" today") + 6, "claim")}
    return token_aligned(document) - dropped


def conll_blocks(data: str) -> list[tuple[int, str]]:
    """(document id, block) per document, from the ``-DOCSTART- <id>`` lines."""
    parts = re.split(r"^-DOCSTART- (\d+)\tO\tO\n\n", data, flags=re.MULTILINE)
    assert parts[0] == ""
    return [(int(ident), block) for ident, block in zip(parts[1::2], parts[2::2], strict=True)]


def test_conll_read_back_with_seqeval() -> None:
    from seqeval.scheme import IOB2, Entities

    stream = io.BytesIO()
    counts = write_conll(FIXTURES, LABELS, stream)
    assert counts.left_out == {"misaligned": {"actor": 1}, "overlapping": {"claim": 1}}
    blocks = conll_blocks(stream.getvalue().decode("utf-8"))
    assert [ident for ident, _ in blocks] == [document.id for document in FIXTURES]
    for document, (_, block) in zip(FIXTURES, blocks, strict=True):
        sentences = [s.splitlines() for s in block.split("\n\n") if s.strip()]
        rows = [line.split("\t") for sentence in sentences for line in sentence]
        tokens = tokenize(document.text)
        assert [row[0] for row in rows] == [document.text[s:e] for s, e in tokens]
        found = set()
        for column in (1, 2):
            tag_sentences = [[line.split("\t")[column] for line in s] for s in sentences]
            entities = Entities(tag_sentences, IOB2).entities
            offset = 0
            for sentence, sentence_entities in zip(tag_sentences, entities, strict=True):
                for entity in sentence_entities:
                    first, last = offset + entity.start, offset + entity.end - 1
                    found.add((tokens[first][0], tokens[last][1], entity.tag))
                offset += len(sentence)
        assert found == expected_tag_spans(document)
    # The newline document is split at "." but not inside the span over the newline.
    newline_block = blocks[FIXTURES.index(NEWLINE)][1]
    assert [s.splitlines()[0].split("\t")[0] for s in newline_block.split("\n\n") if s] == [
        "Parliament",
        "Critics",
    ]


def spacy_docs(folder: Path) -> dict[str, list]:
    """The Docs of each split folder of a spaCy export, read by spaCy."""
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    return {
        split.name: [
            doc
            for shard in sorted(split.iterdir())
            for doc in DocBin().from_disk(shard).get_docs(nlp.vocab)
        ]
        for split in sorted(folder.iterdir())
    }


def test_spacy_docbin_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from annotator.exports import formats

    monkeypatch.setattr(formats, "SPACY_SHARD_DOCUMENTS", 2)
    many = FIXTURES + [ExportDocument(100 + i, "", f"Filler {i}.", "s", {}, ()) for i in range(20)]
    counts = write_export(get_format("spacy"), many, LABELS, tmp_path / "spacy", seed="s")
    assert counts.left_out["misaligned"] == {"actor": 1} and counts.documents == len(many)
    by_split = spacy_docs(tmp_path / "spacy")
    assert set(by_split) == {"train", "dev", "test"}
    assert min(p.name for p in (tmp_path / "spacy" / "dev").iterdir()) == "00000.spacy"
    expected = {"train": [], "dev": [], "test": []}
    for document in many:
        split = assign_split(document.id, "s")
        expected["dev" if split == "validation" else split].append(document.id)
    assert {
        split: [d.user_data["id"] for d in docs] for split, docs in by_split.items()
    } == expected
    docs = {doc.user_data["id"]: doc for split_docs in by_split.values() for doc in split_docs}
    ents_total = 0
    for document in FIXTURES:
        doc = docs[document.id]
        assert doc.text == document.text
        assert doc.user_data["split"] == assign_split(document.id, "s")
        assert [t.text for t in doc if not t.is_space] == [
            document.text[s:e] for s, e in tokenize(document.text)
        ]
        found = set()
        for span in doc.spans["sc"]:
            assert span.text == document.text[span.start_char : span.end_char]
            found.add((span.start_char, span.end_char, span.label_))
        assert found == token_aligned(document)
        ents = [(e.start_char, e.end_char) for e in doc.ents]
        assert all(a[1] <= b[0] for a, b in pairwise(ents))
        assert all(e.text == document.text[e.start_char : e.end_char] for e in doc.ents)
        ents_total += len(ents)
    aligned_total = sum(len(token_aligned(d)) for d in FIXTURES)
    assert ents_total == aligned_total - counts.overlapping_spans


def test_spacy_ents_keep_actors_nested_in_claims() -> None:
    """The issue's case: the actors inside a claim are entities, the claim is only in sc."""
    text = "Officials in Kyiv and Moscow said the talks failed."
    document = doc(
        1,
        text,
        ("Officials in Kyiv and Moscow said the talks failed", "claim", 0),
        ("Kyiv", "actor", 0),
        ("Moscow", "actor", 0),
        ("the talks failed", "proposal", 0),
    )
    tokenized = tokenize_document(document, LABELS)
    kept, dropped = resolve_overlaps(tokenized.aligned)
    assert sorted(span.label for _, _, span in kept) == ["actor", "actor", "proposal"]
    assert [span.label for span in dropped] == ["claim"]


@pytest.fixture
def offline_hf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    return tmp_path / "hf-cache"


def test_huggingface_parquet_read_back(tmp_path: Path, offline_hf: Path) -> None:
    import datasets
    from seqeval.metrics.sequence_labeling import get_entities

    out = tmp_path / "hf"
    many = FIXTURES + [ExportDocument(100 + i, "", f"Filler {i}.", "s", {}, ()) for i in range(40)]
    counts = write_huggingface(many, LABELS, out, seed="release-1")
    expected_sizes = {name: 0 for name in SPLIT_NAMES}
    for document in many:
        expected_sizes[assign_split(document.id, "release-1")] += 1
    assert {name: c.documents for name, c in counts.items()} == expected_sizes
    files = {name: str(out / f"{name}-*.parquet") for name in SPLIT_NAMES}
    loaded = datasets.load_dataset("parquet", data_files=files, cache_dir=str(offline_hf))
    assert {name: loaded[name].num_rows for name in SPLIT_NAMES} == expected_sizes
    actor_labels, content_labels = layers(LABELS)
    features = loaded["train"].features
    assert features["ner_tags"].feature.names == iob2_names(content_labels)
    assert features["actor_tags"].feature.names == iob2_names(actor_labels)
    assert features["ner_tags"].feature.names[:3] == ["O", "B-claim", "I-claim"]
    rows = {row["id"]: row for name in SPLIT_NAMES for row in loaded[name]}
    for document in FIXTURES:
        row = rows[document.id]
        assert row["text"] == document.text and row["title"] == document.title
        assert json.loads(row["meta"]) == document.meta
        assert {(s["start"], s["end"], s["label"]) for s in row["spans"]} == span_triples(document)
        assert row["tokens"] == [
            document.text[s:e] for s, e in zip(row["token_starts"], row["token_ends"], strict=True)
        ]
        found = set()
        for column in ("ner_tags", "actor_tags"):
            names = features[column].feature.names
            tags = [names[i] for i in row[column]]
            for label, first, last in get_entities(tags):
                found.add((row["token_starts"][first], row["token_ends"][last], label))
        assert found == expected_tag_spans(document)


def test_huggingface_split_without_documents_has_no_file(tmp_path: Path, offline_hf: Path) -> None:
    import datasets

    from annotator.exports.splits import SplitRatios

    out = tmp_path / "hf"
    write_huggingface(FIXTURES, LABELS, out, ratios=SplitRatios(0.5, 0.5, 0.0))
    assert sorted(p.name for p in out.iterdir()) == [
        "train-00000-of-00001.parquet",
        "validation-00000-of-00001.parquet",
    ]
    loaded = datasets.load_dataset(str(out), cache_dir=str(offline_hf))
    assert set(loaded) == {"train", "validation"}
    assert loaded["train"].num_rows + loaded["validation"].num_rows == len(FIXTURES)


def write_all(directory: Path, documents: Iterable[ExportDocument]) -> dict[str, bytes]:
    """Write every format under ``directory``; return {relative path: bytes}."""
    documents = list(documents)
    for name in FORMATS:
        write_export(get_format(name), iter(documents), LABELS, directory / name, seed="b")
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_every_format_has_a_file_or_folder_per_split(tmp_path: Path) -> None:
    many = FIXTURES + [ExportDocument(100 + i, "", f"Filler {i}.", "s", {}, ()) for i in range(30)]
    assert {assign_split(d.id, "b") for d in many} == set(SPLIT_NAMES)
    files = write_all(tmp_path, many)
    tops = {
        name: sorted({path.split("/")[1] for path in files if path.startswith(f"{name}/")})
        for name in FORMATS
    }
    assert tops == {
        "jsonl": ["test.jsonl", "train.jsonl", "validation.jsonl"],
        "doccano-entities": ["test.jsonl", "train.jsonl", "validation.jsonl"],
        "conll": ["test.conll", "train.conll", "validation.conll"],
        "w3c": ["test", "train", "validation"],
        "spacy": ["dev", "test", "train"],
        "huggingface": [
            "test-00000-of-00001.parquet",
            "train-00000-of-00001.parquet",
            "validation-00000-of-00001.parquet",
        ],
        "brat": ["test", "train", "validation"],
    }
    assert {p for p in files if p.startswith("w3c/train/")} == {
        "w3c/train/annotations.jsonl",
        "w3c/train/documents.jsonl",
    }
    assert "brat/validation/annotation.conf" in files


def test_a_split_without_documents_has_no_file(tmp_path: Path) -> None:
    ratios = SplitRatios(0.5, 0.5, 0.0)
    for name in ("jsonl", "conll", "brat", "spacy"):
        write_export(get_format(name), FIXTURES, LABELS, tmp_path / name, ratios=ratios)
    assert sorted(p.name for p in (tmp_path / "jsonl").iterdir()) == [
        "train.jsonl",
        "validation.jsonl",
    ]
    assert sorted(p.name for p in (tmp_path / "conll").iterdir()) == [
        "train.conll",
        "validation.conll",
    ]
    assert sorted(p.name for p in (tmp_path / "brat").iterdir()) == ["train", "validation"]
    assert sorted(p.name for p in (tmp_path / "spacy").iterdir()) == ["dev", "train"]


def test_same_input_gives_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    first = write_all(tmp_path / "a", FIXTURES)
    assert first == write_all(tmp_path / "b", list(FIXTURES))
    changed_span = OVERLAP.spans[0]._replace(label="claim")
    changed = [*FIXTURES[:-1], replace(OVERLAP, spans=(changed_span, *OVERLAP.spans[1:]))]
    other = write_all(tmp_path / "c", changed)
    assert first.keys() == other.keys()
    changed_formats = {name.split("/")[0] for name in first if first[name] != other[name]}
    assert changed_formats == {name.split("/")[0] for name in first}


def test_writers_accept_a_one_shot_generator(tmp_path: Path) -> None:
    from_list = write_all(tmp_path / "list", FIXTURES)
    from_generator = write_all(tmp_path / "generator", (d for d in FIXTURES))
    assert from_generator == from_list


def test_same_bytes_in_another_process(tmp_path: Path) -> None:
    """Hash randomisation (set ordering) must not leak into any file."""
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    here = write_all(tmp_path / "here", FIXTURES)
    script = (
        "import os, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings');"
        "import django; django.setup();"
        "import test_export_formats as t; t.write_all(Path(sys.argv[2]), t.FIXTURES)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    # Runs this interpreter on this test module: no outside input reaches the call.
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(Path(__file__).parent), str(tmp_path / "there")],
        check=True,
        env=env,
        cwd=Path(__file__).parent.parent,
    )
    there = {
        str(p.relative_to(tmp_path / "there")): p.read_bytes()
        for p in sorted((tmp_path / "there").rglob("*"))
        if p.is_file()
    }
    assert here == there


def many_documents(count: int) -> list[ExportDocument]:
    text = "The minister said talks would resume in January. " * 20
    return [
        ExportDocument(n, f"Document {n}", text, "s", {}, (ExportSpan(4, 12, "actor"),))
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize("name", ["jsonl", "conll", "w3c", "brat", "spacy"])
def test_download_is_sent_while_the_first_split_is_read(name: str) -> None:
    from annotator.exports import formats

    documents = many_documents(3000)
    read = []

    def reading():
        for document in documents:
            read.append(document.id)
            yield document

    pieces = formats.stream_export(get_format(name), reading(), LABELS, stem="x")
    first = next(pieces)

    assert first.startswith(b"PK\x03\x04")
    assert len(read) < len(documents)
    rest = b"".join(pieces)
    archive = zipfile.ZipFile(io.BytesIO(first + rest))
    assert archive.testzip() is None
    names = archive.namelist()
    # The first split's files come first, the trailer last.
    assert "train" in names[0] and names[-1] == "x/export.json"
    report = json.loads(archive.read("x/export.json"))
    assert report["documents"] == len(documents) and report["spans"] == len(documents)
    listed = [ident for ids in report["splits"]["documents"].values() for ident in ids]
    assert sorted(listed) == [d.id for d in documents]


def test_a_download_cut_short_is_not_a_zip() -> None:
    from annotator.exports import formats

    def failing():
        yield from many_documents(2000)
        raise RuntimeError("the database went away")

    pieces = formats.stream_export(get_format("jsonl"), failing(), LABELS, stem="x")
    received = []
    with pytest.raises(RuntimeError, match="went away"):
        for piece in pieces:
            received.append(piece)
    assert received  # some of it was sent before the error
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(b"".join(received)))


def test_a_brat_download_zips_the_folder_files_without_writing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """brat is two files per document: creating them on disk cost more than the rest of
    the export. A download zips each as it is made, and they are the folder's bytes."""
    from annotator.exports import formats

    many = FIXTURES + [ExportDocument(100 + i, "", f"Filler {i}.", "s", {}, ()) for i in range(30)]
    folder = tmp_path / "folder"
    write_export(get_format("brat"), many, LABELS, folder, seed="b")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    on_disk: set[str] = set()
    received = []
    for piece in formats.stream_export(get_format("brat"), many, LABELS, stem="x", seed="b"):
        received.append(piece)
        on_disk.update(path.name for path in scratch.rglob("*") if path.is_file())

    assert on_disk <= {"validation.pickle", "test.pickle"}
    archive = zipfile.ZipFile(io.BytesIO(b"".join(received)))
    zipped = {name.removeprefix("x/"): archive.read(name) for name in archive.namelist()}
    assert zipped.pop("export.json")
    assert zipped == {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    assert sum(name.endswith(".ann") for name in zipped) == len(many)

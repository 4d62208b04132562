"""Every export format read back by its real consumer, on awkward Unicode fixtures."""

import io
import json
import os
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

from annotator.annotation.tokenization import tokenize
from annotator.exports.brat import write_brat
from annotator.exports.conll import write_conll
from annotator.exports.huggingface import write_huggingface
from annotator.exports.jsonl import write_doccano_entities_jsonl, write_doccano_jsonl
from annotator.exports.records import (
    LINE_BREAKS,
    ExportCounts,
    ExportDocument,
    ExportSpan,
    iob2_names,
    layers,
    tokenize_document,
)
from annotator.exports.spacy_docbin import write_spacy
from annotator.exports.splits import SPLIT_NAMES, assign_split
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
    counts = write_doccano_jsonl(FIXTURES, LABELS, stream)
    assert counts == ExportCounts(len(FIXTURES), sum(len(d.spans) for d in FIXTURES))
    lines = stream.getvalue().decode("utf-8").splitlines()
    assert len(lines) == len(FIXTURES)
    for document, line in zip(FIXTURES, lines, strict=True):
        record = json.loads(line)
        assert set(record) == {"id", "title", "text", "label", "meta"}
        assert record["text"] == document.text and record["id"] == document.id
        assert {tuple(entry) for entry in record["label"]} == span_triples(document)
        assert record["meta"] == {"n": document.id, "source": "fixture"}
    assert "🎉" in lines[0]  # ensure_ascii=False


def test_doccano_jsonl_keeps_annotators() -> None:
    document = ExportDocument(1, "t", "abc def", "s", {}, (ExportSpan(4, 7, "claim", "ann1"),))
    stream = io.BytesIO()
    write_doccano_jsonl([document], LABELS, stream)
    assert json.loads(stream.getvalue())["meta"]["span_annotators"] == ["ann1"]
    stream = io.BytesIO()
    write_doccano_entities_jsonl([document], LABELS, stream)
    assert json.loads(stream.getvalue())["entities"][0]["annotator"] == "ann1"


def test_doccano_entities_jsonl_offsets_and_ids() -> None:
    stream = io.BytesIO()
    write_doccano_entities_jsonl(FIXTURES, LABELS, stream)
    records = [json.loads(line) for line in stream.getvalue().decode("utf-8").splitlines()]
    ids = [entity["id"] for record in records for entity in record["entities"]]
    assert ids == list(range(1, len(ids) + 1))
    for document, record in zip(FIXTURES, records, strict=True):
        assert set(record) == {"id", "text", "entities", "relations"}
        assert record["text"] == document.text and record["relations"] == []
        found = {(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]}
        assert found == span_triples(document)


def test_w3c_selectors_match_text() -> None:
    stream = io.BytesIO()
    counts = write_w3c(FIXTURES, LABELS, stream, context=8)
    annotations = [json.loads(line) for line in stream.getvalue().decode("utf-8").splitlines()]
    assert len(annotations) == counts.spans == sum(len(d.spans) for d in FIXTURES)
    by_source = {f"urn:annotator:document:{d.id}": d for d in FIXTURES}
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
        document = by_source[annotation["target"]["source"]]
        position, quote = annotation["target"]["selector"]
        assert position["type"] == "TextPositionSelector"
        assert quote["type"] == "TextQuoteSelector"
        start, end = position["start"], position["end"]
        assert quote["exact"] == document.text[start:end]
        assert quote["prefix"] == document.text[max(0, start - 8) : start]
        assert quote["suffix"] == document.text[end : end + 8]
        assert quote["prefix"] + quote["exact"] + quote["suffix"] in document.text
        found[document.id].add((start, end, annotation["body"]["value"]))
    assert all(found[d.id] == span_triples(d) for d in FIXTURES)


def read_brat(data: bytes) -> tuple[str, dict[str, str], dict[str, str]]:
    """A minimal brat reader: (annotation.conf, {id: txt}, {id: ann})."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        conf = archive.read("annotation.conf").decode("utf-8")
        texts = {n[:-4]: archive.read(n).decode("utf-8") for n in names if n.endswith(".txt")}
        anns = {n[:-4]: archive.read(n).decode("utf-8") for n in names if n.endswith(".ann")}
    return conf, texts, anns


def test_brat_fragments_match_txt() -> None:
    stream = io.BytesIO()
    counts = write_brat(FIXTURES, LABELS, stream)
    assert counts.misaligned_spans == 0
    conf, texts, anns = read_brat(stream.getvalue())
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
    stream = io.BytesIO()
    write_brat([document], LABELS, stream)
    _, _, anns = read_brat(stream.getvalue())
    assert anns["9"] == "T1\tclaim 0 5;6 12\tfirst second\n#1\tAnnotatorNotes T1\tannotator: a\n"


def expected_tag_spans(document: ExportDocument) -> set[tuple[int, int, str]]:
    """Aligned spans minus those the fixture overlaps on purpose."""
    dropped = {(OVERLAP.text.index("tax"), OVERLAP.text.index(" today") + 6, "claim")}
    return token_aligned(document) - dropped


def test_conll_read_back_with_seqeval() -> None:
    from seqeval.scheme import IOB2, Entities

    stream = io.BytesIO()
    counts = write_conll(FIXTURES, LABELS, stream)
    assert counts.misaligned_spans == 1 and counts.overlapping_spans == 1
    blocks = stream.getvalue().decode("utf-8").split("-DOCSTART-\tO\tO\n\n")
    assert blocks[0] == ""
    for document, block in zip(FIXTURES, blocks[1:], strict=True):
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
    newline_block = blocks[1 + FIXTURES.index(NEWLINE)]
    assert [s.splitlines()[0].split("\t")[0] for s in newline_block.split("\n\n") if s] == [
        "Parliament",
        "Critics",
    ]


def test_spacy_docbin_read_back(tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    counts = write_spacy(FIXTURES, LABELS, tmp_path, shard_size=4)
    assert counts.misaligned_spans == 1 and counts.documents == len(FIXTURES)
    shards = sorted(tmp_path.iterdir())
    assert [p.name for p in shards] == ["00000.spacy", "00001.spacy"]
    nlp = spacy.blank("en")
    docs = [d for p in shards for d in DocBin().from_disk(p).get_docs(nlp.vocab)]
    ents_total = 0
    for document, doc in zip(FIXTURES, docs, strict=True):
        assert doc.text == document.text
        assert doc.user_data["id"] == document.id
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


def write_all(directory: Path, documents: list[ExportDocument]) -> dict[str, bytes]:
    """Write every format under ``directory``; return {relative path: bytes}."""
    for name, writer in {
        "doccano.jsonl": write_doccano_jsonl,
        "entities.jsonl": write_doccano_entities_jsonl,
        "w3c.jsonl": write_w3c,
        "conll.txt": write_conll,
        "brat.zip": write_brat,
    }.items():
        with open(directory / name, "wb") as stream:
            writer(documents, LABELS, stream)
    write_spacy(documents, LABELS, directory / "spacy", shard_size=4)
    write_huggingface(documents, LABELS, directory / "hf", rows_per_group=2)
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


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
    from_list = write_all(tmp_path, FIXTURES)
    for name, writer in {
        "doccano.jsonl": write_doccano_jsonl,
        "conll.txt": write_conll,
        "brat.zip": write_brat,
        "w3c.jsonl": write_w3c,
    }.items():
        stream = io.BytesIO()
        writer((d for d in FIXTURES), LABELS, stream)
        assert stream.getvalue() == from_list[name]
    generated = tmp_path / "generated"
    write_spacy((d for d in FIXTURES), LABELS, generated / "spacy", shard_size=4)
    write_huggingface((d for d in FIXTURES), LABELS, generated / "hf", rows_per_group=2)
    paths = [p for p in generated.rglob("*") if p.is_file()]
    assert {str(p.relative_to(generated)) for p in paths} == {
        name for name in from_list if name.startswith(("spacy/", "hf/"))
    }
    assert all(p.read_bytes() == from_list[str(p.relative_to(generated))] for p in paths)


def test_same_bytes_in_another_process(tmp_path: Path) -> None:
    """Hash randomisation (set ordering) must not leak into any file."""
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    here = write_all(tmp_path / "here", FIXTURES)
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
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


def test_brat_download_streams_a_batch_of_documents_at_a_time() -> None:
    # Imported here: another test imports this module in a process without Django.
    from annotator.exports.formats import get_format, stream_export

    read = []

    def documents():
        for document in FIXTURES:
            read.append(document.id)
            yield document

    chunks = stream_export(get_format("brat"), documents(), LABELS, batch_documents=2)
    first = next(chunks)

    assert read == [FIXTURES[0].id, FIXTURES[1].id]
    streamed = first + b"".join(chunks)
    whole = io.BytesIO()
    write_brat(FIXTURES, LABELS, whole)
    assert streamed == whole.getvalue()
    assert zipfile.ZipFile(io.BytesIO(streamed)).testzip() is None


def test_spacy_download_streams_a_shard_at_a_time(monkeypatch) -> None:
    from annotator.exports import formats

    monkeypatch.setattr(formats, "SPACY_SHARD_DOCUMENTS", 2)
    read = []

    def documents():
        for document in FIXTURES:
            read.append(document.id)
            yield document

    chunks = formats.stream_export(formats.get_format("spacy"), documents(), LABELS, stem="x")
    first = next(chunks)

    assert read == [FIXTURES[0].id, FIXTURES[1].id]
    archive = zipfile.ZipFile(io.BytesIO(first + b"".join(chunks)))
    assert archive.testzip() is None
    assert archive.namelist() == [f"x/{n:05d}.spacy" for n in range((len(FIXTURES) + 1) // 2)]

"""Gold export: only accepted gold spans of gold documents, without provenance, through every
format exactly, on the demo articles (emoji, NFD accents, right-to-left)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from annotator.curation.gold import gold_span_create, gold_status_set
from annotator.exports.formats import FORMATS, get_format, write_export
from annotator.exports.reader import (
    ExportError,
    Selection,
    checked_counts,
    count_selection,
    export_labels,
    read_documents,
)
from annotator.exports.splits import assign_split
from annotator.models import (
    GoldOrigin,
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Membership,
    Project,
    Role,
    Span,
)

# Gold spans of the demo articles: (source, quote, label); all on token boundaries.
GOLD_SPANS = [
    ("demo: emoji", "Coastal League", "actor"),
    ("demo: emoji", "Northern Union 🇳🇴", "actor"),
    ("demo: emoji", "boats entering the closed zone would be seized", "threat"),
    ("demo: NFD accents", "Zoë Lefèvre", "actor"),
    ("demo: NFD accents", "a second round in Besançon in February", "proposal"),
    ("demo: right-to-left", "مجلس الوديان الشرقية", "actor"),
    ("demo: right-to-left", "يقترح محادثات في يناير", "proposal"),
    ("demo: right-to-left", "רשות הנהר", "actor"),
    ("demo: right-to-left", "תסגור את המעבר", "threat"),
]
GOLD_SOURCES = ("demo: emoji", "demo: NFD accents", "demo: right-to-left")
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _range(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


@pytest.fixture
def gold(db) -> tuple[Selection, dict[int, str], set]:
    """The demo project adjudicated by a curator: (gold selection, gold texts, gold spans).

    Three articles are gold. Alice's own span, a proposal nobody accepted and an
    accepted span of a document still in progress must all stay out of the export.
    """
    call_command("loaddata", str(Path(settings.BASE_DIR) / "fixtures" / "demo.json"), verbosity=0)
    project = Project.objects.get(slug="security-talks")
    curator = User.objects.create_user("cora-curator")
    alice = User.objects.create_user("alice-annotator")
    Membership.objects.create(project=project, user=curator, role=Role.CURATOR)
    Membership.objects.create(project=project, user=alice, role=Role.ANNOTATOR)
    labels = {label.name: label for label in project.labels.all()}
    expected = set()
    for source, quote, label in GOLD_SPANS:
        document = project.documents.get(source=source)
        start, end = _range(document.text, quote)
        gold_span_create(
            document=document, label=labels[label], start=start, end=end, curator=curator
        )
        expected.add((document.pk, start, end, label))
    emoji = project.documents.get(source="demo: emoji")
    start, end = _range(emoji.text, "Coastal League")
    Span.objects.create(
        document=emoji, annotator=alice, label=labels["claim"], start=start, end=end
    )
    for source in GOLD_SOURCES:
        gold_status_set(document=project.documents.get(source=source), status=GoldStatus.GOLD)
    cjk = project.documents.get(source="demo: CJK")
    start, end = _range(cjk.text, "東海連合")
    gold_span_create(document=cjk, label=labels["actor"], start=start, end=end, curator=curator)
    start, end = _range(cjk.text, "Kanto Forum")
    GoldSpan.objects.create(
        document=cjk,
        label=labels["actor"],
        start=start,
        end=end,
        status=GoldSpanStatus.PROPOSED,
        origin=GoldOrigin.MERGE,
        merge_rule="exact match by at least 2 of 2 annotators",
        guidelines_version=1,
    )
    texts = dict(project.documents.filter(source__in=GOLD_SOURCES).values_list("pk", "text"))
    return Selection(project, "gold"), texts, expected


def lines(folder: Path, pattern: str) -> list[str]:
    """Every line of the files of an export folder matching ``pattern``."""
    return [
        line
        for path in sorted(folder.glob(pattern))
        for line in path.read_text(encoding="utf-8").split("\n")[:-1]
    ]


def export(selection: Selection, name: str, path: Path):
    documents = read_documents(selection, chunk_size=2)
    return write_export(get_format(name), documents, export_labels(selection.project), path)


def test_gold_reader_gives_accepted_spans_of_gold_documents_only(gold):
    selection, texts, expected = gold

    documents = list(read_documents(selection, chunk_size=2))

    assert [document.id for document in documents] == sorted(texts)
    found = {(d.id, s.start, s.end, s.label) for d in documents for s in d.spans}
    assert found == expected
    assert all(span.annotator is None for d in documents for span in d.spans)


def test_gold_counts(gold):
    selection, texts, expected = gold

    counts = checked_counts(selection)

    assert counts.documents == len(texts) == 3
    assert counts.spans == len(expected)
    assert counts.spans_per_label == {"claim": 0, "threat": 2, "proposal": 2, "actor": 5}


def test_a_reopened_document_leaves_the_gold_export(gold):
    selection, texts, _ = gold
    emoji = selection.project.documents.get(source="demo: emoji")

    gold_status_set(document=emoji, status=GoldStatus.IN_PROGRESS)

    assert [d.id for d in read_documents(selection)] == sorted(set(texts) - {emoji.pk})


def test_gold_is_the_default_and_an_empty_gold_selection_is_refused(project, document):
    selection = Selection(project, "gold")

    assert count_selection(selection).documents == 0
    with pytest.raises(ExportError, match="No document of this project is gold yet"):
        checked_counts(selection)


@pytest.mark.parametrize("name", ["jsonl", "doccano-entities", "w3c", "conll"])
def test_no_provenance_in_line_formats(gold, tmp_path, name):
    selection, _, _ = gold
    export(selection, name, tmp_path / "out")

    content = "".join(
        path.read_text(encoding="utf-8") for path in (tmp_path / "out").rglob("*") if path.is_file()
    )
    assert "cora-curator" not in content and "alice-annotator" not in content
    assert "span_annotators" not in content and "creator" not in content
    assert "merge" not in content


def test_no_provenance_in_brat(gold, tmp_path):
    selection, _, _ = gold
    export(selection, "brat", tmp_path / "brat")

    notes = [path.read_text() for path in (tmp_path / "brat").rglob("*") if path.is_file()]
    assert notes and not any("AnnotatorNotes" in note or "cora-curator" in note for note in notes)


@pytest.mark.parametrize("name", ["jsonl", "doccano-entities"])
def test_gold_through_doccano_jsonl(gold, tmp_path, name):
    selection, texts, expected = gold
    export(selection, name, tmp_path / "out")

    found = set()
    for line in lines(tmp_path / "out", "*.jsonl"):
        record = json.loads(line)
        text = record["text"]
        assert text == texts[record["id"]]
        entries = (
            record["label"]
            if name == "jsonl"
            else [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]]
        )
        found |= {(record["id"], start, end, label) for start, end, label in entries}
    assert found == expected


def test_gold_through_w3c(gold, tmp_path):
    selection, texts, expected = gold
    export(selection, "w3c", tmp_path / "out")

    found = set()
    for line in lines(tmp_path / "out", "*/annotations.jsonl"):
        annotation = json.loads(line)
        document_id = int(annotation["target"]["source"].rsplit(":", 1)[1])
        position, quote = annotation["target"]["selector"]
        assert quote["exact"] == texts[document_id][position["start"] : position["end"]]
        found.add((document_id, position["start"], position["end"], annotation["body"]["value"]))
    assert found == expected


def test_gold_through_conll_read_by_seqeval(gold, tmp_path):
    from seqeval.scheme import IOB2, Entities

    selection, texts, expected = gold
    counts = export(selection, "conll", tmp_path / "out")

    assert counts.left_out == {}
    data = "".join(path.read_text(encoding="utf-8") for path in (tmp_path / "out").glob("*.conll"))
    parts = re.split(r"^-DOCSTART- (\d+)\tO\tO\n\n", data, flags=re.MULTILINE)
    found = set()
    for ident, block in zip(parts[1::2], parts[2::2], strict=True):
        document_id = int(ident)
        text = texts[document_id]
        sentences = [s.split("\n") for s in block.split("\n\n") if s.strip()]
        rows = [line.split("\t") for sentence in sentences for line in sentence if line]
        offsets, position = [], 0
        for token, *_ in rows:
            start = text.index(token, position)
            offsets.append((start, start + len(token)))
            position = start + len(token)
        for column in (1, 2):
            tags = [[line.split("\t")[column] for line in s if line] for s in sentences]
            first = 0
            for sentence, entities in zip(tags, Entities(tags, IOB2).entities, strict=True):
                for entity in entities:
                    start = offsets[first + entity.start][0]
                    end = offsets[first + entity.end - 1][1]
                    found.add((document_id, start, end, entity.tag))
                first += len(sentence)
    assert found == expected


def test_gold_through_spacy_docbin(gold, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    selection, texts, expected = gold
    export(selection, "spacy", tmp_path / "spacy")

    nlp = spacy.blank("en")
    found = set()
    for shard in sorted((tmp_path / "spacy").glob("*/*.spacy")):
        for doc in DocBin().from_disk(shard).get_docs(nlp.vocab):
            document_id = doc.user_data["id"]
            assert doc.text == texts[document_id]
            for span in doc.spans["sc"]:
                assert span.text == texts[document_id][span.start_char : span.end_char]
                found.add((document_id, span.start_char, span.end_char, span.label_))
    assert found == expected


def test_gold_through_huggingface_offline(gold, tmp_path, monkeypatch):
    import datasets
    from seqeval.metrics.sequence_labeling import get_entities

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    selection, texts, expected = gold
    export(selection, "huggingface", tmp_path / "hf")

    loaded = datasets.load_dataset(str(tmp_path / "hf"), cache_dir=str(tmp_path / "cache"))
    found_spans, found_tags = set(), set()
    for split in loaded.values():
        for row in split:
            assert row["text"] == texts[row["id"]]
            found_spans |= {(row["id"], s["start"], s["end"], s["label"]) for s in row["spans"]}
            for column in ("ner_tags", "actor_tags"):
                names = split.features[column].feature.names
                tags = [names[i] for i in row[column]]
                for label, first, last in get_entities(tags):
                    start, end = row["token_starts"][first], row["token_ends"][last]
                    found_tags.add((row["id"], start, end, label))
    assert found_spans == expected
    assert found_tags == expected


def test_gold_through_brat(gold, tmp_path):
    selection, texts, expected = gold
    export(selection, "brat", tmp_path / "brat")

    found = set()
    for document_id, text in texts.items():
        folder = tmp_path / "brat" / assign_split(document_id)
        assert (folder / f"{document_id}.txt").read_text(encoding="utf-8") == text
        for line in (folder / f"{document_id}.ann").read_text(encoding="utf-8").split("\n"):
            if not line.startswith("T"):
                continue
            _, type_and_offsets, quote = line.split("\t")
            label, offsets = type_and_offsets.split(" ", 1)
            pieces = [tuple(map(int, piece.split())) for piece in offsets.split(";")]
            assert quote == " ".join(text[start:end] for start, end in pieces)
            assert not any(char in LINE_BREAKS for s, e in pieces for char in text[s:e])
            found.add((document_id, pieces[0][0], pieces[-1][1], label))
    assert found == expected


def test_every_format_is_covered_by_a_gold_test():
    tested = {"jsonl", "doccano-entities", "w3c", "conll", "spacy", "huggingface", "brat"}
    assert set(FORMATS) == tested

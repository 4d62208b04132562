"""The chunked reader: every document once, in order, with exactly its spans, in few queries;
and the demo articles (emoji, NFD, right-to-left, CJK) through every format, read back by
each format's real consumer."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from annotator.exports.formats import FORMATS, get_format, write_export
from annotator.exports.reader import (
    ExportError,
    Selection,
    checked_counts,
    count_selection,
    export_labels,
    read_documents,
)
from annotator.exports.splits import SPLIT_NAMES, assign_split
from annotator.models import Document, Membership, Project, Role, Span

LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def make_documents(project, count: int) -> list[Document]:
    return [
        Document.objects.create(project=project, title=f"Doc {n}", text=f"Text number {n} here.")
        for n in range(count)
    ]


def add_span(document, annotator, label, quote: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = document.text.index(quote, start + 1)
    return Span.objects.create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(quote)
    )


@pytest.fixture
def corpus(project, labels, alice, bob) -> list[Document]:
    """Seven documents; alice and bob annotate some, two documents have no span."""
    documents = make_documents(project, 7)
    for index, document in enumerate(documents):
        if index % 3 != 2:
            add_span(document, alice, labels["claim"], "number")
        if index % 2 == 0:
            add_span(document, bob, labels["actor"], "Text")
            add_span(document, bob, labels["claim"], "number")
    return documents


def expected_spans(documents, annotator=None) -> dict[int, set]:
    spans = Span.objects.filter(document__in=documents).select_related("label", "annotator")
    if annotator is not None:
        spans = spans.filter(annotator=annotator)
    expected: dict[int, set] = {document.pk: set() for document in documents}
    for span in spans:
        expected[span.document_id].add(
            (span.start, span.end, span.label.name, span.annotator.username)
        )
    return expected


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 100])
def test_all_annotators_every_document_once_in_id_order(corpus, project, chunk_size):
    documents = list(read_documents(Selection(project, "annotators"), chunk_size=chunk_size))

    assert [d.id for d in documents] == sorted(d.pk for d in corpus)
    expected = expected_spans(corpus)
    for document, stored in zip(documents, corpus, strict=True):
        assert (document.title, document.text) == (stored.title, stored.text)
        assert {(s.start, s.end, s.label, s.annotator) for s in document.spans} == expected[
            document.id
        ]
        assert len(document.spans) == len(expected[document.id])
    assert sum(len(d.spans) for d in documents) == Span.objects.count() == 13


def test_one_annotator_gets_only_their_spans(corpus, project, bob):
    documents = list(read_documents(Selection(project, "annotator", bob), chunk_size=2))

    assert [d.id for d in documents] == [d.pk for d in corpus]
    expected = expected_spans(corpus, annotator=bob)
    for document in documents:
        assert {(s.start, s.end, s.label, s.annotator) for s in document.spans} == expected[
            document.id
        ]
    assert sum(len(d.spans) for d in documents) == 8


def test_a_subset_of_documents(corpus, project):
    chosen = Document.objects.filter(pk__in=[corpus[1].pk, corpus[4].pk])
    documents = list(read_documents(Selection(project, "annotators", documents=chosen)))

    assert [d.id for d in documents] == [corpus[1].pk, corpus[4].pk]


def test_documents_of_other_projects_are_never_read(corpus, project, charlie):
    other = Project.objects.get(slug="other")
    make_documents(other, 3)

    documents = list(read_documents(Selection(project, "annotators")))

    assert {d.id for d in documents} == {d.pk for d in corpus}


def test_limit_stops_early(corpus, project):
    documents = list(read_documents(Selection(project, "annotators"), chunk_size=2, limit=3))

    assert [d.id for d in documents] == [d.pk for d in corpus[:3]]


@pytest.mark.parametrize("count", [10, 40])
def test_two_queries_per_chunk_whatever_the_corpus_size(
    project, labels, alice, count, django_assert_max_num_queries
):
    for document in make_documents(project, count):
        add_span(document, alice, labels["claim"], "number")
    selection = Selection(project, "annotators")

    # A pair per chunk, one query that finds no further document when the last chunk is
    # full, and one per read that asks whether the source holds relations or values.
    with django_assert_max_num_queries(2 * -(-count // 10) + 2):
        documents = list(read_documents(selection, chunk_size=10))
    assert len(documents) == count
    with django_assert_max_num_queries(3):
        assert len(list(read_documents(selection, chunk_size=1000))) == count


def test_counts_per_label(corpus, project, bob):
    counts = count_selection(Selection(project, "annotators"))

    assert counts.documents == 7
    assert counts.spans == 13
    assert counts.spans_per_label == {"claim": 9, "threat": 0, "proposal": 0, "actor": 4}
    bob_counts = count_selection(Selection(project, "annotator", bob))
    assert bob_counts.spans_per_label == {"claim": 4, "threat": 0, "proposal": 0, "actor": 4}


def test_counts_are_aggregate_queries(corpus, project, django_assert_num_queries):
    with django_assert_num_queries(3):
        count_selection(Selection(project, "annotators"))


def test_gold_without_gold_documents_is_refused_with_the_reason(corpus, project):
    selection = Selection(project, "gold")

    assert list(read_documents(selection)) == []
    with pytest.raises(ExportError, match="No document of this project is gold yet"):
        checked_counts(selection)


def test_bad_selections_are_refused(project, alice, charlie):
    with pytest.raises(ExportError, match="Unknown span source 'everyone'"):
        Selection(project, "everyone")
    with pytest.raises(ExportError, match="Choose the annotator"):
        Selection(project, "annotator")
    with pytest.raises(ExportError, match="only with the 'annotator' source"):
        Selection(project, "annotators", alice)
    with pytest.raises(ExportError, match="charlie is not a member"):
        Selection(project, "annotator", charlie)


def test_unknown_format_is_refused():
    with pytest.raises(ExportError, match="Unknown export format 'xml'"):
        get_format("xml")


# The demo articles, annotated by alice: (source, quote, label, token-aligned?).
DEMO_SPANS = [
    ("demo: emoji", "Coastal League", "actor", True),
    ("demo: emoji", "its fleets had kept to the agreed quotas all year", "claim", True),
    ("demo: emoji", "Northern Union 🇳🇴", "actor", True),
    ("demo: emoji", "boats entering the closed zone would be seized", "threat", True),
    ("demo: NFD accents", "Zoë Lefèvre", "actor", True),
    ("demo: NFD accents", "a second round in Besançon in February", "proposal", True),
    ("demo: right-to-left", "مجلس الوديان الشرقية", "actor", True),
    ("demo: right-to-left", "يقترح محادثات في يناير", "proposal", True),
    ("demo: right-to-left", "רשות הנהר", "actor", True),
    ("demo: right-to-left", "תסגור את המעבר", "threat", True),
    ("demo: CJK", "東海連合", "actor", True),
    ("demo: CJK", "Kanto Forum", "actor", True),
    # Ideographs and kana are a token each, so a claim inside a run of them lines up.
    ("demo: CJK", "協議は一月に始まる", "claim", True),
    # Ends inside a word: token formats must leave it out and count it.
    ("demo: CJK", "Osak", "actor", False),
]


@pytest.fixture
def demo(db) -> tuple[Selection, dict[int, str], set, set]:
    """The demo project with alice's spans: (selection, texts, all spans, token-aligned spans).

    Not built on the ``project`` fixture: the demo fixture has its own project.
    """
    call_command("loaddata", str(Path(settings.BASE_DIR) / "fixtures" / "demo.json"), verbosity=0)
    project = Project.objects.get(slug="security-talks")
    alice = User.objects.create_user("alice")
    Membership.objects.create(project=project, user=alice, role=Role.ANNOTATOR)
    labels = {label.name: label for label in project.labels.all()}
    every, aligned = set(), set()
    for source, quote, label, token_aligned in DEMO_SPANS:
        document = project.documents.get(source=source)
        span = add_span(document, alice, labels[label], quote)
        every.add((document.pk, span.start, span.end, label))
        if token_aligned:
            aligned.add((document.pk, span.start, span.end, label))
    texts = dict(project.documents.values_list("pk", "text"))
    return Selection(project, "annotator", alice), texts, every, aligned


def export(selection: Selection, name: str, path: Path):
    documents = read_documents(selection, chunk_size=3)
    return write_export(get_format(name), documents, export_labels(selection.project), path)


def test_demo_fixture_is_awkward_enough(demo):
    _, texts, every, _ = demo
    quotes = [texts[d][s:e] for d, s, e, _ in every]
    assert any(ord(char) > 0xFFFF for quote in quotes for char in quote)  # astral emoji
    assert any("ë" in quote for quote in quotes)  # NFC of the NFD source
    assert any("\u05e8" in quote or "\u0645" in quote for quote in quotes)  # Hebrew, Arabic


def lines_by_split(folder: Path, pattern: str) -> list[tuple[str, str]]:
    """(split, line) of every line of the files matching ``pattern``, the split named by
    the file (``train.jsonl``) or its folder (``train/annotations.jsonl``)."""
    found = []
    for path in sorted(folder.glob(pattern)):
        split = path.stem if path.parent == folder else path.parent.name
        assert split in SPLIT_NAMES
        found += [(split, line) for line in path.read_text(encoding="utf-8").split("\n")[:-1]]
    return found


@pytest.mark.parametrize("name", ["jsonl", "doccano-entities"])
def test_demo_through_doccano_jsonl(demo, tmp_path, name):
    selection, texts, every, _ = demo
    counts = export(selection, name, tmp_path / "out")

    found = set()
    for split, line in lines_by_split(tmp_path / "out", "*.jsonl"):
        record = json.loads(line)
        assert record["text"] == texts[record["id"]]
        assert record["split"] == split == assign_split(record["id"])
        for start, end, label in (
            record["label"]
            if name == "jsonl"
            else [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]]
        ):
            found.add((record["id"], start, end, label))
    assert found == every
    assert counts.documents == len(texts) and counts.spans == len(every)


def test_demo_through_w3c(demo, tmp_path):
    selection, texts, every, _ = demo
    export(selection, "w3c", tmp_path / "out")

    sources = {}
    for split, line in lines_by_split(tmp_path / "out", "*/documents.jsonl"):
        record = json.loads(line)
        assert record["split"] == split
        sources[record["id"]] = record["text"]
    assert sorted(sources.values()) == sorted(texts.values())
    found = set()
    for _, line in lines_by_split(tmp_path / "out", "*/annotations.jsonl"):
        annotation = json.loads(line)
        document_id = int(annotation["target"]["source"].rsplit(":", 1)[1])
        text = sources[annotation["target"]["source"]]
        position, quote = annotation["target"]["selector"]
        start, end = position["start"], position["end"]
        assert quote["exact"] == text[start:end]
        assert annotation["creator"]["nickname"] == "alice"
        found.add((document_id, start, end, annotation["body"]["value"]))
    assert found == every


def test_demo_through_conll_read_by_seqeval(demo, tmp_path):
    from seqeval.scheme import IOB2, Entities

    selection, texts, _, aligned = demo
    counts = export(selection, "conll", tmp_path / "out")

    assert counts.left_out == {"misaligned": {"actor": 1}}
    found = set()
    seen = []
    for path in sorted((tmp_path / "out").glob("*.conll")):
        data = path.read_text(encoding="utf-8")
        parts = re.split(r"^-DOCSTART- (\d+)\tO\tO\n\n", data, flags=re.MULTILINE)
        for ident, block in zip(parts[1::2], parts[2::2], strict=True):
            document_id = int(ident)
            assert assign_split(document_id) == path.stem
            seen.append(document_id)
            text = texts[document_id]
            sentences = [s.split("\n") for s in block.split("\n\n") if s.strip()]
            rows = [line.split("\t") for sentence in sentences for line in sentence if line]
            # Offsets found by searching each token in the text, not by our tokenizer.
            offsets, position = [], 0
            for token, *_ in rows:
                start = text.index(token, position)
                assert text[position:start].strip() == ""
                offsets.append((start, start + len(token)))
                position = start + len(token)
            assert text[position:].strip() == ""
            for column in (1, 2):
                tags = [[line.split("\t")[column] for line in s if line] for s in sentences]
                first = 0
                for sentence, entities in zip(tags, Entities(tags, IOB2).entities, strict=True):
                    for entity in entities:
                        start = offsets[first + entity.start][0]
                        end = offsets[first + entity.end - 1][1]
                        found.add((document_id, start, end, entity.tag))
                    first += len(sentence)
    assert sorted(seen) == sorted(texts)
    assert found == aligned


def test_demo_through_spacy_docbin(demo, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    selection, texts, _, aligned = demo
    counts = export(selection, "spacy", tmp_path / "spacy")

    assert counts.left_out == {"misaligned": {"actor": 1}}
    nlp = spacy.blank("en")
    found = set()
    for shard in sorted((tmp_path / "spacy").glob("*/*.spacy")):
        for doc in DocBin().from_disk(shard).get_docs(nlp.vocab):
            document_id = doc.user_data["id"]
            split = assign_split(document_id)
            assert shard.parent.name == ("dev" if split == "validation" else split)
            assert doc.text == texts[document_id]
            for span in doc.spans["sc"]:
                assert span.text == texts[document_id][span.start_char : span.end_char]
                found.add((document_id, span.start_char, span.end_char, span.label_))
    assert found == aligned


def test_demo_through_huggingface_offline(demo, tmp_path, monkeypatch):
    import datasets
    from seqeval.metrics.sequence_labeling import get_entities

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    selection, texts, every, aligned = demo
    export(selection, "huggingface", tmp_path / "hf")

    loaded = datasets.load_dataset(str(tmp_path / "hf"), cache_dir=str(tmp_path / "cache"))
    assert sum(split.num_rows for split in loaded.values()) == len(texts)
    found_spans, found_tags = set(), set()
    for split in loaded.values():
        for row in split:
            assert row["text"] == texts[row["id"]]
            for span in row["spans"]:
                found_spans.add((row["id"], span["start"], span["end"], span["label"]))
            for column in ("ner_tags", "actor_tags"):
                names = split.features[column].feature.names
                tags = [names[i] for i in row[column]]
                for label, first, last in get_entities(tags):
                    start, end = row["token_starts"][first], row["token_ends"][last]
                    found_tags.add((row["id"], start, end, label))
    assert found_spans == every
    assert found_tags == aligned


def test_demo_through_brat(demo, tmp_path):
    selection, texts, every, _ = demo
    export(selection, "brat", tmp_path / "brat")

    found = set()
    for document_id, text in texts.items():
        folder = tmp_path / "brat" / assign_split(document_id)
        assert (folder / "annotation.conf").read_text(encoding="utf-8").startswith("[entities]\n")
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
    assert found == every


def test_every_format_is_covered_by_a_demo_test():
    tested = {"jsonl", "doccano-entities", "w3c", "conll", "spacy", "huggingface", "brat"}
    assert set(FORMATS) == tested

"""Relations in exports: doccano-entities lines carry them, read back from the download,
and the reader still costs two queries per chunk with relations in the corpus."""

import io
import json
import zipfile

import pytest

from annotator.annotation.relations import relation_create
from annotator.annotation.spans import span_create
from annotator.exports.jsonl import write_doccano_entities_jsonl
from annotator.exports.reader import Selection, read_documents
from annotator.exports.records import ExportDocument, ExportRelation, ExportSpan
from annotator.exports.splits import assign_split
from annotator.models import Document
from annotator.projects.setup import add_default_relations


def _span(document, annotator, label, text: str):
    start = document.text.find(text)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(text)
    )
    return span


@pytest.fixture
def coded(project, document, labels, alice, bob):
    """Alice codes who claims what to whom; Bob marks the same claim without relations."""
    add_default_relations(project)
    types = {relation_type.name: relation_type for relation_type in project.relation_types.all()}
    claim = _span(document, alice, labels["claim"], "NATO will meet in January")
    lavrov = _span(document, alice, labels["actor"], "Sergey Lavrov")
    nato = _span(document, alice, labels["actor"], "NATO")
    relation_create(relation_type=types["claimant"], source=claim, target=lavrov, annotator=alice)
    relation_create(relation_type=types["addressee"], source=claim, target=nato, annotator=alice)
    _span(document, bob, labels["claim"], "NATO will meet in January")
    return document


def _by_id(items: list[dict]) -> dict[int, dict]:
    return {item["id"]: item for item in items}


def test_the_doccano_entities_download_reads_back_with_its_relations(client, manager, coded):
    client.force_login(manager)

    response = client.get(
        "/api/v1/projects/talks/export/download/",
        {"source": "annotators", "format": "doccano-entities"},
    )

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    split = assign_split(coded.pk)
    [record] = [
        json.loads(line)
        for line in archive.read(f"talks-annotators-doccano-entities/{split}.jsonl").splitlines()
    ]
    entities = _by_id(record["entities"])
    read_back = {
        (
            relation["type"],
            record["text"][
                entities[relation["from_id"]]["start_offset"] : entities[relation["from_id"]][
                    "end_offset"
                ]
            ],
            entities[relation["from_id"]]["annotator"],
            record["text"][
                entities[relation["to_id"]]["start_offset"] : entities[relation["to_id"]][
                    "end_offset"
                ]
            ],
        )
        for relation in record["relations"]
    }
    assert read_back == {
        ("claimant", "NATO will meet in January", "alice", "Sergey Lavrov"),
        ("addressee", "NATO will meet in January", "alice", "NATO"),
    }
    assert sorted(relation["id"] for relation in record["relations"]) == [1, 2]
    assert set(record["relations"][0]) == {"id", "from_id", "to_id", "type"}


def test_one_annotators_export_holds_only_their_relations(coded, bob, project):
    [document] = read_documents(Selection(project, "annotator", annotator=bob))

    assert [span.annotator for span in document.spans] == ["bob"]
    assert document.relations == ()


def test_gold_exports_no_relations_yet(coded, project):
    coded.gold_status = "gold"
    coded.save(update_fields=["gold_status"])

    [document] = read_documents(Selection(project, "gold"))

    assert document.relations == ()


def test_relation_ids_run_across_batches():
    spans = (ExportSpan(0, 4, "claim"), ExportSpan(5, 9, "actor"))
    documents = [
        ExportDocument(n, "", "abcd efgh", "", {}, spans, (ExportRelation(0, 1, "claimant"),))
        for n in (1, 2)
    ]
    stream = io.BytesIO()

    counts = write_doccano_entities_jsonl(
        documents,
        ["claim", "actor"],
        stream,
        split="train",
        first_entity_id=11,
        first_relation_id=4,
    )

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["relations"] for line in lines] == [
        [{"id": 4, "from_id": 11, "to_id": 12, "type": "claimant"}],
        [{"id": 5, "from_id": 13, "to_id": 14, "type": "claimant"}],
    ]
    assert (counts.spans, counts.relations) == (4, 2)


def test_relations_follow_the_entity_order_not_the_span_order():
    # The actor comes first in the text but second in ``spans``.
    spans = (ExportSpan(5, 9, "claim"), ExportSpan(0, 4, "actor"))
    document = ExportDocument(
        1, "", "abcd efgh", "", {}, spans, (ExportRelation(0, 1, "claimant"),)
    )
    stream = io.BytesIO()

    write_doccano_entities_jsonl([document], ["claim", "actor"], stream, split="train")

    line = json.loads(stream.getvalue())
    entities = _by_id(line["entities"])
    [relation] = line["relations"]
    assert entities[relation["from_id"]]["label"] == "claim"
    assert entities[relation["to_id"]]["label"] == "actor"


@pytest.mark.parametrize("count", [10, 40])
def test_two_queries_per_chunk_with_relations(
    project, labels, alice, count, django_assert_max_num_queries
):
    add_default_relations(project)
    claimant = project.relation_types.get(name="claimant")
    for n in range(count):
        document = Document.objects.create(
            project=project, title=f"Doc {n}", text=f"Lavrov said talks {n} will start."
        )
        claim = _span(document, alice, labels["claim"], f"talks {n} will start")
        actor = _span(document, alice, labels["actor"], "Lavrov")
        relation_create(relation_type=claimant, source=claim, target=actor, annotator=alice)
    selection = Selection(project, "annotators")

    with django_assert_max_num_queries(2 * -(-count // 10) + 1):
        documents = list(read_documents(selection, chunk_size=10))

    assert len(documents) == count
    assert all(len(document.relations) == 1 for document in documents)
    assert all(len(document.spans) == 2 for document in documents)

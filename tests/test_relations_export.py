"""Relations and span attributes in exports: every format carries them, each read back
from the download by its consumer, and the reader still costs two queries per chunk
with relations and attribute values in the corpus."""

import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest
import spacy
from spacy.tokens import DocBin

from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.exports.jsonl import write_doccano_entities_jsonl
from annotator.exports.reader import Selection, read_documents
from annotator.exports.records import ExportDocument, ExportRelation, ExportSpan
from annotator.exports.splits import assign_split
from annotator.models import Document, LabelAttribute
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
    # Two values on a span with two relations: the reader's join makes four rows of it.
    span_attribute_set(
        span=claim, attribute=labels["claim"].attributes.get(name="stance"), value="oppose"
    )
    certainty = LabelAttribute.objects.create(
        label=labels["claim"], name="certainty", allowed_values=["high", "low"]
    )
    span_attribute_set(span=claim, attribute=certainty, value="high")
    _span(document, bob, labels["claim"], "NATO will meet in January")
    return document


def _download(client, manager, fmt: str, source: str = "annotators") -> zipfile.ZipFile:
    client.force_login(manager)
    response = client.get(
        "/api/v1/projects/talks/export/download/", {"source": source, "format": fmt}
    )
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


CODED = {
    ("claimant", "NATO will meet in January", "alice", "Sergey Lavrov"),
    ("addressee", "NATO will meet in January", "alice", "NATO"),
}
CLAIM_ATTRIBUTES = {"certainty": "high", "stance": "oppose"}


def test_the_reader_joins_relations_and_attribute_values_once_each(coded, project):
    [document] = read_documents(Selection(project, "annotators"))

    assert len(document.relations) == 2 and len(document.spans) == 4
    by_owner = {(span.annotator, span.label): span for span in document.spans}
    assert dict(by_owner["alice", "claim"].attributes) == CLAIM_ATTRIBUTES
    assert by_owner["bob", "claim"].attributes == ()
    assert all(span.attributes == () for span in document.spans if span.label == "actor")


def test_the_jsonl_download_reads_back_with_relations_and_attributes(client, manager, coded):
    archive = _download(client, manager, "jsonl")

    split = assign_split(coded.pk)
    [record] = [
        json.loads(line)
        for line in archive.read(f"talks-annotators-jsonl/{split}.jsonl").splitlines()
    ]
    text, label = record["text"], record["label"]
    assert all(len(triple) == 3 for triple in label)
    assert len(record["span_annotators"]) == len(record["span_attributes"]) == len(label)
    read_back = {
        (
            relation["type"],
            text[label[relation["from"]][0] : label[relation["from"]][1]],
            record["span_annotators"][relation["from"]],
            text[label[relation["to"]][0] : label[relation["to"]][1]],
        )
        for relation in record["relations"]
    }
    assert read_back == CODED
    attributes = {
        (text[start:end], annotator): values
        for (start, end, _), annotator, values in zip(
            label, record["span_annotators"], record["span_attributes"], strict=True
        )
    }
    assert attributes["NATO will meet in January", "alice"] == CLAIM_ATTRIBUTES
    assert attributes["NATO will meet in January", "bob"] == {}


def test_the_doccano_entities_download_carries_attributes(client, manager, coded):
    archive = _download(client, manager, "doccano-entities")

    split = assign_split(coded.pk)
    [record] = [
        json.loads(line)
        for line in archive.read(f"talks-annotators-doccano-entities/{split}.jsonl").splitlines()
    ]
    with_attributes = [entity for entity in record["entities"] if "attributes" in entity]
    assert [(e["annotator"], e["attributes"]) for e in with_attributes] == [
        ("alice", CLAIM_ATTRIBUTES)
    ]


def test_a_gold_jsonl_line_claims_no_relations_or_attributes(client, manager, coded):
    coded.gold_status = "gold"
    coded.save(update_fields=["gold_status"])

    archive = _download(client, manager, "jsonl", source="gold")

    split = assign_split(coded.pk)
    record = json.loads(archive.read(f"talks-gold-jsonl/{split}.jsonl"))
    assert not {"relations", "span_attributes", "span_annotators"} & set(record)


def parse_brat_conf(conf: str) -> dict[str, dict[str, dict[str, list[str]]]]:
    """brat's visual-free reading of ``annotation.conf``: section -> type -> argument
    -> allowed values (``<ENTITY>`` style macros kept as written)."""
    sections: dict[str, dict[str, dict[str, list[str]]]] = {}
    current = None
    for line in conf.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        name, _, arguments = line.partition("\t")
        assert current is not None and name and " " not in name, line
        current[name] = {
            key.strip(): values.split("|")
            for key, values in (part.split(":", 1) for part in arguments.split(",") if part)
        }
    return sections


def check_brat_ann(ann: str, text: str, conf: dict) -> dict[str, list[tuple]]:
    """Check ``ann`` against brat's standoff rules and ``conf``; return its lines by kind."""
    entities: dict[str, tuple[str, str]] = {}
    found: dict[str, list[tuple]] = {"T": [], "R": [], "A": []}
    ids = set()
    for line in ann.splitlines():
        ident, _, rest = line.partition("\t")
        assert ident not in ids, f"duplicate id {ident}"
        ids.add(ident)
        kind = ident[0]
        if kind == "T":
            type_offsets, quote = rest.split("\t")
            label, offsets = type_offsets.split(" ", 1)
            assert label in conf["entities"]
            pieces = [tuple(map(int, part.split())) for part in offsets.split(";")]
            assert quote == " ".join(text[start:end] for start, end in pieces)
            entities[ident] = (label, text[pieces[0][0] : pieces[-1][1]])
            found["T"].append((ident, label))
        elif kind == "R":
            type_, arg1, arg2 = rest.split(" ")
            assert arg1.startswith("Arg1:") and arg2.startswith("Arg2:")
            source, target = entities[arg1[5:]], entities[arg2[5:]]
            assert source[0] in conf["relations"][type_]["Arg1"]
            assert target[0] in conf["relations"][type_]["Arg2"]
            found["R"].append((type_, source[1], target[1]))
        elif kind == "A":
            name, entity, value = rest.split(" ")
            assert entities[entity][0] in conf["attributes"][name]["Arg"]
            assert value in conf["attributes"][name]["Value"]
            found["A"].append((name, entities[entity][1], value))
        else:
            assert kind == "#" and rest.startswith("AnnotatorNotes T"), line
    return found


def test_the_brat_download_obeys_the_standoff_rules_with_relations(client, manager, coded):
    archive = _download(client, manager, "brat")

    folder = f"talks-annotators-brat/{assign_split(coded.pk)}"
    conf = parse_brat_conf(archive.read(f"{folder}/annotation.conf").decode("utf-8"))
    assert conf["relations"]["claimant"] == {"Arg1": ["claim"], "Arg2": ["actor"]}
    assert conf["attributes"]["stance"] == {"Arg": ["claim"], "Value": ["oppose"]}
    text = archive.read(f"{folder}/{coded.pk}.txt").decode("utf-8")
    found = check_brat_ann(archive.read(f"{folder}/{coded.pk}.ann").decode("utf-8"), text, conf)
    assert {(type_, source, target) for type_, source, target in found["R"]} == {
        (type_, source, target) for type_, source, _, target in CODED
    }
    assert sorted(found["A"]) == [
        ("certainty", "NATO will meet in January", "high"),
        ("stance", "NATO will meet in January", "oppose"),
    ]


def test_a_gold_brat_folder_has_no_relation_or_attribute_lines(client, manager, coded):
    coded.gold_status = "gold"
    coded.save(update_fields=["gold_status"])

    archive = _download(client, manager, "brat", source="gold")

    folder = f"talks-gold-brat/{assign_split(coded.pk)}"
    conf = parse_brat_conf(archive.read(f"{folder}/annotation.conf").decode("utf-8"))
    assert set(conf["relations"]) == {"<OVERLAP>"} and conf["attributes"] == {}
    ann = archive.read(f"{folder}/{coded.pk}.ann").decode("utf-8")
    assert set(check_brat_ann(ann, coded.text, conf)) == {"T", "R", "A"}
    assert not [line for line in ann.splitlines() if line[0] in "RA"]


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


def test_gold_without_adjudicated_relations_exports_none(coded, project):
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
    stance = labels["claim"].attributes.get(name="stance")
    for n in range(count):
        document = Document.objects.create(
            project=project, title=f"Doc {n}", text=f"Lavrov said talks {n} will start."
        )
        claim = _span(document, alice, labels["claim"], f"talks {n} will start")
        actor = _span(document, alice, labels["actor"], "Lavrov")
        relation_create(relation_type=claimant, source=claim, target=actor, annotator=alice)
        span_attribute_set(span=claim, attribute=stance, value="support")
    selection = Selection(project, "annotators")

    # As without relations: a pair per chunk, one more after a full last chunk, one per read.
    with django_assert_max_num_queries(2 * -(-count // 10) + 2):
        documents = list(read_documents(selection, chunk_size=10))

    assert len(documents) == count
    assert all(len(document.relations) == 1 for document in documents)
    assert all(len(document.spans) == 2 for document in documents)


def test_the_w3c_download_links_the_span_annotations(client, manager, coded):
    archive = _download(client, manager, "w3c")

    folder = f"talks-annotators-w3c/{assign_split(coded.pk)}"
    [document] = [
        json.loads(line) for line in archive.read(f"{folder}/documents.jsonl").splitlines()
    ]
    annotations = _by_id(
        [json.loads(line) for line in archive.read(f"{folder}/annotations.jsonl").splitlines()]
    )
    text = document["text"]

    def quoted(annotation_id: str) -> str:
        position = annotations[annotation_id]["target"]["selector"][0]
        return text[position["start"] : position["end"]]

    links = [a for a in annotations.values() if a.get("motivation") == "linking"]
    assert all(a["@context"] == "http://www.w3.org/ns/anno.jsonld" for a in links)
    read_back = {
        (link["body"]["value"], quoted(source), link["creator"]["nickname"], quoted(target))
        for link in links
        for source, target in [link["target"]]
    }
    assert read_back == CODED
    assert all(
        target.startswith(document["id"] + "#span-") for a in links for target in a["target"]
    )
    classified = [
        (a["creator"]["nickname"], a["body"])
        for a in annotations.values()
        if isinstance(a["body"], list)
    ]
    assert classified == [
        (
            "alice",
            [
                {"type": "TextualBody", "purpose": "tagging", "value": "claim"},
                {
                    "type": "TextualBody",
                    "purpose": "classifying",
                    "label": "certainty",
                    "value": "high",
                },
                {
                    "type": "TextualBody",
                    "purpose": "classifying",
                    "label": "stance",
                    "value": "oppose",
                },
            ],
        )
    ]


def test_the_spacy_download_keeps_relations_in_user_data(client, manager, coded):
    import spacy
    from spacy.tokens import DocBin

    archive = _download(client, manager, "spacy")

    folder = {"validation": "dev"}.get(assign_split(coded.pk), assign_split(coded.pk))
    data = archive.read(f"talks-annotators-spacy/{folder}/00000.spacy")
    [doc] = DocBin().from_bytes(data).get_docs(spacy.blank("en").vocab)
    assert doc.user_data["id"] == coded.pk

    def quoted(named: tuple[int, int, str]) -> str:
        return doc.text[named[0] : named[1]]

    assert {
        (r["type"], quoted(r["head"]), r["annotator"], quoted(r["tail"]))
        for r in doc.user_data["relations"]
    } == CODED
    assert all(doc.char_span(*r["head"][:2]) is not None for r in doc.user_data["relations"])
    [attributes] = doc.user_data["span_attributes"]
    assert doc.text[attributes["start"] : attributes["end"]] == "NATO will meet in January"
    assert (attributes["annotator"], attributes["attributes"]) == ("alice", CLAIM_ATTRIBUTES)


def test_a_gold_spacy_doc_has_no_relations_key(client, manager, coded):
    import spacy
    from spacy.tokens import DocBin

    coded.gold_status = "gold"
    coded.save(update_fields=["gold_status"])
    archive = _download(client, manager, "spacy", source="gold")

    folder = {"validation": "dev"}.get(assign_split(coded.pk), assign_split(coded.pk))
    data = archive.read(f"talks-gold-spacy/{folder}/00000.spacy")
    [doc] = DocBin().from_bytes(data).get_docs(spacy.blank("en").vocab)
    assert set(doc.user_data) == {"id", "title", "source", "split"}


def test_every_format_tells_accepted_suggestions_from_spans_marked_by_hand(
    client, manager, document, labels, alice
):
    start = document.text.index("NATO")
    span_create(
        document=document,
        annotator=alice,
        label=labels["actor"],
        start=start,
        end=start + 4,
        origin="model:spancat@3",
    )
    _span(document, alice, labels["actor"], "Sergey Lavrov")
    split = assign_split(document.pk)

    jsonl = _download(client, manager, "jsonl")
    record = json.loads(jsonl.read(f"talks-annotators-jsonl/{split}.jsonl"))
    origins = {
        record["text"][start:end]: origin
        for (start, end, _), origin in zip(record["label"], record["span_origins"], strict=True)
    }
    assert origins == {"NATO": "model:spancat@3", "Sergey Lavrov": None}

    entities = _download(client, manager, "doccano-entities")
    line = json.loads(entities.read(f"talks-annotators-doccano-entities/{split}.jsonl"))
    assert [e.get("origin") for e in line["entities"]] == [
        origins[line["text"][e["start_offset"] : e["end_offset"]]] for e in line["entities"]
    ]

    w3c = _download(client, manager, "w3c")
    annotations = [
        json.loads(row)
        for row in w3c.read(f"talks-annotators-w3c/{split}/annotations.jsonl").splitlines()
    ]
    by_quote = {a["target"]["selector"][1]["exact"]: a for a in annotations}
    assert by_quote["NATO"]["urn:annotator:origin"] == "model:spancat@3"
    assert "urn:annotator:origin" not in by_quote["Sergey Lavrov"]

    hf = _download(client, manager, "huggingface")
    [parquet] = [name for name in hf.namelist() if f"/{split}-" in name]
    [row] = pq.read_table(io.BytesIO(hf.read(parquet))).to_pylist()
    assert {
        row["text"][span["start"] : span["end"]]: origin
        for span, origin in zip(row["spans"], row["span_origins"], strict=True)
    } == origins

    spacy_zip = _download(client, manager, "spacy")
    folder = {"validation": "dev"}.get(split, split)
    data = spacy_zip.read(f"talks-annotators-spacy/{folder}/00000.spacy")
    [doc] = DocBin().from_bytes(data).get_docs(spacy.blank("en").vocab)
    assert [
        (doc.text[o["start"] : o["end"]], o["annotator"], o["origin"])
        for o in doc.user_data["span_origins"]
    ] == [("NATO", "alice", "model:spancat@3")]

    brat = _download(client, manager, "brat")
    ann = brat.read(f"talks-annotators-brat/{split}/{document.pk}.ann").decode("utf-8")
    bound = {
        line.split("\t")[0]: line.split("\t")[2] for line in ann.splitlines() if line[0] == "T"
    }
    notes = {
        bound[line.split("\t")[1].split()[1]]: line.split("\t")[2]
        for line in ann.splitlines()
        if line.startswith("#")
    }
    assert notes == {
        "NATO": "annotator: alice; origin: model:spancat@3",
        "Sergey Lavrov": "annotator: alice",
    }


def test_gold_spans_carry_no_origin_or_attributes(coded, labels, curator):
    from annotator.curation.gold import gold_span_create

    start = coded.text.index("NATO")
    gold_span_create(
        document=coded, label=labels["actor"], start=start, end=start + 4, curator=curator
    )
    coded.gold_status = "gold"
    coded.save(update_fields=["gold_status"])

    [document] = read_documents(Selection(coded.project, "gold"))

    assert document.spans == (ExportSpan(start, start + 4, "actor"),)
    assert document.spans[0].origin is None and document.spans[0].attributes == ()


def test_brat_writes_names_with_spaces_as_one_token_in_ann_and_conf():
    from annotator.exports.brat import brat_files

    spans = (
        ExportSpan(0, 4, "claim", "ann", (("stance", "strongly oppose"),)),
        ExportSpan(5, 9, "actor", "ann"),
    )
    document = ExportDocument(
        1, "", "abcd efgh", "", {}, spans, (ExportRelation(0, 1, "made by, | whom"),)
    )

    files = {name: data.decode() for name, data, _ in brat_files([document], ["claim", "actor"])}

    conf = parse_brat_conf(files["annotation.conf"])
    found = check_brat_ann(files["1.ann"], document.text, conf)
    assert found["R"] == [("made_by_whom", "abcd", "efgh")]
    assert found["A"] == [("stance", "abcd", "strongly_oppose")]

"""Gold relations and gold attribute values: database invariants (SQLite and PostgreSQL),
the pre-merge's K of N over relations and values, the curator's services with their
audit trail, and gold exports read back by their consumers."""

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.curation.adjudication import (
    SourceRelation,
    SourceValue,
    premerge_relations,
    premerge_values,
)
from annotator.curation.gold import (
    GoldError,
    gold_accept_all,
    gold_premerge,
    gold_span_accept,
    gold_span_create,
    gold_span_delete,
    gold_span_relabel,
    gold_status_set,
)
from annotator.curation.gold_relations import (
    gold_attribute_clear,
    gold_attribute_set,
    gold_relation_accept,
    gold_relation_create,
    gold_relation_delete,
)
from annotator.exports.formats import get_format, write_export
from annotator.exports.reader import Selection, export_labels, read_documents
from annotator.exports.releases import release_create
from annotator.exports.splits import assign_split
from annotator.models import (
    AuditEvent,
    Document,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    GoldSpanStatus,
    GoldStatus,
    LabelAttribute,
    Membership,
    Project,
    Relation,
    RelationType,
    Role,
)
from annotator.projects.setup import add_default_relations

CLAIM, LAVROV, NATO = "NATO will meet in January", "Sergey Lavrov", "NATO"

# pure functions


def test_premerge_relations_takes_what_k_of_n_drew_between_the_same_gold_spans():
    # Spans 1, 2, 3 (annotators 10, 20, 30) went into gold span 100; 4, 5, 6 into 200;
    # 7 (annotator 30) into 300; span 9 has no gold span.
    gold_of = {1: 100, 2: 100, 3: 100, 4: 200, 5: 200, 6: 200, 7: 300}
    relations = [
        SourceRelation(11, 10, 5, 1, 4),
        SourceRelation(12, 20, 5, 2, 5),
        SourceRelation(13, 30, 5, 3, 7),
        SourceRelation(14, 10, 6, 1, 9),
        SourceRelation(15, 10, 8, 4, 1),
        SourceRelation(16, 20, 8, 2, 5),
    ]

    two = premerge_relations(relations, gold_of, [10, 20, 30], 2)
    undirected = premerge_relations(relations, gold_of, [10, 20, 30], 2, undirected={8})

    assert two == [((5, 100, 200, (11, 12), (10, 20)))]
    assert [tuple(p) for p in undirected] == [
        (5, 100, 200, (11, 12), (10, 20)),
        (8, 100, 200, (15, 16), (10, 20)),
    ]
    assert premerge_relations(relations, gold_of, [10, 20, 30], 3) == []


def test_premerge_values_proposes_one_value_and_leaves_ties_to_the_curator():
    gold_of = {1: 100, 2: 100, 3: 100}
    values = [
        SourceValue(21, 10, 1, 7, "oppose"),
        SourceValue(22, 20, 2, 7, "oppose"),
        SourceValue(23, 30, 3, 7, "support"),
    ]

    two = premerge_values(values, gold_of, [10, 20, 30], 2)
    one = premerge_values(values, gold_of, [10, 20, 30], 1)

    assert [tuple(p) for p in two] == [(100, 7, "oppose", (21, 22), (10, 20))]
    assert one == []


# the database


@pytest.fixture
def carl(project) -> User:
    user = User.objects.create_user("carl")
    Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
    return user


@pytest.fixture
def types(project) -> dict[str, RelationType]:
    add_default_relations(project)
    return {relation_type.name: relation_type for relation_type in project.relation_types.all()}


@pytest.fixture
def stance(types, labels) -> LabelAttribute:
    return labels["claim"].attributes.get(name="stance")


def _gold(document, label, phrase, curator) -> GoldSpan:
    start = document.text.find(phrase)
    return gold_span_create(
        document=document, label=label, start=start, end=start + len(phrase), curator=curator
    )


@pytest.fixture
def gold_claim(document, labels, curator, types) -> GoldSpan:
    return _gold(document, labels["claim"], CLAIM, curator)


@pytest.fixture
def gold_lavrov(document, labels, curator) -> GoldSpan:
    return _gold(document, labels["actor"], LAVROV, curator)


def _refused(statement: str, params: list) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


INSERT_RELATION = (
    "INSERT INTO annotator_goldrelation (type_id, document_id, source_id, target_id, status, "
    "origin, merge_rule, created, updated) "
    "VALUES (%s, %s, %s, %s, 'accepted', 'curator', '', %s, %s)"
)


def _insert_relation(type_id, document_id, source_id, target_id) -> None:
    now = "2026-01-01 00:00:00+00:00"
    with connection.cursor() as cursor:
        cursor.execute(INSERT_RELATION, [type_id, document_id, source_id, target_id, now, now])


def test_the_database_refuses_a_gold_relation_across_documents(
    project, labels, document, gold_claim, curator, types
):
    other = Document.objects.create(project=project, title="Other", text="Lavrov spoke.")
    lavrov_elsewhere = _gold(other, labels["actor"], "Lavrov", curator)

    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_relation(types["claimant"].pk, document.pk, gold_claim.pk, lavrov_elsewhere.pk)

    assert not GoldRelation.objects.exists()


def test_the_database_refuses_a_gold_relation_type_of_another_project(
    document, gold_claim, gold_lavrov
):
    elsewhere = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = RelationType.objects.create(project=elsewhere, name="says", key="q")

    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_relation(foreign.pk, document.pk, gold_claim.pk, gold_lavrov.pk)

    assert not GoldRelation.objects.exists()


def test_the_database_refuses_a_gold_relation_to_itself_and_a_duplicate(
    document, gold_claim, gold_lavrov, types
):
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_relation(types["claimant"].pk, document.pk, gold_claim.pk, gold_claim.pk)
    _insert_relation(types["claimant"].pk, document.pk, gold_claim.pk, gold_lavrov.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_relation(types["claimant"].pk, document.pk, gold_claim.pk, gold_lavrov.pk)

    assert GoldRelation.objects.count() == 1


def test_the_database_refuses_a_merge_relation_without_its_rule(
    document, gold_claim, gold_lavrov, types
):
    with pytest.raises(IntegrityError), transaction.atomic():
        GoldRelation.objects.create(
            type=types["claimant"],
            document=document,
            source=gold_claim,
            target=gold_lavrov,
            origin=GoldOrigin.MERGE,
        )


def test_the_database_refuses_a_gold_value_not_allowed_or_of_another_label(
    gold_claim, gold_lavrov, stance
):
    with pytest.raises(IntegrityError), transaction.atomic():
        GoldSpanAttribute.objects.create(
            gold_span=gold_claim, attribute=stance, value="maybe", origin=GoldOrigin.CURATOR
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        GoldSpanAttribute.objects.create(
            gold_span=gold_lavrov, attribute=stance, value="oppose", origin=GoldOrigin.CURATOR
        )

    assert not GoldSpanAttribute.objects.exists()


def test_a_gold_span_cannot_change_label_under_its_values_in_the_database(
    gold_claim, stance, labels
):
    GoldSpanAttribute.objects.create(
        gold_span=gold_claim, attribute=stance, value="oppose", origin=GoldOrigin.CURATOR
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        GoldSpan.objects.filter(pk=gold_claim.pk).update(label=labels["actor"])

    assert GoldSpan.objects.get(pk=gold_claim.pk).label_id == labels["claim"].pk


def test_the_database_cascades_a_gold_span_deleted_behind_django(
    gold_claim, gold_lavrov, stance, types, curator
):
    gold_relation_create(
        relation_type=types["claimant"], source=gold_claim, target=gold_lavrov, curator=curator
    )
    gold_attribute_set(gold_span=gold_claim, attribute=stance, value="oppose", curator=curator)

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotator_goldspan WHERE id = %s", [gold_claim.pk])

    assert not GoldRelation.objects.exists()
    assert not GoldSpanAttribute.objects.exists()
    assert list(GoldSpan.objects.all()) == [gold_lavrov]


# the pre-merge over three annotators' work


def _span(document, annotator, label, phrase):
    start = document.text.find(phrase)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(phrase)
    )
    return span


@pytest.fixture
def coded(document, labels, alice, bob, carl, types, stance) -> dict:
    """All three mark the claim, Lavrov and NATO. Alice and Bob say Lavrov makes the claim,
    Carl says NATO does; Alice alone says it is aimed at NATO. Stance: Alice and Bob
    oppose, Carl support."""
    relations = {}
    for annotator, claimant, value in [
        (alice, LAVROV, "oppose"),
        (bob, LAVROV, "oppose"),
        (carl, NATO, "support"),
    ]:
        claim = _span(document, annotator, labels["claim"], CLAIM)
        actors = {
            LAVROV: _span(document, annotator, labels["actor"], LAVROV),
            NATO: _span(document, annotator, labels["actor"], NATO),
        }
        relations[annotator.username], _ = relation_create(
            relation_type=types["claimant"],
            source=claim,
            target=actors[claimant],
            annotator=annotator,
        )
        if annotator == alice:
            relation_create(
                relation_type=types["addressee"],
                source=claim,
                target=actors[NATO],
                annotator=annotator,
            )
        span_attribute_set(span=claim, attribute=stance, value=value)
        assignment_submit(document=document, annotator=annotator)
    return relations


def _gold_relations() -> set[tuple[str, str, str, str]]:
    return {
        (
            relation.type.name,
            relation.document.text[relation.source.start : relation.source.end],
            relation.document.text[relation.target.start : relation.target.end],
            relation.status,
        )
        for relation in GoldRelation.objects.select_related("type", "source", "target")
    }


def test_premerge_two_of_three_proposes_the_relation_and_value_two_agree_on(
    document, coded, stance
):
    gold_premerge(document=document, curator=None, minimum=2)

    assert _gold_relations() == {("claimant", CLAIM, LAVROV, "proposed")}
    relation = GoldRelation.objects.get()
    assert relation.origin == GoldOrigin.MERGE
    assert relation.merge_rule == "type and both ends agreed by at least 2 of 3 annotators"
    assert set(relation.source_relations.all()) == {coded["alice"], coded["bob"]}
    value = GoldSpanAttribute.objects.get()
    assert (value.gold_span.label.name, value.attribute, value.value) == ("claim", stance, "oppose")
    assert value.merge_rule == "value given by at least 2 of 3 annotators"
    assert sorted(value.source_values.values_list("span__annotator__username", flat=True)) == [
        "alice",
        "bob",
    ]
    created = AuditEvent.objects.filter(action="created")
    assert created.filter(subject="gold_relation").count() == 1
    assert created.filter(subject="gold_span_attribute").count() == 1


def test_premerge_one_of_three_proposes_every_relation_and_no_tied_value(document, coded):
    gold_premerge(document=document, curator=None, minimum=1)

    assert _gold_relations() == {
        ("claimant", CLAIM, LAVROV, "proposed"),
        ("claimant", CLAIM, NATO, "proposed"),
        ("addressee", CLAIM, NATO, "proposed"),
    }
    assert not GoldSpanAttribute.objects.exists()


def test_premerge_of_all_three_proposes_the_spans_only(document, coded):
    gold_premerge(document=document, curator=None)

    assert GoldSpan.objects.count() == 3
    assert not GoldRelation.objects.exists() and not GoldSpanAttribute.objects.exists()


def test_premerge_again_adds_nothing_twice(document, coded):
    gold_premerge(document=document, curator=None, minimum=2)
    events = AuditEvent.objects.count()

    gold_premerge(document=document, curator=None, minimum=2)

    assert GoldRelation.objects.count() == 1 and GoldSpanAttribute.objects.count() == 1
    assert AuditEvent.objects.count() == events


# the curator's decisions


def test_a_relation_is_accepted_only_once_both_ends_are(document, coded, curator):
    gold_premerge(document=document, curator=None, minimum=2)
    relation = GoldRelation.objects.get()

    with pytest.raises(GoldError, match="Accept the gold claim span"):
        gold_relation_accept(gold_relation=relation, curator=curator)
    gold_span_accept(gold_span=relation.source, curator=curator)
    gold_span_accept(gold_span=relation.target, curator=curator)
    gold_relation_accept(gold_relation=relation, curator=curator)

    relation.refresh_from_db()
    assert (relation.status, relation.curator) == (GoldSpanStatus.ACCEPTED, curator)
    event = AuditEvent.objects.filter(subject="gold_relation", action="updated").get()
    assert (event.before["status"], event.after["status"]) == ("proposed", "accepted")


def test_accept_all_accepts_relations_and_marking_gold_waits_for_them(document, coded, curator):
    gold_premerge(document=document, curator=None, minimum=1)
    GoldSpan.objects.update(status=GoldSpanStatus.ACCEPTED)

    with pytest.raises(GoldError, match="every proposed relation"):
        gold_status_set(document=document, status=GoldStatus.GOLD, confirm=True)
    gold_accept_all(document=document, curator=curator)
    gold_status_set(document=document, status=GoldStatus.GOLD, confirm=True)

    assert set(GoldRelation.objects.values_list("status", flat=True)) == {"accepted"}


def test_the_curator_adds_a_relation_linked_to_the_annotators_who_drew_it(
    document, coded, curator, types
):
    gold_premerge(document=document, curator=None)
    gold_accept_all(document=document, curator=curator)
    claim = GoldSpan.objects.get(label__name="claim")
    nato = GoldSpan.objects.get(start=document.text.find(NATO), label__name="actor")

    relation = gold_relation_create(
        relation_type=types["claimant"], source=claim, target=nato, curator=curator
    )

    assert (relation.status, relation.origin, relation.curator) == (
        "accepted",
        "curator",
        curator,
    )
    assert list(relation.source_relations.all()) == [coded["carl"]]
    with pytest.raises(GoldError, match="already has a claimant relation"):
        gold_relation_create(
            relation_type=types["claimant"], source=claim, target=nato, curator=curator
        )


def test_bad_gold_relations_are_refused_and_change_nothing(
    document, gold_claim, gold_lavrov, types, curator, labels
):
    events = AuditEvent.objects.count()
    with pytest.raises(GoldError, match="cannot be related to itself"):
        gold_relation_create(
            relation_type=types["claimant"], source=gold_claim, target=gold_claim, curator=curator
        )
    with pytest.raises(GoldError, match="starts at a claim, threat or proposal span"):
        gold_relation_create(
            relation_type=types["claimant"], source=gold_lavrov, target=gold_claim, curator=curator
        )
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = RelationType.objects.create(project=other, name="says", key="q")
    with pytest.raises(GoldError, match="does not belong"):
        gold_relation_create(
            relation_type=foreign, source=gold_claim, target=gold_lavrov, curator=curator
        )

    assert not GoldRelation.objects.exists()
    assert AuditEvent.objects.count() == events


def test_gold_values_are_set_changed_and_cleared_with_audit(gold_claim, stance, curator):
    row, changed = gold_attribute_set(
        gold_span=gold_claim, attribute=stance, value="oppose", curator=curator
    )
    again, changed_again = gold_attribute_set(
        gold_span=gold_claim, attribute=stance, value="oppose", curator=curator
    )
    gold_attribute_set(gold_span=gold_claim, attribute=stance, value="neutral", curator=curator)
    with pytest.raises(GoldError, match="not a value of stance"):
        gold_attribute_set(gold_span=gold_claim, attribute=stance, value="maybe", curator=curator)
    cleared = gold_attribute_clear(gold_span=gold_claim, attribute=stance, curator=curator)

    assert (changed, changed_again, again.pk, cleared) == (True, False, row.pk, True)
    assert not GoldSpanAttribute.objects.exists()
    assert list(
        AuditEvent.objects.filter(subject="gold_span_attribute")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["created", "updated", "deleted"]


def test_deleting_a_gold_span_deletes_and_records_its_relations_and_values(
    gold_claim, gold_lavrov, stance, types, curator
):
    relation = gold_relation_create(
        relation_type=types["claimant"], source=gold_claim, target=gold_lavrov, curator=curator
    )
    value, _ = gold_attribute_set(
        gold_span=gold_claim, attribute=stance, value="oppose", curator=curator
    )

    claim_id = gold_claim.pk

    gold_span_delete(gold_span=gold_claim, curator=curator)

    assert not GoldRelation.objects.exists() and not GoldSpanAttribute.objects.exists()
    deleted = set(AuditEvent.objects.filter(action="deleted").values_list("subject", "subject_id"))
    assert deleted == {
        ("gold_span", claim_id),
        ("gold_relation", relation.pk),
        ("gold_span_attribute", value.pk),
    }


def test_relabelling_a_gold_span_moves_a_same_named_value_and_keeps_relations_valid(
    gold_claim, gold_lavrov, stance, types, curator, labels
):
    threat_stance = labels["threat"].attributes.get(name="stance")
    gold_attribute_set(gold_span=gold_claim, attribute=stance, value="oppose", curator=curator)
    gold_relation_create(
        relation_type=types["claimant"], source=gold_claim, target=gold_lavrov, curator=curator
    )

    gold_span_relabel(gold_span=gold_claim, label=labels["threat"], curator=curator)
    with pytest.raises(GoldError, match="delete the relation first"):
        gold_span_relabel(gold_span=gold_lavrov, label=labels["claim"], curator=curator)

    assert list(GoldSpanAttribute.objects.values_list("attribute", "value")) == [
        (threat_stance.pk, "oppose")
    ]
    assert GoldSpan.objects.get(pk=gold_lavrov.pk).label == labels["actor"]


def test_deleting_a_proposed_relation_records_it(document, coded, curator):
    gold_premerge(document=document, curator=None, minimum=2)
    relation = GoldRelation.objects.get()

    gold_relation_delete(gold_relation=relation, curator=curator)

    assert not GoldRelation.objects.exists()
    event = AuditEvent.objects.get(subject="gold_relation", action="deleted")
    assert (event.actor_name, event.before["type_name"]) == ("cora", "claimant")


def test_deleting_an_annotators_relation_behind_django_drops_its_provenance_link(document, coded):
    gold_premerge(document=document, curator=None, minimum=2)

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotator_relation WHERE id = %s", [coded["alice"].pk])

    assert list(GoldRelation.objects.get().source_relations.all()) == [coded["bob"]]
    assert Relation.objects.count() == 3


# exports


@pytest.fixture
def adjudicated(document, coded, curator, stance) -> Document:
    """Gold: the three spans, claimant Lavrov accepted, addressee NATO still proposed,
    stance oppose; the document marked gold."""
    gold_premerge(document=document, curator=None, minimum=1)
    for gold_span in GoldSpan.objects.all():
        gold_span_accept(gold_span=gold_span, curator=curator)
    for relation in GoldRelation.objects.select_related("type", "target"):
        text = document.text[relation.target.start : relation.target.end]
        if relation.type.name == "claimant" and text == LAVROV:
            gold_relation_accept(gold_relation=relation, curator=curator)
        elif relation.type.name == "claimant":
            gold_relation_delete(gold_relation=relation, curator=curator)
    claim = GoldSpan.objects.get(label__name="claim")
    gold_attribute_set(gold_span=claim, attribute=stance, value="oppose", curator=curator)
    Document.objects.filter(pk=document.pk).update(gold_status=GoldStatus.GOLD)
    document.refresh_from_db()
    return document


def _quote(text: str, span) -> str:
    return text[span.start : span.end]


def _export(project, name, path):
    documents = read_documents(Selection(project, "gold"), chunk_size=2)
    return write_export(get_format(name), documents, export_labels(project), path)


def test_the_gold_reader_gives_accepted_relations_and_values(adjudicated, project):
    [document] = read_documents(Selection(project, "gold"))

    text = document.text
    assert [
        (r.type, _quote(text, document.spans[r.source]), _quote(text, document.spans[r.target]))
        for r in document.relations
    ] == [("claimant", CLAIM, LAVROV)]
    assert {span.label: span.attributes for span in document.spans} == {
        "claim": (("stance", "oppose"),),
        "actor": (),
    }


def test_gold_jsonl_reads_back_with_relations_and_values(adjudicated, project, tmp_path):
    _export(project, "jsonl", tmp_path / "jsonl")

    [record] = [
        json.loads(line)
        for path in (tmp_path / "jsonl").rglob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    text, label = record["text"], record["label"]
    assert [
        (
            relation["type"],
            text[slice(*label[relation["from"]][:2])],
            text[slice(*label[relation["to"]][:2])],
        )
        for relation in record["relations"]
    ] == [("claimant", CLAIM, LAVROV)]
    assert {
        text[start:end]: values
        for (start, end, _), values in zip(label, record["span_attributes"], strict=True)
    } == {CLAIM: {"stance": "oppose"}, LAVROV: {}, NATO: {}}
    assert "span_annotators" not in record


def test_gold_brat_reads_back_with_relations_and_values(adjudicated, project, tmp_path):
    from tests.test_relations_export import check_brat_ann, parse_brat_conf

    _export(project, "brat", tmp_path / "brat")

    folder = tmp_path / "brat" / assign_split(adjudicated.pk)
    conf = parse_brat_conf((folder / "annotation.conf").read_text(encoding="utf-8"))
    found = check_brat_ann(
        (folder / f"{adjudicated.pk}.ann").read_text(encoding="utf-8"), adjudicated.text, conf
    )
    assert found["R"] == [("claimant", CLAIM, LAVROV)]
    assert found["A"] == [("stance", CLAIM, "oppose")]


def test_gold_huggingface_reads_back_with_relations_and_values(
    adjudicated, project, tmp_path, monkeypatch
):
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    _export(project, "huggingface", tmp_path / "hf")

    loaded = datasets.load_dataset(str(tmp_path / "hf"), cache_dir=str(tmp_path / "cache"))
    [row] = [row for split in loaded.values() for row in split]
    text, spans = row["text"], row["spans"]
    assert [
        (
            r["type"],
            text[spans[r["head"]]["start"] : spans[r["head"]]["end"]],
            text[spans[r["tail"]]["start"] : spans[r["tail"]]["end"]],
        )
        for r in row["relations"]
    ] == [("claimant", CLAIM, LAVROV)]
    assert {
        text[span["start"] : span["end"]]: values
        for span, values in zip(spans, row["span_attributes"], strict=True)
    } == {CLAIM: [{"name": "stance", "value": "oppose"}], LAVROV: [], NATO: []}


def test_the_gold_reader_still_costs_two_queries_per_chunk(
    adjudicated, project, django_assert_max_num_queries
):
    # The chunk's pair, and the read's question whether gold holds relations or values.
    with django_assert_max_num_queries(3):
        assert len(list(read_documents(Selection(project, "gold")))) == 1


# the adjudication page and the API


@pytest.fixture
def proposed(document, coded, curator) -> GoldRelation:
    """After a two-of-three pre-merge with the spans accepted: the claimant relation
    proposed, the stance oppose proposed."""
    gold_premerge(document=document, curator=None, minimum=2)
    gold_accept_all(document=document, curator=curator)
    relation = GoldRelation.objects.get()
    GoldRelation.objects.filter(pk=relation.pk).update(status=GoldSpanStatus.PROPOSED)
    relation.refresh_from_db()
    return relation


def _page(client, document) -> str:
    response = client.get(f"/projects/talks/documents/{document.pk}/adjudicate/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_lists_gold_relations_with_provenance_and_attribute_forms(
    client, document, proposed, curator
):
    client.force_login(curator)

    html = _page(client, document)

    assert f'data-gold-relation="{proposed.pk}"' in html
    assert (
        "pre-merge: type and both ends agreed by at least 2 of 3 annotators; from alice, bob"
        in (html)
    )
    assert f"/projects/talks/gold-relations/{proposed.pk}/accept/" in html
    assert '<option value="oppose" selected>oppose</option>' in html
    assert 'id="gold-relation-form"' in html


def test_the_curator_accepts_and_deletes_a_relation_with_plain_forms(
    client, document, proposed, curator
):
    client.force_login(curator)

    accepted = client.post(f"/projects/talks/gold-relations/{proposed.pk}/accept/")
    proposed.refresh_from_db()
    status_after_accept = proposed.status
    deleted = client.post(f"/projects/talks/gold-relations/{proposed.pk}/delete/")

    back = f"/projects/talks/documents/{document.pk}/adjudicate/"
    assert (accepted.status_code, accepted["Location"]) == (302, back)
    assert status_after_accept == GoldSpanStatus.ACCEPTED
    assert deleted.status_code == 302 and not GoldRelation.objects.exists()


def test_the_curator_adds_a_relation_and_sets_a_value_with_plain_forms(
    client, document, proposed, curator, types, stance
):
    claim = GoldSpan.objects.get(label__name="claim")
    nato = GoldSpan.objects.get(label__name="actor", start=document.text.find(NATO))
    client.force_login(curator)

    added = client.post(
        f"/projects/talks/documents/{document.pk}/adjudicate/relations/",
        {"type": types["addressee"].pk, "source": claim.pk, "target": nato.pk},
    )
    changed = client.post(
        f"/projects/talks/gold/{claim.pk}/attributes/{stance.pk}/", {"value": "neutral"}
    )

    assert (added.status_code, changed.status_code) == (302, 302)
    assert ("addressee", CLAIM, NATO, "accepted") in _gold_relations()
    assert GoldSpanAttribute.objects.get().value == "neutral"
    cleared = client.post(f"/projects/talks/gold/{claim.pk}/attributes/{stance.pk}/", {"value": ""})
    assert cleared.status_code == 302 and not GoldSpanAttribute.objects.exists()


@pytest.mark.parametrize(
    "form",
    [
        {"type": "x", "source": "1", "target": "2"},
        {"type": "{type}", "source": "{claim}", "target": "{claim}"},
        {"type": "{type}", "source": "{claim}", "target": "999999"},
    ],
)
def test_bad_relation_forms_are_a_400_and_change_nothing(
    client, document, proposed, curator, types, form
):
    claim = GoldSpan.objects.get(label__name="claim")
    values = {
        key: value.format(type=types["addressee"].pk, claim=claim.pk) for key, value in form.items()
    }
    before = (_gold_relations(), AuditEvent.objects.count())
    client.force_login(curator)

    response = client.post(f"/projects/talks/documents/{document.pk}/adjudicate/relations/", values)

    assert response.status_code == 400
    assert (_gold_relations(), AuditEvent.objects.count()) == before


def test_a_value_not_allowed_is_a_400_that_says_why(client, document, proposed, curator, stance):
    claim = GoldSpan.objects.get(label__name="claim")
    client.force_login(curator)

    response = client.post(
        f"/projects/talks/gold/{claim.pk}/attributes/{stance.pk}/",
        {"value": "<b>maybe</b>"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert "is not a value of stance" in response.content.decode()
    assert GoldSpanAttribute.objects.get().value == "oppose"


def test_annotators_outsiders_and_anonymous_cannot_touch_gold_relations(
    client, document, proposed, alice, charlie
):
    url = f"/projects/talks/gold-relations/{proposed.pk}/delete/"
    responses = {}
    for name, user in [("annotator", alice), ("outsider", charlie)]:
        client.force_login(user)
        responses[name] = client.post(url).status_code
    client.logout()
    responses["anonymous"] = client.post(url).status_code
    api = f"/api/v1/gold-relations/{proposed.pk}/"
    client.force_login(alice)
    responses["api annotator"] = client.delete(api).status_code
    client.force_login(charlie)
    responses["api outsider"] = client.delete(api).status_code
    client.logout()
    responses["api anonymous"] = client.delete(api).status_code

    assert responses == {
        "annotator": 403,
        "outsider": 404,
        "anonymous": 302,
        "api annotator": 403,
        "api outsider": 404,
        "api anonymous": 401,
    }
    assert GoldRelation.objects.filter(pk=proposed.pk).exists()


def test_the_api_lists_accepts_adds_and_deletes_gold_relations(
    client, document, coded, proposed, manager, types
):
    claim = GoldSpan.objects.get(label__name="claim")
    nato = GoldSpan.objects.get(label__name="actor", start=document.text.find(NATO))
    client.force_login(manager)

    listed = client.get(f"/api/v1/documents/{document.pk}/gold/relations/").json()
    accepted = client.post(f"/api/v1/gold-relations/{proposed.pk}/accept/")
    added = client.post(
        f"/api/v1/documents/{document.pk}/gold/relations/",
        {"type": types["addressee"].pk, "source": claim.pk, "target": nato.pk},
        content_type="application/json",
    )
    refused = client.post(
        f"/api/v1/documents/{document.pk}/gold/relations/",
        {"type": types["addressee"].pk, "source": claim.pk, "target": nato.pk},
        content_type="application/json",
    )
    deleted = client.delete(f"/api/v1/gold-relations/{proposed.pk}/")

    [row] = listed["results"]
    assert (row["id"], row["type_name"], row["status"], row["origin"]) == (
        proposed.pk,
        "claimant",
        "proposed",
        "merge",
    )
    assert sorted(row["source_relations"]) == [coded["alice"].pk, coded["bob"].pk]
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert added.status_code == 201 and added.json()["curator"] == "mona"
    assert refused.status_code == 400 and "already has" in refused.json()["detail"]
    assert deleted.status_code == 204
    assert _gold_relations() == {("addressee", CLAIM, NATO, "accepted")}


def test_the_api_sets_and_clears_a_gold_value(client, document, proposed, curator, stance):
    claim = GoldSpan.objects.get(label__name="claim")
    url = f"/api/v1/gold/{claim.pk}/attributes/{stance.pk}/"
    client.force_login(curator)

    put = client.put(url, {"value": "support"}, content_type="application/json")
    bad = client.put(url, {"value": "maybe"}, content_type="application/json")
    listed = client.get(f"/api/v1/documents/{document.pk}/gold/attributes/").json()
    cleared = client.delete(url)

    assert put.status_code == 200
    assert (put.json()["value"], put.json()["origin"], put.json()["curator"]) == (
        "support",
        "curator",
        "cora",
    )
    assert bad.status_code == 400 and bad.json()["allowed_values"] == [
        "support",
        "oppose",
        "neutral",
    ]
    assert [row["value"] for row in listed["results"]] == ["support"]
    assert cleared.status_code == 204 and not GoldSpanAttribute.objects.exists()


def test_the_audit_page_names_gold_relations_and_values(client, document, proposed, manager):
    client.force_login(manager)

    html = client.get("/projects/talks/audit/").content.decode()

    relation = GoldRelation.objects.get()
    value = GoldSpanAttribute.objects.get()
    assert f"gold relation {relation.pk}</td>" in html
    assert (
        f"claimant relation: gold span {relation.source_id} → gold span {relation.target_id} "
        "(proposed)" in html
    )
    assert f"gold span attribute {value.pk}</td>" in html
    assert f"gold span {value.gold_span_id}: stance = oppose" in html


def test_undoing_an_accept_makes_the_relations_at_that_span_proposed_again(
    document, proposed, curator
):
    from annotator.curation.gold import gold_spans_revert

    gold_relation_accept(gold_relation=proposed, curator=curator)

    gold_spans_revert(document=document, curator=curator, propose=[proposed.source_id])

    proposed.refresh_from_db()
    assert proposed.status == GoldSpanStatus.PROPOSED
    event = AuditEvent.objects.filter(subject="gold_relation").latest("id")
    assert (event.action, event.before["status"], event.after["status"]) == (
        "updated",
        "accepted",
        "proposed",
    )


def test_a_release_counts_and_carries_the_gold_relations(
    adjudicated, project, manager, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    release = release_create(project=project, author=manager, formats=["jsonl"])

    with release.archive.open("rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    manifest = json.loads(archive.read("talks-v1/release.json"))
    assert [(t["name"], t["relations"]) for t in manifest["relation_types"]] == [
        ("addressee", 0),
        ("claimant", 1),
    ]
    card = archive.read("talks-v1/README.md").decode("utf-8")
    assert "This release holds no relations" not in card
    [line] = [
        json.loads(row)
        for name in archive.namelist()
        if name.endswith(".jsonl")
        for row in archive.read(name).splitlines()
    ]
    assert [relation["type"] for relation in line["relations"]] == ["claimant"]


def test_the_discourse_network_of_gold_draws_the_accepted_relations(adjudicated, project):
    from annotator.curation.network import build_networks

    networks = build_networks(read_documents(Selection(project, "gold")), {})

    assert [(node.name, node.statements) for node in networks.actors] == [("Sergey Lavrov", 1)]
    assert [(edge.relation, edge.weight, edge.stance) for edge in networks.statement_edges] == [
        ("claimant", 1, "oppose")
    ]


# the adjudication page's undo, through the views

JSON = {"Accept": "application/json"}


def _url(name: str, *args) -> str:
    return reverse(name, args=["talks", *args])


def _gold_state(document) -> dict:
    """Every gold span of the document with its relations and values, as the undo must
    leave them (an independent reading of the tables, not the snapshot code)."""
    return {
        "spans": sorted(
            (
                g.pk,
                g.label_id,
                g.start,
                g.end,
                g.status,
                g.origin,
                g.merge_rule,
                g.curator_id,
                g.guidelines_version,
                tuple(sorted(g.source_spans.values_list("pk", flat=True))),
            )
            for g in GoldSpan.objects.filter(document=document)
        ),
        "relations": sorted(
            (
                r.pk,
                r.type_id,
                r.source_id,
                r.target_id,
                r.status,
                r.origin,
                r.merge_rule,
                r.curator_id,
                tuple(sorted(r.source_relations.values_list("pk", flat=True))),
            )
            for r in GoldRelation.objects.filter(document=document)
        ),
        "values": sorted(
            (
                v.pk,
                v.gold_span_id,
                v.attribute_id,
                v.value,
                v.origin,
                v.merge_rule,
                v.curator_id,
                tuple(sorted(v.source_values.values_list("pk", flat=True))),
            )
            for v in GoldSpanAttribute.objects.filter(gold_span__document=document)
        ),
    }


def test_undoing_a_rejected_proposal_restores_it_with_its_provenance(
    client, document, coded, curator
):
    client.force_login(curator)
    client.post(_url("gold-premerge", document.pk), {"minimum": 2}, headers=JSON)
    claim = GoldSpan.objects.get(label__name="claim")
    before = _gold_state(document)
    assert GoldRelation.objects.filter(source=claim).exists()
    assert GoldSpanAttribute.objects.filter(gold_span=claim).exists()
    answer = client.post(_url("gold-span-delete", claim.pk), headers=JSON).json()
    assert not GoldSpan.objects.filter(pk=claim.pk).exists()
    last_event = AuditEvent.objects.order_by("pk").last().pk

    response = client.post(
        _url("gold-revert", document.pk), {"restore": answer["restore"]}, headers=JSON
    )

    assert response.status_code == 200
    [restored] = response.json()["gold"]
    assert (restored["id"], restored["status"]) == (claim.pk, "proposed")
    assert restored["provenance"].startswith("pre-merge: exact match by at least 2 of 3")
    assert "from alice, bob, carl" in restored["provenance"]
    assert _gold_state(document) == before
    created = AuditEvent.objects.filter(pk__gt=last_event)
    assert sorted(created.values_list("action", "subject", "actor_id")) == [
        ("created", "gold_relation", curator.pk),
        ("created", "gold_span", curator.pk),
        ("created", "gold_span_attribute", curator.pk),
    ]


def test_a_restore_twice_or_altered_is_refused_and_changes_nothing(
    client, document, coded, curator
):
    client.force_login(curator)
    client.post(_url("gold-premerge", document.pk), {"minimum": 2}, headers=JSON)
    claim = GoldSpan.objects.get(label__name="claim")
    token = client.post(_url("gold-span-delete", claim.pk), headers=JSON).json()["restore"]
    client.post(_url("gold-revert", document.pk), {"restore": token}, headers=JSON)
    after = _gold_state(document)
    events = AuditEvent.objects.count()

    twice = client.post(_url("gold-revert", document.pk), {"restore": token}, headers=JSON)
    altered = client.post(
        _url("gold-revert", document.pk), {"restore": token[:-2] + "xx"}, headers=JSON
    )

    assert twice.status_code == 400
    assert "back already" in twice.json()["error"]
    assert altered.status_code == 400
    assert "altered" in altered.json()["error"]
    assert _gold_state(document) == after
    assert AuditEvent.objects.count() == events


def test_a_restore_keeps_provenance_but_leaves_out_a_curator_whose_account_is_gone(
    document, labels, curator, types, stance, project
):
    from annotator.curation.gold import gold_span_restore

    dora = User.objects.create_user("dora")
    Membership.objects.create(project=project, user=dora, role=Role.CURATOR)
    claim = _gold(document, labels["claim"], CLAIM, dora)
    lavrov = _gold(document, labels["actor"], LAVROV, curator)
    relation = gold_relation_create(
        relation_type=types["addressee"], source=claim, target=lavrov, curator=dora
    )
    value, _ = gold_attribute_set(
        gold_span=claim, attribute=stance, value="oppose", curator=curator
    )
    claim_id = claim.pk
    snapshot = gold_span_delete(gold_span=claim, curator=curator)
    dora.delete()

    gold_span_restore(document=document, snapshot=snapshot, curator=curator)

    restored = GoldSpan.objects.get(pk=claim_id)
    assert (restored.label_id, restored.origin, restored.curator_id) == (
        labels["claim"].pk,
        GoldOrigin.CURATOR,
        None,
    )
    back = GoldRelation.objects.get(pk=relation.pk)
    assert (back.source_id, back.target_id, back.curator_id) == (claim_id, lavrov.pk, None)
    kept = GoldSpanAttribute.objects.get(pk=value.pk)
    assert (kept.gold_span_id, kept.value, kept.curator_id) == (claim_id, "oppose", curator.pk)


def test_a_restore_sent_to_another_documents_url_is_refused_and_changes_nothing(
    client, document, coded, curator
):
    # Same text, so the snapshot's offsets and label would fit the other document too.
    other = Document.objects.create(
        project=document.project, title="Another copy", text=document.text
    )
    client.force_login(curator)
    client.post(_url("gold-premerge", document.pk), {"minimum": 2}, headers=JSON)
    claim = GoldSpan.objects.get(label__name="claim")
    token = client.post(_url("gold-span-delete", claim.pk), headers=JSON).json()["restore"]
    events = AuditEvent.objects.count()

    response = client.post(_url("gold-revert", other.pk), {"restore": token}, headers=JSON)

    assert response.status_code == 400
    assert "another document" in response.json()["error"]
    assert not GoldSpan.objects.filter(document=other).exists()
    assert not GoldSpan.objects.filter(pk=claim.pk).exists()
    assert AuditEvent.objects.count() == events


def test_undoing_a_premerge_removes_exactly_what_it_added(
    client, document, coded, curator, labels, types, stance
):
    claim = _gold(document, labels["claim"], CLAIM, curator)
    lavrov = _gold(document, labels["actor"], LAVROV, curator)
    gold_relation_create(
        relation_type=types["addressee"], source=claim, target=lavrov, curator=curator
    )
    before = _gold_state(document)
    client.force_login(curator)
    answer = client.post(_url("gold-premerge", document.pk), {"minimum": 2}, headers=JSON).json()
    # Over the spans that were there: the claimant relation and the stance value.
    assert len(answer["relations"]) == 1 and len(answer["values"]) == 1
    assert [item["start"] for item in answer["gold"]] == [document.text.find(" NATO") + 1]

    response = client.post(
        _url("gold-revert", document.pk),
        {
            "delete": [item["id"] for item in answer["gold"]],
            "delete_relation": answer["relations"],
            "delete_value": answer["values"],
        },
        headers=JSON,
    )

    assert response.status_code == 200
    assert _gold_state(document) == before
    deleted = AuditEvent.objects.filter(action="deleted")
    assert sorted(deleted.values_list("subject", flat=True)) == [
        "gold_relation",
        "gold_span",
        "gold_span_attribute",
    ]


def test_the_relations_panel_comes_alone_for_the_page_script(
    client, document, proposed, curator, charlie
):
    url = f"/projects/talks/documents/{document.pk}/adjudicate/?panel=relations"
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.force_login(curator)

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="gold-relations" id="gold-relations"')
    assert "<html" not in html and "gold-list" not in html
    assert f'data-gold-relation="{proposed.pk}"' in html

"""Relations and span attributes: database invariants, the service's refusals, cascades,
the audit trail, and the defaults every project gets."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.relations import (
    RelationError,
    relation_create,
    relation_delete,
    span_attribute_clear,
    span_attribute_set,
)
from annotator.annotation.spans import SpanError, span_create, span_delete, span_relabel
from annotator.models import (
    AuditEvent,
    Document,
    Label,
    LabelAttribute,
    Project,
    Relation,
    RelationType,
    Span,
    SpanAttribute,
)
from annotator.projects.setup import add_default_relations, label_create, project_create


@pytest.fixture
def defaults(project) -> Project:
    add_default_relations(project)
    return project


@pytest.fixture
def claimant(defaults) -> RelationType:
    return defaults.relation_types.get(name="claimant")


@pytest.fixture
def stance(defaults, labels) -> LabelAttribute:
    return LabelAttribute.objects.get(label=labels["claim"], name="stance")


def _span(document, annotator, label, text: str) -> Span:
    start = document.text.find(text)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(text)
    )
    return span


@pytest.fixture
def claim(alice, document, labels) -> Span:
    return _span(document, alice, labels["claim"], "NATO will meet in January")


def _state() -> tuple:
    return (
        list(Relation.objects.values_list("id", "type_id", "source_id", "target_id")),
        list(SpanAttribute.objects.values_list("id", "attribute_id", "value")),
        AuditEvent.objects.count(),
    )


# the defaults


def test_a_new_project_gets_the_default_relation_types_and_stance(manager):
    project = project_create(creator=manager, name="New", slug="new")

    types = {
        relation_type.name: relation_type
        for relation_type in project.relation_types.prefetch_related(
            "source_labels", "target_labels"
        )
    }
    assert set(types) == {"claimant", "addressee"}
    for relation_type in types.values():
        assert relation_type.directed
        assert {label.name for label in relation_type.source_labels.all()} == {
            "claim",
            "threat",
            "proposal",
        }
        assert [label.name for label in relation_type.target_labels.all()] == ["actor"]
    stances = LabelAttribute.objects.filter(label__project=project)
    assert sorted(attribute.label.name for attribute in stances) == ["claim", "proposal", "threat"]
    assert {tuple(attribute.allowed_values) for attribute in stances} == {
        ("support", "oppose", "neutral")
    }


def test_a_label_may_not_take_a_relation_types_key(manager):
    project = project_create(creator=manager, name="New", slug="new")

    with pytest.raises(ValidationError, match="the key of the relation type claimant"):
        label_create(project=project, name="country", colour="#fde68a", hotkey="c")
    assert project.labels.count() == 4


def test_the_demo_fixture_loads_with_the_defaults(db):
    call_command("loaddata", "fixtures/demo.json", verbosity=0)

    project = Project.objects.get(slug="security-talks")
    assert set(project.relation_types.values_list("name", flat=True)) == {"claimant", "addressee"}
    assert LabelAttribute.objects.filter(label__project=project, name="stance").count() == 3


# database invariants, whatever path writes


def test_the_database_refuses_a_relation_to_itself(alice, claim, claimant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(
            type=claimant, document=claim.document, annotator=alice, source=claim, target=claim
        )


def test_the_database_refuses_a_duplicate_relation(alice, claim, alice_span, claimant):
    relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)

    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(
            type=claimant,
            document=claim.document,
            annotator=alice,
            source=claim,
            target=alice_span,
        )
    assert Relation.objects.count() == 1


def test_the_database_refuses_a_relation_to_another_annotators_span(
    alice, bob, claim, document, labels, claimant
):
    bobs = _span(document, bob, labels["actor"], "Sergey Lavrov")

    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(
            type=claimant, document=document, annotator=alice, source=claim, target=bobs
        )
    assert not Relation.objects.exists()


def test_the_database_refuses_a_relation_across_documents(alice, claim, project, labels, claimant):
    other = Document.objects.create(project=project, title="Other", text="Lavrov spoke.")
    actor = _span(other, alice, labels["actor"], "Lavrov")

    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(
            type=claimant, document=claim.document, annotator=alice, source=claim, target=actor
        )
    assert not Relation.objects.exists()


def test_the_database_refuses_a_type_of_another_project(alice, claim, alice_span):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = RelationType.objects.create(project=other, name="claimant", key="c")

    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(
            type=foreign, document=claim.document, annotator=alice, source=claim, target=alice_span
        )


def test_the_database_refuses_an_attribute_value_not_allowed(claim, stance):
    with pytest.raises(IntegrityError), transaction.atomic():
        SpanAttribute.objects.create(span=claim, attribute=stance, value="maybe")
    assert not SpanAttribute.objects.exists()


def test_the_database_refuses_an_attribute_of_another_label(alice_span, stance):
    with pytest.raises(IntegrityError), transaction.atomic():
        SpanAttribute.objects.create(span=alice_span, attribute=stance, value="support")


def test_the_database_holds_one_value_per_span_and_attribute(claim, stance):
    SpanAttribute.objects.create(span=claim, attribute=stance, value="support")

    with pytest.raises(IntegrityError), transaction.atomic():
        SpanAttribute.objects.create(span=claim, attribute=stance, value="oppose")
    assert list(SpanAttribute.objects.values_list("value", flat=True)) == ["support"]


def test_a_relation_type_key_may_not_be_reserved(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        RelationType.objects.create(project=project, name="next", key="n")


def test_a_span_cannot_change_label_under_its_attribute_values(claim, stance, labels):
    SpanAttribute.objects.create(span=claim, attribute=stance, value="support")

    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.filter(pk=claim.pk).update(label=labels["actor"])


# cascades


def test_deleting_a_span_deletes_its_relations_and_values(
    alice, claim, alice_span, claimant, stance
):
    relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)
    span_attribute_set(span=claim, attribute=stance, value="oppose")

    span_delete(span=claim)

    assert not Relation.objects.exists()
    assert not SpanAttribute.objects.exists()
    assert set(AuditEvent.objects.filter(action="deleted").values_list("subject", flat=True)) == {
        "span",
        "relation",
        "span_attribute",
    }


def test_the_database_cascades_a_span_deleted_behind_django(
    alice, claim, alice_span, claimant, stance
):
    relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)
    span_attribute_set(span=claim, attribute=stance, value="oppose")

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotator_span WHERE id = %s", [alice_span.pk])

    assert not Relation.objects.exists()
    assert SpanAttribute.objects.filter(span=claim).exists()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotator_span WHERE id = %s", [claim.pk])
    assert not SpanAttribute.objects.exists()


# the service


def test_a_relation_is_created_with_an_audit_event(alice, claim, alice_span, claimant):
    relation, created = relation_create(
        relation_type=claimant, source=claim, target=alice_span, annotator=alice
    )

    assert created
    assert (relation.source, relation.target, relation.document) == (
        claim,
        alice_span,
        claim.document,
    )
    event = AuditEvent.objects.get(subject="relation")
    assert (event.action, event.actor_id, event.subject_id) == ("created", alice.pk, relation.pk)
    assert event.after == {
        "type": claimant.pk,
        "type_name": "claimant",
        "source": claim.pk,
        "target": alice_span.pk,
    }


def test_a_retried_client_id_returns_the_first_relation(alice, claim, alice_span, claimant):
    client_id = uuid.uuid4()
    first, _ = relation_create(
        relation_type=claimant,
        source=claim,
        target=alice_span,
        annotator=alice,
        client_id=client_id,
    )

    again, created = relation_create(
        relation_type=claimant,
        source=claim,
        target=alice_span,
        annotator=alice,
        client_id=client_id,
    )

    assert (again, created) == (first, False)
    assert Relation.objects.count() == 1
    assert AuditEvent.objects.filter(subject="relation").count() == 1


def test_another_annotators_client_id_is_refused(alice, bob, claim, alice_span, document, labels):
    add_default_relations(claim.document.project)
    claimant = RelationType.objects.get(name="claimant")
    client_id = uuid.uuid4()
    relation_create(
        relation_type=claimant,
        source=claim,
        target=alice_span,
        annotator=alice,
        client_id=client_id,
    )
    bobs_claim = _span(document, bob, labels["claim"], "NATO will meet in January")
    bobs_actor = _span(document, bob, labels["actor"], "Sergey Lavrov")
    before = _state()

    with pytest.raises(RelationError, match="client_id belongs to another relation"):
        relation_create(
            relation_type=claimant,
            source=bobs_claim,
            target=bobs_actor,
            annotator=bob,
            client_id=client_id,
        )
    assert _state() == before


def _refused(match: str, **kwargs) -> None:
    before = _state()
    with pytest.raises(RelationError, match=match):
        relation_create(**kwargs)
    assert _state() == before


def test_a_wrong_source_label_is_refused(alice, document, labels, alice_span, claimant):
    other_actor = _span(document, alice, labels["actor"], "NATO")

    _refused(
        "A claimant relation starts at a claim, threat or proposal span, not at the actor span "
        "“Sergey Lavrov”",
        relation_type=claimant,
        source=alice_span,
        target=other_actor,
        annotator=alice,
    )


def test_a_wrong_target_label_is_refused(alice, document, labels, claim, claimant):
    threat = _span(document, alice, labels["threat"], "Sergey Lavrov")

    _refused(
        "A claimant relation ends at an actor span, not at the threat span",
        relation_type=claimant,
        source=claim,
        target=threat,
        annotator=alice,
    )


def test_a_relation_to_itself_is_refused(alice, claim, defaults):
    anything = RelationType.objects.create(project=defaults, name="same", key="g")

    _refused(
        "cannot be related to itself",
        relation_type=anything,
        source=claim,
        target=claim,
        annotator=alice,
    )


def test_a_relation_across_documents_is_refused(alice, claim, project, labels, claimant):
    other = Document.objects.create(project=project, title="Other", text="Lavrov spoke.")

    _refused(
        "same document",
        relation_type=claimant,
        source=claim,
        target=_span(other, alice, labels["actor"], "Lavrov"),
        annotator=alice,
    )


def test_a_relation_to_another_annotators_span_is_refused(
    alice, bob, claim, document, labels, claimant
):
    _refused(
        "your own spans, not another annotator's",
        relation_type=claimant,
        source=claim,
        target=_span(document, bob, labels["actor"], "Sergey Lavrov"),
        annotator=alice,
    )


def test_a_duplicate_relation_is_refused(alice, claim, alice_span, claimant):
    relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)

    _refused(
        "You already have a claimant relation from the claim span",
        relation_type=claimant,
        source=claim,
        target=alice_span,
        annotator=alice,
    )


def test_an_undirected_relation_is_the_same_either_way(alice, claim, alice_span, project):
    linked = RelationType.objects.create(project=project, name="linked", key="l", directed=False)
    relation_create(relation_type=linked, source=claim, target=alice_span, annotator=alice)

    _refused(
        "You already have a linked relation",
        relation_type=linked,
        source=alice_span,
        target=claim,
        annotator=alice,
    )


def test_a_type_of_another_project_is_refused(alice, claim, alice_span):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")

    _refused(
        "does not belong to this document's project",
        relation_type=RelationType.objects.create(project=other, name="claimant", key="c"),
        source=claim,
        target=alice_span,
        annotator=alice,
    )


def test_a_submitted_document_refuses_relations(alice, claim, alice_span, claimant, document):
    assignment_submit(document=document, annotator=alice)

    with pytest.raises(SpanError, match="cannot change unless a curator reopens it"):
        relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)
    assert not Relation.objects.exists()


def test_deleting_a_relation_records_it(alice, claim, alice_span, claimant):
    relation, _ = relation_create(
        relation_type=claimant, source=claim, target=alice_span, annotator=alice
    )

    relation_delete(relation=relation)

    assert not Relation.objects.exists()
    assert Span.objects.count() == 2
    event = AuditEvent.objects.filter(subject="relation").latest("id")
    assert (event.action, event.after, event.before["source"]) == ("deleted", None, claim.pk)


def test_setting_an_attribute_again_changes_nothing(claim, stance):
    row, changed = span_attribute_set(span=claim, attribute=stance, value="support")
    events = AuditEvent.objects.count()

    again, changed_again = span_attribute_set(span=claim, attribute=stance, value="support")

    assert changed and not changed_again
    assert again.pk == row.pk
    assert AuditEvent.objects.count() == events


def test_changing_and_clearing_an_attribute_are_recorded(claim, stance):
    span_attribute_set(span=claim, attribute=stance, value="support")
    span_attribute_set(span=claim, attribute=stance, value="oppose")

    assert span_attribute_clear(span=claim, attribute=stance)
    assert not span_attribute_clear(span=claim, attribute=stance)

    events = AuditEvent.objects.filter(subject="span_attribute").order_by("id")
    assert [(event.action, (event.after or {}).get("value")) for event in events] == [
        ("created", "support"),
        ("updated", "oppose"),
        ("deleted", None),
    ]
    assert not SpanAttribute.objects.exists()


def test_an_unknown_attribute_value_is_refused(claim, stance):
    before = _state()

    with pytest.raises(RelationError, match="“maybe” is not a value of stance: choose one of"):
        span_attribute_set(span=claim, attribute=stance, value="maybe")
    assert _state() == before


def test_an_attribute_of_another_label_is_refused(alice_span, stance):
    before = _state()

    with pytest.raises(RelationError, match="not an attribute of actor spans"):
        span_attribute_set(span=alice_span, attribute=stance, value="support")
    assert _state() == before


# relabelling keeps relations and attributes consistent


def test_relabel_moves_a_value_to_the_same_named_attribute(claim, stance, labels):
    span_attribute_set(span=claim, attribute=stance, value="oppose")

    span_relabel(span=claim, label=labels["threat"])

    row = SpanAttribute.objects.get(span=claim)
    assert (row.attribute.label, row.value) == (labels["threat"], "oppose")


def test_relabel_drops_values_the_new_label_has_no_attribute_for(claim, stance, labels):
    span_attribute_set(span=claim, attribute=stance, value="oppose")

    span_relabel(span=claim, label=labels["actor"])

    assert not SpanAttribute.objects.exists()


def test_relabel_that_would_break_a_relation_is_refused(alice, claim, alice_span, claimant, labels):
    relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)

    with pytest.raises(SpanError, match="This span ends a claimant relation"):
        span_relabel(span=alice_span, label=labels["claim"])

    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]
    assert Relation.objects.count() == 1


def test_a_project_without_an_actor_label_gets_no_relation_types(db):
    project = Project.objects.create(name="Bare", slug="bare")
    Label.objects.create(project=project, name="claim", colour="#fde68a", hotkey="1")

    add_default_relations(project)

    assert not project.relation_types.exists()
    assert LabelAttribute.objects.filter(label__project=project).count() == 1


def test_deleting_a_document_takes_its_relations_and_values_along(
    alice, claim, alice_span, claimant, stance, document
):
    relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)
    span_attribute_set(span=claim, attribute=stance, value="support")

    document.delete()

    assert not Relation.objects.exists()
    assert not SpanAttribute.objects.exists()
    assert RelationType.objects.filter(pk=claimant.pk).exists()
    assert LabelAttribute.objects.filter(pk=stance.pk).exists()


def test_a_relation_type_in_use_cannot_be_deleted(alice, claim, alice_span, claimant):
    relation_create(relation_type=claimant, source=claim, target=alice_span, annotator=alice)

    with pytest.raises(ProtectedError):
        claimant.delete()
    assert Relation.objects.count() == 1


def test_superusers_manage_relation_types_and_attributes_in_the_admin(client, defaults):
    client.force_login(User.objects.create_superuser("root", password="password"))

    types = client.get("/admin/annotator/relationtype/")
    attributes = client.get("/admin/annotator/labelattribute/")
    add = client.get("/admin/annotator/relationtype/add/")

    assert (types.status_code, attributes.status_code, add.status_code) == (200, 200, 200)
    assert "claimant" in types.content.decode()
    assert "stance" in attributes.content.decode()

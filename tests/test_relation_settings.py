"""A manager sets up relation types and label attributes from the app, as labels are."""

import pytest
from django.urls import reverse

from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.models import Label, LabelAttribute, Project, RelationType
from annotator.projects.setup import add_default_relations


@pytest.fixture
def defaults(project):
    add_default_relations(project)
    return project


def _types() -> list:
    return list(RelationType.objects.order_by("pk").values_list("pk", "name", "key", "directed"))


def _attributes() -> list:
    return list(
        LabelAttribute.objects.order_by("pk").values_list(
            "pk", "label_id", "name", "allowed_values"
        )
    )


def _new_type(labels, **fields) -> dict:
    data = {
        "new-type-name": "ally",
        "new-type-key": "y",
        "new-type-directed": "",
        "new-type-source_labels": [labels["actor"].pk],
        "new-type-target_labels": [labels["actor"].pk],
        "new-type-description": "Actors on one side.",
    }
    return data | {f"new-type-{name}": value for name, value in fields.items()}


def test_the_page_lists_the_types_and_attributes_with_their_forms(client, defaults, manager):
    client.force_login(manager)

    response = client.get(reverse("relation-settings", args=[defaults.slug]))

    assert response.status_code == 200
    assert "Save claimant" in response.text and "Save addressee" in response.text
    assert "Save claim: stance" in response.text
    assert "support\noppose\nneutral</textarea>" in response.text
    assert (
        reverse("relation-settings", args=[defaults.slug])
        in client.get(reverse("labels", args=[defaults.slug])).text
    )


def test_a_manager_adds_a_relation_type(client, defaults, manager, labels):
    client.force_login(manager)

    response = client.post(reverse("relation-settings", args=[defaults.slug]), _new_type(labels))

    assert response.status_code == 302
    ally = RelationType.objects.get(name="ally")
    assert (ally.key, ally.directed, ally.description) == ("y", False, "Actors on one side.")
    assert list(ally.source_labels.all()) == [labels["actor"]]
    assert list(ally.target_labels.all()) == [labels["actor"]]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "n"}, "n is taken by the annotation pages"),
        ({"key": "1"}, "1 is the hotkey of the label claim."),
        ({"key": "c"}, "c is already the key of claimant."),
        ({"key": "Y"}, "A hotkey is one digit or lower-case letter."),
        ({"name": "CLAIMANT"}, "The project already has a relation type named CLAIMANT."),
        ({"name": "  "}, "This field is required."),
        ({"source_labels": ["999999"]}, "Select a valid choice."),
    ],
)
def test_a_bad_relation_type_is_refused_and_nothing_changes(
    client, defaults, manager, labels, fields, message
):
    client.force_login(manager)
    before = _types()

    response = client.post(
        reverse("relation-settings", args=[defaults.slug]), _new_type(labels, **fields)
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _types() == before


def test_a_manager_edits_a_relation_type(client, defaults, manager, labels):
    claimant = RelationType.objects.get(name="claimant")
    prefix = f"type-{claimant.pk}"
    client.force_login(manager)

    response = client.post(
        reverse("relation-type-edit", args=[defaults.slug, claimant.pk]),
        {
            f"{prefix}-name": "speaker",
            f"{prefix}-key": "k",
            f"{prefix}-directed": "on",
            f"{prefix}-source_labels": [labels["claim"].pk],
            f"{prefix}-description": "",
        },
    )

    assert response.status_code == 302
    claimant.refresh_from_db()
    assert (claimant.name, claimant.key, claimant.directed) == ("speaker", "k", True)
    assert list(claimant.source_labels.all()) == [labels["claim"]]
    assert list(claimant.target_labels.all()) == []


def _claim_with_relation_and_stance(document, alice, labels):
    claim, _ = span_create(
        document=document, annotator=alice, label=labels["claim"], start=0, end=5
    )
    actor, _ = span_create(
        document=document, annotator=alice, label=labels["actor"], start=6, end=9
    )
    relation_create(
        relation_type=RelationType.objects.get(name="claimant"),
        source=claim,
        target=actor,
        annotator=alice,
    )
    stance = LabelAttribute.objects.get(label=labels["claim"], name="stance")
    span_attribute_set(span=claim, attribute=stance, value="oppose")
    return stance


def test_a_used_relation_type_cannot_be_deleted_an_unused_one_can(
    client, defaults, manager, alice, document, labels
):
    _claim_with_relation_and_stance(document, alice, labels)
    claimant = RelationType.objects.get(name="claimant")
    addressee = RelationType.objects.get(name="addressee")
    client.force_login(manager)
    before = _types()

    refused = client.post(reverse("relation-type-delete", args=[defaults.slug, claimant.pk]))
    assert refused.status_code == 400
    assert "claimant is used by 1 relation, so it cannot be deleted" in refused.text
    assert _types() == before

    deleted = client.post(reverse("relation-type-delete", args=[defaults.slug, addressee.pk]))
    assert deleted.status_code == 302
    assert [name for _, name, *_ in _types()] == ["claimant"]


def test_a_manager_adds_an_attribute(client, defaults, manager, labels):
    client.force_login(manager)

    response = client.post(
        reverse("attribute-add", args=[defaults.slug]),
        {
            "new-attribute-label": labels["actor"].pk,
            "new-attribute-name": "kind",
            "new-attribute-allowed_values": "state\r\n  organisation \r\n\r\nperson",
            "new-attribute-description": "",
        },
    )

    assert response.status_code == 302
    kind = LabelAttribute.objects.get(name="kind")
    assert (kind.label, kind.allowed_values) == (
        labels["actor"],
        ["state", "organisation", "person"],
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Stance"}, "claim already has an attribute named Stance."),
        ({"allowed_values": "yes\nyes"}, "Each value may be listed once."),
        ({"allowed_values": "x" * 51}, "A value is at most 50 characters."),
        ({"allowed_values": " \n "}, "This field is required."),
        ({"label": "999999"}, "Select a valid choice."),
    ],
)
def test_a_bad_attribute_is_refused_and_nothing_changes(
    client, defaults, manager, labels, fields, message
):
    client.force_login(manager)
    before = _attributes()
    data = {
        "label": labels["claim"].pk,
        "name": "tone",
        "allowed_values": "calm\nangry",
        "description": "",
    } | fields

    response = client.post(
        reverse("attribute-add", args=[defaults.slug]),
        {f"new-attribute-{name}": value for name, value in data.items()},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _attributes() == before


def test_a_value_spans_hold_cannot_be_dropped_nor_a_used_attribute_deleted(
    client, defaults, manager, alice, document, labels
):
    stance = _claim_with_relation_and_stance(document, alice, labels)
    prefix = f"attribute-{stance.pk}"
    client.force_login(manager)
    before = _attributes()

    dropped = client.post(
        reverse("attribute-edit", args=[defaults.slug, stance.pk]),
        {f"{prefix}-name": "stance", f"{prefix}-allowed_values": "support\nneutral"},
    )
    deleted = client.post(reverse("attribute-delete", args=[defaults.slug, stance.pk]))

    assert dropped.status_code == 400
    assert "Spans hold values no longer listed: oppose (1 span). Keep them." in dropped.text
    assert deleted.status_code == 400
    assert "1 span hold a value of stance, so it cannot be deleted" in deleted.text
    assert _attributes() == before

    renamed = client.post(
        reverse("attribute-edit", args=[defaults.slug, stance.pk]),
        {f"{prefix}-name": "position", f"{prefix}-allowed_values": "oppose\nsupport\nmixed"},
    )
    assert renamed.status_code == 302
    stance.refresh_from_db()
    assert (stance.name, stance.allowed_values) == ("position", ["oppose", "support", "mixed"])


def test_an_unused_attribute_is_deleted(client, defaults, manager, labels):
    threat_stance = LabelAttribute.objects.get(label=labels["threat"], name="stance")
    client.force_login(manager)

    response = client.post(reverse("attribute-delete", args=[defaults.slug, threat_stance.pk]))

    assert response.status_code == 302
    assert not LabelAttribute.objects.filter(pk=threat_stance.pk).exists()


def test_names_are_escaped(client, project, manager, labels):
    RelationType.objects.create(project=project, name="<b>ally</b>", key="y")
    LabelAttribute.objects.create(label=labels["claim"], name="<i>tone</i>", allowed_values=["<u>"])
    client.force_login(manager)

    response = client.get(reverse("relation-settings", args=[project.slug]))

    assert "<b>ally" not in response.text and "&lt;b&gt;ally&lt;/b&gt;" in response.text
    assert "<i>tone" not in response.text and "&lt;i&gt;tone&lt;/i&gt;" in response.text
    assert "<u>" not in response.text


def test_another_projects_type_or_attribute_is_not_found(client, defaults, manager, labels):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    for hotkey, name in (("1", "claim"), ("4", "actor")):
        Label.objects.create(project=other, name=name, colour="#bfdbfe", hotkey=hotkey)
    add_default_relations(other)
    other_type = RelationType.objects.get(project=other, name="claimant")
    other_attribute = LabelAttribute.objects.filter(label__project=other).first()
    client.force_login(manager)
    before = (_types(), _attributes())

    deleted_type = client.post(reverse("relation-type-delete", args=[defaults.slug, other_type.pk]))
    deleted_attribute = client.post(
        reverse("attribute-delete", args=[defaults.slug, other_attribute.pk])
    )

    assert (deleted_type.status_code, deleted_attribute.status_code) == (404, 404)
    assert (_types(), _attributes()) == before


def test_only_managers_reach_the_page(client, defaults, alice, curator, charlie):
    url = reverse("relation-settings", args=[defaults.slug])
    statuses = []
    for user in (alice, curator, charlie, None):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        statuses.append(client.get(url).status_code)

    assert statuses == [403, 403, 404, 302]

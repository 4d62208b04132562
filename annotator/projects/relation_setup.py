"""Setting up a project's relation types and label attributes, managed like its labels.

The services the manager's relation settings page (``web/manage.py``) calls; each
refuses bad input with a ``ValidationError`` keyed by field and changes nothing.
The models hold the invariants (constraints and the triggers of migration 0017);
these checks give the friendly message first.

Rules
-----
* A relation type's name is unique in its project ignoring case. Its key is one
  digit or lower-case letter, unique among the project's relation types, not a
  label's hotkey (on the annotate page a label key relabels the selected span) and
  not one of the keys the pages reserve (``models.RESERVED_KEYS``). Its source and
  target labels are labels of the project; none means every label.
* Changing a type's allowed labels or direction does not touch the relations
  already drawn; deleting a type that relations use is refused (they would lose it).
* An attribute's name is unique on its label ignoring case; its values are a
  non-empty list of distinct non-empty strings (``LabelAttribute.clean``). Dropping a
  value that spans hold, or deleting an attribute that spans have values of, is
  refused, since the spans would lose what their annotators set.
"""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import Lower

from ..models import Label, LabelAttribute, Project, RelationType


def _required(value: str, field: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError({field: f"Enter {what}."})
    return value


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _own_labels(project: Project, labels: Iterable[Label], field: str) -> list[Label]:
    labels = list(labels)
    if any(label.project_id != project.pk for label in labels):
        raise ValidationError({field: "Choose labels of this project."})
    return labels


def _checked_relation_type(relation_type: RelationType) -> RelationType:
    relation_type.name = _required(relation_type.name, "name", "a name")
    relation_type.key = relation_type.key.strip()
    relation_type.description = relation_type.description.strip()
    # Field validators: one key, not reserved; the name's length.
    relation_type.full_clean(exclude=["project", "description"], validate_unique=False)
    project_id = relation_type.project_id
    others = RelationType.objects.filter(project_id=project_id).exclude(pk=relation_type.pk)
    errors = {}
    if others.annotate(lower=Lower("name")).filter(lower=relation_type.name.lower()).exists():
        errors["name"] = f"The project already has a relation type named {relation_type.name}."
    clash = others.filter(key=relation_type.key).first()
    label = Label.objects.filter(project_id=project_id, hotkey=relation_type.key).first()
    if clash is not None:
        errors["key"] = f"{relation_type.key} is already the key of {clash.name}."
    elif label is not None:
        errors["key"] = f"{relation_type.key} is the hotkey of the label {label.name}."
    if errors:
        raise ValidationError(errors)
    return relation_type


def _saved_relation_type(
    relation_type: RelationType, source_labels: list[Label], target_labels: list[Label]
) -> RelationType:
    try:
        with transaction.atomic():
            relation_type.save()
            relation_type.source_labels.set(source_labels)
            relation_type.target_labels.set(target_labels)
    except IntegrityError:
        # Another manager took the name or key between the check and the write.
        raise ValidationError(
            {"name": "Another relation type took this name or key meanwhile; try again."}
        ) from None
    return relation_type


def relation_type_create(
    *,
    project: Project,
    name: str,
    key: str,
    directed: bool,
    source_labels: Sequence[Label],
    target_labels: Sequence[Label],
    description: str = "",
) -> RelationType:
    relation_type = RelationType(
        project=project, name=name, key=key, directed=directed, description=description
    )
    sources = _own_labels(project, source_labels, "source_labels")
    targets = _own_labels(project, target_labels, "target_labels")
    return _saved_relation_type(_checked_relation_type(relation_type), sources, targets)


def relation_type_update(
    *,
    relation_type: RelationType,
    name: str,
    key: str,
    directed: bool,
    source_labels: Sequence[Label],
    target_labels: Sequence[Label],
    description: str,
) -> RelationType:
    """Rename, rekey or change a type; the relations drawn keep pointing to it."""
    relation_type = RelationType.objects.select_related("project").get(pk=relation_type.pk)
    relation_type.name, relation_type.key = name, key
    relation_type.directed, relation_type.description = directed, description
    sources = _own_labels(relation_type.project, source_labels, "source_labels")
    targets = _own_labels(relation_type.project, target_labels, "target_labels")
    return _saved_relation_type(_checked_relation_type(relation_type), sources, targets)


def relation_type_delete(*, relation_type: RelationType) -> None:
    """Delete an unused relation type; one that relations use is refused."""
    with transaction.atomic():
        relation_type = RelationType.objects.select_for_update().get(pk=relation_type.pk)
        used = relation_type.relations.count()
        if used:
            raise ValidationError(
                f"{relation_type.name} is used by {_plural(used, 'relation')}, so it cannot be "
                "deleted. Rename it instead."
            )
        relation_type.delete()


def _checked_attribute(attribute: LabelAttribute) -> LabelAttribute:
    attribute.name = _required(attribute.name, "name", "a name")
    attribute.description = attribute.description.strip()
    attribute.allowed_values = [value.strip() for value in attribute.allowed_values]
    attribute.full_clean(exclude=["label", "description"], validate_unique=False)
    same_name = (
        LabelAttribute.objects.filter(label_id=attribute.label_id)
        .exclude(pk=attribute.pk)
        .annotate(lower=Lower("name"))
        .filter(lower=attribute.name.lower())
    )
    if same_name.exists():
        raise ValidationError(
            {"name": f"{attribute.label.name} already has an attribute named {attribute.name}."}
        )
    return attribute


def _saved_attribute(attribute: LabelAttribute) -> LabelAttribute:
    try:
        with transaction.atomic():
            attribute.save()
    except IntegrityError:
        raise ValidationError(
            {"name": "Another attribute took this name meanwhile; try again."}
        ) from None
    return attribute


def label_attribute_create(
    *, label: Label, name: str, allowed_values: list[str], description: str = ""
) -> LabelAttribute:
    attribute = LabelAttribute(
        label=label, name=name, allowed_values=list(allowed_values), description=description
    )
    return _saved_attribute(_checked_attribute(attribute))


def label_attribute_update(
    *, attribute: LabelAttribute, name: str, allowed_values: list[str], description: str
) -> LabelAttribute:
    """Rename an attribute or change its values; a value that spans hold must stay."""
    with transaction.atomic():
        attribute = (
            LabelAttribute.objects.select_for_update().select_related("label").get(pk=attribute.pk)
        )
        attribute.name, attribute.description = name, description
        attribute.allowed_values = list(allowed_values)
        attribute = _checked_attribute(attribute)
        held = (
            attribute.span_values.exclude(value__in=attribute.allowed_values)
            .values("value")
            .annotate(spans=Count("pk"))
            .order_by("value")
        )
        if held:
            raise ValidationError(
                {
                    "allowed_values": "Spans hold values no longer listed: "
                    + ", ".join(f"{row['value']} ({_plural(row['spans'], 'span')})" for row in held)
                    + ". Keep them."
                }
            )
        return _saved_attribute(attribute)


def label_attribute_delete(*, attribute: LabelAttribute) -> None:
    """Delete an attribute no span has a value of; one in use is refused."""
    with transaction.atomic():
        attribute = LabelAttribute.objects.select_for_update().get(pk=attribute.pk)
        used = attribute.span_values.count()
        if used:
            raise ValidationError(
                f"{_plural(used, 'span')} hold a value of {attribute.name}, so it cannot be "
                "deleted. Rename it instead."
            )
        attribute.delete()

"""Relations between spans and attribute values of spans: the one write path for views,
API and scripts, beside :mod:`annotator.annotation.spans`, whose rules they share.

A relation links two spans of one annotator on one document (``claimant``: a claim to
the actor who makes it); an attribute value is one of the allowed values of an
attribute of the span's label (``stance`` of a claim: support, oppose or neutral).
The models and migration 0017 hold the invariants; these functions refuse bad input
first, with a :class:`RelationError` whose message says why, and leave the database
unchanged. They write under the annotator's open assignment, locked as span writes
lock it (:func:`~annotator.annotation.spans.lock_open_assignment`): a submitted
document is read-only, and writes on one document go one at a time.

Every write records an audit event (:mod:`annotator.audit`) in its transaction;
the actor is the spans' annotator, the only person these functions write for.

Retries: a relation created with a ``client_id`` that already exists is returned,
not made twice, as :func:`~annotator.annotation.spans.span_create` does. Setting an
attribute is idempotent (the same value again changes nothing and records nothing),
and clearing one that is not set is no change.
"""

import uuid

from django.db import IntegrityError, transaction

from ..audit import RELATION, SPAN_ATTRIBUTE, audit_record, relation_state, span_attribute_state
from ..models import AuditAction, Label, LabelAttribute, Relation, RelationType, Span, SpanAttribute
from ..wording import either, quoted, with_article
from .spans import SpanError, delete_attribute_value, lock_open_assignment


class RelationError(SpanError):
    """A relation or attribute value was refused; ``message`` says why."""


def _span_words(span: Span) -> str:
    """``the actor span “Lavrov”``: how a refusal names a span."""
    return f"the {span.label.name} span {quoted(span.document.text[span.start : span.end])}"


def _require_label_allowed(
    relation_type: RelationType, span: Span, allowed: list[Label], end: str
) -> None:
    if allowed and span.label_id not in {label.pk for label in allowed}:
        where = "starts at" if end == "source" else "ends at"
        names = either(label.name for label in allowed)
        raise RelationError(
            f"A {relation_type.name} relation {where} {with_article(names)} span, "
            f"not at {_span_words(span)}."
        )


def _check_relation(relation_type: RelationType, source: Span, target: Span, annotator) -> None:
    if relation_type.project_id != source.document.project_id:
        raise RelationError(
            f"The relation type {quoted(relation_type.name)} does not belong to this "
            "document's project."
        )
    if source.annotator_id != annotator.pk or target.annotator_id != annotator.pk:
        raise RelationError("A relation joins two of your own spans, not another annotator's.")
    if source.document_id != target.document_id:
        raise RelationError("Both ends of a relation must be on the same document.")
    if source.pk == target.pk:
        raise RelationError(f"A span cannot be related to itself ({_span_words(source)}).")
    _require_label_allowed(relation_type, source, list(relation_type.source_labels.all()), "source")
    _require_label_allowed(relation_type, target, list(relation_type.target_labels.all()), "target")
    _refuse_duplicate(relation_type, source, target)


def _refuse_duplicate(relation_type: RelationType, source: Span, target: Span) -> None:
    if _is_duplicate(relation_type, source, target):
        arrow = "to" if relation_type.directed else "and"
        raise RelationError(
            f"You already have {with_article(relation_type.name)} relation from "
            f"{_span_words(source)} {arrow} {_span_words(target)}."
        )


def _is_duplicate(relation_type: RelationType, source: Span, target: Span) -> bool:
    same = Relation.objects.filter(type=relation_type, source=source, target=target)
    if not relation_type.directed:
        # An undirected relation is the same whichever end is named first.
        same = same | Relation.objects.filter(type=relation_type, source=target, target=source)
    return same.exists()


def relation_create(
    *,
    relation_type: RelationType,
    source: Span,
    target: Span,
    annotator,
    client_id: uuid.UUID | None = None,
) -> tuple[Relation, bool]:
    """Link ``source`` to ``target``, or return the relation a retried request made.

    Returns ``(relation, created)``. A repeated ``client_id`` from the same annotator
    on the same document returns the existing relation with ``created=False``.
    Refused (:class:`RelationError`): a type of another project, a span of another
    annotator, spans of two documents, a span linked to itself, a label the type
    does not allow at that end, and a relation the annotator already has.
    """
    if client_id is not None:
        existing = Relation.objects.filter(client_id=client_id).first()
        if existing is not None:
            return _existing_for_retry(existing, source, annotator), False
    _check_relation(relation_type, source, target, annotator)
    relation = Relation(
        type=relation_type,
        document=source.document,
        annotator=annotator,
        source=source,
        target=target,
        client_id=client_id or uuid.uuid4(),
    )
    try:
        with transaction.atomic():
            lock_open_assignment(source.document, annotator)
            # Again under the lock: a concurrent request may have made it meanwhile, and
            # the unique constraint alone misses the reversed pair of an undirected type.
            _refuse_duplicate(relation_type, source, target)
            relation.save(force_insert=True)
            audit_record(
                actor=annotator,
                action=AuditAction.CREATED,
                subject=RELATION,
                obj=relation,
                before=None,
                after=relation_state(relation),
            )
    except IntegrityError:
        if client_id is not None:
            existing = Relation.objects.filter(client_id=client_id).first()
            if existing is not None:
                return _existing_for_retry(existing, source, annotator), False
        _refuse_duplicate(relation_type, source, target)
        raise
    return relation, True


def _existing_for_retry(existing: Relation, source: Span, annotator) -> Relation:
    if existing.document_id != source.document_id or existing.annotator_id != annotator.pk:
        raise RelationError("This client_id belongs to another relation.")
    return existing


def relation_delete(*, relation: Relation) -> None:
    with transaction.atomic():
        lock_open_assignment(relation.document, relation.annotator)
        audit_record(
            actor=relation.annotator,
            action=AuditAction.DELETED,
            subject=RELATION,
            obj=relation,
            before=relation_state(relation),
            after=None,
        )
        relation.delete()


def attribute_value_refusal(attribute: LabelAttribute, label: Label, value: object) -> str | None:
    """Why ``value`` of ``attribute`` cannot be given to a span of ``label``, or None if it
    can; annotators' spans and gold spans are refused in the same words."""
    if attribute.label_id != label.pk:
        return f"{quoted(attribute.name)} is not an attribute of {label.name} spans."
    if not isinstance(value, str) or value not in attribute.allowed_values:
        choices = ", ".join(attribute.allowed_values)
        return f"{quoted(str(value))} is not a value of {attribute.name}: choose one of {choices}."
    return None


def _check_value(span: Span, attribute: LabelAttribute, value: object) -> str:
    refusal = attribute_value_refusal(attribute, span.label, value)
    if refusal is not None:
        raise RelationError(refusal, allowed_values=list(attribute.allowed_values))
    return value


def span_attribute_set(
    *, span: Span, attribute: LabelAttribute, value: object
) -> tuple[SpanAttribute, bool]:
    """Give ``span`` the ``value`` of ``attribute``; returns ``(row, changed)``.

    Setting the value the span already holds changes nothing and records no event,
    so a retried request is harmless.
    """
    value = _check_value(span, attribute, value)
    with transaction.atomic():
        lock_open_assignment(span.document, span.annotator)
        row = (
            SpanAttribute.objects.select_for_update().filter(span=span, attribute=attribute).first()
        )
        if row is not None and row.value == value:
            return row, False
        before = None if row is None else span_attribute_state(row)
        if row is None:
            row = SpanAttribute(span=span, attribute=attribute, value=value)
            row.save(force_insert=True)
        else:
            row.value = value
            row.save(update_fields=["value", "updated"])
        audit_record(
            actor=span.annotator,
            action=AuditAction.CREATED if before is None else AuditAction.UPDATED,
            subject=SPAN_ATTRIBUTE,
            obj=row,
            before=before,
            after=span_attribute_state(row),
        )
    return row, True


def span_attribute_clear(*, span: Span, attribute: LabelAttribute) -> bool:
    """Remove the span's value of ``attribute``; False when it held none."""
    with transaction.atomic():
        lock_open_assignment(span.document, span.annotator)
        row = (
            SpanAttribute.objects.select_for_update().filter(span=span, attribute=attribute).first()
        )
        if row is None:
            return False
        delete_attribute_value(row, span)
    return True

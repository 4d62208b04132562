"""Adjudication writes on gold relations and gold span attribute values, beside
:mod:`annotator.curation.gold`, whose lock, refusals and audit rules they share.

* The pre-merge (:func:`annotator.curation.gold.gold_premerge`) proposes them; here the
  curator accepts or deletes a proposed relation, adds a relation between two gold
  spans (an identical proposal is accepted instead), and sets or clears a gold span's
  attribute values. Each change records the curator and one audit event.
* A relation is accepted only once both its gold spans are: an export carries accepted
  relations between accepted spans, and nothing else should look decided.
* A relation the curator adds is linked, as provenance, to every annotator's relation of
  the same type between spans its two gold spans were taken from; a value the curator
  sets, to every annotator's equal value on those spans.
* A gold document is read-only until reopened; every refusal raises
  :class:`~annotator.curation.gold.GoldError` and changes nothing.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ..annotation.relations import attribute_value_refusal
from ..audit import (
    GOLD_RELATION,
    GOLD_SPAN_ATTRIBUTE,
    audit_record,
    gold_relation_state,
    gold_span_attribute_state,
)
from ..models import (
    AuditAction,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    GoldSpanStatus,
    LabelAttribute,
    Relation,
    RelationType,
    SpanAttribute,
)
from ..wording import either, quoted, with_article
from .gold import GoldError, labels_allowed, lock_gold_document, mark_started


def _gold_words(gold_span: GoldSpan) -> str:
    """``the gold actor span “Lavrov”``: how a refusal names a gold span."""
    text = gold_span.document.text[gold_span.start : gold_span.end]
    return f"the gold {gold_span.label.name} span {quoted(text)}"


def _same_relation(relation_type: RelationType, source: GoldSpan, target: GoldSpan):
    same = GoldRelation.objects.filter(type=relation_type, source=source, target=target)
    if not relation_type.directed:
        same = same | GoldRelation.objects.filter(type=relation_type, source=target, target=source)
    return same


def _check_relation(relation_type: RelationType, source: GoldSpan, target: GoldSpan) -> None:
    if relation_type.project_id != source.document.project_id:
        raise GoldError(
            f"The relation type {quoted(relation_type.name)} does not belong to this "
            "document's project."
        )
    if source.document_id != target.document_id:
        raise GoldError("Both ends of a gold relation must be on the same document.")
    if source.pk == target.pk:
        raise GoldError(f"A gold span cannot be related to itself ({_gold_words(source)}).")
    if not labels_allowed(relation_type, source.label_id, target.label_id):
        allowed_sources = list(relation_type.source_labels.all())
        allowed_targets = list(relation_type.target_labels.all())
        if allowed_sources and source.label_id not in {label.pk for label in allowed_sources}:
            where, span, allowed = "starts at", source, allowed_sources
        else:
            where, span, allowed = "ends at", target, allowed_targets
        names = either(label.name for label in allowed)
        raise GoldError(
            f"A {relation_type.name} relation {where} {with_article(names)} span, "
            f"not at {_gold_words(span)}."
        )


def _require_accepted_ends(gold_relation: GoldRelation) -> None:
    for gold_span in (gold_relation.source, gold_relation.target):
        if gold_span.status != GoldSpanStatus.ACCEPTED:
            raise GoldError(f"Accept {_gold_words(gold_span)} before a relation that ends at it.")


def _accept(gold_relation: GoldRelation, curator: AbstractBaseUser) -> GoldRelation:
    _require_accepted_ends(gold_relation)
    before = gold_relation_state(gold_relation)
    gold_relation.status = GoldSpanStatus.ACCEPTED
    gold_relation.curator = curator
    gold_relation.save(update_fields=["status", "curator", "updated"])
    audit_record(
        actor=curator,
        action=AuditAction.UPDATED,
        subject=GOLD_RELATION,
        obj=gold_relation,
        before=before,
        after=gold_relation_state(gold_relation),
    )
    return gold_relation


def gold_relation_create(
    *,
    relation_type: RelationType,
    source: GoldSpan,
    target: GoldSpan,
    curator: AbstractBaseUser,
) -> GoldRelation:
    """Add an accepted gold relation from ``source`` to ``target``; an identical
    proposal is accepted instead. Refused: a type of another project, ends on two
    documents, a gold span related to itself, a label the type does not allow at
    that end, a proposed end, and a relation the gold version already has."""
    _check_relation(relation_type, source, target)
    with transaction.atomic():
        document = lock_gold_document(source.document)
        existing = _same_relation(relation_type, source, target).first()
        if existing is not None:
            if existing.status == GoldSpanStatus.ACCEPTED:
                arrow = "to" if relation_type.directed else "and"
                raise GoldError(
                    f"The gold version already has {with_article(relation_type.name)} "
                    f"relation from {_gold_words(source)} {arrow} {_gold_words(target)}."
                )
            return _accept(existing, curator)
        gold_relation = GoldRelation(
            type=relation_type,
            document=document,
            source=source,
            target=target,
            status=GoldSpanStatus.ACCEPTED,
            origin=GoldOrigin.CURATOR,
            curator=curator,
        )
        _require_accepted_ends(gold_relation)
        gold_relation.save(force_insert=True)
        gold_relation.source_relations.set(
            Relation.objects.filter(
                type=relation_type,
                source__in=source.source_spans.all(),
                target__in=target.source_spans.all(),
            )
        )
        audit_record(
            actor=curator,
            action=AuditAction.CREATED,
            subject=GOLD_RELATION,
            obj=gold_relation,
            before=None,
            after=gold_relation_state(gold_relation),
        )
        mark_started(document)
    return gold_relation


def gold_relation_accept(*, gold_relation: GoldRelation, curator: AbstractBaseUser) -> GoldRelation:
    with transaction.atomic():
        lock_gold_document(gold_relation.document)
        return _accept(gold_relation, curator)


def gold_relation_delete(*, gold_relation: GoldRelation, curator: AbstractBaseUser) -> None:
    """Reject a proposed relation or remove an accepted one."""
    with transaction.atomic():
        lock_gold_document(gold_relation.document)
        audit_record(
            actor=curator,
            action=AuditAction.DELETED,
            subject=GOLD_RELATION,
            obj=gold_relation,
            before=gold_relation_state(gold_relation),
            after=None,
        )
        gold_relation.delete()


def _check_value(gold_span: GoldSpan, attribute: LabelAttribute, value: object) -> str:
    refusal = attribute_value_refusal(attribute, gold_span.label, value)
    if refusal is not None:
        raise GoldError(refusal, allowed_values=list(attribute.allowed_values))
    return value


def gold_attribute_set(
    *, gold_span: GoldSpan, attribute: LabelAttribute, value: object, curator: AbstractBaseUser
) -> tuple[GoldSpanAttribute, bool]:
    """Give ``gold_span`` the ``value`` of ``attribute``; returns ``(row, changed)``.

    The same value again changes nothing and records nothing, so a retry is harmless.
    """
    value = _check_value(gold_span, attribute, value)
    with transaction.atomic():
        document = lock_gold_document(gold_span.document)
        row = (
            GoldSpanAttribute.objects.select_for_update()
            .filter(gold_span=gold_span, attribute=attribute)
            .first()
        )
        if row is not None and row.value == value:
            return row, False
        before = None if row is None else gold_span_attribute_state(row)
        if row is None:
            row = GoldSpanAttribute(gold_span=gold_span, attribute=attribute)
        row.value, row.origin, row.merge_rule, row.curator = value, GoldOrigin.CURATOR, "", curator
        row.save()
        row.source_values.set(
            SpanAttribute.objects.filter(
                span__in=gold_span.source_spans.all(), attribute=attribute, value=value
            )
        )
        audit_record(
            actor=curator,
            action=AuditAction.CREATED if before is None else AuditAction.UPDATED,
            subject=GOLD_SPAN_ATTRIBUTE,
            obj=row,
            before=before,
            after=gold_span_attribute_state(row),
        )
        mark_started(document)
    return row, True


def gold_attribute_clear(
    *, gold_span: GoldSpan, attribute: LabelAttribute, curator: AbstractBaseUser
) -> bool:
    """Remove the gold span's value of ``attribute``; False when it held none."""
    with transaction.atomic():
        lock_gold_document(gold_span.document)
        row = (
            GoldSpanAttribute.objects.select_for_update()
            .filter(gold_span=gold_span, attribute=attribute)
            .first()
        )
        if row is None:
            return False
        audit_record(
            actor=curator,
            action=AuditAction.DELETED,
            subject=GOLD_SPAN_ATTRIBUTE,
            obj=row,
            before=gold_span_attribute_state(row),
            after=None,
        )
        row.delete()
    return True

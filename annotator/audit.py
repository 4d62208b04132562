"""The audit log: who created, changed or deleted each span, gold span, relation, span
attribute value and actor alias, and when.

The span and gold-span services call :func:`audit_record` inside the transaction
of the write it describes, so an event exists exactly when its change was
committed. Events are append-only (database triggers, migration 0004) and carry
plain ids and the actor's name, so they outlive what they describe.

``before`` and ``after`` are the states of :func:`span_state` and
:func:`gold_span_state`: the label id and the offsets (code points ``[start, end)``),
plus the status of a gold span; ``None`` before a creation and after a deletion.
A relation's state (:func:`relation_state`) is its type and the ids of its two spans,
an attribute value's (:func:`span_attribute_state`) the span, attribute and value;
both carry the type's or attribute's name, so the log reads without a lookup. Gold
relations and gold span attribute values (:func:`gold_relation_state`,
:func:`gold_span_attribute_state`) read the same, a gold relation with its status. An
actor alias (:func:`actor_alias_state`: the variant and its entity) belongs to the
project, not to a document: its events have no document.
"""

from django.contrib.auth.models import AbstractBaseUser

from .models import (
    ActorAlias,
    AuditAction,
    AuditEvent,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    Relation,
    Span,
    SpanAttribute,
)

SPAN = "span"
GOLD_SPAN = "gold_span"
RELATION = "relation"
SPAN_ATTRIBUTE = "span_attribute"
GOLD_RELATION = "gold_relation"
GOLD_SPAN_ATTRIBUTE = "gold_span_attribute"
ACTOR_ALIAS = "actor_alias"

#: What an event can be about; an attribute value's document is its span's.
Audited = Span | GoldSpan | Relation | SpanAttribute | GoldRelation | GoldSpanAttribute | ActorAlias

AuditState = dict[str, int | str]


def span_state(span: Span) -> AuditState:
    return span_values(span.label_id, span.start, span.end, span.origin)


def span_values(label_id: int, start: int, end: int, origin: str | None) -> AuditState:
    """A span's state from its values: label id and offsets, plus the origin of a span the
    annotator did not mark by hand (for writers that insert rows without instances)."""
    state: AuditState = {"label": label_id, "start": start, "end": end}
    if origin:
        state["origin"] = origin
    return state


def gold_span_state(gold_span: GoldSpan) -> AuditState:
    return {
        "label": gold_span.label_id,
        "start": gold_span.start,
        "end": gold_span.end,
        "status": gold_span.status,
    }


def relation_state(relation: Relation) -> AuditState:
    return {
        "type": relation.type_id,
        "type_name": relation.type.name,
        "source": relation.source_id,
        "target": relation.target_id,
    }


def span_attribute_state(row: SpanAttribute) -> AuditState:
    return {
        "span": row.span_id,
        "attribute": row.attribute_id,
        "attribute_name": row.attribute.name,
        "value": row.value,
    }


def gold_relation_state(gold_relation: GoldRelation) -> AuditState:
    return {
        "type": gold_relation.type_id,
        "type_name": gold_relation.type.name,
        "source": gold_relation.source_id,
        "target": gold_relation.target_id,
        "status": gold_relation.status,
    }


def gold_span_attribute_state(row: GoldSpanAttribute) -> AuditState:
    return {
        "gold_span": row.gold_span_id,
        "attribute": row.attribute_id,
        "attribute_name": row.attribute.name,
        "value": row.value,
    }


def actor_alias_state(alias: ActorAlias) -> AuditState:
    return {"alias": alias.alias, "entity": alias.entity}


def _owner(obj: Audited) -> Audited:
    """What holds ``obj``'s document: itself, or an attribute value's span."""
    if isinstance(obj, SpanAttribute):
        return obj.span
    if isinstance(obj, GoldSpanAttribute):
        return obj.gold_span
    return obj


def _document_id(obj: Audited) -> int | None:
    return None if isinstance(obj, ActorAlias) else _owner(obj).document_id


def _project_id(obj: Audited) -> int:
    if isinstance(obj, ActorAlias):
        return obj.project_id
    return _owner(obj).document.project_id


def audit_event(
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    subject: str,
    obj: Audited,
    project_id: int,
    before: AuditState | None,
    after: AuditState | None,
) -> AuditEvent:
    """An unsaved event, for writers that record many at once (``bulk_create``)."""
    return AuditEvent(
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else "",
        project_id=project_id,
        document_id=_document_id(obj),
        subject=subject,
        subject_id=obj.pk,
        action=action,
        before=before,
        after=after,
    )


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    subject: str,
    obj: Audited,
    before: AuditState | None,
    after: AuditState | None,
) -> AuditEvent:
    """Store one event about ``obj`` (a span, gold span, relation, span attribute value or
    actor alias; ``subject`` says which).

    ``actor`` is None for a change no person asked for (a script). ``obj.pk`` must
    still be set when it has just been deleted: callers record before deleting.
    """
    event = audit_event(
        actor=actor,
        action=action,
        subject=subject,
        obj=obj,
        project_id=_project_id(obj),
        before=before,
        after=after,
    )
    event.save(force_insert=True)
    return event

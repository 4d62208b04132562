"""Adjudication writes: the gold spans of a document and its gold status.

One write path for views, API and scripts, like :mod:`annotator.annotation.spans`: offsets
are code points ``[start, end)``, checked and trimmed by
:func:`annotator.annotation.spans.validate_range`; every refusal raises :class:`GoldError`
and changes nothing.

* The pre-merge proposes (status ``proposed``) every ``(label, start, end)`` on
  which at least K of the N annotators with a submitted assignment agree; the
  rule is recorded on each proposal. Running it again adds only what is missing.
* A curator accepts, rejects (deletes), relabels, resizes, or adds gold spans;
  each change records the curator. A gold span the curator adds or adopts is
  linked to every submitted span with the same label and offsets.
* A document's gold status goes not started -> in progress (first change) ->
  gold (no proposal left undecided; regions of disagreement without an accepted
  gold span, or annotators still at work, only with ``confirm``). A gold
  document is read-only until reopened.
* Every gold span records the project's guidelines version when it is created.
* Every gold span created, changed or deleted records one audit event
  (:mod:`annotator.audit`) in the same transaction, naming the curator.
* The adjudication page undoes an accept, an accept-all, a pre-merge, an adopt or a
  reject with :func:`gold_spans_revert`: proposals back to proposed, what a pre-merge
  added (spans, relations, values) removed, a rejected span restored from the snapshot
  :func:`gold_span_delete` returned, provenance, relations and values included.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..annotation.spans import SpanError, validate_range
from ..audit import (
    GOLD_RELATION,
    GOLD_SPAN,
    GOLD_SPAN_ATTRIBUTE,
    AuditState,
    audit_event,
    audit_record,
    gold_relation_state,
    gold_span_attribute_state,
    gold_span_state,
)
from ..models import (
    OPEN_STATUSES,
    AssignmentStatus,
    AuditAction,
    AuditEvent,
    Document,
    GoldOrigin,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    GoldSpanStatus,
    GoldStatus,
    Label,
    LabelAttribute,
    Relation,
    RelationType,
    Span,
    SpanAttribute,
)
from ..wording import quoted, sentence, with_article
from .adjudication import (
    Region,
    SourceRelation,
    SourceSpan,
    SourceValue,
    align,
    premerge,
    premerge_relations,
    premerge_values,
)


class GoldError(SpanError):
    """An adjudication change was refused; ``message`` says why."""


# A deleted gold span as plain JSON-able data (see gold_span_snapshot).
GoldSnapshot = dict


def gold_already_has(text: str, label: Label, start: int, end: int) -> str:
    return (
        f"The gold version already has {with_article(label.name)} span "
        f"on {quoted(text[start:end])}."
    )


def submitted_annotators(document: Document) -> list[int]:
    return sorted(
        document.assignments.filter(status=AssignmentStatus.SUBMITTED).values_list(
            "annotator_id", flat=True
        )
    )


def submitted_spans(document: Document, annotators: Iterable[int]) -> list[SourceSpan]:
    return [
        SourceSpan(*row)
        for row in Span.objects.filter(document=document, annotator_id__in=list(annotators))
        .order_by("start", "-end", "label_id", "id")
        .values_list("id", "annotator_id", "label_id", "start", "end")
    ]


def lock_gold_document(document: Document) -> Document:
    """Lock the document so adjudication writes on it go one at a time; refuse a gold one."""
    locked = Document.objects.select_for_update().select_related("project").get(pk=document.pk)
    if locked.gold_status == GoldStatus.GOLD:
        raise GoldError("This document is gold: reopen it before changing its gold spans.")
    return locked


def mark_started(document: Document) -> None:
    """The first adjudication change takes a document from not started to in progress."""
    if document.gold_status == GoldStatus.NOT_STARTED:
        document.gold_status = GoldStatus.IN_PROGRESS
        document.save(update_fields=["gold_status"])


@dataclass(frozen=True)
class Premerged:
    """What one pre-merge added: its undo removes exactly these."""

    spans: list[GoldSpan]
    relations: list[int]
    values: list[int]


def gold_premerge(
    *, document: Document, curator: AbstractBaseUser | None, minimum: int | None = None
) -> list[GoldSpan]:
    """Propose every span at least ``minimum`` (default: all) submitted annotators agree on.

    Returns the proposals created; spans already in the gold version are left as they are.
    ``curator`` is who asked for it, for the audit log: required, so that no caller
    forgets it; None only for a script no person ran.
    """
    return gold_premerge_all(document=document, curator=curator, minimum=minimum).spans


def gold_premerge_all(
    *, document: Document, curator: AbstractBaseUser | None, minimum: int | None = None
) -> Premerged:
    """:func:`gold_premerge`, answering with the gold relations and attribute values it
    proposed too (over new and existing gold spans alike), for the page's undo."""
    with transaction.atomic():
        document = lock_gold_document(document)
        annotators = submitted_annotators(document)
        if not annotators:
            raise GoldError("No annotator has submitted this document yet.")
        minimum = len(annotators) if minimum is None else minimum
        try:
            proposals = premerge(submitted_spans(document, annotators), annotators, minimum)
        except ValueError:
            raise GoldError(
                f"Choose how many annotators must agree: 1 to {len(annotators)}."
            ) from None
        present = set(document.gold_spans.values_list("label_id", "start", "end"))
        rule = f"exact match by at least {minimum} of {len(annotators)} annotators"
        created = []
        for proposal in proposals:
            if (proposal.label, proposal.start, proposal.end) in present:
                continue
            gold_span = GoldSpan.objects.create(
                document=document,
                label_id=proposal.label,
                start=proposal.start,
                end=proposal.end,
                status=GoldSpanStatus.PROPOSED,
                origin=GoldOrigin.MERGE,
                merge_rule=rule,
                guidelines_version=document.project.guidelines_version,
            )
            gold_span.source_spans.set(proposal.sources)
            created.append(gold_span)
        AuditEvent.objects.bulk_create(
            audit_event(
                actor=curator,
                action=AuditAction.CREATED,
                subject=GOLD_SPAN,
                obj=gold_span,
                project_id=document.project_id,
                before=None,
                after=gold_span_state(gold_span),
            )
            for gold_span in created
        )
        relations, values = _premerge_relations_and_values(document, annotators, minimum, curator)
        mark_started(document)
    return Premerged(created, relations, values)


def _premerge_relations_and_values(
    document: Document, annotators: list[int], minimum: int, curator: AbstractBaseUser | None
) -> tuple[list[int], list[int]]:
    """Propose the relations and attribute values ``minimum`` annotators agree on, over
    the document's gold spans (an annotator's span counts as the gold span it is a
    source of); what the gold version already has stays as it is. Returns the ids of
    the gold relations and of the gold attribute values created."""
    gold_of = dict(
        GoldSpan.source_spans.through.objects.filter(goldspan__document=document)
        .order_by("goldspan_id")
        .values_list("span_id", "goldspan_id")
    )
    if not gold_of:
        return [], []
    gold_labels = dict(document.gold_spans.values_list("pk", "label_id"))
    types = {
        relation_type.pk: relation_type
        for relation_type in document.project.relation_types.prefetch_related(
            "source_labels", "target_labels"
        )
    }
    undirected = {pk for pk, relation_type in types.items() if not relation_type.directed}
    relations = premerge_relations(
        (
            SourceRelation(*row)
            for row in Relation.objects.filter(
                document=document, annotator_id__in=annotators
            ).values_list("id", "annotator_id", "type_id", "source_id", "target_id")
        ),
        gold_of,
        annotators,
        minimum,
        undirected,
    )
    present = set()
    for type_id, source, target in document.gold_relations.values_list(
        "type_id", "source_id", "target_id"
    ):
        present.add((type_id, source, target))
        if type_id in undirected:
            present.add((type_id, target, source))
    relation_rule = (
        f"type and both ends agreed by at least {minimum} of {len(annotators)} annotators"
    )
    events = []
    for proposal in relations:
        relation_type = types[proposal.type]
        if (proposal.type, proposal.source, proposal.target) in present or not labels_allowed(
            relation_type, gold_labels[proposal.source], gold_labels[proposal.target]
        ):
            continue
        gold_relation = GoldRelation.objects.create(
            type=relation_type,
            document=document,
            source_id=proposal.source,
            target_id=proposal.target,
            status=GoldSpanStatus.PROPOSED,
            origin=GoldOrigin.MERGE,
            merge_rule=relation_rule,
        )
        gold_relation.source_relations.set(proposal.sources)
        events.append((GOLD_RELATION, gold_relation, gold_relation_state(gold_relation)))
    attributes = {
        attribute.pk: attribute
        for attribute in LabelAttribute.objects.filter(label__project=document.project_id)
    }
    taken = set(
        GoldSpanAttribute.objects.filter(gold_span__document=document).values_list(
            "gold_span_id", "attribute_id"
        )
    )
    value_rule = f"value given by at least {minimum} of {len(annotators)} annotators"
    for proposal in premerge_values(
        (
            SourceValue(*row)
            for row in SpanAttribute.objects.filter(
                span__document=document, span__annotator_id__in=annotators
            ).values_list("id", "span__annotator_id", "span_id", "attribute_id", "value")
        ),
        gold_of,
        annotators,
        minimum,
    ):
        attribute = attributes[proposal.attribute]
        if (proposal.gold_span, attribute.pk) in taken or attribute.label_id != gold_labels[
            proposal.gold_span
        ]:
            continue
        row = GoldSpanAttribute.objects.create(
            gold_span_id=proposal.gold_span,
            attribute=attribute,
            value=proposal.value,
            origin=GoldOrigin.MERGE,
            merge_rule=value_rule,
        )
        row.source_values.set(proposal.sources)
        row.gold_span = GoldSpan(pk=proposal.gold_span, document=document)
        events.append((GOLD_SPAN_ATTRIBUTE, row, gold_span_attribute_state(row)))
    _audit_created(curator, document, events)
    return (
        [obj.pk for subject, obj, _ in events if subject == GOLD_RELATION],
        [obj.pk for subject, obj, _ in events if subject == GOLD_SPAN_ATTRIBUTE],
    )


def labels_allowed(relation_type: RelationType, source_label: int, target_label: int) -> bool:
    """Whether the type allows these labels at its ends (an empty set allows every label);
    ``source_labels`` and ``target_labels`` prefetched."""
    sources = {label.pk for label in relation_type.source_labels.all()}
    targets = {label.pk for label in relation_type.target_labels.all()}
    return (not sources or source_label in sources) and (not targets or target_label in targets)


def _matching_sources(document: Document, label_id: int, start: int, end: int) -> list[int]:
    return list(
        Span.objects.filter(
            document=document,
            label_id=label_id,
            start=start,
            end=end,
            annotator__assignments__document=document,
            annotator__assignments__status=AssignmentStatus.SUBMITTED,
        ).values_list("id", flat=True)
    )


def gold_span_create(
    *,
    document: Document,
    label: Label,
    start: object,
    end: object,
    curator: AbstractBaseUser,
    text: str | None = None,
) -> GoldSpan:
    """Add an accepted gold span; an identical proposal is accepted instead."""
    if label.project_id != document.project_id:
        raise GoldError(
            f"The label {quoted(label.name)} does not belong to this document's project."
        )
    start, end = validate_range(document, start, end, text)
    with transaction.atomic():
        document = lock_gold_document(document)
        existing = GoldSpan.objects.filter(
            document=document, label=label, start=start, end=end
        ).first()
        if existing is not None:
            if existing.status == GoldSpanStatus.ACCEPTED:
                raise GoldError(gold_already_has(document.text, label, start, end))
            return _accept(existing, curator)
        gold_span = GoldSpan.objects.create(
            document=document,
            label=label,
            start=start,
            end=end,
            status=GoldSpanStatus.ACCEPTED,
            origin=GoldOrigin.CURATOR,
            curator=curator,
            guidelines_version=document.project.guidelines_version,
        )
        gold_span.source_spans.set(_matching_sources(document, label.pk, start, end))
        _audit(curator, AuditAction.CREATED, gold_span, before=None)
        mark_started(document)
    return gold_span


def gold_span_adopt(*, span: Span, curator: AbstractBaseUser) -> GoldSpan:
    """Take one annotator's span into the gold version as it is."""
    return gold_span_create(
        document=span.document, label=span.label, start=span.start, end=span.end, curator=curator
    )


def _audit(
    curator: AbstractBaseUser | None,
    action: AuditAction,
    gold_span: GoldSpan,
    *,
    before: AuditState | None,
) -> None:
    after = None if action == AuditAction.DELETED else gold_span_state(gold_span)
    audit_record(
        actor=curator, action=action, subject=GOLD_SPAN, obj=gold_span, before=before, after=after
    )


def _accept(gold_span: GoldSpan, curator: AbstractBaseUser) -> GoldSpan:
    before = gold_span_state(gold_span)
    gold_span.status = GoldSpanStatus.ACCEPTED
    gold_span.curator = curator
    gold_span.save(update_fields=["status", "curator", "updated"])
    _audit(curator, AuditAction.UPDATED, gold_span, before=before)
    return gold_span


def gold_span_accept(*, gold_span: GoldSpan, curator: AbstractBaseUser) -> GoldSpan:
    with transaction.atomic():
        lock_gold_document(gold_span.document)
        return _accept(gold_span, curator)


def gold_accept_all(*, document: Document, curator: AbstractBaseUser) -> int:
    """Accept every proposed span and relation of the document; returns how many spans."""
    with transaction.atomic():
        document = lock_gold_document(document)
        proposals = list(document.gold_spans.filter(status=GoldSpanStatus.PROPOSED))
        GoldSpan.objects.filter(pk__in=[proposal.pk for proposal in proposals]).update(
            status=GoldSpanStatus.ACCEPTED, curator=curator, updated=timezone.now()
        )
        events = []
        for proposal in proposals:
            before = gold_span_state(proposal)
            proposal.status = GoldSpanStatus.ACCEPTED
            events.append(
                audit_event(
                    actor=curator,
                    action=AuditAction.UPDATED,
                    subject=GOLD_SPAN,
                    obj=proposal,
                    project_id=document.project_id,
                    before=before,
                    after=gold_span_state(proposal),
                )
            )
        relations = list(
            document.gold_relations.filter(status=GoldSpanStatus.PROPOSED).select_related("type")
        )
        GoldRelation.objects.filter(pk__in=[relation.pk for relation in relations]).update(
            status=GoldSpanStatus.ACCEPTED, curator=curator, updated=timezone.now()
        )
        for relation in relations:
            before = gold_relation_state(relation)
            relation.status = GoldSpanStatus.ACCEPTED
            events.append(
                audit_event(
                    actor=curator,
                    action=AuditAction.UPDATED,
                    subject=GOLD_RELATION,
                    obj=relation,
                    project_id=document.project_id,
                    before=before,
                    after=gold_relation_state(relation),
                )
            )
        AuditEvent.objects.bulk_create(events)
        return len(proposals)


def gold_span_delete(*, gold_span: GoldSpan, curator: AbstractBaseUser | None) -> GoldSnapshot:
    """Reject a proposal or remove an accepted gold span (``curator``: for the audit log).

    Returns the span as it was, with its relations and values, for :func:`gold_span_restore`.
    """
    with transaction.atomic():
        lock_gold_document(gold_span.document)
        snapshot = gold_span_snapshot(gold_span)
        _audit_dependents_deleted(curator, [gold_span])
        _audit(curator, AuditAction.DELETED, gold_span, before=gold_span_state(gold_span))
        gold_span.delete()
    return snapshot


def _provenance(row: GoldSpan | GoldRelation | GoldSpanAttribute) -> GoldSnapshot:
    return {
        "id": row.pk,
        "origin": row.origin,
        "merge_rule": row.merge_rule,
        "curator": row.curator_id,
    }


def gold_span_snapshot(gold_span: GoldSpan) -> GoldSnapshot:
    """A gold span as plain data: offsets, label, status and provenance (origin, merge
    rule, source spans, curator, guidelines version), with the gold relations at it and
    its attribute values, each with their own provenance."""
    relations = GoldRelation.objects.filter(
        Q(source=gold_span) | Q(target=gold_span)
    ).prefetch_related("source_relations")
    values = GoldSpanAttribute.objects.filter(gold_span=gold_span).prefetch_related("source_values")
    return {
        **_provenance(gold_span),
        "document": gold_span.document_id,
        "label": gold_span.label_id,
        "start": gold_span.start,
        "end": gold_span.end,
        "status": gold_span.status,
        "guidelines_version": gold_span.guidelines_version,
        "sources": sorted(gold_span.source_spans.values_list("pk", flat=True)),
        "relations": [
            {
                **_provenance(relation),
                "type": relation.type_id,
                "source": relation.source_id,
                "target": relation.target_id,
                "status": relation.status,
                "sources": sorted(row.pk for row in relation.source_relations.all()),
            }
            for relation in relations.order_by("pk")
        ],
        "values": [
            {
                **_provenance(row),
                "attribute": row.attribute_id,
                "value": row.value,
                "sources": sorted(source.pk for source in row.source_values.all()),
            }
            for row in values.order_by("pk")
        ],
    }


def gold_span_restore(
    *, document: Document, snapshot: GoldSnapshot, curator: AbstractBaseUser
) -> GoldSpan:
    """Put back a deleted gold span exactly as :func:`gold_span_snapshot` took it, under
    its old id: status, provenance, and those of its relations whose other end is still
    there and of its values whose attribute still is (the undo of a reject).

    ``snapshot`` must come from this server (the web layer signs it). Refused, changing
    nothing, when the span or an identical one is back already or its label is gone.
    """
    with transaction.atomic():
        document = lock_gold_document(document)
        if snapshot["document"] != document.pk:
            raise GoldError("This gold span belongs to another document.")
        label = Label.objects.filter(project=document.project_id, pk=snapshot["label"]).first()
        if label is None:
            raise GoldError("The label of this gold span is gone: reload the page.")
        start, end = snapshot["start"], snapshot["end"]
        if GoldSpan.objects.filter(pk=snapshot["id"]).exists():
            raise GoldError("This gold span is back already.")
        if document.gold_spans.filter(label=label, start=start, end=end).exists():
            raise GoldError(gold_already_has(document.text, label, start, end))
        curators = _users_still_there([snapshot, *snapshot["relations"], *snapshot["values"]])
        gold_span = GoldSpan.objects.create(
            **_restored_provenance(snapshot, curators),
            document=document,
            label=label,
            start=start,
            end=end,
            status=snapshot["status"],
            guidelines_version=snapshot["guidelines_version"],
        )
        gold_span.source_spans.set(
            Span.objects.filter(document=document, pk__in=snapshot["sources"])
        )
        _audit(curator, AuditAction.CREATED, gold_span, before=None)
        events = _restore_relations(document, snapshot["relations"], curators) + _restore_values(
            gold_span, snapshot["values"], curators
        )
        _audit_created(curator, document, events)
    return gold_span


def _audit_created(
    curator: AbstractBaseUser | None, document: Document, events: list[tuple]
) -> None:
    """One "created" audit event per ``(subject, row, state)`` of ``document``."""
    AuditEvent.objects.bulk_create(
        audit_event(
            actor=curator,
            action=AuditAction.CREATED,
            subject=subject,
            obj=obj,
            project_id=document.project_id,
            before=None,
            after=state,
        )
        for subject, obj, state in events
    )


def _users_still_there(snapshots: list[GoldSnapshot]) -> set[int]:
    """The curators named in ``snapshots`` who still have an account."""
    user_model = GoldSpan._meta.get_field("curator").related_model
    named = {snapshot["curator"] for snapshot in snapshots} - {None}
    return set(user_model.objects.filter(pk__in=named).values_list("pk", flat=True))


def _restored_provenance(snapshot: GoldSnapshot, curators: set[int]) -> dict:
    """The fields :func:`_provenance` took, to create the row again under its old id; a
    curator whose account is gone since is left out."""
    return {
        "pk": snapshot["id"],
        "origin": snapshot["origin"],
        "merge_rule": snapshot["merge_rule"],
        "curator_id": snapshot["curator"] if snapshot["curator"] in curators else None,
    }


def _restore_relations(
    document: Document, relations: list[GoldSnapshot], curators: set[int]
) -> list[tuple]:
    ends = dict(document.gold_spans.values_list("pk", "label_id"))
    types = {
        relation_type.pk: relation_type
        for relation_type in document.project.relation_types.prefetch_related(
            "source_labels", "target_labels"
        )
    }
    taken = set(
        GoldRelation.objects.filter(pk__in=[snapshot["id"] for snapshot in relations]).values_list(
            "pk", flat=True
        )
    )
    touched = {snapshot[end] for snapshot in relations for end in ("source", "target")}
    # Either direction: a relation drawn back the other way is the same relation.
    drawn = set()
    for type_id, source, target in document.gold_relations.filter(
        Q(source_id__in=touched) | Q(target_id__in=touched)
    ).values_list("type_id", "source_id", "target_id"):
        drawn |= {(type_id, source, target), (type_id, target, source)}
    events = []
    for snapshot in relations:
        relation_type = types.get(snapshot["type"])
        source, target = snapshot["source"], snapshot["target"]
        if (
            relation_type is None
            or source not in ends
            or target not in ends
            or not labels_allowed(relation_type, ends[source], ends[target])
            or snapshot["id"] in taken
            or (relation_type.pk, source, target) in drawn
        ):
            continue
        gold_relation = GoldRelation.objects.create(
            **_restored_provenance(snapshot, curators),
            type=relation_type,
            document=document,
            source_id=source,
            target_id=target,
            status=snapshot["status"],
        )
        drawn |= {(relation_type.pk, source, target), (relation_type.pk, target, source)}
        gold_relation.source_relations.set(
            Relation.objects.filter(document=document, pk__in=snapshot["sources"])
        )
        events.append((GOLD_RELATION, gold_relation, gold_relation_state(gold_relation)))
    return events


def _restore_values(
    gold_span: GoldSpan, values: list[GoldSnapshot], curators: set[int]
) -> list[tuple]:
    attributes = {
        attribute.pk: attribute
        for attribute in LabelAttribute.objects.filter(label_id=gold_span.label_id)
    }
    taken = set(
        GoldSpanAttribute.objects.filter(
            pk__in=[snapshot["id"] for snapshot in values]
        ).values_list("pk", flat=True)
    )
    events = []
    for snapshot in values:
        attribute = attributes.get(snapshot["attribute"])
        if (
            attribute is None
            or snapshot["value"] not in attribute.allowed_values
            or snapshot["id"] in taken
        ):
            continue
        row = GoldSpanAttribute.objects.create(
            **_restored_provenance(snapshot, curators),
            gold_span=gold_span,
            attribute=attribute,
            value=snapshot["value"],
        )
        row.source_values.set(
            SpanAttribute.objects.filter(
                span__document=gold_span.document, pk__in=snapshot["sources"]
            )
        )
        events.append((GOLD_SPAN_ATTRIBUTE, row, gold_span_attribute_state(row)))
    return events


def _audit_dependents_deleted(curator: AbstractBaseUser | None, gold_spans: list[GoldSpan]) -> None:
    """Record the deletion of the gold relations and attribute values that deleting
    ``gold_spans`` takes along (the database cascades them)."""
    ids = [gold_span.pk for gold_span in gold_spans]
    if not ids:
        return
    _audit_deleted(
        gold_spans[0].document,
        curator,
        GoldRelation.objects.filter(Q(source_id__in=ids) | Q(target_id__in=ids)),
        GoldSpanAttribute.objects.filter(gold_span_id__in=ids),
    )


def _delete_dependents(
    document: Document,
    curator: AbstractBaseUser | None,
    relations: QuerySet[GoldRelation],
    values: QuerySet[GoldSpanAttribute],
) -> None:
    _audit_deleted(document, curator, relations, values)
    relations.delete()
    values.delete()


def _audit_deleted(
    document: Document,
    curator: AbstractBaseUser | None,
    relations: QuerySet[GoldRelation],
    values: QuerySet[GoldSpanAttribute],
) -> None:
    events = []
    for gold_relation in relations.select_related("type").order_by("pk"):
        events.append(
            audit_event(
                actor=curator,
                action=AuditAction.DELETED,
                subject=GOLD_RELATION,
                obj=gold_relation,
                project_id=document.project_id,
                before=gold_relation_state(gold_relation),
                after=None,
            )
        )
    for row in values.select_related("attribute", "gold_span").order_by("pk"):
        events.append(
            audit_event(
                actor=curator,
                action=AuditAction.DELETED,
                subject=GOLD_SPAN_ATTRIBUTE,
                obj=row,
                project_id=document.project_id,
                before=gold_span_attribute_state(row),
                after=None,
            )
        )
    AuditEvent.objects.bulk_create(events)


def _save_changed(
    gold_span: GoldSpan,
    fields: list[str],
    curator: AbstractBaseUser,
    *,
    before: AuditState,
    relabelled: bool = False,
) -> GoldSpan:
    gold_span.status = GoldSpanStatus.ACCEPTED
    gold_span.curator = curator
    try:
        with transaction.atomic():
            lock_gold_document(gold_span.document)
            kept = _drop_gold_values(gold_span, curator) if relabelled else []
            gold_span.save(update_fields=[*fields, "status", "curator", "updated"])
            for attribute, value in kept:
                row = GoldSpanAttribute.objects.create(
                    gold_span=gold_span,
                    attribute=attribute,
                    value=value,
                    origin=GoldOrigin.CURATOR,
                    curator=curator,
                )
                _audit_value(curator, AuditAction.CREATED, row, before=None)
            _audit(curator, AuditAction.UPDATED, gold_span, before=before)
    except IntegrityError:
        raise GoldError(
            gold_already_has(
                gold_span.document.text, gold_span.label, gold_span.start, gold_span.end
            )
        ) from None
    return gold_span


def gold_span_relabel(*, gold_span: GoldSpan, label: Label, curator: AbstractBaseUser) -> GoldSpan:
    """Give a gold span another label; this accepts it."""
    if label.project_id != gold_span.document.project_id:
        raise GoldError(
            f"The label {quoted(label.name)} does not belong to this document's project."
        )
    if label.pk == gold_span.label_id:
        return gold_span
    _refuse_breaking_gold_relations(gold_span, label)
    before = gold_span_state(gold_span)
    gold_span.label = label
    return _save_changed(gold_span, ["label"], curator, before=before, relabelled=True)


def _refuse_breaking_gold_relations(gold_span: GoldSpan, label: Label) -> None:
    """A gold relation keeps the labels its type allows at each end."""
    relations = GoldRelation.objects.filter(
        Q(source=gold_span) | Q(target=gold_span)
    ).prefetch_related("type__source_labels", "type__target_labels")
    for relation in relations:
        source_label = label.pk if relation.source_id == gold_span.pk else None
        target_label = label.pk if relation.target_id == gold_span.pk else None
        if not labels_allowed(
            relation.type,
            source_label or relation.source.label_id,
            target_label or relation.target.label_id,
        ):
            raise GoldError(
                f"This gold span is an end of {with_article(relation.type.name)} relation "
                f"that does not allow {with_article(label.name)} span there: delete the "
                "relation first."
            )


def _drop_gold_values(
    gold_span: GoldSpan, curator: AbstractBaseUser
) -> list[tuple[LabelAttribute, str]]:
    """Drop a relabelled gold span's values of its old label's attributes; a value the new
    label has a same-named attribute for, with that value allowed, moves to it."""
    attributes = {
        attribute.name.lower(): attribute
        for attribute in LabelAttribute.objects.filter(label_id=gold_span.label_id)
    }
    rows = GoldSpanAttribute.objects.filter(gold_span=gold_span).select_related("attribute")
    kept = []
    for row in rows:
        if row.attribute.label_id == gold_span.label_id:
            continue
        counterpart = attributes.get(row.attribute.name.lower())
        if counterpart is not None and row.value in counterpart.allowed_values:
            kept.append((counterpart, row.value))
        row.gold_span = gold_span
        _audit_value(curator, AuditAction.DELETED, row, before=gold_span_attribute_state(row))
        row.delete()
    return kept


def _audit_value(
    curator: AbstractBaseUser | None,
    action: AuditAction,
    row: GoldSpanAttribute,
    *,
    before: AuditState | None,
) -> None:
    after = None if action == AuditAction.DELETED else gold_span_attribute_state(row)
    audit_record(
        actor=curator,
        action=action,
        subject=GOLD_SPAN_ATTRIBUTE,
        obj=row,
        before=before,
        after=after,
    )


def gold_span_resize(
    *,
    gold_span: GoldSpan,
    start: object,
    end: object,
    curator: AbstractBaseUser,
    text: str | None = None,
) -> GoldSpan:
    """Move a gold span's boundaries; its sources stay as provenance and it is accepted."""
    before = gold_span_state(gold_span)
    gold_span.start, gold_span.end = validate_range(gold_span.document, start, end, text)
    return _save_changed(gold_span, ["start", "end"], curator, before=before)


def gold_spans_revert(
    *,
    document: Document,
    curator: AbstractBaseUser,
    propose: Iterable[int] = (),
    delete: Iterable[int] = (),
    delete_relations: Iterable[int] = (),
    delete_values: Iterable[int] = (),
    restore: Iterable[GoldSnapshot] = (),
) -> list[GoldSpan]:
    """Undo adjudication steps: the ``propose`` ids (pre-merge proposals) become
    proposed again, with the accepted gold relations that end at them; the ``delete``
    ids are removed, with their gold relations and values; the ``restore`` snapshots of
    rejected spans come back (:func:`gold_span_restore`), and are returned. All or nothing.

    A ``delete`` id must still be a proposal: undoing a pre-merge never takes away a span
    someone accepted since (the page undoes its own accepts first).

    ``delete_relations`` and ``delete_values`` (gold relation and gold attribute value
    ids of this document) are removed too, those still there: a pre-merge's undo removes
    what it proposed over spans that were there before it."""
    propose, delete = set(propose), set(delete)
    with transaction.atomic():
        document = lock_gold_document(document)
        _delete_dependents(
            document,
            curator,
            document.gold_relations.filter(pk__in=list(delete_relations)),
            GoldSpanAttribute.objects.filter(
                gold_span__document=document, pk__in=list(delete_values)
            ),
        )
        found = {
            gold_span.pk: gold_span
            for gold_span in document.gold_spans.filter(pk__in=propose | delete)
        }
        if len(found) != len(propose | delete):
            raise GoldError("Some of these gold spans are gone already: reload the page.")
        for pk in sorted(delete - propose):
            gold_span = found[pk]
            if gold_span.status != GoldSpanStatus.PROPOSED:
                raise GoldError(
                    sentence(
                        f"{with_article(gold_span.label.name)} span on "
                        f"{quoted(document.text[gold_span.start : gold_span.end])} was "
                        "accepted since: reload the page, then reject what should go"
                    )
                )
        for pk in sorted(propose - delete):
            gold_span = found[pk]
            if gold_span.origin != GoldOrigin.MERGE:
                raise GoldError("Only a pre-merge proposal can be proposed again.")
            before = gold_span_state(gold_span)
            gold_span.status = GoldSpanStatus.PROPOSED
            gold_span.curator = None
            gold_span.save(update_fields=["status", "curator", "updated"])
            _audit(curator, AuditAction.UPDATED, gold_span, before=before)
        _repropose_relations(curator, sorted(propose - delete))
        _audit_dependents_deleted(curator, [found[pk] for pk in sorted(delete)])
        for pk in sorted(delete):
            gold_span = found[pk]
            _audit(curator, AuditAction.DELETED, gold_span, before=gold_span_state(gold_span))
            gold_span.delete()
        return [
            gold_span_restore(document=document, snapshot=snapshot, curator=curator)
            for snapshot in restore
        ]


def _repropose_relations(curator: AbstractBaseUser | None, gold_span_ids: list[int]) -> None:
    """An accepted gold relation has accepted ends: when undo makes an end proposed
    again, the relation goes back to proposed with it."""
    relations = GoldRelation.objects.filter(
        Q(source_id__in=gold_span_ids) | Q(target_id__in=gold_span_ids),
        status=GoldSpanStatus.ACCEPTED,
    ).select_related("type", "document")
    for relation in relations:
        before = gold_relation_state(relation)
        relation.status = GoldSpanStatus.PROPOSED
        relation.save(update_fields=["status", "updated"])
        audit_record(
            actor=curator,
            action=AuditAction.UPDATED,
            subject=GOLD_RELATION,
            obj=relation,
            before=before,
            after=gold_relation_state(relation),
        )


@dataclass(frozen=True)
class GoldConcerns:
    """What marking a document gold would leave undecided; false when nothing is.

    ``unsettled_regions``: regions where the submitted annotators differ and the
    gold version has no accepted span (see :func:`annotator.curation.adjudication.align`).
    ``unfinished_annotators``: usernames of annotators assigned the document who
    have neither submitted nor skipped it.
    """

    unsettled_regions: int
    unfinished_annotators: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.unsettled_regions or self.unfinished_annotators)

    def message(self) -> str:
        parts = []
        if self.unsettled_regions == 1:
            parts.append("1 region where the annotators differ has no accepted gold span")
        elif self.unsettled_regions:
            parts.append(
                f"{self.unsettled_regions} regions where the annotators differ "
                "have no accepted gold span"
            )
        names = list(self.unfinished_annotators)
        if names:
            who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            verb = "has" if len(names) == 1 else "have"
            parts.append(f"{who} {verb} not submitted this document")
        return f"{' and '.join(parts)}. Confirm to mark it gold anyway."


def unsettled_regions(regions: Iterable[Region]) -> int:
    """How many of the aligned regions the annotators differ on and no accepted gold span
    settles: the count the adjudication page shows and *Mark gold* asks about."""
    return sum(
        1
        for region in regions
        if region.differs
        and not any(item.status == GoldSpanStatus.ACCEPTED for item in region.gold)
    )


def gold_concerns(document: Document) -> GoldConcerns:
    """What is still undecided on the document, for the confirmation of *Mark gold*."""
    annotators = submitted_annotators(document)
    gold = list(document.gold_spans.only("start", "end", "status"))
    regions, _ = align(submitted_spans(document, annotators), annotators, gold)
    unsettled = unsettled_regions(regions)
    unfinished = (
        document.assignments.filter(status__in=OPEN_STATUSES)
        .order_by("annotator__username")
        .values_list("annotator__username", flat=True)
    )
    return GoldConcerns(unsettled, tuple(unfinished))


def gold_status_set(*, document: Document, status: str, confirm: bool = False) -> Document:
    """Mark the document gold, or reopen a gold document (back to in progress).

    Marking gold is refused while a proposal is undecided. It is refused too,
    unless ``confirm`` is true, while :func:`gold_concerns` finds regions of
    disagreement without an accepted gold span or assigned annotators who have
    not finished; the refusal's details carry ``confirm_required``.
    """
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if status == GoldStatus.GOLD:
            if document.gold_spans.filter(status=GoldSpanStatus.PROPOSED).exists():
                raise GoldError("Accept or reject every proposed span before marking gold.")
            if document.gold_relations.filter(status=GoldSpanStatus.PROPOSED).exists():
                raise GoldError("Accept or reject every proposed relation before marking gold.")
            concerns = None if confirm else gold_concerns(document)
            if concerns:
                raise GoldError(
                    concerns.message(),
                    confirm_required=True,
                    unsettled_regions=concerns.unsettled_regions,
                    unfinished_annotators=list(concerns.unfinished_annotators),
                )
        elif status == GoldStatus.IN_PROGRESS:
            if document.gold_status != GoldStatus.GOLD:
                raise GoldError("Only a gold document can be reopened.")
        else:
            raise GoldError(f"A curator cannot set the gold status {status!r}.")
        document.gold_status = status
        document.save(update_fields=["gold_status"])
    return document

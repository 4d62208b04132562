"""Creating, deleting and relabelling spans: the one write path for views, API and scripts.

Offsets are Python code points into ``document.text``, half-open ``[start, end)``.
Browsers count UTF-16 code units; they convert before calling in, and send the
selected text so that a conversion error is caught here rather than stored.
Every rejection raises :class:`SpanError` and leaves the database unchanged.

An annotator writes only under an open assignment (assigned or in progress):
a submitted or skipped one is read-only until a curator reopens it, and in a
project that requires assignments (see :mod:`annotator.annotation.assignments`) a
document nobody assigned to the annotator is refused. In an open project the
first write creates the assignment.

Every write records an audit event (:mod:`annotator.audit`) in its transaction;
the actor is the span's annotator, the only person these functions write for.
"""

import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q

from ..audit import (
    RELATION,
    SPAN,
    SPAN_ATTRIBUTE,
    audit_record,
    relation_state,
    span_attribute_state,
    span_state,
)
from ..models import (
    Assignment,
    AssignmentStatus,
    AuditAction,
    Document,
    Label,
    LabelAttribute,
    Project,
    Relation,
    Span,
    SpanAttribute,
    Suggestion,
)
from ..wording import either, quoted, with_article


class SpanError(Exception):
    """A span was refused; ``message`` says why in words an annotator understands."""

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def _require_offset(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpanError(f"The span's {name} must be an integer, not {value!r}.")
    return value


def trim_whitespace(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` until it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def validate_range(
    document: Document, start: object, end: object, text: str | None = None
) -> tuple[int, int]:
    """Check offsets (and the quoted text, when given) and return them trimmed."""
    return validate_range_in(document.text, start, end, text)


def validate_range_in(
    document_text: str, start: object, end: object, text: str | None = None
) -> tuple[int, int]:
    """:func:`validate_range` on a document's text, for writers that hold no instance."""
    start = _require_offset("start", start)
    end = _require_offset("end", end)
    length = len(document_text)
    if start < 0:
        raise SpanError(f"The span's start must not be negative (it is {start}).")
    if end <= start:
        raise SpanError(
            f"The span's end must be greater than its start (start {start}, end {end})."
        )
    if end > length:
        raise SpanError(
            f"The span's end ({end}) is past the end of the document, "
            f"which has {length} characters."
        )
    stored = document_text[start:end]
    if text is not None and text != stored:
        raise SpanError(
            f"The selected text {quoted(text)} does not match the document, "
            f"which has {quoted(stored)} there.",
            sent=text,
            stored=stored,
        )
    trimmed_start, trimmed_end = trim_whitespace(document_text, start, end)
    if trimmed_start == trimmed_end:
        raise SpanError("A span cannot be whitespace only.")
    return trimmed_start, trimmed_end


def already_have(text: str, label: Label, start: int, end: int) -> str:
    """The refusal of a second identical span: the label and the text, not offsets."""
    return f"You already have {with_article(label.name)} span on {quoted(text[start:end])}."


def _require_label_of(document: Document, label: Label) -> None:
    if label.project_id != document.project_id:
        raise SpanError(
            f"The label {quoted(label.name)} does not belong to this document's project."
        )


def lock_open_assignment(document: Document, annotator) -> Assignment:
    """Lock the annotator's open assignment, so span writes on one document go one at a time."""
    assignment = (
        Assignment.objects.select_for_update()
        .filter(document=document, annotator=annotator)
        .first()
    )
    if assignment is None:
        if Project.objects.filter(pk=document.project_id, assignment_required=True).exists():
            raise SpanError("This document is not assigned to you.")
        Assignment.objects.get_or_create(
            document=document,
            annotator=annotator,
            defaults={"status": AssignmentStatus.IN_PROGRESS},
        )
        assignment = Assignment.objects.select_for_update().get(
            document=document, annotator=annotator
        )
    if not assignment.is_open:
        raise SpanError(
            f"You have {assignment.get_status_display().lower()} this document: "
            "its spans cannot change unless a curator reopens it."
        )
    return assignment


def _recount(assignment: Assignment) -> None:
    # Counted, not incremented: spans also change outside these functions
    # (admin, cascades), and the row lock makes the count exact.
    assignment.span_count = Span.objects.filter(
        document_id=assignment.document_id, annotator_id=assignment.annotator_id
    ).count()
    if assignment.status == AssignmentStatus.ASSIGNED:
        assignment.status = AssignmentStatus.IN_PROGRESS
    assignment.save(update_fields=["span_count", "status", "updated"])


def span_create(
    *,
    document: Document,
    annotator,
    label: Label,
    start: object,
    end: object,
    text: str | None = None,
    client_id: uuid.UUID | None = None,
    origin: str | None = None,
    suggestion: Suggestion | None = None,
) -> tuple[Span, bool]:
    """Create a span, or return the one a retried request already created.

    Returns ``(span, created)``. A repeated ``client_id`` from the same annotator on
    the same document returns the existing span with ``created=False``. ``origin``
    and ``suggestion`` record where a span the annotator accepted came from
    (see :mod:`annotator.annotation.suggestions`).
    """
    if client_id is not None:
        existing = Span.objects.filter(client_id=client_id).select_related("label").first()
        if existing is not None:
            return _existing_for_retry(existing, document, annotator), False
    _require_label_of(document, label)
    start, end = validate_range(document, start, end, text)
    span = Span(
        document=document,
        annotator=annotator,
        label=label,
        start=start,
        end=end,
        client_id=client_id or uuid.uuid4(),
        guidelines_version=document.project.guidelines_version,
        origin=origin,
        suggestion=suggestion,
    )
    try:
        with transaction.atomic():
            assignment = lock_open_assignment(document, annotator)
            span.save(force_insert=True)
            audit_record(
                actor=annotator,
                action=AuditAction.CREATED,
                subject=SPAN,
                obj=span,
                before=None,
                after=span_state(span),
            )
            _recount(assignment)
    except IntegrityError:
        if client_id is not None:
            existing = Span.objects.filter(client_id=client_id).first()
            if existing is not None:
                return _existing_for_retry(existing, document, annotator), False
        if _is_duplicate(span):
            raise SpanError(
                already_have(document.text, label, start, end), start=start, end=end
            ) from None
        raise
    return span, True


def _existing_for_retry(existing: Span, document: Document, annotator) -> Span:
    if existing.document_id != document.pk or existing.annotator_id != annotator.pk:
        raise SpanError("This client_id belongs to another span.")
    return existing


def _is_duplicate(span: Span) -> bool:
    return Span.objects.filter(
        document=span.document,
        annotator=span.annotator,
        label=span.label,
        start=span.start,
        end=span.end,
    ).exists()


def span_delete(*, span: Span) -> None:
    """Delete a span with its relations and attribute values (the database cascades them;
    each is recorded in the audit log here)."""
    with transaction.atomic():
        assignment = lock_open_assignment(span.document, span.annotator)
        relations = Relation.objects.filter(Q(source=span) | Q(target=span)).select_related("type")
        for relation in relations:
            relation.document = span.document
            audit_record(
                actor=span.annotator,
                action=AuditAction.DELETED,
                subject=RELATION,
                obj=relation,
                before=relation_state(relation),
                after=None,
            )
        for row in SpanAttribute.objects.filter(span=span).select_related("attribute"):
            delete_attribute_value(row, span)
        audit_record(
            actor=span.annotator,
            action=AuditAction.DELETED,
            subject=SPAN,
            obj=span,
            before=span_state(span),
            after=None,
        )
        span.delete()
        _recount(assignment)


def delete_attribute_value(row: SpanAttribute, span: Span) -> None:
    """Delete one attribute value of ``span`` and record it; call with the assignment locked."""
    row.span = span
    audit_record(
        actor=span.annotator,
        action=AuditAction.DELETED,
        subject=SPAN_ATTRIBUTE,
        obj=row,
        before=span_attribute_state(row),
        after=None,
    )
    row.delete()


def _refuse_breaking_relations(span: Span, label: Label) -> None:
    """A relation keeps the labels its type allows at each end: relabelling must not break it."""
    relations = Relation.objects.filter(Q(source=span) | Q(target=span)).select_related("type")
    for relation in relations:
        end = "starts" if relation.source_id == span.pk else "ends"
        allowed = list(
            (relation.type.source_labels if end == "starts" else relation.type.target_labels).all()
        )
        if allowed and label.pk not in {allowed_label.pk for allowed_label in allowed}:
            names = either(allowed_label.name for allowed_label in allowed)
            raise SpanError(
                f"This span {end} {with_article(relation.type.name)} relation, which {end} "
                f"at {with_article(names)} span: delete the relation first."
            )


def _drop_attribute_values(span: Span, label: Label) -> list[tuple[LabelAttribute, str]]:
    """Drop the span's attribute values, which belong to its old label's attributes; return
    those the new label has an attribute of the same name for, with a value it allows."""
    kept = []
    attributes = {attribute.name.lower(): attribute for attribute in label.attributes.all()}
    for row in SpanAttribute.objects.filter(span=span).select_related("attribute"):
        counterpart = attributes.get(row.attribute.name.lower())
        if counterpart is not None and row.value in counterpart.allowed_values:
            kept.append((counterpart, row.value))
        delete_attribute_value(row, span)
    return kept


def _restore_attribute_values(span: Span, kept: list[tuple[LabelAttribute, str]]) -> None:
    for attribute, value in kept:
        row = SpanAttribute(span=span, attribute=attribute, value=value)
        row.save(force_insert=True)
        audit_record(
            actor=span.annotator,
            action=AuditAction.CREATED,
            subject=SPAN_ATTRIBUTE,
            obj=row,
            before=None,
            after=span_attribute_state(row),
        )


def span_relabel(*, span: Span, label: Label) -> Span:
    """Give a span another label of the same project; the offsets stay.

    Refused when one of the span's relations does not allow the new label at its end.
    The span's attribute values belong to the old label's attributes: a value the new
    label has a same-named attribute for (``stance`` on claim and threat alike) moves
    to it, the others are dropped; both recorded in the audit log.
    """
    _require_label_of(span.document, label)
    if label.pk == span.label_id:
        return span
    previous = span.label
    before = span_state(span)
    span.label = label
    try:
        with transaction.atomic():
            lock_open_assignment(span.document, span.annotator)
            _refuse_breaking_relations(span, label)
            kept = _drop_attribute_values(span, label)
            span.save(update_fields=["label", "updated"])
            _restore_attribute_values(span, kept)
            audit_record(
                actor=span.annotator,
                action=AuditAction.UPDATED,
                subject=SPAN,
                obj=span,
                before=before,
                after=span_state(span),
            )
    except SpanError:
        span.label = previous
        raise
    except IntegrityError:
        span.label = previous
        raise SpanError(already_have(span.document.text, label, span.start, span.end)) from None
    return span

"""Suggestions: the machine proposes, each annotator decides.

A :class:`~annotator.models.Suggestion` is a labelled range ``[start, end)``
(code points) with its source:

- ``string-match``: computed for one annotator when a document opens
  (:func:`string_match_refresh`, from :mod:`annotator.annotation.string_match`),
  stored for that annotator only, and computed again only once a phrase may have
  changed;
- ``model:<name>@<version>``: a trained model's predictions
  (:mod:`annotator.annotation.training`), for every annotator;
- ``import:<name>``: imported predictions (:mod:`annotator.annotation.span_imports`),
  for every annotator.

An annotator sees the suggestions meant for everyone and their own, never
another annotator's (:func:`visible_suggestions`). A suggestion is pending for
an annotator until they decide: accepting makes it their span, through
:func:`annotator.annotation.spans.span_create` and its checks, with the
suggestion's source as the span's ``origin`` (kept in the audit log, the API
and into gold, whose source spans are these spans); rejecting records the
no. Undo takes a decision back (an accepted suggestion's span is deleted).
A suggestion whose label and offsets the annotator already has as a span is
not pending: there is nothing to decide.

Decisions follow the span rules: only under an open assignment, and, in a
project that requires assignments, only on an assigned document. Every
refusal raises :class:`SuggestionError` and changes nothing.
"""

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import (
    Assignment,
    Document,
    Label,
    Project,
    Span,
    StringMatchRefresh,
    Suggestion,
    SuggestionDecision,
    SuggestionStatus,
)
from .spans import SpanError, span_create, span_delete
from .string_match import phrase_versions, string_match_proposals

STRING_MATCH = "string-match"


class SuggestionError(SpanError):
    """A decision on a suggestion was refused; ``message`` says why."""


def visible_suggestions(user: AbstractBaseUser) -> QuerySet:
    """The suggestions ``user`` may see: for everyone or for them, in their projects."""
    if not user.is_authenticated:
        return Suggestion.objects.none()
    return Suggestion.objects.filter(
        Q(annotator=user) | Q(annotator__isnull=True),
        document__in=Document.objects.visible_to(user),
    )


def pending_suggestions(document: Document, annotator: AbstractBaseUser) -> QuerySet:
    """The suggestions on ``document`` that ``annotator`` has yet to decide, in text order."""
    decided = SuggestionDecision.objects.filter(suggestion=OuterRef("pk"), annotator=annotator)
    marked = Span.objects.filter(
        document=document,
        annotator=annotator,
        label_id=OuterRef("label_id"),
        start=OuterRef("start"),
        end=OuterRef("end"),
    )
    return (
        Suggestion.objects.filter(
            Q(annotator=annotator) | Q(annotator__isnull=True), document=document
        )
        .exclude(Exists(decided))
        .exclude(Exists(marked))
        .select_related("label")
        .order_by("start", "-end", "label_id", "source", "id")
    )


def string_match_refresh(*, document: Document, annotator: AbstractBaseUser) -> bool:
    """Store what string matching proposes to ``annotator`` now, and drop what it no longer
    proposes unless the annotator decided it (the decision stays, with its suggestion).

    Only when a phrase may have changed since the last time (:class:`StringMatchRefresh`):
    otherwise it computes and writes nothing, so listing suggestions is a read. Returns
    whether it computed.
    """
    gold_version, own_version = phrase_versions(document.project_id, annotator.pk)
    current = StringMatchRefresh.objects.filter(
        document=document,
        annotator=annotator,
        gold_version=gold_version,
        own_version=own_version,
    )
    if current.exists():
        return False
    # The counters were read before the phrases, so a change meanwhile leaves a stamp
    # older than the counters and the next call computes again.
    proposals = set(string_match_proposals(document, annotator.pk))
    with transaction.atomic():
        stored = Suggestion.objects.filter(
            document=document, annotator=annotator, source=STRING_MATCH
        )
        existing = {
            (label_id, start, end): pk
            for pk, label_id, start, end in stored.values_list("pk", "label_id", "start", "end")
        }
        stale = [pk for key, pk in existing.items() if key not in proposals]
        if stale:
            stored.filter(pk__in=stale).exclude(
                Exists(SuggestionDecision.objects.filter(suggestion=OuterRef("pk")))
            ).delete()
        Suggestion.objects.bulk_create(
            [
                Suggestion(
                    document=document,
                    annotator=annotator,
                    label_id=proposal.label_id,
                    start=proposal.start,
                    end=proposal.end,
                    source=STRING_MATCH,
                )
                for proposal in proposals
                if proposal not in existing
            ],
            # Two tabs opening the same document store the same rows once.
            ignore_conflicts=True,
        )
        StringMatchRefresh.objects.update_or_create(
            document=document,
            annotator=annotator,
            defaults={"gold_version": gold_version, "own_version": own_version},
        )
    return True


def _require_may_decide(document: Document, annotator: AbstractBaseUser) -> None:
    assignment = Assignment.objects.filter(document=document, annotator=annotator).first()
    if assignment is None:
        if Project.objects.filter(pk=document.project_id, assignment_required=True).exists():
            raise SuggestionError("This document is not assigned to you.")
    elif not assignment.is_open:
        raise SuggestionError(
            f"You have {assignment.get_status_display().lower()} this document: "
            "its spans cannot change unless a curator reopens it."
        )


def _require_offered(suggestion: Suggestion, annotator: AbstractBaseUser) -> None:
    if suggestion.annotator_id not in (None, annotator.pk):
        # Callers fetch through visible_suggestions; this guards a service caller.
        raise SuggestionError("This suggestion is not yours to decide.")


def _decide(
    suggestion: Suggestion, annotator: AbstractBaseUser, status: str, span: Span | None
) -> SuggestionDecision:
    decision, _ = SuggestionDecision.objects.update_or_create(
        suggestion=suggestion, annotator=annotator, defaults={"status": status, "span": span}
    )
    return decision


def suggestion_accept(
    *,
    suggestion: Suggestion,
    annotator: AbstractBaseUser,
    label: Label | None = None,
    client_id: uuid.UUID | None = None,
) -> Span:
    """Make the suggestion the annotator's span (with another ``label`` if given).

    A repeated ``client_id`` (a page retrying an acceptance whose answer it lost)
    returns the span the first acceptance made, as :func:`span_create` does.
    """
    _require_offered(suggestion, annotator)
    document = suggestion.document
    with transaction.atomic():
        previous = (
            SuggestionDecision.objects.filter(suggestion=suggestion, annotator=annotator)
            .select_related("span")
            .first()
        )
        if previous is not None and previous.status == SuggestionStatus.ACCEPTED:
            if client_id is not None and previous.span and previous.span.client_id == client_id:
                return previous.span
            raise SuggestionError("You have accepted this suggestion already.")
        try:
            span, _ = span_create(
                document=document,
                annotator=annotator,
                label=label or suggestion.label,
                start=suggestion.start,
                end=suggestion.end,
                client_id=client_id,
                origin=suggestion.source,
                suggestion=suggestion,
            )
        except SpanError as error:
            raise SuggestionError(error.message, **error.detail) from None
        _decide(suggestion, annotator, SuggestionStatus.ACCEPTED, span)
    return span


def suggestion_reject(*, suggestion: Suggestion, annotator: AbstractBaseUser) -> None:
    _require_offered(suggestion, annotator)
    with transaction.atomic():
        _require_may_decide(suggestion.document, annotator)
        previous = SuggestionDecision.objects.filter(
            suggestion=suggestion, annotator=annotator
        ).first()
        if previous is not None and previous.status == SuggestionStatus.ACCEPTED:
            raise SuggestionError("You accepted this suggestion: undo it first.")
        _decide(suggestion, annotator, SuggestionStatus.REJECTED, None)


def suggestion_undo(*, suggestion: Suggestion, annotator: AbstractBaseUser) -> None:
    """Take the annotator's decision back: the suggestion is pending again, and the span an
    acceptance made is deleted."""
    _require_offered(suggestion, annotator)
    with transaction.atomic():
        decision = (
            SuggestionDecision.objects.select_for_update(of=("self",))
            .filter(suggestion=suggestion, annotator=annotator)
            .select_related("span__document", "span__label")
            .first()
        )
        if decision is None:
            raise SuggestionError("You have not decided this suggestion: there is nothing to undo.")
        _require_may_decide(suggestion.document, annotator)
        span = decision.span
        decision.delete()
        if span is not None:
            try:
                span_delete(span=span)
            except SpanError as error:
                raise SuggestionError(error.message) from None


def suggestions_accept_all(
    *, document: Document, annotator: AbstractBaseUser, label: Label
) -> list[Span]:
    """Accept every pending suggestion of ``label`` on the document, each range once."""
    if label.project_id != document.project_id:
        raise SuggestionError(f"Label {label.name!r} does not belong to this document's project.")
    spans = []
    try:
        with transaction.atomic():
            taken: dict[tuple[int, int], Span] = {}
            for suggestion in pending_suggestions(document, annotator).filter(label=label):
                suggestion.document = document
                span = taken.get((suggestion.start, suggestion.end))
                if span is None:
                    span = suggestion_accept(suggestion=suggestion, annotator=annotator)
                    taken[suggestion.start, suggestion.end] = span
                    spans.append(span)
                else:
                    # Another source proposed the same range: it was right too.
                    _decide(suggestion, annotator, SuggestionStatus.ACCEPTED, span)
    except IntegrityError:
        raise SuggestionError("These suggestions changed meanwhile; try again.") from None
    return spans

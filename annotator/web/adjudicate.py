"""The adjudication page (curator or manager): every annotator's spans side by side, gold
spans proposed, accepted, edited and marked gold.

Objects come through the helpers of :mod:`annotator.permissions`; each view
declares the access it enforces. Writes are POSTs that call the services in
:mod:`annotator.curation.gold` (and reopening an assignment,
:mod:`annotator.annotation.assignments`); htmx requests get the adjudication
workspace back, plain forms a redirect.
"""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from ..annotation.assignments import assignment_reopen
from ..annotation.highlight import highlight_html
from ..annotation.spans import SpanError
from ..curation.adjudication import align
from ..curation.gold import (
    GoldError,
    gold_accept_all,
    gold_premerge,
    gold_span_accept,
    gold_span_adopt,
    gold_span_create,
    gold_span_delete,
    gold_span_relabel,
    gold_span_resize,
    gold_status_set,
    submitted_annotators,
    submitted_spans,
)
from ..models import (
    AssignmentStatus,
    Document,
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Label,
    Span,
)
from ..permissions import (
    Access,
    assignment_for,
    declares,
    document_for,
    gold_span_for,
    project_span_for,
)
from .forms import posted_int, posted_label
from .refusals import span_refused


@declares(Access.CURATOR)
@login_required
@require_POST
def assignment_reopen_view(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    assignment = assignment_for(request.user, slug, assignment_id, Access.CURATOR)
    assignment_reopen(assignment=assignment)
    return _after_write(request, assignment.document, {"assignmentReopened": assignment.pk})


def _adjudication_context(document: Document) -> dict:
    labels = {label.pk: label for label in Label.objects.filter(project=document.project_id)}
    all_assignments = list(
        document.assignments.select_related("annotator").order_by("annotator__username")
    )
    names = {
        assignment.annotator_id: assignment.annotator.username for assignment in all_assignments
    }
    annotators = submitted_annotators(document)
    spans = submitted_spans(document, annotators)
    gold = list(document.gold_spans.select_related("curator").prefetch_related("source_spans"))
    regions, disputed = align(spans, annotators, gold)
    text = document.text
    for gold_span in gold:
        gold_span.quote = text[gold_span.start : gold_span.end]
        gold_span.label_name = labels[gold_span.label_id].name
        gold_span.source_names = sorted(
            {
                names.get(source.annotator_id, str(source.annotator_id))
                for source in gold_span.source_spans.all()
            }
        )
    rows = []
    for region in regions:
        cells = []
        for annotator_id in annotators:
            cells.append(
                [
                    {
                        "span": span,
                        "label": labels[span.label],
                        "quote": text[span.start : span.end],
                        "disputed": span.id in disputed,
                    }
                    for span in region.by_annotator.get(annotator_id, [])
                ]
            )
        rows.append(
            {
                "region": region,
                "quote": text[region.start : region.end],
                "cells": cells,
                "gold": region.gold,
            }
        )
    lanes = [
        {
            "name": names.get(annotator_id, str(annotator_id)),
            "html": highlight_html(
                text,
                [
                    Span(pk=span.id, label_id=span.label, start=span.start, end=span.end)
                    for span in spans
                    if span.annotator == annotator_id
                ],
            ),
        }
        for annotator_id in annotators
    ]
    return {
        "document": document,
        "project": document.project,
        "labels": list(labels.values()),
        "assignments": all_assignments,
        "annotator_names": [names.get(annotator_id, "") for annotator_id in annotators],
        "annotator_count": len(annotators),
        "gold": gold,
        "proposed_count": sum(1 for span in gold if span.status == GoldSpanStatus.PROPOSED),
        "gold_html": _gold_html(text, gold),
        "rows": rows,
        "disagreements": sum(1 for row in rows if row["region"].differs),
        "lanes": lanes,
        "gold_statuses": GoldStatus,
        "assignment_statuses": AssignmentStatus,
        "span_statuses": GoldSpanStatus,
    }


def _gold_html(text: str, gold: list[GoldSpan]) -> SafeString:
    """The gold version highlighted, with proposals marked so they stand out from decisions."""
    html = str(highlight_html(text, gold))
    for gold_span in gold:
        if gold_span.status == GoldSpanStatus.PROPOSED:
            # Text pieces are escaped (quotes included), so this tag only matches markup.
            opening = f'<mark class="span label-{gold_span.label_id}" data-span="{gold_span.pk}">'
            html = html.replace(opening, opening.replace('class="span', 'class="span proposed'))
    return mark_safe(html)  # noqa: S308 - built by highlight_html, which escapes the text


def _render_adjudication(request: HttpRequest, document: Document, **headers: str) -> HttpResponse:
    template = "annotator/adjudicate/adjudicate.html"
    if request.htmx:
        template += "#workspace"
    response = render(request, template, _adjudication_context(document))
    for name, value in headers.items():
        response[name] = value
    return response


def _after_write(request: HttpRequest, document: Document, event: dict) -> HttpResponse:
    if request.htmx:
        # The services changed the gold status on their own locked copy.
        document.refresh_from_db(fields=["gold_status"])
        return _render_adjudication(request, document, **{"HX-Trigger": json.dumps(event)})
    return redirect("adjudicate", document.project.slug, document.pk)


def _refused(request: HttpRequest, document: Document, message: str) -> HttpResponse:
    back_url = reverse("adjudicate", args=[document.project.slug, document.pk])
    return span_refused(request, document, message, back_url=back_url)


@declares(Access.CURATOR)
@login_required
@require_GET
def adjudicate(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    return _render_adjudication(request, document)


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_premerge_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    minimum = posted_int(request, "minimum")
    try:
        if minimum is not None and not isinstance(minimum, int):
            raise GoldError("Choose how many annotators must agree as a whole number.")
        created = gold_premerge(document=document, minimum=minimum, curator=request.user)
    except GoldError as error:
        return _refused(request, document, error.message)
    return _after_write(request, document, {"goldProposed": len(created)})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_accept_all_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    try:
        accepted = gold_accept_all(document=document, curator=request.user)
    except GoldError as error:
        return _refused(request, document, error.message)
    return _after_write(request, document, {"goldAccepted": accepted})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_span_create_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    label = posted_label(request, document.project)
    if label is None:
        return _refused(request, document, "Choose a label of this project.")
    try:
        gold_span = gold_span_create(
            document=document,
            label=label,
            start=posted_int(request, "start"),
            end=posted_int(request, "end"),
            text=request.POST.get("text"),
            curator=request.user,
        )
    except SpanError as error:
        return _refused(request, document, error.message)
    return _after_write(request, document, {"goldCreated": {"id": gold_span.pk}})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_span_adopt_view(request: HttpRequest, slug: str, span_id: int) -> HttpResponse:
    span = project_span_for(request.user, slug, span_id, Access.CURATOR)
    try:
        gold_span = gold_span_adopt(span=span, curator=request.user)
    except SpanError as error:
        return _refused(request, span.document, error.message)
    return _after_write(request, span.document, {"goldCreated": {"id": gold_span.pk}})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_span_accept_view(request: HttpRequest, slug: str, gold_id: int) -> HttpResponse:
    gold_span = gold_span_for(request.user, slug, gold_id, Access.CURATOR)
    try:
        gold_span_accept(gold_span=gold_span, curator=request.user)
    except GoldError as error:
        return _refused(request, gold_span.document, error.message)
    return _after_write(request, gold_span.document, {"goldAccepted": 1})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_span_delete_view(request: HttpRequest, slug: str, gold_id: int) -> HttpResponse:
    gold_span = gold_span_for(request.user, slug, gold_id, Access.CURATOR)
    event = {
        "goldDeleted": {
            "id": gold_span.pk,
            "label": gold_span.label_id,
            "start": gold_span.start,
            "end": gold_span.end,
        }
    }
    try:
        gold_span_delete(gold_span=gold_span, curator=request.user)
    except GoldError as error:
        return _refused(request, gold_span.document, error.message)
    return _after_write(request, gold_span.document, event)


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_span_relabel_view(request: HttpRequest, slug: str, gold_id: int) -> HttpResponse:
    gold_span = gold_span_for(request.user, slug, gold_id, Access.CURATOR)
    document = gold_span.document
    label = posted_label(request, document.project)
    if label is None:
        return _refused(request, document, "Choose a label of this project.")
    previous = gold_span.label_id
    try:
        gold_span_relabel(gold_span=gold_span, label=label, curator=request.user)
    except GoldError as error:
        return _refused(request, document, error.message)
    event = {"goldRelabeled": {"id": gold_span.pk, "label": label.pk, "previous": previous}}
    return _after_write(request, document, event)


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_span_resize_view(request: HttpRequest, slug: str, gold_id: int) -> HttpResponse:
    gold_span = gold_span_for(request.user, slug, gold_id, Access.CURATOR)
    document = gold_span.document
    try:
        gold_span_resize(
            gold_span=gold_span,
            start=posted_int(request, "start"),
            end=posted_int(request, "end"),
            text=request.POST.get("text"),
            curator=request.user,
        )
    except SpanError as error:
        return _refused(request, document, error.message)
    return _after_write(request, document, {"goldResized": {"id": gold_span.pk}})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_status_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    status = request.POST.get("status", "")
    try:
        gold_status_set(document=document, status=status)
    except GoldError as error:
        return _refused(request, document, error.message)
    return _after_write(request, document, {"goldStatusChanged": {"status": status}})

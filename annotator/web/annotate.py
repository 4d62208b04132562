"""The annotate page: one document's text with the annotator's own spans, and its writes.

The page carries the text once, as plain text, and the spans as JSON data
(``[id, label, start, end]`` in code points); annotate.js paints them and sends
each write to the URLs below with ``Accept: application/json``, and gets back
the one span it wrote (:func:`json_answer`), never the page. Without JavaScript
the same page shows the spans as marks and a list of plain forms, inside
``<noscript>`` so that they cost the scripted page only bytes, not elements; a
plain form post is answered with a redirect, an htmx request with the
``workspace`` partial. Objects are always fetched through the helpers of
:mod:`annotator.permissions`, so another project's document is a 404. In a
project that requires assignments, a document not assigned to the annotator is a 403.
"""

import json
import uuid
from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ..annotation.assignments import (
    SUBMIT_UNDO_WINDOW,
    AssignmentError,
    assignment_skip,
    assignment_submit,
    assignment_submit_undo,
    queue_of,
    unfinished_of,
)
from ..annotation.highlight import highlight_html, label_marks, span_list_html
from ..annotation.spans import SpanError, span_create, span_delete, span_relabel
from ..models import Assignment, AssignmentStatus, Document, Span
from ..permissions import Access, declares, document_for, own_span_for
from .forms import posted_int, posted_label
from .refusals import span_refused as page_refused
from .relation_data import relation_page_data


def span_refused(request: HttpRequest, document: Document, message: str) -> HttpResponse:
    """The refusal as the page script (JSON), htmx (text) or a plain form (a page) wants it."""
    if wants_json(request):
        return json_refused(message)
    return page_refused(request, document, message)


class SpanRow(NamedTuple):
    """What the annotate page needs of a span; tuples, not models, for speed at 1,000s."""

    pk: int
    start: int
    end: int
    label_id: int


def wants_json(request: HttpRequest) -> bool:
    """The page scripts ask for JSON by name; browsers' own ``*/*`` does not count."""
    return "application/json" in request.headers.get("Accept", "")


def json_refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _span_data(span: Span) -> dict:
    return {"id": span.pk, "label": span.label_id, "start": span.start, "end": span.end}


def _submit_undo_until(assignment: Assignment | None):
    """Until when the annotator may take back their submission; None when they may not."""
    if assignment is None or assignment.status != AssignmentStatus.SUBMITTED:
        return None
    until = assignment.submitted + SUBMIT_UNDO_WINDOW
    return until if until > timezone.now() else None


def _workspace_context(request: HttpRequest, document: Document) -> dict:
    spans = [
        SpanRow(*row)
        for row in Span.objects.filter(document=document, annotator=request.user)
        .order_by("start", "-end", "label_id", "id")
        .values_list("id", "start", "end", "label_id")
    ]
    assignment = Assignment.objects.filter(document=document, annotator=request.user).first()
    read_only = assignment is not None and not assignment.is_open
    return {
        "page_data": {
            "spans": [[span.pk, span.label_id, span.start, span.end] for span in spans],
            "readOnly": read_only,
            **relation_page_data(document, request.user),
        },
        "submit_undo_until": _submit_undo_until(assignment),
        "document": document,
        "spans": spans,
        "text_html": highlight_html(document.text, spans),
        "span_list_html": span_list_html(
            document.text,
            spans,
            label_names=dict(document.project.labels.values_list("id", "name")),
            csrf_token=get_token(request),
            delete_url=reverse("span-delete", args=[0]),
            read_only=read_only,
        ),
        "assignment": assignment,
        "read_only": read_only,
        "statuses": AssignmentStatus,
    }


def _render_workspace(request: HttpRequest, document: Document, **headers: str) -> HttpResponse:
    response = render(
        request, "annotator/annotate/annotate.html#workspace", _workspace_context(request, document)
    )
    for name, value in headers.items():
        response[name] = value
    return response


def require_assignment(request: HttpRequest, document: Document) -> None:
    """In a project that requires assignments, only the assigned annotators may annotate."""
    if (
        document.project.assignment_required
        and not Assignment.objects.filter(document=document, annotator=request.user).exists()
    ):
        raise PermissionDenied("This document is not assigned to you.")


@declares(Access.MEMBER)
@login_required
@require_GET
def annotate(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.MEMBER)
    require_assignment(request, document)
    if request.htmx:
        return _render_workspace(request, document)
    project = document.project
    queue = queue_of(project, request.user).order_by("id").values_list("id", flat=True)
    context = _workspace_context(request, document)
    context.update(
        {
            "project": project,
            "label_marks": label_marks(list(project.labels.all())),
            "previous_id": queue.filter(id__lt=document.pk).order_by("-id").first(),
            "next_id": unfinished_of(queue, request.user).filter(id__gt=document.pk).first(),
        }
    )
    return render(request, "annotator/annotate/annotate.html", context)


def _after_write(request: HttpRequest, document: Document, event: dict) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(event)
    if request.htmx:
        return _render_workspace(request, document, **{"HX-Trigger": json.dumps(event)})
    return redirect("annotate", document.project.slug, document.pk)


@declares(Access.MEMBER)
@login_required
@require_POST
def span_create_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.MEMBER)
    label = posted_label(request, document.project)
    if label is None:
        return span_refused(request, document, "Choose a label of this project.")
    try:
        client_id = uuid.UUID(request.POST["client_id"]) if request.POST.get("client_id") else None
    except ValueError:
        return span_refused(request, document, "client_id must be a UUID.")
    try:
        span, created = span_create(
            document=document,
            annotator=request.user,
            label=label,
            start=posted_int(request, "start"),
            end=posted_int(request, "end"),
            text=request.POST.get("text"),
            client_id=client_id,
        )
    except SpanError as error:
        return span_refused(request, document, error.message)
    if wants_json(request):
        return JsonResponse({"span": _span_data(span), "created": created})
    event = {"spanCreated": {"id": span.pk, "label": span.label_id, "created": created}}
    return _after_write(request, document, event)


@declares(Access.MEMBER)
@login_required
@require_POST
def span_delete_view(request: HttpRequest, span_id: int) -> HttpResponse:
    span = own_span_for(request.user, span_id)
    document = span.document
    event = {
        "spanDeleted": {
            "id": span.pk,
            "label": span.label_id,
            "start": span.start,
            "end": span.end,
            "text": document.text[span.start : span.end],
        }
    }
    try:
        span_delete(span=span)
    except SpanError as error:
        return span_refused(request, document, error.message)
    return _after_write(request, document, event)


@declares(Access.MEMBER)
@login_required
@require_POST
def span_relabel_view(request: HttpRequest, span_id: int) -> HttpResponse:
    span = own_span_for(request.user, span_id)
    document = span.document
    label = posted_label(request, document.project)
    if label is None:
        return span_refused(request, document, "Choose a label of this project.")
    previous_label = span.label_id
    try:
        span_relabel(span=span, label=label)
    except SpanError as error:
        return span_refused(request, document, error.message)
    if wants_json(request):
        return JsonResponse({"span": _span_data(span), "previous": previous_label})
    event = {"spanRelabeled": {"id": span.pk, "label": label.pk, "previous": previous_label}}
    return _after_write(request, document, event)


@declares(Access.MEMBER)
@login_required
@require_POST
def document_status_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    """The annotator submits their assignment, skips it with a reason, or, shortly after
    submitting, takes the submission back (``undo=submit``)."""
    document = document_for(request.user, slug, document_id, Access.MEMBER)
    require_assignment(request, document)
    status = request.POST.get("status")
    try:
        if request.POST.get("undo") == "submit":
            assignment_submit_undo(document=document, annotator=request.user)
            status = AssignmentStatus.IN_PROGRESS
        elif status == AssignmentStatus.SUBMITTED:
            assignment_submit(document=document, annotator=request.user)
        elif status == AssignmentStatus.SKIPPED:
            assignment_skip(
                document=document, annotator=request.user, reason=request.POST.get("reason", "")
            )
        else:
            raise AssignmentError(f"An annotator cannot set the status {status!r}.")
    except AssignmentError as error:
        if wants_json(request):
            return json_refused(str(error))
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    return _after_write(request, document, {"statusChanged": {"status": status}})

"""HTML pages and their htmx fragments.

Every page works as plain links and form posts; htmx requests to the same URLs
get the named partial instead of the whole page. Objects are always fetched
through the helpers of :mod:`annotator.permissions`, so another project's
document is a 404; each view declares the access it enforces.

In a project that requires assignments an annotator's document list is their
queue (their assignments only), and a document not assigned to them is a 403.
"Next" opens the next unfinished document of the queue.
"""

import json
import uuid
from typing import NamedTuple

import markdown
import nh3
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from .assignments import AssignmentError, assignment_skip, assignment_submit
from .forms import posted_int, posted_label
from .highlight import highlight_html, span_list_html
from .models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Document,
    Project,
    Span,
)
from .permissions import Access, declares, document_for, own_span_for, project_for
from .refusals import span_refused
from .spans import SpanError, span_create, span_delete, span_relabel

DOCUMENTS_PER_PAGE = 50
GUIDELINE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip


def render_guidelines(source: str) -> SafeString:
    """Markdown to HTML, then through a sanitiser: guidelines are user-supplied."""
    html = markdown.markdown(source, extensions=["tables", "sane_lists"])
    clean = nh3.clean(html, tags=GUIDELINE_TAGS, link_rel="noopener noreferrer")
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 on the line above


@declares(Access.AUTHENTICATED)
@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = Project.objects.visible_to(request.user)
    return render(request, "annotator/project_list.html", {"projects": projects})


def _queue(project: Project, user) -> QuerySet[Document]:
    """The documents this user annotates: their assignments, or all in an open project."""
    documents = project.documents.all()
    if project.assignment_required:
        documents = documents.filter(
            Exists(Assignment.objects.filter(document=OuterRef("pk"), annotator=user))
        )
    return documents


def _unfinished(documents: QuerySet[Document], user) -> QuerySet[Document]:
    # NOT IN over the user's own finished assignments (a small set, read through
    # the (annotator, document) index) rather than a correlated NOT EXISTS, which
    # PostgreSQL answered by scanning every assignment of a 100,000-document project.
    finished = (
        Assignment.objects.filter(annotator=user)
        .exclude(status__in=OPEN_STATUSES)
        .values("document_id")
    )
    return documents.exclude(id__in=finished)


def _keyset_page(
    documents: QuerySet[Document], *, after: str | None, before: str | None
) -> tuple[list[Document], int | None, int | None]:
    """One page of documents by id, with the ids to continue from on either side.

    Keyset rather than OFFSET pagination: a page deep in 100,000 documents costs
    the same as the first (bench/lists.py).
    """
    if before and before.isdigit():
        rows = list(documents.filter(id__lt=int(before)).order_by("-id")[: DOCUMENTS_PER_PAGE + 1])
        more_before = len(rows) > DOCUMENTS_PER_PAGE
        page = rows[:DOCUMENTS_PER_PAGE][::-1]
        more_after = True
    else:
        start = int(after) if after and after.isdigit() else 0
        rows = list(documents.filter(id__gt=start).order_by("id")[: DOCUMENTS_PER_PAGE + 1])
        more_after = len(rows) > DOCUMENTS_PER_PAGE
        page = rows[:DOCUMENTS_PER_PAGE]
        more_before = start > 0
    if not page:
        return page, None, None
    return (
        page,
        page[0].pk if more_before else None,
        page[-1].pk if more_after else None,
    )


@declares(Access.MEMBER)
@login_required
@require_GET
def document_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MEMBER)
    may_curate = project.may_curate(request.user)
    queue = project.documents.all() if may_curate else _queue(project, request.user)
    documents, previous_before, next_after = _keyset_page(
        queue.only("id", "project_id", "title", "source", "created", "gold_status"),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    mine = {
        assignment.document_id: assignment
        for assignment in Assignment.objects.filter(
            annotator=request.user, document_id__in=[document.pk for document in documents]
        ).only("document_id", "status", "span_count")
    }
    for document in documents:
        assignment = mine.get(document.pk)
        document.my_status = assignment.status if assignment else None
        document.my_span_count = assignment.span_count if assignment else 0
    if may_curate or not project.assignment_required:
        total = project.document_count
    else:
        total = Assignment.objects.filter(annotator=request.user, document__project=project).count()
    next_document = _unfinished(_queue(project, request.user), request.user).order_by("id").first()
    return render(
        request,
        "annotator/document_list.html",
        {
            "project": project,
            "documents": documents,
            "total": total,
            "previous_before": previous_before,
            "next_after": next_after,
            "statuses": AssignmentStatus,
            "may_curate": may_curate,
            "next_document": next_document,
        },
    )


@declares(Access.MEMBER)
@login_required
@require_GET
def guidelines(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MEMBER)
    template = "annotator/guidelines.html"
    if request.htmx:
        template += "#guidelines"
    return render(
        request,
        template,
        {
            "project": project,
            "labels": project.labels.all(),
            "guidelines_html": render_guidelines(project.guidelines),
        },
    )


class SpanRow(NamedTuple):
    """What the annotate page needs of a span; tuples, not models, for speed at 1,000s."""

    pk: int
    start: int
    end: int
    label_id: int


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
        request, "annotator/annotate.html#workspace", _workspace_context(request, document)
    )
    for name, value in headers.items():
        response[name] = value
    return response


def _require_assignment(request: HttpRequest, document: Document) -> None:
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
    _require_assignment(request, document)
    if request.htmx:
        return _render_workspace(request, document)
    project = document.project
    queue = _queue(project, request.user).order_by("id").values_list("id", flat=True)
    context = _workspace_context(request, document)
    context.update(
        {
            "project": project,
            "labels": list(project.labels.all()),
            "previous_id": queue.filter(id__lt=document.pk).order_by("-id").first(),
            "next_id": _unfinished(queue, request.user).filter(id__gt=document.pk).first(),
        }
    )
    return render(request, "annotator/annotate.html", context)


def _after_write(request: HttpRequest, document: Document, event: dict) -> HttpResponse:
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
    event = {"spanRelabeled": {"id": span.pk, "label": label.pk, "previous": previous_label}}
    return _after_write(request, document, event)


@declares(Access.MEMBER)
@login_required
@require_POST
def document_status_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    """The annotator submits their assignment, or skips it with a reason."""
    document = document_for(request.user, slug, document_id, Access.MEMBER)
    _require_assignment(request, document)
    status = request.POST.get("status")
    try:
        if status == AssignmentStatus.SUBMITTED:
            assignment_submit(document=document, annotator=request.user)
        elif status == AssignmentStatus.SKIPPED:
            assignment_skip(
                document=document, annotator=request.user, reason=request.POST.get("reason", "")
            )
        else:
            raise AssignmentError(f"An annotator cannot set the status {status!r}.")
    except AssignmentError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    return _after_write(request, document, {"statusChanged": {"status": status}})

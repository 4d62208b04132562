"""The project list, a project's document list (an annotator's queue) and its guidelines.

In a project that requires assignments an annotator's document list is their
queue (their assignments only); "Next" opens the next unfinished document of it
(:func:`annotator.annotation.assignments.queue_of`).
"""

import markdown
import nh3
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from ..annotation.assignments import queue_of, unfinished_of
from ..models import Assignment, AssignmentStatus, Document, Project, Role
from ..permissions import Access, declares, may_create_projects, project_for

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
    if request.user.is_superuser:
        projects = projects.annotate(my_role=Value(Role.MANAGER))
    else:
        # After visible_to's filter on the user's memberships, this reads the same join.
        projects = projects.annotate(my_role=F("memberships__role"))
    projects = list(projects)
    for project in projects:
        project.is_managed = project.my_role == Role.MANAGER
    context = {"projects": projects, "may_create": may_create_projects(request.user)}
    return render(request, "annotator/projects/project_list.html", context)


def keyset_page(
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
    role = project.role_of(request.user)
    may_curate = role in (Role.MANAGER, Role.CURATOR)
    queue = project.documents.all() if may_curate else queue_of(project, request.user)
    documents, previous_before, next_after = keyset_page(
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
    next_document = (
        unfinished_of(queue_of(project, request.user), request.user).order_by("id").first()
    )
    return render(
        request,
        "annotator/projects/document_list.html",
        {
            "project": project,
            "documents": documents,
            "total": total,
            "previous_before": previous_before,
            "next_after": next_after,
            "statuses": AssignmentStatus,
            "may_curate": may_curate,
            "is_manager": role == Role.MANAGER,
            "next_document": next_document,
        },
    )


@declares(Access.MEMBER)
@login_required
@require_GET
def guidelines(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MEMBER)
    template = "annotator/projects/guidelines.html"
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

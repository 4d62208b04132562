"""Curation pages: assignments and distribution (manager) and the dashboard (curator or manager).

Objects come through the helpers of :mod:`annotator.permissions`, so an outsider
gets a 404 and a member whose role does not allow the page a 403; each view
declares the access it enforces. Writes are POSTs that call the services in
:mod:`annotator.annotation.assignments` (distributing is undone, not confirmed:
the page offers *Undo* while no annotator has started); the dashboard reads what
:mod:`annotator.curation.dashboard` gathers from stored rows.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..annotation.assignments import (
    AssignmentError,
    assignments_distribute,
    distribution_undo,
    project_pool_update,
    undoable_distribution,
)
from ..curation.dashboard import dashboard_context
from ..models import Assignment, AssignmentStatus, Membership, Role
from ..permissions import Access, declares, project_for
from .forms import posted_int


@declares(Access.MANAGER)
@login_required
@require_http_methods(["GET", "POST"])
def assignments(request: HttpRequest, slug: str) -> HttpResponse:
    """The pool and the annotators per document; POST saves them."""
    project = project_for(request.user, slug, Access.MANAGER)
    members = list(
        Membership.objects.filter(project=project, role=Role.ANNOTATOR)
        .select_related("user")
        .order_by("user__username")
    )
    if request.method == "POST":
        per_document = posted_int(request, "annotators_per_document")
        pool = {_form_int_value(value) for value in request.POST.getlist("pool")}
        try:
            if not isinstance(per_document, int):
                raise AssignmentError("Annotators per document must be a whole number.")
            project_pool_update(
                project=project,
                annotators_per_document=per_document,
                pool={member.user_id for member in members if member.user_id in pool},
            )
        except AssignmentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Saved.")
        return redirect("assignments", project.slug)
    loads = {}
    for annotator_id, status in Assignment.objects.filter(document__project=project).values_list(
        "annotator_id", "status"
    ):
        loads.setdefault(annotator_id, dict.fromkeys(AssignmentStatus.values, 0))[status] += 1
    for member in members:
        member.load = loads.get(member.user_id, dict.fromkeys(AssignmentStatus.values, 0))
    return render(
        request,
        "annotator/curation/assignments.html",
        {
            "project": project,
            "members": members,
            "statuses": AssignmentStatus,
            "undoable": undoable_distribution(project),
        },
    )


def _form_int_value(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


@declares(Access.MANAGER)
@login_required
@require_POST
def assignments_distribute_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    try:
        created = assignments_distribute(project=project, by=request.user)
    except AssignmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Created {created} assignment{pluralize(created)}."
            + (" You can undo this below until an annotator starts." if created else ""),
        )
    return redirect("assignments", project.slug)


@declares(Access.MANAGER)
@login_required
@require_POST
def assignments_distribute_undo_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Take back one distribution (its id posted as ``distribution``), if nobody has started."""
    project = project_for(request.user, slug, Access.MANAGER)
    try:
        removed = distribution_undo(
            project=project, distribution_id=posted_int(request, "distribution")
        )
    except AssignmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Distribution undone: removed {removed} assignments.")
    return redirect("assignments", project.slug)


@declares(Access.CURATOR)
@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.CURATOR)
    context = dashboard_context(project)
    context["is_manager"] = project.role_of(request.user) == Role.MANAGER
    return render(request, "annotator/curation/dashboard.html", context)

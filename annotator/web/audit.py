"""The audit log page: every change of a project's spans, gold spans, relations and
attribute values (annotators' and gold), and of its actor aliases, for its managers.

Newest first, in pages by keyset (``before`` = the last id shown), so a page deep
in a long log costs the same as the first; filtered by document and by user.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..audit import AuditState
from ..models import AuditEvent, Document, Label, Membership
from ..permissions import Access, declares, project_for

EVENTS_PER_PAGE = 50


def _id_parameter(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _describe(state: AuditState | None, label_names: dict[int, str]) -> str:
    if state is None:
        return ""
    if "alias" in state:
        return f"actor “{state['alias']}” counts as “{state['entity']}”"
    if "type" in state:
        # Only a gold relation has a status; its ends are gold spans.
        if "status" in state:
            return (
                f"{state.get('type_name')} relation: gold span {state['source']} → gold span "
                f"{state['target']} ({state['status']})"
            )
        return f"{state.get('type_name')} relation: span {state['source']} → span {state['target']}"
    if "attribute" in state:
        owner = (
            f"gold span {state['gold_span']}" if "gold_span" in state else f"span {state['span']}"
        )
        return f"{owner}: {state.get('attribute_name')} = {state['value']}"
    label = label_names.get(state.get("label"), f"label {state.get('label')}")
    status = f" ({state['status']})" if "status" in state else ""
    return f"{label} [{state.get('start')}, {state.get('end')}){status}"


@declares(Access.MANAGER)
@login_required
@require_GET
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    document_id = _id_parameter(request, "document")
    actor_id = _id_parameter(request, "user")
    before = _id_parameter(request, "before")
    events = AuditEvent.objects.filter(project_id=project.pk)
    if document_id is not None:
        events = events.filter(document_id=document_id)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if before is not None:
        events = events.filter(id__lt=before)
    # Ids follow insertion, as ``at`` does, and make an exact cursor.
    rows = list(events.order_by("-id")[: EVENTS_PER_PAGE + 1])
    page = rows[:EVENTS_PER_PAGE]
    label_names = dict(Label.objects.filter(project=project).values_list("id", "name"))
    titles = dict(
        Document.objects.filter(
            project=project, pk__in={event.document_id for event in page}
        ).values_list("id", "title")
    )
    for event in page:
        event.document_title = titles.get(event.document_id, "")
        event.subject_text = event.subject.replace("_", " ")
        event.before_text = _describe(event.before, label_names)
        event.after_text = _describe(event.after, label_names)
    filters = {
        name: value
        for name, value in (("document", document_id), ("user", actor_id))
        if value is not None
    }
    older = (
        "?" + urlencode({**filters, "before": page[-1].pk}) if len(rows) > EVENTS_PER_PAGE else ""
    )
    members = Membership.objects.filter(project=project).select_related("user")
    return render(
        request,
        "annotator/audit/audit.html",
        {
            "project": project,
            "events": page,
            "members": sorted(members, key=lambda member: member.user.username),
            "document_id": document_id,
            "actor_id": actor_id,
            "filtered": bool(filters),
            "newest_url": "?" + urlencode(filters) if before is not None else "",
            "older_url": older,
        },
    )

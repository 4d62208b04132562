"""Relations and attribute values on the annotate page.

The annotate page's script (annotate.js) gets the annotator's relations, attribute
values, the project's relation types and label attributes in the page data
(:func:`annotator.web.relation_data.relation_page_data`), and sends each write here with
``Accept: application/json``. Each view is a thin call of
:mod:`annotator.annotation.relations`, whose refusals come back as
``{"error": message}`` with a 400 and change nothing. Annotation is blind: only the
annotator's own spans and relations are reachable (anyone else's is a 404, as for
span writes), in a project that requires assignments only on a document assigned to
them (a 403), and the services refuse writes on a submitted document.

Retries: a create carries the page's ``client_id`` and a repeat returns the first
relation; deleting a relation already gone is a 404 the page takes as done; setting a
value it already holds, or clearing one not set, is no change.
"""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from ..annotation.relations import (
    relation_create,
    relation_delete,
    span_attribute_clear,
    span_attribute_set,
)
from ..annotation.spans import SpanError
from ..models import Document, LabelAttribute, Relation, RelationType, Span
from ..permissions import Access, declares, document_for, own_span_for
from .annotate import json_refused, require_assignment
from .forms import posted_int


def _relation_data(relation: Relation) -> dict:
    return {
        "id": relation.pk,
        "type": relation.type_id,
        "source": relation.source_id,
        "target": relation.target_id,
    }


def _own_span_on(document: Document, request: HttpRequest, field: str) -> Span | None:
    span_id = posted_int(request, field)
    if not isinstance(span_id, int):
        return None
    span = (
        Span.objects.filter(document=document, annotator=request.user, pk=span_id)
        .select_related("label")
        .first()
    )
    if span is not None:
        span.document = document
    return span


@declares(Access.MEMBER)
@login_required
@require_POST
def relation_create_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.MEMBER)
    require_assignment(request, document)
    type_id = posted_int(request, "type")
    relation_type = (
        RelationType.objects.filter(project=document.project, pk=type_id).first()
        if isinstance(type_id, int)
        else None
    )
    if relation_type is None:
        return json_refused("Choose a relation type of this project.")
    source = _own_span_on(document, request, "source")
    target = _own_span_on(document, request, "target")
    if source is None or target is None:
        return json_refused("A relation joins two of your own spans on this document.")
    try:
        client_id = uuid.UUID(request.POST["client_id"]) if request.POST.get("client_id") else None
    except ValueError:
        return json_refused("client_id must be a UUID.")
    try:
        relation, created = relation_create(
            relation_type=relation_type,
            source=source,
            target=target,
            annotator=request.user,
            client_id=client_id,
        )
    except SpanError as error:
        return json_refused(error.message)
    return JsonResponse({"relation": _relation_data(relation), "created": created})


@declares(Access.MEMBER)
@login_required
@require_POST
def relation_delete_view(request: HttpRequest, relation_id: int) -> HttpResponse:
    relation = get_object_or_404(
        Relation.objects.visible_to(request.user).select_related(
            "document__project", "annotator", "type"
        ),
        pk=relation_id,
    )
    require_assignment(request, relation.document)
    data = _relation_data(relation)
    try:
        relation_delete(relation=relation)
    except SpanError as error:
        return json_refused(error.message)
    return JsonResponse({"deleted": data})


@declares(Access.MEMBER)
@login_required
@require_POST
def span_attribute_view(request: HttpRequest, span_id: int, attribute_id: int) -> HttpResponse:
    """Set the span's value of the attribute to ``value``; an empty ``value`` clears it."""
    span = own_span_for(request.user, span_id)
    require_assignment(request, span.document)
    attribute = get_object_or_404(
        LabelAttribute, label__project_id=span.document.project_id, pk=attribute_id
    )
    value = request.POST.get("value", "")
    try:
        if value:
            span_attribute_set(span=span, attribute=attribute, value=value)
        else:
            span_attribute_clear(span=span, attribute=attribute)
    except SpanError as error:
        return json_refused(error.message)
    return JsonResponse({"span": span.pk, "attribute": attribute.pk, "value": value or None})

"""The adjudication page (curator or manager): every annotator's spans side by side, gold
spans proposed, accepted, edited and marked gold.

Objects come through the helpers of :mod:`annotator.permissions`; each view
declares the access it enforces. Writes are POSTs that call the services in
:mod:`annotator.curation.gold` (and reopening an assignment,
:mod:`annotator.annotation.assignments`). Gold relations and gold attribute values are listed
server-side with plain forms (add, accept, delete a relation; set or clear a value),
which the page script leaves alone but asks for again after its writes
(``?panel=relations``: that fragment alone). The page script (adjudicate.js) gets
the text, the annotators' spans, the regions where they differ and the gold
spans as JSON data and asks for JSON answers: the gold spans a write touched,
never the page. Without JavaScript the page shows marks, an alignment table and
plain forms inside ``<noscript>``; plain forms get a redirect, htmx requests the
adjudication workspace.
"""

import json
from html import escape
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from ..annotation.assignments import assignment_reopen
from ..annotation.highlight import highlight_html, label_marks
from ..annotation.spans import SpanError
from ..curation.adjudication import align
from ..curation.gold import (
    GoldError,
    gold_accept_all,
    gold_premerge_all,
    gold_span_accept,
    gold_span_adopt,
    gold_span_create,
    gold_span_delete,
    gold_span_relabel,
    gold_span_resize,
    gold_spans_revert,
    gold_status_set,
    submitted_annotators,
    submitted_spans,
    unsettled_regions,
)
from ..curation.gold_relations import (
    gold_attribute_clear,
    gold_attribute_set,
    gold_relation_accept,
    gold_relation_create,
    gold_relation_delete,
)
from ..models import (
    AssignmentStatus,
    Document,
    GoldOrigin,
    GoldSpan,
    GoldSpanAttribute,
    GoldSpanStatus,
    GoldStatus,
    Label,
    LabelAttribute,
    RelationType,
)
from ..permissions import (
    Access,
    assignment_for,
    declares,
    document_for,
    gold_relation_for,
    gold_span_for,
    project_span_for,
)
from .annotate import SpanRow, json_refused, wants_json
from .forms import posted_int, posted_label
from .refusals import span_refused

RESTORE_SALT = "annotator.gold-span-restore"
RESTORE_MAX_AGE = 24 * 60 * 60


@declares(Access.CURATOR)
@login_required
@require_POST
def assignment_reopen_view(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    assignment = assignment_for(request.user, slug, assignment_id, Access.CURATOR)
    assignment_reopen(assignment=assignment)
    return _after_write(request, assignment.document, {"assignmentReopened": assignment.pk})


def _provenance(gold_span: GoldSpan, names: dict[int, str]) -> str:
    """Where a gold span came from and who decided it, in one line."""
    parts = [
        f"pre-merge: {gold_span.merge_rule}" if gold_span.origin == "merge" else "added by curator"
    ]
    sources = sorted(
        {
            names.get(source.annotator_id, str(source.annotator_id))
            for source in gold_span.source_spans.all()
        }
    )
    if sources:
        parts.append(f"from {', '.join(sources)}")
    if gold_span.curator_id:
        parts.append(f"decided by {gold_span.curator.username}")
    parts.append(f"guidelines v{gold_span.guidelines_version}")
    return "; ".join(parts)


def _gold_data(gold_span: GoldSpan, names: dict[int, str]) -> dict:
    return {
        "id": gold_span.pk,
        "label": gold_span.label_id,
        "start": gold_span.start,
        "end": gold_span.end,
        "status": gold_span.status,
        "provenance": _provenance(gold_span, names),
    }


def _annotator_names(document: Document) -> dict[int, str]:
    return dict(document.assignments.values_list("annotator_id", "annotator__username"))


def _all_gold(document: Document) -> list[GoldSpan]:
    return list(
        document.gold_spans.select_related("curator")
        .prefetch_related("source_spans")
        .order_by("start", "-end", "label_id", "id")
    )


def _gold_answer(document: Document, touched: list[GoldSpan], **extra: object) -> JsonResponse:
    """The gold spans a write created or changed, and the document's gold status."""
    names = _annotator_names(document)
    document.refresh_from_db(fields=["gold_status"])
    return JsonResponse(
        {
            "gold": [_gold_data(gold_span, names) for gold_span in touched],
            "goldStatus": document.gold_status,
            **extra,
        }
    )


def _truncated(text: str, length: int) -> str:
    """Django's ``truncatechars``: at most ``length`` characters, the last one an ellipsis."""
    return text if len(text) <= length else text[: length - 1] + "…"


def _alignment_rows_html(
    rows: list, annotator_count: int, *, adopt_url: str | None, csrf_token: str
) -> SafeString:
    """The no-JavaScript alignment table's rows, built in one pass like the span list
    (a template loop with a form and a CSRF token per span took seconds at 3,000 spans).

    ``adopt_url`` has ``0`` where the span id goes; None when the document is gold."""
    if not rows:
        return mark_safe(  # noqa: S308 - constant markup
            f'<tr><td colspan="{annotator_count + 2}" class="muted">'
            "No spans from submitted annotators yet.</td></tr>"
        )
    token = escape(csrf_token)
    head, tail = adopt_url.split("/0/", 1) if adopt_url else ("", "")
    parts = []
    for row in rows:
        region = row["region"]
        differs = region.differs
        parts.append(
            f'<tr class="{"differs" if differs else "agrees"}" data-start="{region.start}" '
            f'data-end="{region.end}"><td><span class="marker">{"≠" if differs else "="}</span> '
            f"<q>{escape(_truncated(row['quote'], 80))}</q></td>"
        )
        for cell in row["cells"]:
            parts.append("<td>")
            for item in cell:
                label = item["label"]
                parts.append(
                    f'<div class="source-span{" disputed" if item["disputed"] else ""}">'
                    f'<span class="span-label label-{label.pk}">{escape(label.name)}</span> '
                    f"<q>{escape(_truncated(item['quote'], 60))}</q>"
                )
                if adopt_url:
                    action = escape(f"{head}/{item['span'].id}/{tail}")
                    parts.append(
                        f' <form method="post" action="{action}" class="inline">'
                        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
                        '<button type="submit" class="link adopt" '
                        'title="Take this span into the gold version">use</button></form>'
                    )
                parts.append("</div>")
            if not cell:
                parts.append('<span class="muted">—</span>')
            parts.append("</td>")
        parts.append("<td>")
        for gold_span in row["gold"]:
            proposed = (
                ' <span class="muted">proposed</span>'
                if gold_span.status == GoldSpanStatus.PROPOSED
                else ""
            )
            parts.append(
                f'<div><span class="span-label label-{gold_span.label_id}">'
                f"{escape(gold_span.label_name)}</span>{proposed}</div>"
            )
        if not row["gold"]:
            parts.append('<span class="muted">—</span>')
        parts.append("</td></tr>")
    return mark_safe("".join(parts))  # noqa: S308 - every name and quote is escaped above


def _adjudication_context(document: Document, request: HttpRequest) -> dict:
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
    unsettled = unsettled_regions(regions)
    open_names = [
        assignment.annotator.username for assignment in all_assignments if assignment.is_open
    ]
    text = document.text
    _describe_gold(text, gold, labels, names)
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
                    # Tuples, not model instances: 3,000 Span() cost half a second.
                    SpanRow(span.id, span.start, span.end, span.label)
                    for span in spans
                    if span.annotator == annotator_id
                ],
            ),
        }
        for annotator_id in annotators
    ]
    relations, attributes = _gold_relations_context(document, gold, names)
    return {
        "gold_relations": relations,
        "gold_attributes": attributes,
        "relation_types": list(document.project.relation_types.order_by("name")),
        "page_data": {
            "text": text,
            "annotators": [
                [annotator_id, names.get(annotator_id, "")] for annotator_id in annotators
            ],
            "sources": [list(span) for span in spans],
            "disputed": sorted(disputed),
            "regions": [
                [region.start, region.end, region.differs] for region in align(spans, annotators)[0]
            ],
            "gold": [_gold_data(gold_span, names) for gold_span in gold],
            "goldStatus": document.gold_status,
            "open": open_names,
        },
        "unsettled": unsettled,
        "open_names": open_names,
        "document": document,
        "project": document.project,
        "label_marks": label_marks(list(labels.values())),
        "labels": list(labels.values()),
        "assignments": all_assignments,
        "annotator_names": [names.get(annotator_id, "") for annotator_id in annotators],
        "annotator_count": len(annotators),
        "gold": gold,
        "proposed_count": sum(1 for span in gold if span.status == GoldSpanStatus.PROPOSED),
        "gold_html": _gold_html(text, gold),
        "alignment_rows_html": _alignment_rows_html(
            rows,
            len(annotators),
            adopt_url=None
            if document.gold_status == GoldStatus.GOLD
            else reverse("gold-span-adopt", args=[document.project.slug, 0]),
            csrf_token=get_token(request),
        ),
        "disagreements": sum(1 for row in rows if row["region"].differs),
        "lanes": lanes,
        "gold_statuses": GoldStatus,
        "assignment_statuses": AssignmentStatus,
        "span_statuses": GoldSpanStatus,
    }


def _describe_gold(
    text: str, gold: list[GoldSpan], labels: dict[int, Label], names: dict[int, str]
) -> None:
    """Give each gold span its quote, label name and source annotators, for the templates."""
    for gold_span in gold:
        gold_span.quote = text[gold_span.start : gold_span.end]
        gold_span.label_name = labels[gold_span.label_id].name
        gold_span.source_names = sorted(
            {
                names.get(source.annotator_id, str(source.annotator_id))
                for source in gold_span.source_spans.all()
            }
        )


def _relations_panel_context(document: Document) -> dict:
    """What the gold relations panel needs, and no more: the page script asks for it
    again after its writes."""
    labels = {label.pk: label for label in Label.objects.filter(project=document.project_id)}
    names = _annotator_names(document)
    gold = _all_gold(document)
    _describe_gold(document.text, gold, labels, names)
    relations, attributes = _gold_relations_context(document, gold, names)
    return {
        "gold_relations": relations,
        "gold_attributes": attributes,
        "relation_types": list(document.project.relation_types.order_by("name")),
        "gold": gold,
        "document": document,
        "project": document.project,
        "gold_statuses": GoldStatus,
        "span_statuses": GoldSpanStatus,
    }


def _gold_relations_context(
    document: Document, gold: list[GoldSpan], names: dict[int, str]
) -> tuple[list, list]:
    """The gold relations with their ends' quotes and provenance, and per gold span whose
    label has attributes, each attribute with the value it holds: what the relations
    panel lists (plain forms, no script needed). Three queries."""
    by_id = {gold_span.pk: gold_span for gold_span in gold}
    relations = list(
        document.gold_relations.select_related("type", "curator")
        .prefetch_related("source_relations")
        .order_by("source__start", "target__start", "type__name", "pk")
    )
    for relation in relations:
        relation.source_span = by_id[relation.source_id]
        relation.target_span = by_id[relation.target_id]
        relation.source_names = sorted(
            {names.get(source.annotator_id, str(source.annotator_id))
             for source in relation.source_relations.all()}
        )  # fmt: skip
    attributes_of: dict[int, list[LabelAttribute]] = {}
    for attribute in LabelAttribute.objects.filter(label__project=document.project_id).order_by(
        "name", "pk"
    ):
        attributes_of.setdefault(attribute.label_id, []).append(attribute)
    values = {
        (row.gold_span_id, row.attribute_id): row
        for row in GoldSpanAttribute.objects.filter(gold_span__document=document)
    }
    rows = [
        {
            "gold_span": gold_span,
            "attributes": [
                {"attribute": attribute, "value": values.get((gold_span.pk, attribute.pk))}
                for attribute in attributes_of[gold_span.label_id]
            ],
        }
        for gold_span in gold
        if gold_span.label_id in attributes_of
    ]
    return relations, rows


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
    context = _adjudication_context(document, request)
    # After a plain-form pre-merge the K field keeps the value the curator chose.
    minimum = request.GET.get("minimum", "")
    context["minimum"] = (
        int(minimum)
        if minimum.isdigit() and 1 <= int(minimum) <= context["annotator_count"]
        else context["annotator_count"]
    )
    response = render(request, template, context)
    for name, value in headers.items():
        response[name] = value
    return response


def _after_write(
    request: HttpRequest, document: Document, event: dict, query: dict | None = None
) -> HttpResponse:
    if wants_json(request):
        document.refresh_from_db(fields=["gold_status"])
        return JsonResponse({**event, "goldStatus": document.gold_status})
    if request.htmx:
        # The services changed the gold status on their own locked copy.
        document.refresh_from_db(fields=["gold_status"])
        return _render_adjudication(request, document, **{"HX-Trigger": json.dumps(event)})
    url = reverse("adjudicate", args=[document.project.slug, document.pk])
    return redirect(f"{url}?{urlencode(query)}" if query else url)


def _refused(request: HttpRequest, document: Document, message: str) -> HttpResponse:
    if wants_json(request):
        return json_refused(message)
    back_url = reverse("adjudicate", args=[document.project.slug, document.pk])
    return span_refused(request, document, message, back_url=back_url)


@declares(Access.CURATOR)
@login_required
@require_GET
def adjudicate(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    if request.GET.get("panel") == "relations":
        return render(
            request,
            "annotator/adjudicate/adjudicate.html#gold-relations",
            _relations_panel_context(document),
        )
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
        premerged = gold_premerge_all(document=document, minimum=minimum, curator=request.user)
    except GoldError as error:
        return _refused(request, document, error.message)
    created = premerged.spans
    if wants_json(request):
        # The undo removes exactly these, relations and values over older spans included.
        return _gold_answer(
            document, created, relations=premerged.relations, values=premerged.values
        )
    query = {"minimum": minimum} if isinstance(minimum, int) else None
    return _after_write(request, document, {"goldProposed": len(created)}, query)


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_accept_all_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    try:
        proposed = set(
            document.gold_spans.filter(status=GoldSpanStatus.PROPOSED).values_list("id", flat=True)
        )
        accepted = gold_accept_all(document=document, curator=request.user)
    except GoldError as error:
        return _refused(request, document, error.message)
    if wants_json(request):
        touched = [gold_span for gold_span in _all_gold(document) if gold_span.pk in proposed]
        return _gold_answer(document, touched)
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
    if wants_json(request):
        return _gold_answer(document, [gold_span], created=gold_span.origin == GoldOrigin.CURATOR)
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
    if wants_json(request):
        created = gold_span.origin == GoldOrigin.CURATOR
        return _gold_answer(span.document, [gold_span], created=created)
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
    if wants_json(request):
        return _gold_answer(gold_span.document, [gold_span])
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
        snapshot = gold_span_delete(gold_span=gold_span, curator=request.user)
    except GoldError as error:
        return _refused(request, gold_span.document, error.message)
    if wants_json(request):
        # Signed, so that the undo restores what this server deleted and nothing else.
        event["restore"] = signing.dumps(snapshot, salt=RESTORE_SALT, compress=True)
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
    if wants_json(request):
        return _gold_answer(document, [gold_span])
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
    if wants_json(request):
        return _gold_answer(document, [gold_span])
    return _after_write(request, document, {"goldResized": {"id": gold_span.pk}})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_status_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    status = request.POST.get("status", "")
    try:
        gold_status_set(
            document=document, status=status, confirm=request.POST.get("confirm") == "1"
        )
    except GoldError as error:
        return _refused(request, document, error.message)
    if wants_json(request):
        return _gold_answer(document, [])
    return _after_write(request, document, {"goldStatusChanged": {"status": status}})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_revert_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    """The page's undo of an accept, accept-all, pre-merge, adopt or reject: gold span ids
    in ``propose`` and ``delete``, gold relation ids in ``delete_relation``, gold attribute
    value ids in ``delete_value``, and in ``restore`` the signed snapshots that rejects
    answered with."""
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    try:
        propose, delete, delete_relations, delete_values = (
            [int(value) for value in request.POST.getlist(name)]
            for name in ("propose", "delete", "delete_relation", "delete_value")
        )
    except ValueError:
        return _refused(request, document, "Gold span ids must be whole numbers.")
    try:
        restore = [
            signing.loads(value, salt=RESTORE_SALT, max_age=RESTORE_MAX_AGE)
            for value in request.POST.getlist("restore")
        ]
    except signing.BadSignature:
        return _refused(request, document, "This undo is too old or was altered: reload the page.")
    try:
        restored = gold_spans_revert(
            document=document,
            propose=propose,
            delete=delete,
            delete_relations=delete_relations,
            delete_values=delete_values,
            restore=restore,
            curator=request.user,
        )
    except GoldError as error:
        return _refused(request, document, error.message)
    if wants_json(request):
        back = set(propose) | {gold_span.pk for gold_span in restored}
        touched = [gold_span for gold_span in _all_gold(document) if gold_span.pk in back]
        return _gold_answer(document, touched, deleted=delete)
    return _after_write(request, document, {"goldReverted": {"propose": propose, "delete": delete}})


def _posted_gold_span(request: HttpRequest, document: Document, name: str) -> GoldSpan | None:
    gold_id = posted_int(request, name)
    if not isinstance(gold_id, int):
        return None
    return document.gold_spans.select_related("label", "document").filter(pk=gold_id).first()


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_relation_create_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    document = document_for(request.user, slug, document_id, Access.CURATOR)
    type_id = posted_int(request, "type")
    relation_type = (
        RelationType.objects.filter(project=document.project, pk=type_id).first()
        if isinstance(type_id, int)
        else None
    )
    if relation_type is None:
        return _refused(request, document, "Choose a relation type of this project.")
    source = _posted_gold_span(request, document, "source")
    target = _posted_gold_span(request, document, "target")
    if source is None or target is None:
        return _refused(request, document, "Choose two gold spans of this document.")
    try:
        relation = gold_relation_create(
            relation_type=relation_type, source=source, target=target, curator=request.user
        )
    except GoldError as error:
        return _refused(request, document, error.message)
    return _after_write(request, document, {"goldRelationCreated": {"id": relation.pk}})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_relation_accept_view(
    request: HttpRequest, slug: str, gold_relation_id: int
) -> HttpResponse:
    relation = gold_relation_for(request.user, slug, gold_relation_id, Access.CURATOR)
    try:
        gold_relation_accept(gold_relation=relation, curator=request.user)
    except GoldError as error:
        return _refused(request, relation.document, error.message)
    return _after_write(request, relation.document, {"goldRelationAccepted": relation.pk})


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_relation_delete_view(
    request: HttpRequest, slug: str, gold_relation_id: int
) -> HttpResponse:
    relation = gold_relation_for(request.user, slug, gold_relation_id, Access.CURATOR)
    event = {"goldRelationDeleted": relation.pk}
    try:
        gold_relation_delete(gold_relation=relation, curator=request.user)
    except GoldError as error:
        return _refused(request, relation.document, error.message)
    return _after_write(request, relation.document, event)


@declares(Access.CURATOR)
@login_required
@require_POST
def gold_attribute_view(
    request: HttpRequest, slug: str, gold_id: int, attribute_id: int
) -> HttpResponse:
    """Set the gold span's value of the attribute; an empty ``value`` clears it."""
    gold_span = gold_span_for(request.user, slug, gold_id, Access.CURATOR)
    document = gold_span.document
    attribute = LabelAttribute.objects.filter(
        label__project=document.project_id, pk=attribute_id
    ).first()
    if attribute is None:
        return _refused(request, document, "Choose an attribute of this project's labels.")
    value = request.POST.get("value", "")
    try:
        if value:
            gold_attribute_set(
                gold_span=gold_span, attribute=attribute, value=value, curator=request.user
            )
        else:
            gold_attribute_clear(gold_span=gold_span, attribute=attribute, curator=request.user)
    except GoldError as error:
        return _refused(request, document, error.message)
    return _after_write(request, document, {"goldAttributeSet": {"id": gold_span.pk}})

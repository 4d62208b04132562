"""Suggestions on the annotate page, and asking for a trained model (curators).

The annotate page's script (annotate.js) loads the annotator's pending
suggestions and sends each decision here with ``Accept: application/json``;
each view is a thin call of :mod:`annotator.annotation.suggestions`, whose
refusals come back as ``{"error": message}`` with a 400 and change nothing.
Only what is offered to the annotator is reachable (another annotator's
string-match suggestion is a 404, like their spans), and in a project that
requires assignments only on a document assigned to them (a 403), as for span
writes.

Every view answers a repeated request the way the first one left things, so the
page may retry a write whose answer it lost: an acceptance carries the page's
``client_id``; an undo of what is pending already, and accept-all, answer with
the state.

The training itself runs in the train worker (:mod:`annotator.annotation.training`);
the model view only queues it and returns to the dashboard, which lists the models
with their status and validation figures.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..annotation.suggestions import (
    SuggestionError,
    pending_suggestions,
    string_match_refresh,
    suggestion_accept,
    suggestion_reject,
    suggestion_undo,
    suggestions_accept_all,
)
from ..annotation.training import TrainingError, request_training
from ..models import Span, Suggestion, SuggestionDecision, SuggestionStatus
from ..permissions import Access, declares, document_for, own_suggestion_for, project_for
from .annotate import json_refused, require_assignment
from .forms import posted_int, posted_label


def _span_data(span: Span) -> dict:
    return {"id": span.pk, "label": span.label_id, "start": span.start, "end": span.end}


def _suggestion_data(suggestion: Suggestion) -> dict:
    return {
        "id": suggestion.pk,
        "label": suggestion.label_id,
        "start": suggestion.start,
        "end": suggestion.end,
        "source": suggestion.source,
    }


def _offered(request: HttpRequest, suggestion_id: int) -> Suggestion:
    suggestion = own_suggestion_for(request.user, suggestion_id)
    require_assignment(request, suggestion.document)
    return suggestion


@declares(Access.MEMBER)
@login_required
@require_POST
def suggestions_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    """The annotator's pending suggestions on the document, in text order.

    A POST, not a GET: string matches are computed and stored for the annotator on the
    way when a phrase has changed since the last time (:func:`string_match_refresh`), so
    that each can be decided by its id.
    """
    document = document_for(request.user, slug, document_id, Access.MEMBER)
    require_assignment(request, document)
    string_match_refresh(document=document, annotator=request.user)
    suggestions = pending_suggestions(document, request.user)
    return JsonResponse({"suggestions": [_suggestion_data(s) for s in suggestions]})


@declares(Access.MEMBER)
@login_required
@require_POST
def suggestion_accept_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = _offered(request, suggestion_id)
    label = None
    if request.POST.get("label"):
        label = posted_label(request, suggestion.document.project)
        if label is None:
            return json_refused("Choose a label of this project.")
    try:
        client_id = uuid.UUID(request.POST["client_id"]) if request.POST.get("client_id") else None
    except ValueError:
        return json_refused("client_id must be a UUID.")
    try:
        span = suggestion_accept(
            suggestion=suggestion, annotator=request.user, label=label, client_id=client_id
        )
    except SuggestionError as error:
        return json_refused(error.message)
    return JsonResponse({"suggestion": suggestion.pk, "span": _span_data(span)})


@declares(Access.MEMBER)
@login_required
@require_POST
def suggestion_reject_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = _offered(request, suggestion_id)
    try:
        suggestion_reject(suggestion=suggestion, annotator=request.user)
    except SuggestionError as error:
        return json_refused(error.message)
    return JsonResponse({"suggestion": suggestion.pk, "status": SuggestionStatus.REJECTED})


@declares(Access.MEMBER)
@login_required
@require_POST
def suggestion_undo_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """Take the annotator's decision back; one already taken back (a retry) is no error."""
    suggestion = _offered(request, suggestion_id)
    if SuggestionDecision.objects.filter(suggestion=suggestion, annotator=request.user).exists():
        try:
            suggestion_undo(suggestion=suggestion, annotator=request.user)
        except SuggestionError as error:
            return json_refused(error.message)
    return JsonResponse({"suggestion": suggestion.pk, "status": "pending"})


@declares(Access.MEMBER)
@login_required
@require_POST
def suggestions_accept_all_view(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    """Accept every pending suggestion of one label. The answer is every suggestion of that
    label the annotator has accepted on the document, with its span: a retry, which finds
    nothing left pending, answers the same."""
    document = document_for(request.user, slug, document_id, Access.MEMBER)
    require_assignment(request, document)
    label = posted_label(request, document.project)
    if label is None:
        return json_refused("Choose a label of this project.")
    try:
        suggestions_accept_all(document=document, annotator=request.user, label=label)
    except SuggestionError as error:
        return json_refused(error.message)
    decisions = SuggestionDecision.objects.filter(
        annotator=request.user,
        status=SuggestionStatus.ACCEPTED,
        suggestion__document=document,
        suggestion__label=label,
        span__isnull=False,
    ).select_related("span")
    accepted = [{"suggestion": d.suggestion_id, "span": _span_data(d.span)} for d in decisions]
    return JsonResponse({"accepted": accepted})


@declares(Access.CURATOR)
@login_required
@require_POST
def model_train_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.CURATOR)
    epochs = posted_int(request, "epochs")
    try:
        if not isinstance(epochs, int):
            raise TrainingError("Epochs must be a whole number.")
        model = request_training(
            project=project,
            requested_by=request.user,
            name=request.POST.get("name") or "spancat",
            epochs=epochs,
        )
    except TrainingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{model.source} is queued: the train worker trains it in the background."
        )
    return redirect("dashboard", project.slug)

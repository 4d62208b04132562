"""The answer to a span or gold-span write that a service refused, for the pages' forms and htmx."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..models import Document


def span_refused(
    request: HttpRequest, document: Document, message: str, *, back_url: str | None = None
) -> HttpResponse:
    """A 400 with ``message``: plain text for htmx, which shows it in place; else a page
    linking back to ``back_url`` (by default the document's annotate page)."""
    if request.htmx:
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    context = {"document": document, "message": message, "back_url": back_url}
    return render(request, "annotator/span_error.html", context, status=400)

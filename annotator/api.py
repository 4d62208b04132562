"""The spans API used by the annotate page and by scripts (session auth with CSRF).

A user sees and changes only their own spans on documents of their projects;
anything else is a 404.
"""

from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from .models import Document, Label, Span
from .serializers import SpanCreateInput, SpanOutput, SpanRelabelInput
from .spans import SpanError, span_create, span_delete, span_relabel


def _label_of(document: Document, label_id: int) -> Label:
    label = Label.objects.filter(project_id=document.project_id, pk=label_id).first()
    if label is None:
        raise ValidationError({"label": ["No such label in this document's project."]})
    return label


def _refused(error: SpanError) -> ValidationError:
    return ValidationError({"detail": error.message, **error.detail})


class DocumentSpans(GenericAPIView):
    """List my spans on a document, or create one."""

    serializer_class = SpanOutput

    def get_document(self) -> Document:
        return get_object_or_404(
            Document.objects.visible_to(self.request.user).select_related("project"),
            pk=self.kwargs["document_id"],
        )

    def get(self, request: Request, document_id: int) -> Response:
        document = self.get_document()
        spans = (
            Span.objects.filter(document=document, annotator=request.user)
            .select_related("label", "document")
            .order_by("start", "-end", "label_id", "id")
        )
        page = self.paginate_queryset(spans)
        return self.get_paginated_response(SpanOutput(page, many=True).data)

    def post(self, request: Request, document_id: int) -> Response:
        document = self.get_document()
        incoming = SpanCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            span, created = span_create(
                document=document,
                annotator=request.user,
                label=_label_of(document, values["label"]),
                start=values["start"],
                end=values["end"],
                text=values.get("text"),
                client_id=values.get("client_id"),
            )
        except SpanError as error:
            raise _refused(error) from None
        return Response(
            SpanOutput(span).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class SpanDetail(GenericAPIView):
    """Read, relabel or delete one of my spans."""

    serializer_class = SpanOutput

    def get_object(self) -> Span:
        return get_object_or_404(
            Span.objects.visible_to(self.request.user).select_related("document", "label"),
            pk=self.kwargs["span_id"],
        )

    def get(self, request: Request, span_id: int) -> Response:
        return Response(SpanOutput(self.get_object()).data)

    def patch(self, request: Request, span_id: int) -> Response:
        span = self.get_object()
        incoming = SpanRelabelInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            label = _label_of(span.document, incoming.validated_data["label"])
            span_relabel(span=span, label=label)
        except SpanError as error:
            raise _refused(error) from None
        return Response(SpanOutput(span).data)

    def delete(self, request: Request, span_id: int) -> Response:
        try:
            span_delete(span=self.get_object())
        except SpanError as error:
            raise _refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

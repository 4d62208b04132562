"""Spans: a user sees and changes only their own spans, on documents of their projects.

Used by scripts (token) and by the browser (session, CSRF enforced). Another
user's span, or a document of another project, is a 404.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ..annotation.spans import SpanError, span_create, span_delete, span_relabel
from ..models import Document, Label, Span
from ..permissions import Access
from .base import ID_FIELD, AllowListFilter, BoundedPagination, Filter, document_for
from .serializers import (
    SPAN_ROW_COLUMNS,
    SpanCreateInput,
    SpanOutput,
    SpanRelabelInput,
    span_rows,
)


def label_of(document: Document, label_id: int) -> Label:
    label = Label.objects.filter(project_id=document.project_id, pk=label_id).first()
    if label is None:
        raise ValidationError({"label": ["No such label in this document's project."]})
    return label


def refused(error: SpanError) -> ValidationError:
    """A service refusal as a 400: its message under ``detail``, plus its details."""
    return ValidationError({"detail": error.message, **error.detail})


# A document's spans are read together (by an editor, an export script), so this list
# pages by the thousand: one request holds every span of nearly any document, and the
# largest page stays a few megabytes of JSON.
SPAN_PAGE_DEFAULT = 1000
SPAN_PAGE_MAX = 5000


class SpanPagination(BoundedPagination):
    """``limit`` default 1,000, at most 5,000 (larger values are clamped), and ``offset``."""

    default_limit = SPAN_PAGE_DEFAULT
    max_limit = SPAN_PAGE_MAX


class OneDocumentList:
    """A list of one document's spans (``document_id`` in the URL, fetched at
    ``document_access``): the text is read once, for every row's ``text``."""

    document_access = Access.MEMBER

    def document(self) -> Document:
        if not hasattr(self, "_document"):
            self._document = document_for(
                self.request, self.kwargs["document_id"], self.document_access
            )
        return self._document

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "document_text": self.document().text}


class DocumentSpans(OneDocumentList, ListAPIView):
    """List my spans on a document, or create one (a retried ``client_id`` returns the first).

    The list pages by 1,000 spans (``limit`` up to 5,000); each row's ``text`` is cut
    from the document text read once, not joined into every row, and the rows are
    read as tuples (:func:`annotator.api.serializers.span_rows`).
    """

    access = Access.MEMBER
    queryset = Span.objects.none()
    serializer_class = SpanOutput
    pagination_class = SpanPagination
    filter_backends = [AllowListFilter]
    filters = {
        "label": Filter(ID_FIELD, "label_id", "label id", OpenApiTypes.INT),
    }
    ordering_fields = ("start", "end", "created", "updated")

    def get_queryset(self):
        return (
            Span.objects.filter(document=self.document(), annotator=self.request.user)
            .select_related("label")
            .order_by("start", "-end", "label_id", "id")
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        spans = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(spans.values_list(*SPAN_ROW_COLUMNS))
        return self.get_paginated_response(span_rows(page, self.document().text))

    @extend_schema(
        request=SpanCreateInput,
        responses={201: SpanOutput, 200: SpanOutput},
        description="201 with a new span; 200 with the existing one when the client_id repeats.",
    )
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        incoming = SpanCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            span, created = span_create(
                document=document,
                annotator=request.user,
                label=label_of(document, values["label"]),
                start=values["start"],
                end=values["end"],
                text=values.get("text"),
                client_id=values.get("client_id"),
            )
        except SpanError as error:
            raise refused(error) from None
        return Response(
            SpanOutput(span).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class SpanDetail(GenericAPIView):
    """Read, relabel or delete one of my spans."""

    access = Access.AUTHENTICATED
    queryset = Span.objects.none()
    serializer_class = SpanOutput

    lookup_url_kwarg = "span_id"

    def get_queryset(self):
        return Span.objects.visible_to(self.request.user).select_related("document", "label")

    def get(self, request: Request, span_id: int) -> Response:
        return Response(SpanOutput(self.get_object()).data)

    @extend_schema(request=SpanRelabelInput, responses=SpanOutput)
    def patch(self, request: Request, span_id: int) -> Response:
        span = self.get_object()
        incoming = SpanRelabelInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            label = label_of(span.document, incoming.validated_data["label"])
            span_relabel(span=span, label=label)
        except SpanError as error:
            raise refused(error) from None
        return Response(SpanOutput(span).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, span_id: int) -> Response:
        try:
            span_delete(span=self.get_object())
        except SpanError as error:
            raise refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

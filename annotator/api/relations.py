"""Relations between spans and attribute values of spans, under the rules of spans.

A project's relation types and label attributes are readable by its members. A
relation or attribute value is read and written only by the annotator whose spans
it joins or describes (blind annotation, as in :mod:`annotator.api.spans`):
another user's relation or span is a 404, a span id that is not one of the
caller's spans on the document is a 400 that says only that. Writes go through
:mod:`annotator.annotation.relations`; a retried ``client_id`` returns the first
relation, and setting an attribute to the value it holds is no change.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..annotation.relations import (
    relation_create,
    relation_delete,
    span_attribute_clear,
    span_attribute_set,
)
from ..annotation.spans import SpanError
from ..models import Document, LabelAttribute, Relation, RelationType, Span, SpanAttribute
from ..permissions import Access, own_span_for, project_for
from .base import AllowListFilter, document_for
from .serializers import (
    LabelAttributeOutput,
    RelationCreateInput,
    RelationOutput,
    RelationTypeOutput,
    SpanAttributeInput,
    SpanAttributeOutput,
)
from .spans import SpanPagination, refused


class RelationTypeList(ListAPIView):
    """The project's relation types, with the labels each allows at its two ends."""

    access = Access.MEMBER
    queryset = RelationType.objects.none()
    serializer_class = RelationTypeOutput
    filter_backends = [AllowListFilter]

    def get_queryset(self):
        project = project_for(self.request.user, self.kwargs["slug"], Access.MEMBER)
        return (
            RelationType.objects.filter(project=project)
            .prefetch_related("source_labels", "target_labels")
            .order_by("key", "pk")
        )


class LabelAttributeList(ListAPIView):
    """The attributes of the project's labels, with their allowed values."""

    access = Access.MEMBER
    queryset = LabelAttribute.objects.none()
    serializer_class = LabelAttributeOutput
    filter_backends = [AllowListFilter]

    def get_queryset(self):
        project = project_for(self.request.user, self.kwargs["slug"], Access.MEMBER)
        return (
            LabelAttribute.objects.filter(label__project=project)
            .select_related("label")
            .order_by("label__hotkey", "name", "pk")
        )


def _own_span(document: Document, user, span_id: int, field: str) -> Span:
    span = (
        Span.objects.filter(document=document, annotator=user, pk=span_id)
        .select_related("label")
        .first()
    )
    if span is None:
        raise ValidationError({field: ["No such span of yours on this document."]})
    span.document = document
    return span


class DocumentRelations(ListAPIView):
    """List my relations on a document, or create one (a retried ``client_id`` returns
    the first)."""

    access = Access.MEMBER
    queryset = Relation.objects.none()
    serializer_class = RelationOutput
    pagination_class = SpanPagination
    filter_backends = [AllowListFilter]

    def get_queryset(self):
        document = document_for(self.request, self.kwargs["document_id"])
        return (
            Relation.objects.filter(document=document, annotator=self.request.user)
            .select_related("type")
            .order_by("pk")
        )

    @extend_schema(
        request=RelationCreateInput,
        responses={201: RelationOutput, 200: RelationOutput},
        description="201 with a new relation; 200 with the existing one when the client_id "
        "repeats.",
    )
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        incoming = RelationCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        relation_type = RelationType.objects.filter(
            project_id=document.project_id, pk=values["type"]
        ).first()
        if relation_type is None:
            raise ValidationError({"type": ["No such relation type in this document's project."]})
        source = _own_span(document, request.user, values["source"], "source")
        target = _own_span(document, request.user, values["target"], "target")
        try:
            relation, created = relation_create(
                relation_type=relation_type,
                source=source,
                target=target,
                annotator=request.user,
                client_id=values.get("client_id"),
            )
        except SpanError as error:
            raise refused(error) from None
        return Response(
            RelationOutput(relation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RelationDetail(GenericAPIView):
    """Read or delete one of my relations."""

    access = Access.AUTHENTICATED
    queryset = Relation.objects.none()
    serializer_class = RelationOutput
    lookup_url_kwarg = "relation_id"

    def get_queryset(self):
        return Relation.objects.visible_to(self.request.user).select_related(
            "type", "document", "annotator"
        )

    def get(self, request: Request, relation_id: int) -> Response:
        return Response(RelationOutput(self.get_object()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, relation_id: int) -> Response:
        try:
            relation_delete(relation=self.get_object())
        except SpanError as error:
            raise refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentSpanAttributes(ListAPIView):
    """List the attribute values of my spans on a document."""

    access = Access.MEMBER
    queryset = SpanAttribute.objects.none()
    serializer_class = SpanAttributeOutput
    pagination_class = SpanPagination
    filter_backends = [AllowListFilter]

    def get_queryset(self):
        document = document_for(self.request, self.kwargs["document_id"])
        return (
            SpanAttribute.objects.filter(span__document=document, span__annotator=self.request.user)
            .select_related("attribute")
            .order_by("span_id", "attribute_id")
        )


class SpanAttributeDetail(APIView):
    """Set (``PUT``, idempotent) or clear (``DELETE``) one attribute value of my span.

    A plain view, not a generic one: the value is found by two URL ids (span and
    attribute), which a generic view's single-lookup ``get_object`` cannot take.
    """

    access = Access.AUTHENTICATED

    def _span_and_attribute(self, span_id: int, attribute_id: int) -> tuple[Span, LabelAttribute]:
        span = own_span_for(self.request.user, span_id)
        attribute = get_object_or_404(
            LabelAttribute.objects.select_related("label"),
            label__project_id=span.document.project_id,
            pk=attribute_id,
        )
        return span, attribute

    @extend_schema(request=SpanAttributeInput, responses=SpanAttributeOutput)
    def put(self, request: Request, span_id: int, attribute_id: int) -> Response:
        span, attribute = self._span_and_attribute(span_id, attribute_id)
        incoming = SpanAttributeInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            row, _ = span_attribute_set(
                span=span, attribute=attribute, value=incoming.validated_data["value"]
            )
        except SpanError as error:
            raise refused(error) from None
        return Response(SpanAttributeOutput(row).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, span_id: int, attribute_id: int) -> Response:
        span, attribute = self._span_and_attribute(span_id, attribute_id)
        try:
            span_attribute_clear(span=span, attribute=attribute)
        except SpanError as error:
            raise refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

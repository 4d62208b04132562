"""Gold relations and gold span attribute values (curators and managers), through the
services of :mod:`annotator.curation.gold_relations`, as :mod:`annotator.api.curation`
serves gold spans: outside the user's projects a 404, below curator a 403, a refused
change a 400 with the service's message.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..curation.gold import GoldError
from ..curation.gold_relations import (
    gold_attribute_clear,
    gold_attribute_set,
    gold_relation_accept,
    gold_relation_create,
    gold_relation_delete,
)
from ..models import (
    Document,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    LabelAttribute,
    RelationType,
)
from ..permissions import Access, require_role
from .base import AllowListFilter, document_for
from .serializers import (
    GoldRelationCreateInput,
    GoldRelationOutput,
    GoldSpanAttributeOutput,
    SpanAttributeInput,
)
from .spans import SpanPagination, refused


def _gold_relations():
    return GoldRelation.objects.select_related(
        "document__project", "type", "source", "target", "curator"
    ).prefetch_related("source_relations")


def _gold_span_of(document: Document, gold_id: int, field: str) -> GoldSpan:
    gold_span = (
        GoldSpan.objects.filter(document=document, pk=gold_id).select_related("label").first()
    )
    if gold_span is None:
        raise ValidationError({field: ["No such gold span on this document."]})
    gold_span.document = document
    return gold_span


class DocumentGoldRelations(ListAPIView):
    """A document's gold relations (curators): list, or add an accepted one between two
    accepted gold spans (an identical proposal is accepted instead)."""

    access = Access.CURATOR
    queryset = GoldRelation.objects.none()
    serializer_class = GoldRelationOutput
    pagination_class = SpanPagination
    filter_backends = [AllowListFilter]

    def get_queryset(self):
        document = document_for(self.request, self.kwargs["document_id"], Access.CURATOR)
        return _gold_relations().filter(document=document).order_by("pk")

    @extend_schema(request=GoldRelationCreateInput, responses={201: GoldRelationOutput})
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id, Access.CURATOR)
        incoming = GoldRelationCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        relation_type = RelationType.objects.filter(
            project_id=document.project_id, pk=values["type"]
        ).first()
        if relation_type is None:
            raise ValidationError({"type": ["No such relation type in this document's project."]})
        source = _gold_span_of(document, values["source"], "source")
        target = _gold_span_of(document, values["target"], "target")
        try:
            relation = gold_relation_create(
                relation_type=relation_type, source=source, target=target, curator=request.user
            )
        except GoldError as error:
            raise refused(error) from None
        return Response(
            GoldRelationOutput(_gold_relations().get(pk=relation.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class GoldRelationView(GenericAPIView):
    access = Access.CURATOR
    queryset = GoldRelation.objects.none()
    serializer_class = GoldRelationOutput

    def gold_relation(self) -> GoldRelation:
        """A gold relation of the user's projects (else 404) where they curate (else 403)."""
        relation = get_object_or_404(
            _gold_relations().filter(document__in=Document.objects.visible_to(self.request.user)),
            pk=self.kwargs["gold_relation_id"],
        )
        require_role(relation.document.project, self.request.user, Access.CURATOR)
        return relation


class GoldRelationDetail(GoldRelationView):
    """Read or delete (reject) a gold relation."""

    def get(self, request: Request, gold_relation_id: int) -> Response:
        return Response(GoldRelationOutput(self.gold_relation()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, gold_relation_id: int) -> Response:
        try:
            gold_relation_delete(gold_relation=self.gold_relation(), curator=request.user)
        except GoldError as error:
            raise refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class GoldRelationAccept(GoldRelationView):
    """Accept a proposed gold relation; both its gold spans must be accepted."""

    @extend_schema(request=None, responses=GoldRelationOutput)
    def post(self, request: Request, gold_relation_id: int) -> Response:
        relation = self.gold_relation()
        try:
            gold_relation_accept(gold_relation=relation, curator=request.user)
        except GoldError as error:
            raise refused(error) from None
        return Response(GoldRelationOutput(_gold_relations().get(pk=relation.pk)).data)


class DocumentGoldAttributes(ListAPIView):
    """The attribute values of a document's gold spans (curators)."""

    access = Access.CURATOR
    queryset = GoldSpanAttribute.objects.none()
    serializer_class = GoldSpanAttributeOutput
    pagination_class = SpanPagination
    filter_backends = [AllowListFilter]

    def get_queryset(self):
        document = document_for(self.request, self.kwargs["document_id"], Access.CURATOR)
        return (
            GoldSpanAttribute.objects.filter(gold_span__document=document)
            .select_related("attribute", "curator")
            .prefetch_related("source_values")
            .order_by("gold_span_id", "attribute_id")
        )


class GoldAttributeDetail(APIView):
    """Set (``PUT``, idempotent) or clear (``DELETE``) one attribute value of a gold span.

    A plain view: the value is found by two URL ids (gold span and attribute).
    """

    access = Access.CURATOR

    def _gold_span_and_attribute(
        self, gold_id: int, attribute_id: int
    ) -> tuple[GoldSpan, LabelAttribute]:
        gold_span = get_object_or_404(
            GoldSpan.objects.select_related("document__project", "label").filter(
                document__in=Document.objects.visible_to(self.request.user)
            ),
            pk=gold_id,
        )
        require_role(gold_span.document.project, self.request.user, Access.CURATOR)
        attribute = get_object_or_404(
            LabelAttribute.objects.select_related("label"),
            label__project_id=gold_span.document.project_id,
            pk=attribute_id,
        )
        return gold_span, attribute

    @extend_schema(request=SpanAttributeInput, responses=GoldSpanAttributeOutput)
    def put(self, request: Request, gold_id: int, attribute_id: int) -> Response:
        gold_span, attribute = self._gold_span_and_attribute(gold_id, attribute_id)
        incoming = SpanAttributeInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            row, _ = gold_attribute_set(
                gold_span=gold_span,
                attribute=attribute,
                value=incoming.validated_data["value"],
                curator=request.user,
            )
        except GoldError as error:
            raise refused(error) from None
        return Response(GoldSpanAttributeOutput(row).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, gold_id: int, attribute_id: int) -> Response:
        gold_span, attribute = self._gold_span_and_attribute(gold_id, attribute_id)
        try:
            gold_attribute_clear(gold_span=gold_span, attribute=attribute, curator=request.user)
        except GoldError as error:
            raise refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

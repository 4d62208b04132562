"""An annotator's suggestions on a document: list (string matches computed on the way
once a phrase has changed, so a repeated GET writes nothing), accept, reject, undo, and
accept every pending one of a label; and the project's trained models (curators), which
a POST queues for the train worker.

Rules are those of :mod:`annotator.annotation.suggestions`: another annotator's
suggestion is a 404, like their spans; a decision under a submitted assignment is
a 400 that says why.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

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
from ..models import Assignment, Document, Suggestion, TrainedModel
from ..permissions import Access, own_suggestion_for, project_for
from .base import document_for
from .serializers import IdField, SpanOutput
from .spans import label_of, refused


class SuggestionOutput(serializers.ModelSerializer):
    label_name = serializers.CharField(source="label.name")
    text = serializers.SerializerMethodField()
    mine = serializers.SerializerMethodField(help_text="offered to you alone (string match)")

    class Meta:
        model = Suggestion
        fields = ["id", "document", "label", "label_name", "start", "end", "text", "source"]
        fields += ["score", "mine"]
        read_only_fields = fields

    def get_text(self, suggestion: Suggestion) -> str:
        return self.context["text"][suggestion.start : suggestion.end]

    def get_mine(self, suggestion: Suggestion) -> bool:
        return suggestion.annotator_id is not None


class SuggestionAcceptInput(serializers.Serializer):
    label = IdField(required=False, help_text="another label of the project to accept it as")


class LabelInput(serializers.Serializer):
    label = IdField(help_text="id of a label of the document's project")


def _annotatable(request: Request, document_id: int) -> Document:
    document = document_for(request, document_id)
    project = document.project
    if (
        project.assignment_required
        and not Assignment.objects.filter(document=document, annotator=request.user).exists()
    ):
        raise PermissionDenied("This document is not assigned to you.")
    return document


class DocumentSuggestions(ListAPIView):
    """My pending suggestions on a document, in text order; string matches are refreshed first
    when a phrase has changed since they were stored."""

    access = Access.MEMBER
    queryset = Suggestion.objects.none()
    serializer_class = SuggestionOutput
    pagination_class = None

    def list(self, request: Request, document_id: int) -> Response:
        document = _annotatable(request, document_id)
        string_match_refresh(document=document, annotator=request.user)
        suggestions = pending_suggestions(document, request.user)
        context = {"text": document.text}
        return Response(SuggestionOutput(suggestions, many=True, context=context).data)


class SuggestionsAcceptAll(GenericAPIView):
    """Accept every pending suggestion of one label on the document; returns the new spans."""

    access = Access.MEMBER
    queryset = Suggestion.objects.none()
    serializer_class = SpanOutput
    # The answer is a plain list: without this the schema announces a paginated one.
    pagination_class = None

    @extend_schema(request=LabelInput, responses={200: SpanOutput(many=True)})
    def post(self, request: Request, document_id: int) -> Response:
        document = _annotatable(request, document_id)
        incoming = LabelInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            spans = suggestions_accept_all(
                document=document,
                annotator=request.user,
                label=label_of(document, incoming.validated_data["label"]),
            )
        except SuggestionError as error:
            raise refused(error) from None
        return Response(SpanOutput(spans, many=True).data)


class SuggestionAccept(GenericAPIView):
    """Accept a suggestion offered to me: it becomes my span, with its source as origin."""

    access = Access.AUTHENTICATED
    queryset = Suggestion.objects.none()
    serializer_class = SpanOutput

    @extend_schema(request=SuggestionAcceptInput, responses={201: SpanOutput})
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = own_suggestion_for(request.user, suggestion_id)
        incoming = SuggestionAcceptInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        label = None
        if "label" in incoming.validated_data:
            label = label_of(suggestion.document, incoming.validated_data["label"])
        try:
            span = suggestion_accept(suggestion=suggestion, annotator=request.user, label=label)
        except SuggestionError as error:
            raise refused(error) from None
        return Response(SpanOutput(span).data, status=status.HTTP_201_CREATED)


class SuggestionReject(GenericAPIView):
    """Reject a suggestion offered to me; it is no longer pending for me."""

    access = Access.AUTHENTICATED
    queryset = Suggestion.objects.none()
    serializer_class = SuggestionOutput

    @extend_schema(request=None, responses=SuggestionOutput)
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = own_suggestion_for(request.user, suggestion_id)
        try:
            suggestion_reject(suggestion=suggestion, annotator=request.user)
        except SuggestionError as error:
            raise refused(error) from None
        context = {"text": suggestion.document.text}
        return Response(SuggestionOutput(suggestion, context=context).data)


class SuggestionUndo(GenericAPIView):
    """Take my decision back: pending again; the span an acceptance made is deleted."""

    access = Access.AUTHENTICATED
    queryset = Suggestion.objects.none()
    serializer_class = SuggestionOutput

    @extend_schema(request=None, responses=SuggestionOutput)
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = own_suggestion_for(request.user, suggestion_id)
        try:
            suggestion_undo(suggestion=suggestion, annotator=request.user)
        except SuggestionError as error:
            raise refused(error) from None
        context = {"text": suggestion.document.text}
        return Response(SuggestionOutput(suggestion, context=context).data)


class TrainedModelOutput(serializers.ModelSerializer):
    source = serializers.CharField(read_only=True)

    class Meta:
        model = TrainedModel
        fields = ["name", "version", "source", "status", "message", "stage", "steps_done"]
        fields += ["steps_total", "epochs", "seed", "train", "validation", "test", "counts"]
        fields += ["metrics", "suggestions_made", "seconds", "created", "finished"]
        read_only_fields = fields


class TrainingInput(serializers.Serializer):
    name = serializers.CharField(required=False, default="spancat", max_length=50)
    epochs = serializers.IntegerField(required=False, default=20, min_value=1, max_value=1000)
    seed = serializers.CharField(required=False, default="0", max_length=100)


class TrainedModels(ListAPIView):
    """The project's trained models, newest first, with their validation figures; POST queues
    the next version of a model (the train worker trains it)."""

    access = Access.CURATOR
    queryset = TrainedModel.objects.none()
    serializer_class = TrainedModelOutput

    def get_queryset(self):
        project = project_for(self.request.user, self.kwargs["slug"], Access.CURATOR)
        return TrainedModel.objects.filter(project=project).order_by("-created", "-pk")

    @extend_schema(request=TrainingInput, responses={202: TrainedModelOutput})
    def post(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug, Access.CURATOR)
        incoming = TrainingInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            model = request_training(
                project=project, requested_by=request.user, **incoming.validated_data
            )
        except TrainingError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(TrainedModelOutput(model).data, status=status.HTTP_202_ACCEPTED)

"""The export API: counts and preview of a selection, and its download.

Same rules as the Export page: managers and curators only (403 for other
members, 404 for outsiders). Parameters are query parameters; any bad one is
a 400 with a message, before anything is written.
"""

from django.contrib.auth.models import User
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .export_views import (
    ExportRequest,
    download_response,
    export_request,
    preview_text,
    project_for_exporter,
)
from .exports.formats import FORMATS
from .exports.reader import SOURCES, ExportError
from .models import Project


class ExportQueryInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(FORMATS))
    source = serializers.ChoiceField(choices=list(SOURCES))
    annotator = serializers.CharField(required=False, help_text="username, with source=annotator")
    train = serializers.FloatField(default=0.8, min_value=0, max_value=1)
    validation = serializers.FloatField(default=0.1, min_value=0, max_value=1)
    test = serializers.FloatField(default=0.1, min_value=0, max_value=1)
    seed = serializers.CharField(default="0", max_length=100, help_text="of the split")


class ExportSummaryOutput(serializers.Serializer):
    format = serializers.CharField(source="export_format.name")
    source = serializers.CharField(source="selection.source")
    documents = serializers.IntegerField(source="counts.documents")
    spans = serializers.IntegerField(source="counts.spans")
    spans_per_label = serializers.DictField(
        child=serializers.IntegerField(), source="counts.spans_per_label"
    )
    preview = serializers.SerializerMethodField()

    def get_preview(self, request: ExportRequest) -> str:
        return preview_text(request)


class AlwaysJSON(BaseContentNegotiation):
    """Always JSON: ``format`` names the export format here, not a DRF renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    content_negotiation_class = AlwaysJSON

    def checked_request(self, request: Request, slug: str) -> ExportRequest:
        project = project_for_exporter(request.user, slug)
        incoming = ExportQueryInput(data=request.query_params)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            return export_request(
                project=project,
                source=values["source"],
                annotator=_member(project, values.get("annotator")),
                format_name=values["format"],
                seed=values["seed"],
                ratios=(values["train"], values["validation"], values["test"]),
            )
        except ExportError as error:
            raise ValidationError({"detail": str(error)}) from None


def _member(project: Project, username: str | None) -> User | None:
    if username is None:
        return None
    user = User.objects.filter(username=username, memberships__project=project).first()
    if user is None:
        raise ValidationError({"annotator": [f"{username!r} is not a member of this project."]})
    return user


class ExportSummary(ExportView):
    """Counts per label and a preview of the first records, in the chosen format."""

    @extend_schema(parameters=[ExportQueryInput], responses=ExportSummaryOutput)
    def get(self, request: Request, slug: str) -> Response:
        return Response(ExportSummaryOutput(self.checked_request(request, slug)).data)


class ExportDownload(ExportView):
    """The export file: streamed for line formats, a zip for the others."""

    @extend_schema(
        parameters=[ExportQueryInput],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="JSON Lines or CoNLL text (streamed), or a zip for spacy, "
                "huggingface and brat; named in Content-Disposition",
            )
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        return download_response(self.checked_request(request, slug))

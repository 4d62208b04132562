"""The export API: counts and preview of a selection, its download, and releases.

Same rules as the Export page: managers and curators only (403 for other
members, 404 for outsiders). Export parameters are query parameters; a release
is requested by POST with a JSON body, which queues a job (202) for the release
worker; the job's URL tells its progress and, once done, the release. Any bad
parameter is a 400 with a message, before anything is queued.
"""

from django.contrib.auth.models import User
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..exports.downloads import (
    ExportRequest,
    download_response,
    export_request,
    left_out_summary,
    preview_text,
    project_for_exporter,
    release_download_response,
    release_for_exporter,
    releases_of,
)
from ..exports.formats import FORMATS
from ..exports.reader import DEFAULT_SOURCE, SOURCES, ExportError
from ..exports.release_jobs import request_release
from ..exports.releases import DEFAULT_LICENSE
from ..exports.splits import SplitRatios
from ..models import Project, Release, ReleaseJob, ReleaseJobStatus
from ..permissions import Access
from ..wording import sentence
from .base import AllowListFilter


class ExportQueryInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(FORMATS))
    source = serializers.ChoiceField(choices=list(SOURCES), default=DEFAULT_SOURCE)
    annotator = serializers.CharField(required=False, help_text="username, with source=annotator")
    train = serializers.FloatField(default=0.8, min_value=0, max_value=1)
    validation = serializers.FloatField(default=0.1, min_value=0, max_value=1)
    test = serializers.FloatField(default=0.1, min_value=0, max_value=1)
    seed = serializers.CharField(default="0", max_length=100, help_text="of the split")


class LeftOutReasonOutput(serializers.Serializer):
    reason = serializers.CharField(help_text="misaligned, overlapping or line_breaks_only")
    why = serializers.CharField()
    labels = serializers.DictField(child=serializers.IntegerField(), help_text="label -> spans")


class LeftOutOutput(serializers.Serializer):
    spans = serializers.IntegerField(help_text="spans the format leaves out")
    documents_counted = serializers.IntegerField()
    complete = serializers.BooleanField(
        help_text="false when only the first documents were counted; the download's "
        "export.json counts them all"
    )
    reasons = LeftOutReasonOutput(many=True)
    still_in = serializers.CharField(help_text="where the spans left out can still be found")


class ExportSummaryOutput(serializers.Serializer):
    format = serializers.CharField(source="export_format.name")
    source = serializers.CharField(source="selection.source")
    documents = serializers.IntegerField(source="counts.documents")
    spans = serializers.IntegerField(source="counts.spans")
    spans_per_label = serializers.DictField(
        child=serializers.IntegerField(), source="counts.spans_per_label"
    )
    files = serializers.CharField(source="export_format.layout", help_text="per split")
    left_out = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField()

    @extend_schema_field(LeftOutOutput)
    def get_left_out(self, request: ExportRequest) -> dict:
        return left_out_summary(request).as_dict()

    def get_preview(self, request: ExportRequest) -> str:
        return preview_text(request)


class AlwaysJSON(BaseContentNegotiation):
    """Always JSON: ``format`` names the export format here, not a DRF renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    access = Access.CURATOR
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
    """Counts per label, the spans the format leaves out and why, and a preview of the
    first records, in the chosen format."""

    @extend_schema(parameters=[ExportQueryInput], responses=ExportSummaryOutput)
    def get(self, request: Request, slug: str) -> Response:
        try:
            return Response(ExportSummaryOutput(self.checked_request(request, slug)).data)
        except ExportError as error:
            raise ValidationError({"detail": str(error)}) from None


class ExportDownload(ExportView):
    """The export as a zip of the format's files by split, ending with export.json (the
    counts, the spans left out and why, and every document's split)."""

    @extend_schema(
        parameters=[ExportQueryInput],
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="a zip, streamed while it is written; named in Content-Disposition",
            )
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        try:
            return download_response(self.checked_request(request, slug))
        except ExportError as error:
            raise ValidationError({"detail": str(error)}) from None


class ReleaseCreateInput(serializers.Serializer):
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=list(FORMATS)),
        default=list(FORMATS),
        allow_empty=False,
    )
    train = serializers.FloatField(default=0.8, min_value=0, max_value=1)
    validation = serializers.FloatField(default=0.1, min_value=0, max_value=1)
    test = serializers.FloatField(default=0.1, min_value=0, max_value=1)
    seed = serializers.CharField(default="0", max_length=100, help_text="of the split")
    license = serializers.CharField(default=DEFAULT_LICENSE, max_length=100)
    languages = serializers.ListField(
        child=serializers.CharField(),
        default=list,
        help_text="ISO 639-1 codes for the dataset card; detected from the texts by default",
    )

    def validate(self, data: dict) -> dict:
        try:
            data["ratios"] = SplitRatios(data["train"], data["validation"], data["test"])
        except ValueError as error:
            raise ValidationError({"detail": sentence(str(error))}) from None
        return data


class ReleaseOutput(serializers.Serializer):
    version = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    created = serializers.DateTimeField()
    source = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())
    splits = serializers.DictField()
    counts = serializers.DictField()
    guidelines_version = serializers.IntegerField()
    archive_sha256 = serializers.CharField()
    download = serializers.SerializerMethodField()

    def get_download(self, release: Release) -> str:
        url = reverse("api-release-download", args=[release.project.slug, release.version])
        return self.context["request"].build_absolute_uri(url)


class ReleaseDetailOutput(ReleaseOutput):
    document_ids = serializers.ListField(child=serializers.IntegerField())
    agreement = serializers.DictField(allow_null=True)
    files = serializers.DictField(child=serializers.CharField(), help_text="path -> sha256")


class ReleaseJobProgressOutput(serializers.Serializer):
    format = serializers.CharField(
        source="current_format", help_text="being written; empty before the first"
    )
    format_number = serializers.IntegerField(
        allow_null=True, help_text="1 for the first of the job's formats"
    )
    documents_done = serializers.IntegerField(help_text="written in the current format")
    documents_total = serializers.IntegerField()


class ReleaseJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReleaseJobStatus.choices)
    message = serializers.CharField(help_text="why the job failed; empty unless it did")
    requested_by = serializers.CharField(source="requested_by.username")
    formats = serializers.ListField(child=serializers.CharField())
    seed = serializers.CharField()
    train = serializers.FloatField()
    validation = serializers.FloatField()
    test = serializers.FloatField()
    license = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    progress = ReleaseJobProgressOutput(source="*")
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField(help_text="this job, to poll")
    release = serializers.SerializerMethodField(help_text="the release, once the job is done")

    def get_url(self, job: ReleaseJob) -> str:
        url = reverse("api-release-job", args=[job.project.slug, job.pk])
        return self.context["request"].build_absolute_uri(url)

    def get_release(self, job: ReleaseJob) -> str | None:
        if job.release is None:
            return None
        url = reverse("api-release", args=[job.project.slug, job.release.version])
        return self.context["request"].build_absolute_uri(url)


class ReleaseList(ListAPIView):
    """The project's releases, newest first (GET); request the next one from gold data (POST).

    A release is built by the release worker: POST queues a job and answers 202
    with it; poll its ``url`` until its status is ``done`` (``release`` is then
    the release's URL) or ``failed`` (``message`` says why). The list is paged
    and takes no filters, like every list (:mod:`annotator.api.base`).
    """

    access = Access.CURATOR
    queryset = Release.objects.none()
    serializer_class = ReleaseOutput
    filter_backends = [AllowListFilter]

    def get_queryset(self):
        return releases_of(project_for_exporter(self.request.user, self.kwargs["slug"]))

    @extend_schema(request=ReleaseCreateInput, responses={202: ReleaseJobOutput})
    def post(self, request: Request, slug: str) -> Response:
        project = project_for_exporter(request.user, slug)
        incoming = ReleaseCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            job = request_release(
                project=project,
                requested_by=request.user,
                formats=values["formats"],
                seed=values["seed"],
                ratios=values["ratios"],
                license=values["license"],
                languages=values["languages"],
            )
        except ExportError as error:
            raise ValidationError({"detail": str(error)}) from None
        output = ReleaseJobOutput(job, context={"request": request})
        return Response(output.data, status=202, headers={"Location": output.data["url"]})


class ReleaseJobDetail(APIView):
    """A requested release: its status and progress, and once done the release's URL."""

    access = Access.CURATOR

    @extend_schema(responses=ReleaseJobOutput)
    def get(self, request: Request, slug: str, job_id: int) -> Response:
        project = project_for_exporter(request.user, slug)
        job = get_object_or_404(
            ReleaseJob.objects.select_related("project", "requested_by", "release"),
            project=project,
            pk=job_id,
        )
        return Response(ReleaseJobOutput(job, context={"request": request}).data)


class ReleaseDetail(APIView):
    """One release: its manifest figures, documents and file checksums."""

    access = Access.CURATOR

    @extend_schema(responses=ReleaseDetailOutput)
    def get(self, request: Request, slug: str, version: int) -> Response:
        project = project_for_exporter(request.user, slug)
        release = get_object_or_404(
            Release.objects.select_related("author", "project"), project=project, version=version
        )
        return Response(ReleaseDetailOutput(release, context={"request": request}).data)


class ReleaseDownload(APIView):
    """The release's zip, streamed from storage."""

    access = Access.CURATOR

    @extend_schema(
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, slug: str, version: int) -> FileResponse:
        return release_download_response(release_for_exporter(request.user, slug, version))

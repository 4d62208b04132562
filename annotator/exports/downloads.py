"""Who may export, checked export requests, and the responses that send an export or a
release: shared by the Export page (:mod:`annotator.web.exports`) and the export API
(:mod:`annotator.api.exports`).

Only managers and curators (and superusers) export: annotation is blind, so an
annotator must not download the others' spans. An outsider gets 404.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404

from ..deployment.storage import stored_file_response
from ..models import Project, Release, Role
from .formats import FORMATS, ExportFormat, build_download, preview, stream_export
from .reader import (
    ExportError,
    Selection,
    SelectionCounts,
    checked_counts,
    export_labels,
    read_documents,
)
from .splits import SplitRatios

EXPORT_ROLES = frozenset({Role.MANAGER, Role.CURATOR})


def project_for_exporter(user: User, slug: str) -> Project:
    """The project, if the user may export it: 404 for outsiders, 403 for annotators."""
    project = get_object_or_404(Project.objects.visible_to(user), slug=slug)
    if project.role_of(user) not in EXPORT_ROLES:
        raise PermissionDenied("Only managers and curators can export this project's spans.")
    return project


@dataclass(frozen=True)
class ExportRequest:
    """A checked export request: its selection has documents and its ratios sum to 1."""

    selection: Selection
    export_format: ExportFormat
    seed: str
    ratios: SplitRatios
    counts: SelectionCounts


def export_request(
    *,
    project: Project,
    source: str,
    annotator: User | None,
    format_name: str,
    seed: str,
    ratios: tuple[float, float, float],
) -> ExportRequest:
    """Check an export request; raises ExportError with a message for the user."""
    export_format = FORMATS.get(format_name)
    if export_format is None:
        raise ExportError(f"Unknown export format {format_name!r}.")
    try:
        split_ratios = SplitRatios(*ratios)
    except ValueError as error:
        raise ExportError(str(error).capitalize() + ".") from None
    selection = Selection(project, source, annotator)
    return ExportRequest(selection, export_format, seed, split_ratios, checked_counts(selection))


def download_response(request: ExportRequest) -> HttpResponse:
    """Stream a format written front to back; build any other in a temporary file first."""
    selection, export_format = request.selection, request.export_format
    labels = export_labels(selection.project)
    documents = read_documents(selection)
    filename = export_format.download_name(f"{selection.project.slug}-{selection.source}")
    stem = filename.removesuffix(export_format.extension)
    if export_format.streams:
        response = StreamingHttpResponse(
            stream_export(export_format, documents, labels, stem=stem),
            content_type=export_format.content_type,
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    download, _ = build_download(
        export_format,
        documents,
        labels,
        stem=stem,
        seed=request.seed,
        ratios=request.ratios,
    )
    # FileResponse closes the temporary file when sent, which deletes it.
    return FileResponse(
        download, as_attachment=True, filename=filename, content_type=export_format.content_type
    )


def preview_text(request: ExportRequest) -> str:
    selection = request.selection
    documents = list(read_documents(selection, limit=3))
    return preview(request.export_format, documents, export_labels(selection.project))


def releases_of(project: Project) -> QuerySet:
    """The project's releases, newest first, without the bulky manifest columns."""
    return (
        Release.objects.filter(project=project)
        .select_related("author", "project")
        .defer("document_ids", "files", "agreement")
        .order_by("-version")
    )


def release_for_exporter(user: User, slug: str, version: int) -> Release:
    project = project_for_exporter(user, slug)
    return get_object_or_404(releases_of(project), version=version)


def release_download_response(release: Release) -> HttpResponse:
    """Send the stored zip of a release, streamed or redirected (see ``deployment.storage``)."""
    return stored_file_response(
        release.archive,
        filename=f"{release.project.slug}-v{release.version}.zip",
        content_type="application/zip",
    )

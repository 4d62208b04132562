"""Who may export, checked export requests, and the responses that send an export or a
release: shared by the Export page (:mod:`annotator.web.exports`) and the export API
(:mod:`annotator.api.exports`).

Only managers and curators (and superusers) export: annotation is blind, so an
annotator must not download the others' spans. An outsider gets 404.

A download is a zip sent while it is written (:func:`~annotator.exports.formats.stream_export`).
Its first 64 KiB are made before the response starts, so an error in the first
documents (or anywhere in a Hugging Face export, built whole before its first
piece) is an ordinary error response. An error after that cannot change the
status any more: it is logged and the stream is broken off, so the client gets
a transfer that fails, and in any case a zip without its directory and without
``export.json``, which no unzip tool takes for whole.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404

from ..deployment.storage import stored_file_response
from ..models import Project, Release, Role
from .formats import (
    FORMATS,
    ZIP,
    ExportFormat,
    count_left_out,
    preview,
    stream_export,
)
from .reader import (
    ExportError,
    Selection,
    SelectionCounts,
    checked_counts,
    export_labels,
    read_documents,
)
from .records import LEFT_OUT_REASONS, ExportCounts
from .splits import SplitRatios

logger = logging.getLogger(__name__)

EXPORT_ROLES = frozenset({Role.MANAGER, Role.CURATOR})
#: Documents a summary reads to count the spans a format leaves out; past this many,
#: it counts the first ones and says so (the download's export.json has every one).
LEFT_OUT_DOCUMENTS = 5000
#: Made before the response starts: the first documents' data, not just a zip header.
FIRST_PIECE_BYTES = 64 * 1024


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


@dataclass(frozen=True)
class LeftOut:
    """The spans a format leaves out of a selection, counted over ``documents`` of them."""

    counts: ExportCounts
    documents: int
    complete: bool
    where_kept: str

    @property
    def spans(self) -> int:
        return self.counts.left_out_spans()

    def reasons(self) -> list[dict]:
        """One entry per reason: its key, why in words, and the spans per label."""
        return [
            {"reason": reason, "why": why, "labels": dict(self.counts.left_out[reason])}
            for reason, why in LEFT_OUT_REASONS.items()
            if reason in self.counts.left_out
        ]

    def as_dict(self) -> dict:
        return {
            "spans": self.spans,
            "documents_counted": self.documents,
            "complete": self.complete,
            "reasons": self.reasons(),
            "still_in": self.where_kept,
        }


def left_out_summary(request: ExportRequest) -> LeftOut:
    """What the chosen format leaves out of the selection (the first
    :data:`LEFT_OUT_DOCUMENTS` documents of a larger one)."""
    selection, export_format = request.selection, request.export_format
    documents = read_documents(selection, limit=LEFT_OUT_DOCUMENTS)
    try:
        counts = count_left_out(export_format, documents, export_labels(selection.project))
    except ValueError as error:
        raise ExportError(f"{error}.") from None
    return LeftOut(
        counts,
        counts.documents,
        counts.documents == request.counts.documents,
        export_format.where_kept,
    )


def _broken_off_on_error(pieces: Iterator[bytes], filename: str) -> Iterator[bytes]:
    try:
        yield from pieces
    except Exception:
        logger.exception("Export download %s failed after it started; the stream is cut.", filename)
        raise


def download_response(request: ExportRequest) -> HttpResponse:
    """The export as a zip, streamed (see the module docstring).

    Raises :class:`ExportError` for data a writer refuses in the first piece.
    """
    selection, export_format = request.selection, request.export_format
    labels = export_labels(selection.project)
    documents = read_documents(selection)
    filename = export_format.download_name(f"{selection.project.slug}-{selection.source}")
    stem = filename.removesuffix(".zip")
    pieces = stream_export(
        export_format, documents, labels, stem=stem, seed=request.seed, ratios=request.ratios
    )
    head, size = [], 0
    try:
        for piece in pieces:
            head.append(piece)
            size += len(piece)
            if size >= FIRST_PIECE_BYTES:
                break
    except ValueError as error:
        raise ExportError(f"{error}.") from None
    response = StreamingHttpResponse(
        _broken_off_on_error(chain(head, pieces), filename), content_type=ZIP
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def preview_text(request: ExportRequest) -> str:
    selection = request.selection
    documents = list(read_documents(selection, limit=3))
    try:
        return preview(
            request.export_format,
            documents,
            export_labels(selection.project),
            seed=request.seed,
            ratios=request.ratios,
        )
    except ValueError as error:
        raise ExportError(f"{error}.") from None


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

"""The Export page: choose source, format and splits, see counts and a preview, download;
request a release of the gold data, follow its job, and download past releases.

A release is built by the release worker (:mod:`annotator.exports.release_jobs`):
"Create release" queues a job and returns to the page, whose list of jobs and
releases polls itself (htmx) while a job is queued or running.

Only managers and curators (and superusers) export: annotation is blind, so an
annotator must not download the others' spans. An outsider gets 404.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .exports.formats import FORMATS, ExportFormat, build_download, preview, stream_export
from .exports.reader import (
    DEFAULT_SOURCE,
    ExportError,
    Selection,
    SelectionCounts,
    checked_counts,
    export_labels,
    read_documents,
)
from .exports.release_jobs import jobs_shown, request_release
from .exports.releases import DEFAULT_LICENSE
from .exports.splits import SplitRatios
from .models import Project, Release, ReleaseJobStatus, Role
from .permissions import Access, declares

EXPORT_ROLES = frozenset({Role.MANAGER, Role.CURATOR})
SOURCE_CHOICES = [
    ("gold", "Gold spans (adjudicated)"),
    ("annotators", "All annotators' spans"),
    ("annotator", "One annotator's spans"),
]


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


class ExportForm(forms.Form):
    source = forms.ChoiceField(choices=SOURCE_CHOICES, initial=DEFAULT_SOURCE)
    annotator = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        to_field_name="username",
        help_text="with “One annotator's spans”",
    )
    format = forms.ChoiceField(choices=[(f.name, f.title) for f in FORMATS.values()])
    train = forms.FloatField(min_value=0, max_value=1, initial=0.8)
    validation = forms.FloatField(min_value=0, max_value=1, initial=0.1)
    test = forms.FloatField(min_value=0, max_value=1, initial=0.1)
    seed = forms.CharField(max_length=100, initial="0", help_text="of the split")

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["annotator"].queryset = User.objects.filter(
            memberships__project=project
        ).order_by("username")
        self.export_request: ExportRequest | None = None

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.export_request = export_request(
                project=self.project,
                source=data["source"],
                annotator=data["annotator"] if data["source"] == "annotator" else None,
                format_name=data["format"],
                seed=data["seed"],
                ratios=(data["train"], data["validation"], data["test"]),
            )
        except ExportError as error:
            raise forms.ValidationError(str(error)) from None
        return data


class ReleaseForm(forms.Form):
    formats = forms.MultipleChoiceField(
        choices=[(f.name, f.title) for f in FORMATS.values()],
        initial=list(FORMATS),
        widget=forms.CheckboxSelectMultiple,
    )
    train = forms.FloatField(min_value=0, max_value=1, initial=0.8)
    validation = forms.FloatField(min_value=0, max_value=1, initial=0.1)
    test = forms.FloatField(min_value=0, max_value=1, initial=0.1)
    seed = forms.CharField(max_length=100, initial="0", help_text="of the split")
    license = forms.CharField(
        max_length=100,
        initial=DEFAULT_LICENSE,
        help_text="licence identifier for the dataset card, e.g. cc-by-4.0",
    )

    def __init__(self, *args, **kwargs) -> None:
        # Its fields share names with the export form's on the same page; the ids must differ.
        kwargs.setdefault("auto_id", "id_release_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors:
            try:
                data["ratios"] = SplitRatios(data["train"], data["validation"], data["test"])
            except ValueError as error:
                raise forms.ValidationError(str(error).capitalize() + ".") from None
        return data


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


def release_download_response(release: Release) -> FileResponse:
    """Stream the stored zip of a release."""
    return FileResponse(
        release.archive.open("rb"),
        as_attachment=True,
        filename=f"{release.project.slug}-v{release.version}.zip",
        content_type="application/zip",
    )


def _form(query: QueryDict, project: Project) -> ExportForm:
    """The export form of a query; without one, the default export, bound so it shows counts."""
    if not query:
        initial = {name: field.initial for name, field in ExportForm.base_fields.items()}
        initial["format"] = next(iter(FORMATS))
        return ExportForm(initial, project=project)
    return ExportForm(query, project=project)


def _release_list_context(project: Project) -> dict:
    """The jobs and releases of the page's release list, and whether it keeps polling."""
    jobs = list(jobs_shown(project))
    return {
        "project": project,
        "jobs": jobs,
        "job_statuses": ReleaseJobStatus,
        "polling": any(job.is_pending for job in jobs),
        "releases": releases_of(project),
    }


def _page_context(project: Project, form: ExportForm, release_form: ReleaseForm) -> dict:
    valid = form.is_valid()
    return {
        "form": form,
        "export": form.export_request,
        "preview": preview_text(form.export_request) if valid else "",
        "release_form": release_form,
        **_release_list_context(project),
    }


@declares(Access.CURATOR)
@login_required
@require_GET
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_exporter(request.user, slug)
    form = _form(request.GET, project)
    release_form = ReleaseForm()
    context = _page_context(project, form, release_form)
    valid = not form.errors
    if request.htmx:
        # 200 even when invalid: htmx does not swap 4xx responses, and the
        # message must replace the stale counts.
        return render(request, "annotator/export.html#summary", context)
    # A page asked for without a query shows the default export, or why there is none.
    status = 200 if valid or not request.GET else 400
    return render(request, "annotator/export.html", context, status=status)


@declares(Access.CURATOR)
@login_required
@require_GET
def export_download(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_exporter(request.user, slug)
    form = ExportForm(request.GET, project=project)
    if not form.is_valid():
        context = _page_context(project, form, ReleaseForm())
        return render(request, "annotator/export.html", context, status=400)
    return download_response(form.export_request)


@declares(Access.CURATOR)
@login_required
@require_POST
def release_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue the next release of the gold data; a refusal shows the page again with a 400."""
    project = project_for_exporter(request.user, slug)
    release_form = ReleaseForm(request.POST)
    if release_form.is_valid():
        data = release_form.cleaned_data
        try:
            request_release(
                project=project,
                requested_by=request.user,
                formats=data["formats"],
                seed=data["seed"],
                ratios=data["ratios"],
                license=data["license"],
            )
        except ExportError as error:
            release_form.add_error(None, str(error))
        else:
            return redirect(reverse("export", args=[project.slug]) + "#releases")
    context = _page_context(project, _form(QueryDict(), project), release_form)
    return render(request, "annotator/export.html", context, status=400)


@declares(Access.CURATOR)
@login_required
@require_GET
def release_jobs(request: HttpRequest, slug: str) -> HttpResponse:
    """The release jobs and releases: the fragment the Export page polls, or the whole page."""
    project = project_for_exporter(request.user, slug)
    if request.htmx:
        return render(request, "annotator/export.html#release-list", _release_list_context(project))
    context = _page_context(project, _form(QueryDict(), project), ReleaseForm())
    return render(request, "annotator/export.html", context)


@declares(Access.CURATOR)
@login_required
@require_GET
def release_download(request: HttpRequest, slug: str, version: int) -> FileResponse:
    return release_download_response(release_for_exporter(request.user, slug, version))

"""The Export page: choose source, format and splits, see counts and a preview, download.

Only managers and curators (and superusers) export: annotation is blind, so an
annotator must not download the others' spans. An outsider gets 404.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .exports.formats import FORMATS, ExportFormat, build_download, preview, stream_export
from .exports.reader import (
    ExportError,
    Selection,
    SelectionCounts,
    count_selection,
    export_labels,
    read_documents,
)
from .exports.splits import SplitRatios
from .models import Project, Role

EXPORT_ROLES = frozenset({Role.MANAGER, Role.CURATOR})
SOURCE_CHOICES = [
    ("annotators", "All annotators' spans"),
    ("annotator", "One annotator's spans"),
    ("gold", "Gold spans (adjudicated)"),
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
    counts = count_selection(selection)
    if counts.documents == 0:
        raise ExportError("There are no documents to export in this selection.")
    return ExportRequest(selection, export_format, seed, split_ratios, counts)


def download_response(request: ExportRequest) -> HttpResponse:
    """Stream a line format; build any other format in a temporary file first."""
    selection, export_format = request.selection, request.export_format
    labels = export_labels(selection.project)
    documents = read_documents(selection)
    filename = export_format.download_name(f"{selection.project.slug}-{selection.source}")
    if export_format.streams:
        response = StreamingHttpResponse(
            stream_export(export_format, documents, labels),
            content_type=export_format.content_type,
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    download, _ = build_download(
        export_format,
        documents,
        labels,
        stem=filename.removesuffix(export_format.extension),
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
    source = forms.ChoiceField(choices=SOURCE_CHOICES, initial="annotators")
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


def _form(request: HttpRequest, project: Project) -> ExportForm:
    if not request.GET:
        initial = {name: field.initial for name, field in ExportForm.base_fields.items()}
        initial["format"] = next(iter(FORMATS))
        return ExportForm(initial, project=project)
    return ExportForm(request.GET, project=project)


@login_required
@require_GET
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_exporter(request.user, slug)
    form = _form(request, project)
    valid = form.is_valid()
    context = {
        "project": project,
        "form": form,
        "export": form.export_request,
        "preview": preview_text(form.export_request) if valid else "",
    }
    if request.htmx:
        # 200 even when invalid: htmx does not swap 4xx responses, and the
        # message must replace the stale counts.
        return render(request, "annotator/export.html#summary", context)
    return render(request, "annotator/export.html", context, status=200 if valid else 400)


@login_required
@require_GET
def export_download(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_exporter(request.user, slug)
    form = ExportForm(request.GET, project=project)
    if not form.is_valid():
        context = {"project": project, "form": form, "export": None, "preview": ""}
        return render(request, "annotator/export.html", context, status=400)
    return download_response(form.export_request)

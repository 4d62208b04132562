"""The Export page: choose source, format and splits, see counts and a preview, download;
request a release of the gold data, follow its job, and download past releases.

A release is built by the release worker (:mod:`annotator.exports.release_jobs`):
"Create release" queues a job and returns to the page, whose list of jobs and
releases polls itself (htmx) while a job is queued or running. Who may export,
and the responses that send a download, are in :mod:`annotator.exports.downloads`.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

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
from ..exports.reader import DEFAULT_SOURCE, ExportError
from ..exports.release_jobs import jobs_shown, request_release
from ..exports.releases import DEFAULT_LICENSE
from ..exports.splits import SplitRatios
from ..models import Project, ReleaseJobStatus
from ..permissions import Access, declares

SOURCE_CHOICES = [
    ("gold", "Gold spans (adjudicated)"),
    ("annotators", "All annotators' spans"),
    ("annotator", "One annotator's spans"),
]


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
    preview = left_out = None
    if form.is_valid():
        try:
            left_out = left_out_summary(form.export_request)
            preview = preview_text(form.export_request)
        except ExportError as error:
            form.add_error(None, str(error))
    return {
        "form": form,
        "export": form.export_request,
        "preview": preview,
        "left_out": left_out,
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
        return render(request, "annotator/exports/export.html#summary", context)
    # A page asked for without a query shows the default export, or why there is none.
    status = 200 if valid or not request.GET else 400
    return render(request, "annotator/exports/export.html", context, status=status)


@declares(Access.CURATOR)
@login_required
@require_GET
def export_download(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_exporter(request.user, slug)
    form = ExportForm(request.GET, project=project)
    if form.is_valid():
        try:
            return download_response(form.export_request)
        except ExportError as error:
            form.add_error(None, str(error))
    context = _page_context(project, form, ReleaseForm())
    return render(request, "annotator/exports/export.html", context, status=400)


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
    return render(request, "annotator/exports/export.html", context, status=400)


@declares(Access.CURATOR)
@login_required
@require_GET
def release_jobs(request: HttpRequest, slug: str) -> HttpResponse:
    """The release jobs and releases: the fragment the Export page polls, or the whole page."""
    project = project_for_exporter(request.user, slug)
    if request.htmx:
        return render(
            request, "annotator/exports/export.html#release-list", _release_list_context(project)
        )
    context = _page_context(project, _form(QueryDict(), project), ReleaseForm())
    return render(request, "annotator/exports/export.html", context)


@declares(Access.CURATOR)
@login_required
@require_GET
def release_download(request: HttpRequest, slug: str, version: int) -> FileResponse:
    return release_download_response(release_for_exporter(request.user, slug, version))

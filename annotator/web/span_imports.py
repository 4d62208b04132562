"""The span import page (manager): a JSON Lines file of spans becomes a member's spans, a
pseudo-annotator's spans or suggestions, with the rules of
:mod:`annotator.annotation.span_imports`. The form posts through htmx when it can, so
``static/annotator/upload.js`` shows the upload's progress, and a plain post without
JavaScript; the refusal, naming file and line, comes back with nothing stored."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ..annotation.span_imports import (
    TARGET_KINDS,
    SpanImportError,
    SpanImportTarget,
    SpanUpload,
    import_spans,
)
from ..models import Project, PseudoAnnotator
from ..permissions import Access, declares, project_for


class SpanImportForm(forms.Form):
    file = forms.FileField(help_text="a .jsonl file: doccano or W3C lines, as exports write")
    target = forms.ChoiceField(
        choices=list(TARGET_KINDS.items()), widget=forms.RadioSelect, initial="suggestions"
    )
    annotator = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        to_field_name="username",
        help_text="with “a member's spans”",
    )
    pseudo_annotator = forms.CharField(
        required=False,
        max_length=150,
        help_text="with “a pseudo-annotator's spans”, e.g. model:ner-v3",
    )
    name = forms.CharField(
        required=False,
        max_length=190,
        help_text="names the import: origin import:<name> (default: the file's name)",
    )
    create_documents = forms.BooleanField(
        required=False, help_text="create the documents whose text is not in the project"
    )
    submit = forms.BooleanField(
        required=False, help_text="hand in the member's assignments (agreement is refreshed)"
    )

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["annotator"].queryset = (
            User.objects.filter(memberships__project=project)
            .exclude(pk__in=PseudoAnnotator.objects.values("user"))
            .order_by("username")
        )

    def clean(self) -> dict:
        data = super().clean()
        target = data.get("target")
        if target == "annotator" and not data.get("annotator"):
            self.add_error("annotator", "Choose the member whose spans these are.")
        if target == "pseudo" and not data.get("pseudo_annotator"):
            self.add_error("pseudo_annotator", "Name the pseudo-annotator, e.g. model:ner-v3.")
        return data

    def import_target(self) -> SpanImportTarget:
        data = self.cleaned_data
        if data["target"] == "annotator":
            return SpanImportTarget("annotator", data["annotator"].get_username())
        if data["target"] == "pseudo":
            return SpanImportTarget("pseudo", data["pseudo_annotator"])
        return SpanImportTarget("suggestions", data["name"])


@declares(Access.MANAGER)
@login_required
@require_http_methods(["GET", "POST"])
def span_import(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    result = error = None
    if request.method == "POST":
        form = SpanImportForm(request.POST, request.FILES, project=project)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                result = import_spans(
                    project=project,
                    uploads=[SpanUpload(file.name, file, file.size)],
                    target=form.import_target(),
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    create_documents=form.cleaned_data["create_documents"],
                    submit=form.cleaned_data["submit"],
                    max_bytes=settings.IMPORT_MAX_FILE_BYTES,
                )
            except SpanImportError as refusal:
                error = str(refusal)
    else:
        form = SpanImportForm(project=project)
    status = 400 if request.method == "POST" and (error or form.errors) else 200
    template = "annotator/span_imports/span_import.html"
    if request.htmx:
        # The page posts through htmx to show the upload's progress; only the result changes.
        template += "#result"
    return render(
        request,
        template,
        {
            "project": project,
            "form": form,
            "result": result,
            "error": error,
            "max_bytes": settings.IMPORT_MAX_FILE_BYTES,
        },
        status=status,
    )

"""A manager's document pages: upload, find, and assign by hand.

- Upload: ``.txt`` and ``.jsonl`` files through the import service
  (:func:`annotator.annotation.imports.import_documents`, all or nothing). The form
  posts through htmx when it can, so ``static/annotator/upload.js`` shows the
  upload's progress; without JavaScript it is a plain multipart form. Either way
  the answer lists what was imported and, line by line, what was skipped or why
  nothing was.
- Find: documents by words, gold status, assignment status and assignee
  (:mod:`annotator.projects.search`), paged by id like the document list, each
  with its annotators and a form that assigns it to one more.
- Assign: one document to one annotator member, through
  :func:`annotator.annotation.assignments.assignment_create` (the project then
  requires assignments).
"""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..annotation.assignments import AssignmentError, assignment_create
from ..annotation.imports import DocumentImportError, UploadedText, import_documents
from ..models import Assignment, AssignmentStatus, GoldStatus, Membership, Project, Role
from ..permissions import Access, declares, document_for, project_for
from ..projects.search import UNASSIGNED, DocumentQuery, find_documents, how_words_match
from .forms import posted_int
from .projects import keyset_page

UPLOAD_HELP = (
    f".txt files (one document each, titled by its first line) or .jsonl files (one "
    f'document a line: {{"title", "text", "source", "meta"}}), UTF-8, at most '
    f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES} files of "
    f"{settings.IMPORT_MAX_FILE_BYTES // (1024 * 1024)} MB each."
)


def _upload_page(request: HttpRequest, project: Project, context: dict, status: int = 200):
    template = "annotator/documents/upload.html"
    if request.htmx:
        template += "#result"
    context = {"project": project, "help": UPLOAD_HELP, **context}
    return render(request, template, context, status=status)


def _uploads(request: HttpRequest) -> list[UploadedText]:
    """The posted files; a DocumentImportError when there are none or too many (the import
    service refuses a file over ``IMPORT_MAX_FILE_BYTES``)."""
    files = request.FILES.getlist("files")
    if not files:
        raise DocumentImportError("Choose one or more .txt or .jsonl files.")
    if len(files) > settings.DATA_UPLOAD_MAX_NUMBER_FILES:
        raise DocumentImportError(f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files at once.")
    return [UploadedText(upload.name, upload, upload.size) for upload in files]


@declares(Access.MANAGER)
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    """The upload form; POST imports the files, all or nothing."""
    project = project_for(request.user, slug, Access.MANAGER)
    if request.method == "GET":
        return _upload_page(request, project, {})
    try:
        result = import_documents(project=project, uploads=_uploads(request))
    except DocumentImportError as error:
        return _upload_page(request, project, {"error": f"{error} Nothing was imported."}, 400)
    project.refresh_from_db(fields=["document_count"])
    return _upload_page(request, project, {"result": result})


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Words")
    gold_status = forms.ChoiceField(
        required=False, choices=[("", "any gold status"), *GoldStatus.choices]
    )
    assignment_status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "any assignment status"),
            (UNASSIGNED, "Not assigned"),
            *AssignmentStatus.choices,
        ],
    )
    assignee = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, annotators: list) -> None:
        super().__init__(data)
        self.fields["assignee"].choices = [
            ("", "anyone"),
            *((user.pk, user.get_username()) for user in annotators),
        ]


def _annotators(project: Project) -> list:
    """The project's annotator members, by username: who documents can be assigned to."""
    return [
        membership.user
        for membership in Membership.objects.filter(project=project, role=Role.ANNOTATOR)
        .select_related("user")
        .order_by("user__username")
    ]


@declares(Access.MANAGER)
@login_required
@require_GET
def document_search(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    annotators = _annotators(project)
    form = SearchForm(request.GET, annotators=annotators)
    if not form.is_valid():
        return render(
            request,
            "annotator/documents/search.html",
            {"project": project, "form": form, "documents": [], "words_help": how_words_match()},
            status=400,
        )
    criteria = form.cleaned_data
    query = DocumentQuery(
        words=criteria["q"],
        gold_status=criteria["gold_status"],
        assignment_status=criteria["assignment_status"],
        assignee_id=criteria["assignee"],
    )
    documents, previous_before, next_after = keyset_page(
        find_documents(project, query).only("id", "project_id", "title", "gold_status"),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    by_document: dict[int, list[Assignment]] = {}
    for assignment in (
        Assignment.objects.filter(document_id__in=[document.pk for document in documents])
        .select_related("annotator")
        .only("document_id", "status", "span_count", "annotator__username")
        .order_by("annotator__username")
    ):
        by_document.setdefault(assignment.document_id, []).append(assignment)
    for document in documents:
        document.annotator_assignments = by_document.get(document.pk, [])
        assigned = {assignment.annotator_id for assignment in document.annotator_assignments}
        document.assignable = [user for user in annotators if user.pk not in assigned]
    filters = {name: value for name, value in request.GET.items() if name in form.fields and value}
    return render(
        request,
        "annotator/documents/search.html",
        {
            "project": project,
            "form": form,
            "documents": documents,
            "searched": bool(filters),
            "words_help": how_words_match(),
            "filters": urlencode(filters),
            "previous_before": previous_before,
            "next_after": next_after,
            "here": request.get_full_path(),
        },
    )


@declares(Access.MANAGER)
@login_required
@require_POST
def document_assign(request: HttpRequest, slug: str, document_id: int) -> HttpResponse:
    """Assign the document to the posted annotator, then go back to the search."""
    document = document_for(request.user, slug, document_id, Access.MANAGER)
    project = document.project
    annotator_id = posted_int(request, "annotator")
    annotator = next((user for user in _annotators(project) if user.pk == annotator_id), None)
    back = request.POST.get("next", "")
    if not back.startswith(reverse("document-search", args=[project.slug])):
        back = reverse("document-search", args=[project.slug])
    if annotator is None:
        return render(
            request,
            "annotator/documents/refused.html",
            {"project": project, "message": "Choose an annotator of this project.", "back": back},
            status=400,
        )
    try:
        assignment_create(document=document, annotator=annotator)
    except AssignmentError as error:
        return render(
            request,
            "annotator/documents/refused.html",
            {"project": project, "message": str(error), "back": back},
            status=400,
        )
    messages.success(request, f"Assigned {document.title} to {annotator.get_username()}.")
    return redirect(back)

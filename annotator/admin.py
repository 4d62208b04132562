from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from .annotation.assignments import AssignmentError, assignment_create, assignments_distribute
from .annotation.imports import DocumentImportError, UploadedText, import_documents
from .curation.agreement_refresh import agreement_refresh
from .models import (
    Assignment,
    Document,
    GoldSpan,
    Label,
    LabelAttribute,
    Membership,
    Project,
    RelationType,
    Span,
)


class LabelInline(admin.TabularInline):
    model = Label
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "guidelines_version",
        "annotators_per_document",
        "assignment_required",
        "created",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LabelInline, MembershipInline]
    actions = ["distribute_documents"]

    @admin.action(description="Distribute documents to the annotator pool")
    def distribute_documents(self, request: HttpRequest, queryset) -> None:
        for project in queryset:
            try:
                created = assignments_distribute(project=project)
            except AssignmentError as error:
                self.message_user(request, f"{project}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{project}: created {created} assignments.")


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "hotkey", "colour"]
    list_filter = ["project"]
    search_fields = ["name"]


# Until the manager's pages have them, superusers set relation types and attributes here.
@admin.register(RelationType)
class RelationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "key", "directed"]
    list_filter = ["project"]
    filter_horizontal = ["source_labels", "target_labels"]


@admin.register(LabelAttribute)
class LabelAttributeAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "allowed_values"]
    list_filter = ["label__project"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True

    def __init__(self) -> None:
        # A hint for the file picker only; imports.py checks names and content.
        super().__init__(attrs={"accept": ".txt,.jsonl"})


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None) -> list:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class DocumentImportForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.all())
    files = MultipleFileField(
        help_text=".txt files (title = first line) or .jsonl files, UTF-8 text, "
        f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files of "
        f"{settings.IMPORT_MAX_FILE_BYTES // (1024 * 1024)} MB each"
    )


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "source", "span_count", "created"]
    list_filter = ["project"]
    search_fields = ["title", "text"]
    readonly_fields = ["text_sha256", "created"]
    list_select_related = ["project"]
    change_list_template = "admin/annotator/document/change_list.html"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(span_total=Count("spans"))

    @admin.display(description="spans", ordering="span_total")
    def span_count(self, document: Document) -> int:
        return document.span_total

    def get_readonly_fields(self, request: HttpRequest, document: Document | None = None):
        if document is not None and document.has_spans():
            return [*self.readonly_fields, "text"]
        return self.readonly_fields

    def get_urls(self):
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="annotator_document_import",
            )
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(
                "You may not add documents.", status=403, content_type="text/plain; charset=utf-8"
            )
        form = DocumentImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploads = [
                UploadedText(upload.name, upload, upload.size)
                for upload in form.cleaned_data["files"]
            ]
            try:
                result = import_documents(project=form.cleaned_data["project"], uploads=uploads)
            except DocumentImportError as error:
                form.add_error("files", f"{error} Nothing was imported.")
            else:
                for notice in result.skipped:
                    self.message_user(request, notice, messages.WARNING)
                self.message_user(request, f"Imported {result.created} documents.")
                return redirect("admin:annotator_document_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Import documents",
        }
        return render(request, "admin/annotator/document/import.html", context)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "in_pool"]
    list_filter = ["project", "role", "in_pool"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user"]


@admin.register(Span)
class SpanAdmin(admin.ModelAdmin):
    list_display = ["id", "document", "annotator", "label", "start", "end", "created"]
    list_filter = ["label__project", "label"]
    search_fields = ["document__title", "annotator__username"]
    list_select_related = ["document", "annotator", "label"]
    raw_id_fields = ["document"]
    readonly_fields = ["client_id", "created", "updated"]


class AssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["document", "annotator", "status", "skip_reason"]

    def clean(self) -> dict:
        cleaned = super().clean()
        document, annotator = cleaned.get("document"), cleaned.get("annotator")
        if document and annotator:
            member = Membership.objects.filter(project_id=document.project_id, user=annotator)
            if not member.exists():
                raise forms.ValidationError(f"{annotator} is not a member of {document.project}.")
        return cleaned


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Hand assignment: adding one here makes the project require assignments."""

    form = AssignmentAdminForm
    list_display = ["document", "annotator", "status", "span_count", "submitted", "updated"]
    list_filter = ["status", "document__project"]
    search_fields = ["document__title", "annotator__username"]
    list_select_related = ["document", "annotator"]
    raw_id_fields = ["document"]
    readonly_fields = ["span_count", "submitted"]

    def get_fields(self, request: HttpRequest, assignment: Assignment | None = None) -> list:
        # A new assignment starts as "assigned"; its status changes afterwards.
        if assignment is None:
            return ["document", "annotator"]
        return super().get_fields(request, assignment)

    def save_model(self, request: HttpRequest, assignment: Assignment, form, change: bool) -> None:
        if change:
            super().save_model(request, assignment, form, change)
            if "status" in form.changed_data:
                agreement_refresh(document=assignment.document)
        else:
            created = assignment_create(
                document=assignment.document, annotator=assignment.annotator
            )
            assignment.pk = created.pk


@admin.register(GoldSpan)
class GoldSpanAdmin(admin.ModelAdmin):
    list_display = ["id", "document", "label", "start", "end", "status", "origin", "curator"]
    list_filter = ["status", "origin", "label__project"]
    search_fields = ["document__title"]
    list_select_related = ["document", "label", "curator"]
    raw_id_fields = ["document", "source_spans"]
    readonly_fields = ["created", "updated"]

"""A manager's pages for setting a project up: the project, its labels, its relation types
and label attributes, and its members.

Creating a project takes the ``annotator.add_project`` permission (superusers have
it); every other page takes the manager role in the project, through
:mod:`annotator.permissions`. The pages are plain forms that work without
JavaScript; the guidelines field gets a live Markdown preview through htmx. Each
write calls a service of :mod:`annotator.projects.setup` (relation types and attributes:
:mod:`annotator.projects.relation_setup`) and answers a refusal with the form again, its
errors and a 400, having changed nothing.
"""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ..models import (
    RESERVED_KEYS,
    Label,
    LabelAttribute,
    Membership,
    Project,
    RelationType,
    Role,
)
from ..permissions import Access, declares, project_for, require_project_creator
from ..projects.colours import INK, MINIMUM_CONTRAST, PALETTE
from ..projects.relation_setup import (
    label_attribute_create,
    label_attribute_delete,
    label_attribute_update,
    relation_type_create,
    relation_type_delete,
    relation_type_update,
)
from ..projects.setup import (
    label_create,
    label_delete,
    label_update,
    member_add,
    member_remove,
    member_update,
    project_create,
    project_update,
)
from .projects import render_guidelines

#: What a relation settings service returns (the type or attribute written, or None).
Written = TypeVar("Written")


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=100,
        help_text="The project's address (letters, digits, - and _); it cannot change later.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    guidelines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
        strip=False,
        help_text="Markdown. Changing them starts a new guidelines version.",
    )
    annotators_per_document = forms.IntegerField(
        min_value=1, max_value=100, initial=2, help_text="How many annotators each document gets."
    )


class ProjectSettingsForm(ProjectForm):
    slug = None


class LabelForm(forms.Form):
    name = forms.CharField(max_length=50)
    colour = forms.CharField(
        max_length=7, widget=forms.TextInput(attrs={"type": "color", "list": "label-palette"})
    )
    hotkey = forms.CharField(max_length=1, widget=forms.TextInput(attrs={"size": 2}))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RelationTypeForm(forms.Form):
    name = forms.CharField(max_length=50)
    key = forms.CharField(max_length=1, widget=forms.TextInput(attrs={"size": 2}))
    directed = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Untick for a symmetric relation, where A to B is the same as B to A.",
    )
    source_labels = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: any label."
    )
    target_labels = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: any label."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, labels: list[Label], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.labels = {str(label.pk): label for label in labels}
        choices = [(pk, label.name) for pk, label in self.labels.items()]
        self.fields["source_labels"].choices = choices
        self.fields["target_labels"].choices = choices

    def clean(self) -> dict:
        cleaned = super().clean()
        for field in ("source_labels", "target_labels"):
            if field in cleaned:
                cleaned[field] = [self.labels[pk] for pk in cleaned[field]]
        return cleaned


class AttributeForm(forms.Form):
    label = forms.ChoiceField()
    name = forms.CharField(max_length=50)
    allowed_values = forms.CharField(
        label="Values",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One value per line, in the order they are offered.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, labels: list[Label], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.labels = {str(label.pk): label for label in labels}
        if "label" in self.fields:
            self.fields["label"].choices = [(pk, label.name) for pk, label in self.labels.items()]

    def clean_label(self) -> Label:
        return self.labels[self.cleaned_data["label"]]

    def clean_allowed_values(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["allowed_values"].splitlines()
            if line.strip()
        ]


class AttributeEditForm(AttributeForm):
    label = None


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR)


class MemberForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    in_pool = forms.BooleanField(required=False)


def _refused(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form: on its fields where it names them."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@declares(Access.CREATE_PROJECT)
@login_required
@require_http_methods(["GET", "POST"])
def project_create_view(request: HttpRequest) -> HttpResponse:
    require_project_creator(request.user)
    form = _project_form(request, ProjectForm, initial={})
    if form.is_bound and form.is_valid():
        try:
            project = project_create(creator=request.user, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                f"Created {project.name} with the labels claim, threat, proposal and actor. "
                "Next: add members, then upload documents.",
            )
            return redirect("members", project.slug)
    status = 400 if form.errors else 200
    context = {"form": form, "preview": _preview(form)}
    return render(request, "annotator/manage/project_form.html", context, status=status)


def _project_form(
    request: HttpRequest, form_class: type[ProjectForm], initial: dict
) -> ProjectForm:
    """The posted form, or, when the post only asks for a preview (the button pages show
    without JavaScript), an unbound form holding what was typed, so nothing is saved."""
    if request.method != "POST":
        return form_class(initial=initial)
    if "preview" in request.POST:
        return form_class(initial={**initial, **request.POST.dict()})
    return form_class(request.POST)


def _preview(form: forms.Form) -> str:
    source = form.data.get("guidelines") if form.is_bound else form.initial.get("guidelines")
    return render_guidelines(source or "")


@declares(Access.MANAGER)
@login_required
@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    initial = {
        "name": project.name,
        "description": project.description,
        "guidelines": project.guidelines,
        "annotators_per_document": project.annotators_per_document,
    }
    form = _project_form(request, ProjectSettingsForm, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            project = project_update(project=project, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("project-settings", project.slug)
    status = 400 if form.errors else 200
    context = {"form": form, "project": project, "preview": _preview(form)}
    return render(request, "annotator/manage/project_form.html", context, status=status)


@declares(Access.AUTHENTICATED)
@login_required
@require_POST
def guidelines_preview(request: HttpRequest) -> HttpResponse:
    """The posted Markdown as the guidelines page shows it; writes nothing."""
    context = {"preview": render_guidelines(request.POST.get("guidelines", ""))}
    return render(request, "annotator/manage/project_form.html#preview", context)


def _labels_page(
    request: HttpRequest,
    project: Project,
    *,
    add_form: LabelForm | None = None,
    edited: Label | None = None,
    refusal: str = "",
) -> HttpResponse:
    """The labels page; a 400 when it shows a refused write (a form's errors or ``refusal``)."""
    if add_form is None:
        add_form = LabelForm(prefix="new", initial={"colour": _free_colour(project)})
    labels = list(project.labels.all())
    for label in labels:
        if edited is not None and label.pk == edited.pk:
            label.form = edited.form
        else:
            label.form = LabelForm(
                initial={field: getattr(label, field) for field in LabelForm.base_fields},
                prefix=f"label-{label.pk}",
            )
    refused = bool(refusal or add_form.errors or (edited is not None and edited.form.errors))
    return render(
        request,
        "annotator/manage/labels.html",
        {
            "project": project,
            "labels": labels,
            "add_form": add_form,
            "refusal": refusal,
            "palette": PALETTE,
            "ink": INK,
            "minimum_contrast": MINIMUM_CONTRAST,
            "reserved_keys": RESERVED_KEYS,
        },
        status=400 if refused else 200,
    )


def _free_colour(project: Project) -> str:
    """The first palette colour no label of the project has, to start a new label with."""
    used = set(project.labels.values_list("colour", flat=True))
    return next((colour for colour in PALETTE if colour not in used), next(iter(PALETTE)))


@declares(Access.MANAGER)
@login_required
@require_http_methods(["GET", "POST"])
def labels(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's labels, each with its edit form; POST adds one."""
    project = project_for(request.user, slug, Access.MANAGER)
    if request.method == "GET":
        return _labels_page(request, project)
    form = LabelForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            label = label_create(project=project, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, f"Added the label {label.name}.")
            return redirect("labels", project.slug)
    return _labels_page(request, project, add_form=form)


@declares(Access.MANAGER)
@login_required
@require_POST
def label_edit(request: HttpRequest, slug: str, label_id: int) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    label = get_object_or_404(Label, project=project, pk=label_id)
    label.form = LabelForm(request.POST, prefix=f"label-{label.pk}")
    if label.form.is_valid():
        try:
            label = label_update(label=label, **label.form.cleaned_data)
        except ValidationError as error:
            _refused(label.form, error)
        else:
            messages.success(request, f"Saved the label {label.name}.")
            return redirect("labels", project.slug)
    return _labels_page(request, project, edited=label)


@declares(Access.MANAGER)
@login_required
@require_POST
def label_delete_view(request: HttpRequest, slug: str, label_id: int) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    label = get_object_or_404(Label, project=project, pk=label_id)
    try:
        label_delete(label=label)
    except ValidationError as error:
        return _labels_page(request, project, refusal=" ".join(error.messages))
    messages.success(request, f"Deleted the label {label.name}.")
    return redirect("labels", project.slug)


def _relation_settings_page(
    request: HttpRequest,
    project: Project,
    *,
    type_form: RelationTypeForm | None = None,
    attribute_form: AttributeForm | None = None,
    edited: RelationType | LabelAttribute | None = None,
    refusal: str = "",
) -> HttpResponse:
    """The relation types and attributes page; a 400 when it shows a refused write."""
    labels = list(project.labels.all())
    if type_form is None:
        type_form = RelationTypeForm(prefix="new-type", labels=labels)
    if attribute_form is None:
        attribute_form = AttributeForm(prefix="new-attribute", labels=labels)
    relation_types = list(
        RelationType.objects.filter(project=project).prefetch_related(
            "source_labels", "target_labels"
        )
    )
    for relation_type in relation_types:
        if isinstance(edited, RelationType) and relation_type.pk == edited.pk:
            relation_type.form = edited.form
            continue
        initial = {
            "name": relation_type.name,
            "key": relation_type.key,
            "directed": relation_type.directed,
            "source_labels": [str(label.pk) for label in relation_type.source_labels.all()],
            "target_labels": [str(label.pk) for label in relation_type.target_labels.all()],
            "description": relation_type.description,
        }
        relation_type.form = RelationTypeForm(
            initial=initial, prefix=f"type-{relation_type.pk}", labels=labels
        )
    attributes = list(
        LabelAttribute.objects.filter(label__project=project)
        .select_related("label")
        .order_by("label__hotkey", "name")
    )
    for attribute in attributes:
        if isinstance(edited, LabelAttribute) and attribute.pk == edited.pk:
            attribute.form = edited.form
            continue
        initial = {
            "name": attribute.name,
            "allowed_values": "\n".join(attribute.allowed_values),
            "description": attribute.description,
        }
        attribute.form = AttributeEditForm(
            initial=initial, prefix=f"attribute-{attribute.pk}", labels=labels
        )
    refused = bool(
        refusal
        or type_form.errors
        or attribute_form.errors
        or (edited is not None and edited.form.errors)
    )
    return render(
        request,
        "annotator/manage/relation_settings.html",
        {
            "project": project,
            "relation_types": relation_types,
            "attributes": attributes,
            "type_form": type_form,
            "attribute_form": attribute_form,
            "refusal": refusal,
            "reserved_keys": RESERVED_KEYS,
            "label_keys": [label.hotkey for label in labels],
        },
        status=400 if refused else 200,
    )


def _relation_settings_write(
    request: HttpRequest,
    project: Project,
    write: Callable[[], Written],
    done: Callable[[Written], str],
    *,
    form: forms.Form | None = None,
    **page: object,
) -> HttpResponse:
    """Call ``write`` (a service of :mod:`annotator.projects.relation_setup`) once ``form``,
    if any, is valid, say ``done(result)`` and go back to the page. Refused, nothing is
    written: the page again with a 400, showing the service's ``ValidationError`` on the
    form (placed on it as ``page`` says), or as the page's refusal when there is no form."""
    if form is not None and not form.is_valid():
        return _relation_settings_page(request, project, **page)
    try:
        result = write()
    except ValidationError as error:
        if form is None:
            return _relation_settings_page(request, project, refusal=_refusal(error))
        _refused(form, error)
        return _relation_settings_page(request, project, **page)
    messages.success(request, done(result))
    return redirect("relation-settings", project.slug)


@declares(Access.MANAGER)
@login_required
@require_http_methods(["GET", "POST"])
def relation_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's relation types and label attributes; POST adds a relation type."""
    project = project_for(request.user, slug, Access.MANAGER)
    if request.method == "GET":
        return _relation_settings_page(request, project)
    form = RelationTypeForm(request.POST, prefix="new-type", labels=list(project.labels.all()))
    return _relation_settings_write(
        request,
        project,
        lambda: relation_type_create(project=project, **form.cleaned_data),
        lambda relation_type: f"Added the relation type {relation_type.name}.",
        form=form,
        type_form=form,
    )


@declares(Access.MANAGER)
@login_required
@require_POST
def relation_type_edit(request: HttpRequest, slug: str, relation_type_id: int) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    relation_type = get_object_or_404(RelationType, project=project, pk=relation_type_id)
    form = relation_type.form = RelationTypeForm(
        request.POST, prefix=f"type-{relation_type.pk}", labels=list(project.labels.all())
    )
    return _relation_settings_write(
        request,
        project,
        lambda: relation_type_update(relation_type=relation_type, **form.cleaned_data),
        lambda saved: f"Saved the relation type {saved.name}.",
        form=form,
        edited=relation_type,
    )


@declares(Access.MANAGER)
@login_required
@require_POST
def relation_type_delete_view(
    request: HttpRequest, slug: str, relation_type_id: int
) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    relation_type = get_object_or_404(RelationType, project=project, pk=relation_type_id)
    return _relation_settings_write(
        request,
        project,
        lambda: relation_type_delete(relation_type=relation_type),
        lambda _: f"Deleted the relation type {relation_type.name}.",
    )


@declares(Access.MANAGER)
@login_required
@require_POST
def attribute_add(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    form = AttributeForm(request.POST, prefix="new-attribute", labels=list(project.labels.all()))
    return _relation_settings_write(
        request,
        project,
        lambda: label_attribute_create(**form.cleaned_data),
        lambda attribute: f"Added the attribute {attribute.name} of {attribute.label}.",
        form=form,
        attribute_form=form,
    )


@declares(Access.MANAGER)
@login_required
@require_POST
def attribute_edit(request: HttpRequest, slug: str, attribute_id: int) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    attribute = get_object_or_404(LabelAttribute, label__project=project, pk=attribute_id)
    form = attribute.form = AttributeEditForm(
        request.POST, prefix=f"attribute-{attribute.pk}", labels=list(project.labels.all())
    )
    return _relation_settings_write(
        request,
        project,
        lambda: label_attribute_update(attribute=attribute, **form.cleaned_data),
        lambda saved: f"Saved the attribute {saved.name} of {saved.label}.",
        form=form,
        edited=attribute,
    )


@declares(Access.MANAGER)
@login_required
@require_POST
def attribute_delete_view(request: HttpRequest, slug: str, attribute_id: int) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    attribute = get_object_or_404(
        LabelAttribute.objects.select_related("label"), label__project=project, pk=attribute_id
    )
    return _relation_settings_write(
        request,
        project,
        lambda: label_attribute_delete(attribute=attribute),
        lambda _: f"Deleted the attribute {attribute.name} of {attribute.label}.",
    )


def _members_page(
    request: HttpRequest,
    project: Project,
    *,
    add_form: MemberAddForm | None = None,
    refusal: str = "",
) -> HttpResponse:
    members = list(
        Membership.objects.filter(project=project)
        .select_related("user")
        .order_by("role", "user__username")
    )
    refused = bool(refusal or (add_form is not None and add_form.errors))
    return render(
        request,
        "annotator/manage/members.html",
        {
            "project": project,
            "members": members,
            "add_form": add_form or MemberAddForm(),
            "roles": Role,
            "refusal": refusal,
        },
        status=400 if refused else 200,
    )


@declares(Access.MANAGER)
@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's members with their roles; POST adds an existing user."""
    project = project_for(request.user, slug, Access.MANAGER)
    if request.method == "GET":
        return _members_page(request, project)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = member_add(project=project, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                f"Added {membership.user.get_username()} as "
                f"{membership.get_role_display().lower()}.",
            )
            return redirect("members", project.slug)
    return _members_page(request, project, add_form=form)


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


@declares(Access.MANAGER)
@login_required
@require_POST
def member_edit(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    membership = get_object_or_404(Membership, project=project, pk=membership_id)
    form = MemberForm(request.POST)
    if not form.is_valid():
        return _members_page(
            request, project, refusal="Choose a role: manager, curator or annotator."
        )
    try:
        membership = member_update(membership=membership, **form.cleaned_data)
    except ValidationError as error:
        return _members_page(request, project, refusal=_refusal(error))
    messages.success(request, f"Saved {membership.user.get_username()}.")
    return redirect("members", project.slug)


@declares(Access.MANAGER)
@login_required
@require_POST
def member_remove_view(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    project = project_for(request.user, slug, Access.MANAGER)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), project=project, pk=membership_id
    )
    try:
        withdrawn = member_remove(membership=membership)
    except ValidationError as error:
        return _members_page(request, project, refusal=_refusal(error))
    name = membership.user.get_username()
    message = f"Removed {name}."
    if withdrawn:
        message += f" {withdrawn} unstarted assignment{'s' if withdrawn != 1 else ''} withdrawn."
    messages.success(request, message)
    if membership.user_id == request.user.pk and not request.user.is_superuser:
        return redirect("project-list")
    return redirect("members", project.slug)

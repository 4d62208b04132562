"""Data and invariants.

Offsets everywhere are Python code points into ``Document.text``, half-open
``[start, end)``. The text is normalised once, when a document is stored, and
frozen once it carries spans (a database trigger, see migration 0002), because
every offset is counted against it.
"""

import hashlib
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.urls import reverse


def normalize_text(text: str) -> str:
    """Unicode NFC with every CRLF and lone CR turned into LF."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    CURATOR = "curator", "Curator"
    ANNOTATOR = "annotator", "Annotator"


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProjectQuerySet":
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(memberships__user=user)


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="Markdown")
    guidelines_version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("document-list", args=[self.slug])

    def role_of(self, user) -> str | None:
        """The user's role here; superusers act as managers everywhere."""
        if user.is_superuser:
            return Role.MANAGER
        membership = self.memberships.filter(user=user).first()
        return membership.role if membership else None


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb.")
hotkey_validator = RegexValidator(r"^[0-9a-z]$", "A hotkey is one digit or lower-case letter.")


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    colour = models.CharField(max_length=7, validators=[colour_validator])
    hotkey = models.CharField(max_length=1, validators=[hotkey_validator])
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "hotkey"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "project", name="label_name_unique_per_project_ci"
            ),
            models.UniqueConstraint(fields=["project", "hotkey"], name="label_hotkey_unique"),
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="label_colour_hex"
            ),
            models.CheckConstraint(
                condition=Q(hotkey__regex=r"^[0-9a-z]$"), name="label_hotkey_one_key"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="label_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DocumentQuerySet":
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(project__memberships__user=user)


class Document(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=500)
    source = models.CharField(max_length=2000, blank=True, help_text="URL or name")
    published = models.DateField(null=True, blank=True)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64, editable=False)
    metadata = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "text_sha256"])]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="document_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.pk and self.has_spans():
            stored = Document.objects.filter(pk=self.pk).values_list("text", flat=True).first()
            if stored is not None and stored != normalize_text(self.text):
                raise ValidationError({"text": "This document has spans; its text cannot change."})

    def has_spans(self) -> bool:
        return self.spans.exists()


@receiver(pre_save, sender=Document)
def normalize_document_text(sender, instance: Document, **kwargs) -> None:
    """Normalise on every save, fixtures (raw saves) included, so no path stores raw text."""
    instance.title = unicodedata.normalize("NFC", instance.title)
    instance.text = normalize_text(instance.text)
    instance.text_sha256 = text_digest(instance.text)


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class AssignmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class Assignment(models.Model):
    """One annotator's work on one document: status and a stored span count.

    The count is kept by the span services so that list pages never count spans
    per row.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    status = models.CharField(
        max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.NOT_STARTED
    )
    span_count = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "annotator"], name="assignment_unique"),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="assignment_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["annotator", "document"])]

    def __str__(self) -> str:
        return f"{self.annotator} on {self.document_id}: {self.status}"


class SpanQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SpanQuerySet":
        """Annotation is private: a user sees only their own spans."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(annotator=user, document__in=Document.objects.visible_to(user))


class Span(models.Model):
    """A labelled range ``[start, end)`` of code points in ``document.text``.

    The database checks ``0 <= start < end``; a trigger (migration 0002) checks
    ``end <= len(text)`` and that the label belongs to the document's project.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="spans")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spans"
    )
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    client_id = models.UUIDField(default=uuid.uuid4, unique=True)
    guidelines_version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = SpanQuerySet.as_manager()

    class Meta:
        ordering = ["start", "-end", "label_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="span_start_not_negative"),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="span_not_empty"),
            models.UniqueConstraint(
                fields=["document", "annotator", "label", "start", "end"],
                name="span_unique_per_annotator",
            ),
        ]
        indexes = [models.Index(fields=["document", "annotator", "start"])]

    def __str__(self) -> str:
        return f"{self.label} [{self.start}, {self.end})"

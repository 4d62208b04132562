"""Data and invariants.

Offsets everywhere are Python code points into ``Document.text``, half-open
``[start, end)``. The text is normalised once, when a document is stored, and
frozen once it carries spans or gold spans (database triggers, see migrations
0002 and 0003), because every offset is counted against it.
"""

import hashlib
import re
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.urls import reverse

from .projects.colours import INK, MINIMUM_CONTRAST, contrast_ratio, readable_under_ink


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
    annotators_per_document = models.PositiveSmallIntegerField(
        default=2, help_text="How many annotators the distribution gives each document."
    )
    assignment_required = models.BooleanField(
        default=False,
        help_text="Annotators may annotate only the documents assigned to them "
        "(set when documents are distributed or assigned by hand).",
    )
    document_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="Kept by a database trigger (migration 0004)."
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotators_per_document__gte=1),
                name="project_annotators_per_document_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # document_count belongs to the database triggers: an instance loaded
        # before documents were added must not write its stale copy back.
        if (
            self.pk is not None
            and not kwargs.get("force_insert")
            and not kwargs.get("update_fields")
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "document_count"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("document-list", args=[self.slug])

    def role_of(self, user) -> str | None:
        """The user's role here; superusers act as managers everywhere."""
        if user.is_superuser:
            return Role.MANAGER
        membership = self.memberships.filter(user=user).first()
        return membership.role if membership else None

    def may_curate(self, user) -> bool:
        """Curators and managers see every annotator's work; annotators only their own."""
        return self.role_of(user) in (Role.MANAGER, Role.CURATOR)


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb.")
hotkey_validator = RegexValidator(r"^[0-9a-z]$", "A hotkey is one digit or lower-case letter.")

# Every key the annotate and adjudicate pages bind for themselves (selection.js,
# annotate.js, adjudicate.js), with what it does there. A label's hotkey is checked
# before the pages' own keys, so a label may not take one of these: the database
# refuses the ones a hotkey could be (RESERVED_HOTKEYS), the label forms say why.
# tests/test_label_settings.py reads the scripts and fails on a bound key missing here.
RESERVED_KEYS = {
    "n": "opens the next document",
    "p": "opens the previous document",
    "a": "accepts the selected gold proposal",
    "A": "accepts every gold proposal, or every suggestion of the selected one's label",
    "s": "selects the next suggestion",
    "S": "selects the previous suggestion",
    "x": "rejects the selected suggestion",
    "e": "moves the selected gold span to the selected text",
    "u": "uses the selected annotator span as gold",
    "Enter": "selects the span at the caret, or accepts the selected suggestion",
    "z": "undoes with Ctrl (a label on z would fire when Ctrl is let go too early)",
    "Escape": "clears the selection",
    "Delete": "deletes the selected span",
    "Backspace": "deletes the selected span",
    "ArrowDown": "moves the adjudication caret down into the annotators' lanes",
    "ArrowUp": "moves the adjudication caret up out of the annotators' lanes",
    "ArrowLeft": "moves to an annotator's previous span in the lanes",
    "ArrowRight": "moves to an annotator's next span in the lanes",
}
RESERVED_HOTKEYS = sorted(key for key in RESERVED_KEYS if re.fullmatch(r"[0-9a-z]", key))


def validate_hotkey_free(hotkey: str) -> None:
    if hotkey in RESERVED_KEYS:
        raise ValidationError(
            "%(key)s is taken by the annotation pages: it %(use)s.",
            params={"key": hotkey, "use": RESERVED_KEYS[hotkey]},
            code="reserved",
        )


def validate_colour_readable(colour: str) -> None:
    """The ink on the label's marks must reach WCAG's 4.5:1 (annotator/projects/colours.py)."""
    if re.fullmatch(r"#[0-9a-fA-F]{6}", colour) and not readable_under_ink(colour):
        raise ValidationError(
            "Text on %(colour)s would be hard to read: its contrast with the text colour "
            "%(ink)s is %(ratio).1f:1, below %(minimum)s:1. Choose a lighter colour.",
            params={
                "colour": colour,
                "ink": INK,
                "ratio": contrast_ratio(colour, INK),
                "minimum": MINIMUM_CONTRAST,
            },
            code="contrast",
        )


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    colour = models.CharField(max_length=7, validators=[colour_validator, validate_colour_readable])
    hotkey = models.CharField(max_length=1, validators=[hotkey_validator, validate_hotkey_free])
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
            models.CheckConstraint(
                condition=~Q(hotkey__in=RESERVED_HOTKEYS), name="label_hotkey_not_reserved"
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


class GoldStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    GOLD = "gold", "Gold"


class Document(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=500)
    source = models.CharField(max_length=2000, blank=True, help_text="URL or name")
    published = models.DateField(null=True, blank=True)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64, editable=False)
    metadata = models.JSONField(default=dict, blank=True)
    gold_status = models.CharField(
        max_length=20, choices=GoldStatus.choices, default=GoldStatus.NOT_STARTED
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["project", "text_sha256"]),
            # Exports and the document list walk a project's documents in id order.
            models.Index(fields=["project", "id"]),
            models.Index(fields=["project", "gold_status", "id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="document_text_not_empty"),
            models.CheckConstraint(
                condition=Q(gold_status__in=GoldStatus.values), name="document_gold_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.pk and self.has_spans():
            stored = Document.objects.filter(pk=self.pk).values_list("text", flat=True).first()
            if stored is not None and stored != normalize_text(self.text):
                raise ValidationError({"text": "This document has spans; its text cannot change."})

    def has_spans(self) -> bool:
        return self.spans.exists() or self.gold_spans.exists()


@receiver(post_save, sender=Project)
def recount_loaded_project(sender, instance: Project, raw: bool, **kwargs) -> None:
    """A fixture (raw save) writes every column; put the trigger-kept count right again."""
    if raw:
        Project.objects.filter(pk=instance.pk).update(
            document_count=Coalesce(
                models.Subquery(
                    Document.objects.filter(project_id=instance.pk)
                    .order_by()
                    .values("project_id")
                    .annotate(total=models.Count("id"))
                    .values("total")
                ),
                0,
            )
        )


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
    in_pool = models.BooleanField(
        default=True,
        help_text="An annotator in the pool receives documents when they are distributed.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    SKIPPED = "skipped", "Skipped"


# An annotator may still change spans under these; the others wait for a curator.
OPEN_STATUSES = (AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS)


class Distribution(models.Model):
    """One run of *Distribute*: it marks the assignments it created, so it can be undone.

    It can be undone while every one of its assignments is untouched (assigned,
    no span). ``enabled_assignment_required`` records that this run closed an
    open project, so that undoing it opens the project again.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="distributions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    enabled_assignment_required = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"distribution {self.pk} of {self.project}"


class Assignment(models.Model):
    """One annotator's work on one document: status and a stored span count.

    The count is kept by the span services so that list pages never count spans
    per row. A skipped assignment carries the annotator's reason.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    status = models.CharField(
        max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    skip_reason = models.TextField(blank=True)
    span_count = models.PositiveIntegerField(default=0)
    submitted = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)
    # The distribution that created it; null when assigned by hand or by the first span.
    distribution = models.ForeignKey(
        Distribution,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "annotator"], name="assignment_unique"),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="assignment_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=AssignmentStatus.SKIPPED) | ~Q(skip_reason=""),
                name="assignment_skip_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["annotator", "document"]),
            models.Index(fields=["document", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.annotator} on {self.document_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


#: Longest suggestion source or span origin: ``model:<name>@<version>``, ``import:<name>``.
SOURCE_MAX_LENGTH = 200


class SpanQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SpanQuerySet":
        """Annotation is blind: a user sees only their own spans.

        Curators read other annotators' spans only through the adjudication
        page, which checks the role first.
        """
        if not user.is_authenticated:
            return self.none()
        return self.filter(annotator=user, document__in=Document.objects.visible_to(user))


class Span(models.Model):
    """A labelled range ``[start, end)`` of code points in ``document.text``.

    The database checks ``0 <= start < end``; a trigger (migration 0002) checks
    ``end <= len(text)`` and that the label belongs to the document's project.
    """

    # Indexed first in the (document, annotator, ...) indexes below; one of its own only
    # slowed every insert (migration 0022).
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="spans", db_index=False
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spans"
    )
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    client_id = models.UUIDField(default=uuid.uuid4, unique=True)
    guidelines_version = models.PositiveIntegerField(default=1)
    # Nullable, unlike other text columns: SQLite can add a nullable column in
    # place, while a NOT NULL one makes Django rebuild the table, which the
    # triggers on and around it (migrations 0002 to 0005) do not survive.
    origin = models.CharField(  # noqa: DJ001 - see above
        max_length=SOURCE_MAX_LENGTH,
        null=True,
        blank=True,
        help_text="Where the span came from, when the annotator did not mark it: the source "
        "of the suggestion they accepted (string-match, model:<name>@<version>, "
        "import:<name>) or the import that wrote it (import:<name>). None: marked by hand.",
    )
    suggestion = models.ForeignKey(
        "Suggestion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="spans",
        help_text="The suggestion accepted to make this span, while it exists.",
        # Indexed only where set (Meta.indexes): most spans are not accepted suggestions.
        db_index=False,
    )
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
        indexes = [
            models.Index(fields=["document", "annotator", "start"]),
            models.Index(
                fields=["suggestion"],
                condition=Q(suggestion__isnull=False),
                name="span_suggestion_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} [{self.start}, {self.end})"


class GoldSpanStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"


class GoldOrigin(models.TextChoices):
    MERGE = "merge", "Pre-merge"
    CURATOR = "curator", "Curator"


class GoldSpan(models.Model):
    """A span of the adjudicated (gold) version of a document, with its provenance.

    Same invariants as :class:`Span`: ``0 <= start < end`` here, and a trigger
    (migration 0003) checks ``end <= len(text)`` and the label's project.
    ``origin`` says who proposed it: the pre-merge (``merge_rule`` says which
    rule) or the curator. ``source_spans`` are the annotators' spans it was taken
    from; ``curator`` is whoever last accepted or changed it.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="gold_spans")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="gold_spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=GoldSpanStatus.choices, default=GoldSpanStatus.PROPOSED
    )
    origin = models.CharField(max_length=20, choices=GoldOrigin.choices)
    merge_rule = models.CharField(max_length=200, blank=True)
    source_spans = models.ManyToManyField(Span, blank=True, related_name="gold_spans")
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gold_spans",
    )
    guidelines_version = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "-end", "label_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="gold_span_start_not_negative"),
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="gold_span_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(status__in=GoldSpanStatus.values), name="gold_span_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=GoldOrigin.values), name="gold_span_origin_valid"
            ),
            models.CheckConstraint(
                condition=~Q(origin=GoldOrigin.MERGE) | ~Q(merge_rule=""),
                name="gold_span_merge_has_rule",
            ),
            models.UniqueConstraint(
                fields=["document", "label", "start", "end"], name="gold_span_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"gold {self.label} [{self.start}, {self.end})"


class RelationType(models.Model):
    """A kind of link from one span to another, per project: ``claimant`` links a claim,
    threat or proposal to the actor who makes it.

    ``source_labels`` and ``target_labels`` say which spans may sit at each end;
    an empty set allows every label of the project. ``key`` is the key the
    annotate page will pick the type with: one digit or lower-case letter,
    unique among the project's relation types and not one the pages reserve.
    An undirected type treats ``A - B`` and ``B - A`` as the same relation.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="relation_types")
    name = models.CharField(max_length=50)
    key = models.CharField(max_length=1, validators=[hotkey_validator, validate_hotkey_free])
    directed = models.BooleanField(default=True)
    source_labels = models.ManyToManyField(Label, blank=True, related_name="+")
    target_labels = models.ManyToManyField(Label, blank=True, related_name="+")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "key"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "project", name="relation_type_name_unique_per_project_ci"
            ),
            models.UniqueConstraint(fields=["project", "key"], name="relation_type_key_unique"),
            models.CheckConstraint(
                condition=Q(key__regex=r"^[0-9a-z]$"), name="relation_type_key_one_key"
            ),
            models.CheckConstraint(
                condition=~Q(key__in=RESERVED_HOTKEYS), name="relation_type_key_not_reserved"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="relation_type_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class RelationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "RelationQuerySet":
        """Blind, as spans are (:meth:`SpanQuerySet.visible_to`): a user sees only their own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(annotator=user, document__in=Document.objects.visible_to(user))


class Relation(models.Model):
    """A typed link from an annotator's span to another span of theirs on the same document.

    ``document`` and ``annotator`` repeat the spans' own, so a document's relations
    are read without a join and blind reads filter on one column. A trigger
    (migration 0017) checks that both spans belong to this document and annotator
    and that the type belongs to the document's project; the check constraint
    refuses a relation from a span to itself. Deleting a span deletes its
    relations (a foreign key cascade, and a trigger for deletes Django does not see).
    """

    type = models.ForeignKey(RelationType, on_delete=models.PROTECT, related_name="relations")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="relations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relations"
    )
    source = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="relations_from")
    target = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="relations_to")
    client_id = models.UUIDField(default=uuid.uuid4, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = RelationQuerySet.as_manager()

    class Meta:
        ordering = ["source_id", "target_id", "type_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="relation_not_to_itself"
            ),
            models.UniqueConstraint(
                fields=["type", "source", "target"], name="relation_unique_per_type"
            ),
        ]
        indexes = [models.Index(fields=["document", "annotator"])]

    def __str__(self) -> str:
        return f"{self.type} {self.source_id} -> {self.target_id}"


ATTRIBUTE_VALUE_MAX_LENGTH = 50


class LabelAttribute(models.Model):
    """A categorical attribute of the spans of one label, such as ``stance`` on claims.

    ``allowed_values`` is the list of allowed values, in the order they are offered.
    A span holds at most one value per attribute (:class:`SpanAttribute`); none
    is required.
    """

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="attributes")
    name = models.CharField(max_length=50)
    allowed_values = models.JSONField(default=list, help_text="The allowed values, in order.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["label", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "label", name="label_attribute_name_unique_per_label_ci"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="label_attribute_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.label}.{self.name}"

    def clean(self) -> None:
        values = self.allowed_values
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(value, str) and value.strip() for value in values)
        ):
            raise ValidationError(
                {"allowed_values": "List at least one value, each a non-empty string."}
            )
        if len(set(values)) != len(values):
            raise ValidationError({"allowed_values": "Each value may be listed once."})
        if any(len(value) > ATTRIBUTE_VALUE_MAX_LENGTH for value in values):
            raise ValidationError(
                {"allowed_values": f"A value is at most {ATTRIBUTE_VALUE_MAX_LENGTH} characters."}
            )


class SpanAttribute(models.Model):
    """A span's value of one attribute of its label; one value per span and attribute.

    A trigger (migration 0017) checks that the attribute belongs to the span's
    label and that the value is one of the attribute's ``allowed_values``. Deleting the
    span deletes its values.
    """

    span = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="attribute_values")
    attribute = models.ForeignKey(
        LabelAttribute, on_delete=models.CASCADE, related_name="span_values"
    )
    value = models.CharField(max_length=ATTRIBUTE_VALUE_MAX_LENGTH)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["span_id", "attribute_id"]
        constraints = [
            models.UniqueConstraint(fields=["span", "attribute"], name="span_attribute_one_value"),
            models.CheckConstraint(condition=~Q(value=""), name="span_attribute_value_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute}={self.value}"


class ActorAlias(models.Model):
    """A curator's merge of an actor variant into an entity, for the discourse network:
    actor spans whose normalised text is ``alias`` count as ``entity``
    (``annotator/curation/network.py`` says how text is normalised).

    ``alias`` is stored normalised, so one variant has one row per project; deleting
    the row undoes the merge. The service (``curation/actor_aliases.py``) refuses
    chains (an alias into an entity that is itself an alias) and a merge into itself.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="actor_aliases")
    alias = models.CharField(max_length=200)
    entity = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "entity", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["project", "alias"], name="actor_alias_unique"),
            models.CheckConstraint(condition=~Q(alias=""), name="actor_alias_not_empty"),
            models.CheckConstraint(condition=~Q(entity=""), name="actor_alias_entity_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.alias} -> {self.entity}"


class GoldRelation(models.Model):
    """A typed link between two gold spans of one document, with its provenance.

    Like :class:`GoldSpan`: ``status`` proposed or accepted, ``origin`` the pre-merge
    (``merge_rule`` says which rule, ``source_relations`` the annotators' relations it
    came from) or the curator, ``curator`` whoever last accepted or added it. A trigger
    (migration 0021) checks that both gold spans belong to ``document`` and the type to
    its project; the check constraint refuses a relation from a gold span to itself.
    Deleting a gold span deletes its gold relations (a cascade, and a trigger for
    deletes Django does not see).
    """

    type = models.ForeignKey(RelationType, on_delete=models.PROTECT, related_name="gold_relations")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="gold_relations")
    source = models.ForeignKey(GoldSpan, on_delete=models.CASCADE, related_name="relations_from")
    target = models.ForeignKey(GoldSpan, on_delete=models.CASCADE, related_name="relations_to")
    status = models.CharField(
        max_length=20, choices=GoldSpanStatus.choices, default=GoldSpanStatus.PROPOSED
    )
    origin = models.CharField(max_length=20, choices=GoldOrigin.choices)
    merge_rule = models.CharField(max_length=200, blank=True)
    source_relations = models.ManyToManyField(Relation, blank=True, related_name="gold_relations")
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gold_relations",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source_id", "target_id", "type_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="gold_relation_not_to_itself"
            ),
            models.CheckConstraint(
                condition=Q(status__in=GoldSpanStatus.values), name="gold_relation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=GoldOrigin.values), name="gold_relation_origin_valid"
            ),
            models.CheckConstraint(
                condition=~Q(origin=GoldOrigin.MERGE) | ~Q(merge_rule=""),
                name="gold_relation_merge_has_rule",
            ),
            models.UniqueConstraint(
                fields=["type", "source", "target"], name="gold_relation_unique_per_type"
            ),
        ]
        indexes = [models.Index(fields=["document"])]

    def __str__(self) -> str:
        return f"gold {self.type} {self.source_id} -> {self.target_id}"


class GoldSpanAttribute(models.Model):
    """A gold span's value of one attribute of its label; one value per gold span and attribute.

    It has no status of its own: it is gold when its gold span is accepted. ``origin``
    says who set it: the pre-merge (``merge_rule``, ``source_values`` the annotators'
    values it came from) or the curator. A trigger (migration 0021) checks that the
    attribute belongs to the gold span's label and that the value is allowed.
    """

    gold_span = models.ForeignKey(
        GoldSpan, on_delete=models.CASCADE, related_name="attribute_values"
    )
    attribute = models.ForeignKey(
        LabelAttribute, on_delete=models.CASCADE, related_name="gold_values"
    )
    value = models.CharField(max_length=ATTRIBUTE_VALUE_MAX_LENGTH)
    origin = models.CharField(max_length=20, choices=GoldOrigin.choices)
    merge_rule = models.CharField(max_length=200, blank=True)
    source_values = models.ManyToManyField(SpanAttribute, blank=True, related_name="gold_values")
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gold_attribute_values",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["gold_span_id", "attribute_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gold_span", "attribute"], name="gold_span_attribute_one_value"
            ),
            models.CheckConstraint(
                condition=~Q(value=""), name="gold_span_attribute_value_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=GoldOrigin.values), name="gold_span_attribute_origin_valid"
            ),
            models.CheckConstraint(
                condition=~Q(origin=GoldOrigin.MERGE) | ~Q(merge_rule=""),
                name="gold_span_attribute_merge_has_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"gold {self.attribute}={self.value}"


class DocumentAgreement(models.Model):
    """Agreement statistics of one document over its submitted assignments.

    ``statistics`` is :func:`annotator.curation.agreement.document_statistics` output
    (additive counts); ``score`` is the exact span F1 (micro, all pairs), kept
    as a column so the dashboard can list the lowest-agreement documents with
    an index. Stored only for documents with two or more submitted annotators.
    """

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="agreement")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    annotators = models.PositiveSmallIntegerField()
    score = models.FloatField(null=True)
    statistics = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project", "score"])]

    def __str__(self) -> str:
        return f"agreement of document {self.document_id}"


class ProjectAgreement(models.Model):
    """The project's merged statistics and their summary, read as-is by the dashboard."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="agreement")
    documents = models.PositiveIntegerField(default=0)
    statistics = models.JSONField(null=True)
    summary = models.JSONField(null=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"agreement of project {self.project_id}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="Shown in lists to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


class AuditEvent(models.Model):
    """Who created, changed or deleted a span or gold span, and when.

    Append-only: database triggers (migration 0004) refuse every UPDATE and
    DELETE. Ids are plain integers rather than foreign keys, so the record
    outlives what it describes. ``document_id`` is empty for a write that
    belongs to the project, not one document (an actor alias).
    """

    at = models.DateTimeField(auto_now_add=True)
    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(max_length=150)
    project_id = models.BigIntegerField()
    document_id = models.BigIntegerField(null=True)
    subject = models.CharField(max_length=20, help_text="span or gold_span")
    subject_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["project_id", "-at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.subject} {self.subject_id}"


class Release(models.Model):
    """An immutable, versioned snapshot of a project's gold data.

    Written once: a database trigger (migration 0004) refuses updates. The
    archive holds every exported file and the dataset card; ``files`` maps each
    file name inside it to its sha256.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="releases")
    version = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="releases"
    )
    created = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=20, default="gold")
    formats = models.JSONField(default=list)
    splits = models.JSONField(default=dict, help_text="seed and ratios")
    document_ids = models.JSONField(default=list)
    counts = models.JSONField(default=dict, help_text="spans per label and split")
    agreement = models.JSONField(null=True)
    guidelines_version = models.PositiveIntegerField()
    files = models.JSONField(default=dict, help_text="file name -> sha256")
    archive = models.FileField(upload_to="releases/")
    archive_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="release_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="release_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.version}"


class ReleaseJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# Not finished yet: the Export page keeps polling while a job is in one of these.
PENDING_JOB_STATUSES = (ReleaseJobStatus.QUEUED, ReleaseJobStatus.RUNNING)


class ReleaseJob(models.Model):
    """A release asked for from the page or the API, built later by the release worker.

    queued -> running -> done (with its release) or failed (with a message for the
    user). A running job whose worker stopped reporting goes back to the queue, or
    fails after too many attempts (:mod:`annotator.exports.release_jobs`).
    ``attempts`` counts claims: a worker's every write to the row names the claim it
    holds, so a worker that was given up for dead cannot finish a job another took.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="release_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="release_jobs"
    )
    formats = models.JSONField(help_text="format names, in the order of the export formats")
    seed = models.CharField(max_length=100, default="0")
    train = models.FloatField(default=0.8)
    validation = models.FloatField(default=0.1)
    test = models.FloatField(default=0.1)
    license = models.CharField(max_length=100)
    languages = models.JSONField(
        default=list, blank=True, help_text="ISO 639-1 codes; none: detected from the texts"
    )
    status = models.CharField(
        max_length=10, choices=ReleaseJobStatus.choices, default=ReleaseJobStatus.QUEUED
    )
    message = models.TextField(blank=True, help_text="why the job failed, for the user")
    attempts = models.PositiveSmallIntegerField(default=0)
    current_format = models.CharField(max_length=50, blank=True)
    documents_done = models.PositiveIntegerField(default=0, help_text="of the current format")
    documents_total = models.PositiveIntegerField(default=0)
    release = models.OneToOneField(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="job"
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="when the worker running the job last reported"
    )
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["status", "created"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReleaseJobStatus.values), name="release_job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=ReleaseJobStatus.DONE, release__isnull=False)
                | (~Q(status=ReleaseJobStatus.DONE) & Q(release__isnull=True)),
                name="release_job_done_has_release",
            ),
            models.CheckConstraint(
                condition=Q(status=ReleaseJobStatus.FAILED) & ~Q(message="")
                | ~Q(status=ReleaseJobStatus.FAILED) & Q(message=""),
                name="release_job_failed_has_message",
            ),
            models.CheckConstraint(
                condition=Q(status=ReleaseJobStatus.QUEUED, started__isnull=True)
                | ~Q(status=ReleaseJobStatus.QUEUED) & Q(started__isnull=False),
                name="release_job_started_unless_queued",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReleaseJobStatus.RUNNING) | Q(heartbeat__isnull=False),
                name="release_job_running_has_heartbeat",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PENDING_JOB_STATUSES, finished__isnull=True)
                | ~Q(status__in=PENDING_JOB_STATUSES) & Q(finished__isnull=False),
                name="release_job_finished_when_done_or_failed",
            ),
            models.CheckConstraint(
                condition=Q(documents_done__lte=models.F("documents_total")),
                name="release_job_progress_within_total",
            ),
            models.CheckConstraint(condition=~Q(formats=[]), name="release_job_has_formats"),
            models.CheckConstraint(
                condition=Q(train__gte=0, train__lte=1)
                & Q(validation__gte=0, validation__lte=1)
                & Q(test__gte=0, test__lte=1),
                name="release_job_ratios_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"release job {self.pk} of {self.project}: {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_JOB_STATUSES

    @property
    def format_number(self) -> int | None:
        """1 for the first format written, ...; None before the first."""
        if self.current_format not in self.formats:
            return None
        return self.formats.index(self.current_format) + 1


class ReleaseWorker(models.Model):
    """A release worker process as it last reported, for ``release_worker --status``.

    The worker writes its row when it starts, a heartbeat while it runs (between
    jobs, and with a job's progress), the job it is building, and when it stops
    (:mod:`annotator.exports.release_workers`). A worker killed outright leaves its
    row running and silent, until a worker starting a day later deletes it.
    """

    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started = models.DateTimeField(auto_now_add=True)
    heartbeat = models.DateTimeField(help_text="when the worker last reported")
    job = models.ForeignKey(
        ReleaseJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the job it is building",
    )
    stopped = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stopped__isnull=True) | Q(job__isnull=True),
                name="release_worker_stopped_builds_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"release worker {self.hostname} pid {self.pid}"


class TallyKind(models.TextChoices):
    ASSIGNMENT_STATUS = "assignment_status", "Assignments by status"
    GOLD_STATUS = "gold_status", "Documents by gold status"
    SPANS = "spans", "Spans by annotator and label"


class ProjectTally(models.Model):
    """Counts the dashboard shows, kept by database triggers (migration 0005).

    ``key`` is a status, or ``"<annotator id>:<label id>"`` for spans. The
    project is a plain id, not a foreign key: while a project is deleted its
    spans go first and their triggers still write here; the project's own
    delete trigger then removes its rows.
    """

    project_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=TallyKind.choices)
    key = models.CharField(max_length=64)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project_id", "kind", "key"], name="tally_unique"),
        ]

    def __str__(self) -> str:
        return f"project {self.project_id} {self.kind} {self.key}: {self.total}"


#: A pseudo-annotator's username: a kind, a colon and a name (``model:ner-v3``).
#: Django's username validator refuses ``:``, so no person can register one.
PSEUDO_ANNOTATOR_NAME = r"^[a-z]+:[\w.@+-]+$"


class PseudoAnnotator(models.Model):
    """A user that stands for a model or an imported data set, such as ``model:ner-v3``.

    Its user has an unusable password and is inactive, so it can never log in:
    the login page and the API's token authentication both refuse inactive
    users. It is a project member with the annotator role, out of the
    distribution pool, and its spans sit in submitted assignments, so agreement
    and the dashboard count it like any annotator (see
    :mod:`annotator.annotation.span_imports`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="pseudo_annotator",
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.user.get_username()


class Suggestion(models.Model):
    """A labelled range ``[start, end)`` of code points proposed to annotators.

    ``source`` says who proposes it: ``string-match``, ``model:<name>@<version>``
    or ``import:<name>``. ``annotator`` is the one annotator it is offered to
    (string-match suggestions, computed from that annotator's own spans), or
    None for every annotator of the project (model predictions, imports). Each
    annotator decides for themselves (:class:`SuggestionDecision`); without a
    decision it is pending. A trigger (migration 0014) checks ``end <=
    len(text)`` and the label's project, as for spans.
    """

    # Indexed first in the (document, annotator) index below (migration 0022).
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="suggestions", db_index=False
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="suggestions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    source = models.CharField(max_length=SOURCE_MAX_LENGTH)
    score = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "-end", "label_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="suggestion_start_not_negative"),
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="suggestion_not_empty"
            ),
            models.CheckConstraint(condition=~Q(source=""), name="suggestion_has_source"),
            models.UniqueConstraint(
                fields=["document", "annotator", "source", "label", "start", "end"],
                condition=Q(annotator__isnull=False),
                name="suggestion_unique_for_annotator",
            ),
            models.UniqueConstraint(
                fields=["document", "source", "label", "start", "end"],
                condition=Q(annotator__isnull=True),
                name="suggestion_unique_for_everyone",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "annotator"]),
            models.Index(fields=["source"]),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.label} [{self.start}, {self.end})"


class SuggestionStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class SuggestionDecision(models.Model):
    """One annotator's answer to a suggestion; ``span`` is the span an acceptance made."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="decisions")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suggestion_decisions"
    )
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices)
    span = models.ForeignKey(
        Span, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "annotator"], name="suggestion_decision_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SuggestionStatus.values),
                name="suggestion_decision_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["annotator", "suggestion"])]

    def __str__(self) -> str:
        return f"{self.annotator} {self.status} suggestion {self.suggestion_id}"


class PhraseIndexVersion(models.Model):
    """A counter that moves whenever some spans of a project change.

    ``annotator_id`` 0 counts the project's gold spans; any other value counts
    that annotator's spans in the project. Kept by database triggers (migration
    0014), so every writer counts, bulk inserts and deletes included. The
    string-match automata are cached per process under these numbers
    (:mod:`annotator.annotation.string_match`): a process that finds another
    number rebuilds that automaton, the gold one or one annotator's, and only
    that one. Plain ids, as in :class:`ProjectTally`, so that deleting a
    project's spans can still write here.
    """

    project_id = models.BigIntegerField()
    annotator_id = models.BigIntegerField(default=0, help_text="0: the gold spans")
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "annotator_id"], name="phrase_index_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"phrases of project {self.project_id} ({self.annotator_id}): {self.version}"


class StringMatchRefresh(models.Model):
    """The phrase counters (:class:`PhraseIndexVersion`, gold and the annotator's own) at
    which one annotator's string-match suggestions on one document were last stored.

    While both counters still read the same, no span they count has changed, so the
    stored suggestions are what string matching would propose: listing them again
    computes and writes nothing (:func:`annotator.annotation.suggestions.string_match_refresh`).
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    gold_version = models.BigIntegerField()
    own_version = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "annotator"], name="string_match_refresh_unique"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"string matches of document {self.document_id} for {self.annotator_id}: "
            f"{self.gold_version}/{self.own_version}"
        )


class TrainingStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


PENDING_TRAINING_STATUSES = (TrainingStatus.QUEUED, TrainingStatus.RUNNING)


class TrainedModel(models.Model):
    """One version of a project's span categorizer: its training job, then the model.

    Queued by a curator, trained by ``manage.py train_worker`` from the
    project's gold documents of the train split, scored on the validation split
    (``metrics``: precision, recall and F1 per label and overall), saved
    (``weights`` with ``config``) and run over the documents not yet gold, whose
    predictions become suggestions with the source ``model:<name>@<version>``.
    States and the claim protocol are those of release jobs
    (:mod:`annotator.annotation.training`).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="trained_models")
    name = models.CharField(max_length=50, default="spancat")
    version = models.PositiveIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trained_models"
    )
    seed = models.CharField(max_length=100, default="0")
    train = models.FloatField(default=0.8)
    validation = models.FloatField(default=0.1)
    test = models.FloatField(default=0.1)
    epochs = models.PositiveSmallIntegerField(default=20)
    status = models.CharField(
        max_length=10, choices=TrainingStatus.choices, default=TrainingStatus.QUEUED
    )
    message = models.TextField(blank=True, help_text="why the training failed, for the user")
    attempts = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=50, blank=True, help_text="what the worker is doing")
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, help_text="documents and spans per split")
    metrics = models.JSONField(null=True, blank=True)
    config = models.TextField(blank=True, help_text="the spaCy pipeline's config")
    weights = models.FileField(upload_to="models/", blank=True)
    suggestions_made = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True, help_text="training time")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name", "version"], name="trained_model_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="trained_model_version_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TrainingStatus.values), name="trained_model_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=TrainingStatus.FAILED) & ~Q(message="")
                | ~Q(status=TrainingStatus.FAILED) & Q(message=""),
                name="trained_model_failed_has_message",
            ),
            models.CheckConstraint(
                condition=~Q(status=TrainingStatus.DONE) | ~Q(weights=""),
                name="trained_model_done_has_weights",
            ),
            models.CheckConstraint(
                condition=~Q(status=TrainingStatus.RUNNING) | Q(heartbeat__isnull=False),
                name="trained_model_running_has_heartbeat",
            ),
            models.CheckConstraint(
                condition=Q(train__gte=0, train__lte=1)
                & Q(validation__gte=0, validation__lte=1)
                & Q(test__gte=0, test__lte=1),
                name="trained_model_ratios_in_unit_interval",
            ),
            models.CheckConstraint(condition=Q(epochs__gte=1), name="trained_model_epochs"),
        ]
        indexes = [models.Index(fields=["status", "created"])]

    def __str__(self) -> str:
        return f"{self.source} of {self.project}: {self.status}"

    @property
    def source(self) -> str:
        """The source of its suggestions."""
        return f"model:{self.name}@{self.version}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_TRAINING_STATUSES

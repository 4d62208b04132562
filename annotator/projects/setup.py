"""Setting a project up: the project itself, its labels and its members.

The services the manager's pages (``web/manage.py``) call; each refuses bad input
with a ``ValidationError`` keyed by field and changes nothing.

Rules
-----
* A new project gets the four default labels (claim, threat, proposal, actor), the
  default relation types (``claimant`` and ``addressee``, from claim, threat and
  proposal to actor, directed), the attribute ``stance`` (support, oppose, neutral)
  on claim, threat and proposal, and its creator as manager. Migration 0017 gave
  projects made before these defaults the same ones. Its slug is its address and the
  API's: fixed once made.
* Changing the guidelines text raises ``guidelines_version``, which every new span
  and gold span records.
* A label's name is unique in its project ignoring case; its hotkey is one digit
  or lower-case letter, unique in the project, not a relation type's key, and not
  one of the keys the pages reserve (``models.RESERVED_KEYS``); its colour keeps
  the text on it readable (``projects/colours.py``, WCAG 4.5:1). Renaming or
  recolouring a label keeps its spans, which point to it by id. A label that spans
  or gold spans use cannot be deleted.
* A member's role is manager, curator or annotator; ``in_pool`` says whether an
  annotator receives documents when they are distributed. A project keeps at
  least one manager: the last one can be neither demoted nor removed. Removing a
  member withdraws the assignments they have not started, so distribution can give
  those documents to someone else; their spans and started work stay.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from ..models import (
    RESERVED_KEYS,
    Assignment,
    AssignmentStatus,
    Label,
    LabelAttribute,
    Membership,
    Project,
    RelationType,
    Role,
)

DEFAULT_LABELS = [
    (
        "claim",
        "#fde68a",
        "1",
        "A statement presented as fact about the past or present, accusations included. "
        'The span covers the content, not the speaker or the reporting verb ("said").',
    ),
    (
        "threat",
        "#fca5a5",
        "2",
        "A statement that an actor will or may do harm to another, often conditional on "
        "the other's conduct; ultimatums and threatened sanctions included.",
    ),
    (
        "proposal",
        "#a7f3d0",
        "3",
        "An offer, plan, request or call for a course of action (talks in January, "
        "a draft treaty).",
    ),
    (
        "actor",
        "#bfdbfe",
        "4",
        "The shortest mention that names a state, organisation, official or group "
        '("Sergey Lavrov", "NATO", "the Biden administration"); it may sit inside a '
        "claim, threat or proposal.",
    ),
]

#: Keys a label or relation type may take, in the order a free one is picked.
FREE_KEYS = [key for key in "0123456789abcdefghijklmnopqrstuvwxyz" if key not in RESERVED_KEYS]

#: Labels whose spans are statements, and the label of the actors who make or receive them.
STATEMENT_LABELS = ("claim", "threat", "proposal")
ACTOR_LABEL = "actor"

#: (name, key, description) of the relation types from a statement to an actor.
DEFAULT_RELATION_TYPES = [
    ("claimant", "c", "The actor who makes the claim, threat or proposal."),
    ("addressee", "d", "The actor the claim, threat or proposal is aimed at."),
]

#: (name, allowed values, description) of the attributes of every statement label.
DEFAULT_STATEMENT_ATTRIBUTES = [
    (
        "stance",
        ["support", "oppose", "neutral"],
        "Whether the statement supports, opposes or is neutral towards its subject.",
    ),
]


def add_default_relations(project: Project) -> None:
    """Give ``project`` the default relation types and statement attributes its labels allow.

    A relation type's key is never a label's hotkey: on the annotate page a label key
    relabels the selected span, where a relation key will start a relation from it.
    """
    labels = {label.name.lower(): label for label in project.labels.all()}
    statements = [labels[name] for name in STATEMENT_LABELS if name in labels]
    actor = labels.get(ACTOR_LABEL)
    if statements and actor is not None:
        taken = {label.hotkey for label in labels.values()}
        for name, key, description in DEFAULT_RELATION_TYPES:
            if key in taken:
                key = next(free for free in FREE_KEYS if free not in taken)
            taken.add(key)
            relation_type = RelationType.objects.create(
                project=project, name=name, key=key, directed=True, description=description
            )
            relation_type.source_labels.set(statements)
            relation_type.target_labels.set([actor])
    LabelAttribute.objects.bulk_create(
        LabelAttribute(label=label, name=name, allowed_values=values, description=description)
        for label in statements
        for name, values, description in DEFAULT_STATEMENT_ATTRIBUTES
    )


def _required(value: str, field: str, what: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        raise ValidationError({field: f"Enter {what}."})
    if len(value) > max_length:
        raise ValidationError({field: f"{what.capitalize()} is at most {max_length} characters."})
    return value


def _lines(text: str) -> str:
    """LF line ends: browsers post a textarea's lines with CRLF, which must not read as a change."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _per_document(value: int) -> int:
    if value < 1:
        raise ValidationError({"annotators_per_document": "A document needs at least one."})
    return value


def project_create(
    *,
    creator: AbstractBaseUser,
    name: str,
    slug: str,
    description: str = "",
    guidelines: str = "",
    annotators_per_document: int = 2,
) -> Project:
    """A project with the default labels, relation types and attributes, managed by
    ``creator``."""
    name = _required(name, "name", "a name", 200)
    slug = _required(slug, "slug", "a slug", 100)
    try:
        validate_slug(slug)
    except ValidationError as error:
        raise ValidationError({"slug": error.messages}) from None
    per_document = _per_document(annotators_per_document)
    taken = ValidationError({"slug": f"A project with the slug {slug} already exists."})
    if Project.objects.filter(slug=slug).exists():
        raise taken
    try:
        with transaction.atomic():
            project = Project.objects.create(
                name=name,
                slug=slug,
                description=_lines(description).strip(),
                guidelines=_lines(guidelines),
                annotators_per_document=per_document,
            )
            Label.objects.bulk_create(
                Label(project=project, name=label, colour=colour, hotkey=key, description=text)
                for label, colour, key, text in DEFAULT_LABELS
            )
            add_default_relations(project)
            Membership.objects.create(project=project, user=creator, role=Role.MANAGER)
    except IntegrityError:
        # Another project took the slug between the check and the insert.
        raise taken from None
    return project


def project_update(
    *,
    project: Project,
    name: str,
    description: str,
    guidelines: str,
    annotators_per_document: int,
) -> Project:
    """Save the project's settings; new guidelines text gets a new guidelines version."""
    name = _required(name, "name", "a name", 200)
    per_document = _per_document(annotators_per_document)
    guidelines = _lines(guidelines)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if guidelines != project.guidelines:
            project.guidelines = guidelines
            project.guidelines_version += 1
        project.name = name
        project.description = _lines(description).strip()
        project.annotators_per_document = per_document
        project.save(
            update_fields=[
                "name",
                "description",
                "guidelines",
                "guidelines_version",
                "annotators_per_document",
            ]
        )
    return project


def _checked_label(label: Label) -> Label:
    """The label with its fields tidied, or a ValidationError saying what is wrong."""
    label.name = _required(label.name, "name", "a name", 50)
    label.colour = label.colour.strip().lower()
    label.hotkey = label.hotkey.strip()
    label.description = label.description.strip()
    # Field validators: #rrggbb, readable under the ink, one key, not reserved.
    label.full_clean(exclude=["project", "name", "description"], validate_unique=False)
    others = Label.objects.filter(project_id=label.project_id).exclude(pk=label.pk)
    errors = {}
    if others.annotate(lower=Lower("name")).filter(lower=label.name.lower()).exists():
        errors["name"] = f"The project already has a label named {label.name}."
    clash = others.filter(hotkey=label.hotkey).first()
    if clash is not None:
        errors["hotkey"] = f"{label.hotkey} is already the key of {clash.name}."
    else:
        relation_type = RelationType.objects.filter(
            project_id=label.project_id, key=label.hotkey
        ).first()
        if relation_type is not None:
            errors["hotkey"] = (
                f"{label.hotkey} is the key of the relation type {relation_type.name}."
            )
    if errors:
        raise ValidationError(errors)
    return label


def _saved(label: Label) -> Label:
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError:
        # Another manager took the name or key between the check and the write.
        raise ValidationError(
            {"name": "Another label took this name or key meanwhile; try again."}
        ) from None
    return label


def label_create(
    *, project: Project, name: str, colour: str, hotkey: str, description: str = ""
) -> Label:
    label = Label(project=project, name=name, colour=colour, hotkey=hotkey, description=description)
    return _saved(_checked_label(label))


def label_update(*, label: Label, name: str, colour: str, hotkey: str, description: str) -> Label:
    """Rename, recolour or rekey a label; its spans keep pointing to it."""
    label = Label.objects.get(pk=label.pk)
    label.name, label.colour, label.hotkey, label.description = name, colour, hotkey, description
    return _saved(_checked_label(label))


def label_delete(*, label: Label) -> None:
    """Delete an unused label; one with spans or gold spans is refused (they would lose it)."""
    with transaction.atomic():
        label = Label.objects.select_for_update().get(pk=label.pk)
        spans, gold_spans = label.spans.count(), label.gold_spans.count()
        if spans or gold_spans:
            raise ValidationError(
                f"{label.name} is used by {spans} span{'s' if spans != 1 else ''} and "
                f"{gold_spans} gold span{'s' if gold_spans != 1 else ''}, so it cannot be "
                "deleted. Rename it instead."
            )
        label.delete()


def _role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError({"role": f"Choose a role: {', '.join(Role.values)}."})
    return role


def member_add(*, project: Project, username: str, role: str) -> Membership:
    """Make an existing user a member; accounts themselves are made in the admin."""
    username = username.strip()
    role = _role(role)
    users = get_user_model().objects.filter(username__iexact=username)
    exact = [user for user in users if user.get_username() == username]
    found = exact or list(users)
    if len(found) != 1:
        raise ValidationError(
            {"username": f"No user is called {username!r}. An administrator creates accounts."}
        )
    [user] = found
    try:
        with transaction.atomic():
            return Membership.objects.create(project=project, user=user, role=role)
    except IntegrityError:
        raise ValidationError(
            {"username": f"{user.get_username()} is already a member of {project.name}."}
        ) from None


def _refuse_losing_last_manager(membership: Membership) -> None:
    """Call with the project's row locked, so two managers cannot demote each other at once."""
    if membership.role != Role.MANAGER:
        return
    others = Membership.objects.filter(project_id=membership.project_id, role=Role.MANAGER)
    if not others.exclude(pk=membership.pk).exists():
        raise ValidationError(
            {
                "role": f"{membership.user.get_username()} is the last manager of this project: "
                "make another member a manager first."
            }
        )


def _locked_membership(membership: Membership) -> Membership:
    Project.objects.select_for_update().get(pk=membership.project_id)
    return Membership.objects.select_related("user").get(pk=membership.pk)


def member_update(*, membership: Membership, role: str, in_pool: bool) -> Membership:
    role = _role(role)
    with transaction.atomic():
        membership = _locked_membership(membership)
        if role != Role.MANAGER:
            _refuse_losing_last_manager(membership)
        membership.role = role
        membership.in_pool = in_pool
        membership.save(update_fields=["role", "in_pool"])
    return membership


def member_remove(*, membership: Membership) -> int:
    """Remove a member; return how many of their unstarted assignments were withdrawn."""
    with transaction.atomic():
        membership = _locked_membership(membership)
        _refuse_losing_last_manager(membership)
        withdrawn, _ = Assignment.objects.filter(
            document__project_id=membership.project_id,
            annotator_id=membership.user_id,
            status=AssignmentStatus.ASSIGNED,
            span_count=0,
        ).delete()
        membership.delete()
    return withdrawn

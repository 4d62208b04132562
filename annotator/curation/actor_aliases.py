"""A project's actor aliases: a curator merges actor variants into one entity of the
discourse network, and undoes a merge by deleting the alias.

Aliases are stored normalised (:func:`annotator.curation.network.normalise`), and one
level deep: a variant maps straight to an entity name, never to another variant, so the
network resolves an actor with one lookup.

Each merge and undo records an audit event (:mod:`annotator.audit`) in its transaction,
naming the curator; aliases belong to the project, so the events name no document.
"""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from annotator.audit import ACTOR_ALIAS, actor_alias_state, audit_record
from annotator.curation.network import normalise
from annotator.models import ActorAlias, AuditAction, Project

MAX_LENGTH = ActorAlias._meta.get_field("alias").max_length


class AliasError(Exception):
    """A merge refused; the message is meant for the curator."""


def actor_aliases(project: Project) -> dict[str, str]:
    """The project's alias table as the network takes it: normalised variant -> entity."""
    return dict(ActorAlias.objects.filter(project=project).values_list("alias", "entity"))


def actor_alias_create(*, project: Project, variant: str, entity: str, by: User) -> ActorAlias:
    """Merge ``variant`` into ``entity``: actor spans reading ``variant`` (once normalised)
    count as ``entity``. Refused, nothing stored: an empty or too long name, a variant
    that already is the entity, a variant already merged, an entity that is itself a
    merged variant (merge into its entity instead), or a variant other variants are
    merged into (undo those first)."""
    alias = normalise(variant)
    entity = " ".join(entity.split())
    if not alias or not normalise(entity):
        raise AliasError("Give both the variant and the entity it is merged into.")
    if len(alias) > MAX_LENGTH or len(entity) > MAX_LENGTH:
        raise AliasError(f"Names are at most {MAX_LENGTH} characters.")
    if alias == normalise(entity):
        raise AliasError(f"“{variant.strip()}” already is “{entity}”.")
    with transaction.atomic():
        existing = actor_aliases(project)
        if alias in existing:
            raise AliasError(
                f"“{variant.strip()}” is already merged into “{existing[alias]}”; undo that first."
            )
        if normalise(entity) in existing:
            raise AliasError(
                f"“{entity}” is itself merged into “{existing[normalise(entity)]}”: "
                "merge into that entity instead."
            )
        if any(normalise(target) == alias for target in existing.values()):
            raise AliasError(
                f"Other variants are merged into “{variant.strip()}”; undo those first."
            )
        try:
            with transaction.atomic():
                created = ActorAlias.objects.create(
                    project=project, alias=alias, entity=entity, created_by=by
                )
        except IntegrityError:  # merged by someone else meanwhile
            raise AliasError(f"“{variant.strip()}” is already merged; undo that first.") from None
        audit_record(
            actor=by,
            action=AuditAction.CREATED,
            subject=ACTOR_ALIAS,
            obj=created,
            before=None,
            after=actor_alias_state(created),
        )
    return created


def actor_alias_delete(*, alias: ActorAlias, by: User) -> bool:
    """Undo a merge: the variant is its own actor again. False, and nothing recorded,
    when it was undone already (another tab, another curator)."""
    with transaction.atomic():
        # A query, not ``alias.delete()``: of two undos at once, only the one that
        # deleted the row records it.
        deleted, _ = ActorAlias.objects.filter(pk=alias.pk).delete()
        if deleted:
            audit_record(
                actor=by,
                action=AuditAction.DELETED,
                subject=ACTOR_ALIAS,
                obj=alias,
                before=actor_alias_state(alias),
                after=None,
            )
    return bool(deleted)

"""Who annotates which document, and each annotator's progress on it.

Rules
-----
* A project starts *open*: any annotator member may annotate any document, and
  the first span creates their assignment. Once a manager distributes the
  documents or assigns one by hand, ``Project.assignment_required`` is set and
  an annotator may annotate only the documents assigned to them; their queue
  (the document list) shows only those.
* Distribution gives every document ``annotators_per_document`` annotators from
  the pool (annotator members with ``in_pool``). Existing assignments count
  toward a document's quota and toward an annotator's load, so running it again
  only fills gaps. Each document, in id order, goes to the annotators with the
  lowest load, ties broken by user id: the loads of the pool end up differing
  by at most one when it starts from nothing, and the same input always gives
  the same assignments.
* Statuses: assigned -> in progress (first span) -> submitted, or skipped with
  a reason. Submitted and skipped assignments are read-only to the annotator
  (the span services refuse writes) until a curator reopens them. Submitting
  and reopening refresh the stored agreement figures.
* Each distribution is recorded (:class:`annotator.models.Distribution`) with the
  assignments it created, so that a manager can undo it while none of them has
  been started.
* Submit acts on one click, so the annotator may take it back for
  ``SUBMIT_UNDO_WINDOW`` after submitting; after that only a curator reopens.
"""

from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ..curation.agreement_refresh import agreement_refresh
from ..models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Distribution,
    Document,
    Membership,
    Project,
    Role,
    Span,
)


def queue_of(project: Project, user: AbstractBaseUser) -> QuerySet[Document]:
    """The documents this user annotates: their assignments, or all in an open project."""
    documents = project.documents.all()
    if project.assignment_required:
        documents = documents.filter(
            Exists(Assignment.objects.filter(document=OuterRef("pk"), annotator=user))
        )
    return documents


def unfinished_of(documents: QuerySet[Document], user: AbstractBaseUser) -> QuerySet[Document]:
    """Those of ``documents`` that the user has not submitted or skipped."""
    # NOT IN over the user's own finished assignments (a small set, read through
    # the (annotator, document) index) rather than a correlated NOT EXISTS, which
    # PostgreSQL answered by scanning every assignment of a 100,000-document project.
    finished = (
        Assignment.objects.filter(annotator=user)
        .exclude(status__in=OPEN_STATUSES)
        .values("document_id")
    )
    return documents.exclude(id__in=finished)


class AssignmentError(Exception):
    """An assignment change was refused; the message says why."""


def plan_distribution(
    *,
    document_ids: Iterable[int],
    pool: Iterable[int],
    per_document: int,
    existing: Mapping[int, Iterable[int]],
) -> list[tuple[int, int]]:
    """Return the ``(document_id, annotator_id)`` pairs to add; pure and deterministic.

    ``existing`` maps a document id to the annotators it already has (in or out
    of the pool); they count toward the quota of the document and, for pool
    members, toward their load.
    """
    pool_ids = sorted(set(pool))
    load = dict.fromkeys(pool_ids, 0)
    for annotators in existing.values():
        for annotator_id in annotators:
            if annotator_id in load:
                load[annotator_id] += 1
    planned = []
    for document_id in sorted(document_ids):
        present = set(existing.get(document_id, ()))
        missing = per_document - len(present)
        candidates = sorted(
            (annotator_id for annotator_id in pool_ids if annotator_id not in present),
            key=lambda annotator_id: (load[annotator_id], annotator_id),
        )
        for annotator_id in candidates[: max(missing, 0)]:
            planned.append((document_id, annotator_id))
            load[annotator_id] += 1
    return planned


def pool_of(project: Project) -> list[int]:
    return list(
        Membership.objects.filter(project=project, role=Role.ANNOTATOR, in_pool=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def assignments_distribute(*, project: Project, by: AbstractBaseUser | None = None) -> int:
    """Assign every document of the project to its quota of pool annotators.

    Returns the number of assignments created. Refuses an empty pool. The
    assignments are marked with a :class:`Distribution` (``by``: the manager),
    which :func:`distribution_undo` can take back while nobody has started.
    """
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        pool = pool_of(project)
        if not pool:
            raise AssignmentError("The annotator pool is empty: add annotators to it first.")
        existing: dict[int, list[int]] = {}
        for document_id, annotator_id in Assignment.objects.filter(
            document__project=project
        ).values_list("document_id", "annotator_id"):
            existing.setdefault(document_id, []).append(annotator_id)
        planned = plan_distribution(
            document_ids=project.documents.values_list("id", flat=True),
            pool=pool,
            per_document=project.annotators_per_document,
            existing=existing,
        )
        if not planned:
            return 0
        distribution = Distribution.objects.create(
            project=project,
            created_by=by,
            enabled_assignment_required=not project.assignment_required,
        )
        Assignment.objects.bulk_create(
            (
                Assignment(
                    document_id=document_id, annotator_id=annotator_id, distribution=distribution
                )
                for document_id, annotator_id in planned
            ),
            batch_size=5000,
        )
        if not project.assignment_required:
            project.assignment_required = True
            project.save(update_fields=["assignment_required"])
    return len(planned)


def _started(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Those an annotator has touched: moved on from assigned, or holding a span."""
    return assignments.exclude(status=AssignmentStatus.ASSIGNED) | assignments.filter(
        Exists(
            Span.objects.filter(
                document_id=OuterRef("document_id"), annotator_id=OuterRef("annotator_id")
            )
        )
    )


def undoable_distribution(project: Project) -> Distribution | None:
    """The project's latest distribution if no annotator has started on any of its documents.

    Its ``assignment_count`` says how many assignments undoing it removes.
    """
    distribution = (
        Distribution.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created", "-pk")
        .first()
    )
    if distribution is None:
        return None
    assignments = Assignment.objects.filter(distribution=distribution)
    if assignments.exclude(status=AssignmentStatus.ASSIGNED).exists():
        return None
    distribution.assignment_count = assignments.count()
    return distribution


def distribution_undo(*, project: Project, distribution_id: object) -> int:
    """Remove exactly the assignments one distribution created; returns how many.

    Refused once any of them has been started (a span, a submission, a skip):
    undoing would take work away from an annotator. A project that this
    distribution closed is open again if no assignment is left in it.
    """
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        distribution = (
            Distribution.objects.filter(project=project, pk=distribution_id).first()
            # Any posted value may arrive: only an id column's range reaches the query.
            if isinstance(distribution_id, int) and 0 < distribution_id < 2**63
            else None
        )
        if distribution is None:
            raise AssignmentError("There is no such distribution to undo in this project.")
        assignments = Assignment.objects.filter(distribution=distribution)
        # Lock the rows first: a span write locks its assignment, so none can start meanwhile.
        list(assignments.select_for_update().values_list("pk", flat=True))
        started = _started(assignments).count()
        if started:
            raise AssignmentError(
                f"Annotators have started {started} of the documents this distribution "
                "assigned, so it cannot be undone."
            )
        removed, _ = assignments.delete()
        if (
            distribution.enabled_assignment_required
            and not Assignment.objects.filter(document__project=project).exists()
        ):
            project.assignment_required = False
            project.save(update_fields=["assignment_required"])
        distribution.delete()
    return removed


def project_pool_update(
    *, project: Project, annotators_per_document: int, pool: Iterable[int]
) -> None:
    """Set the annotators per document and which annotator members are in the pool."""
    if annotators_per_document < 1:
        raise AssignmentError("A document needs at least one annotator.")
    chosen = set(pool)
    with transaction.atomic():
        project.annotators_per_document = annotators_per_document
        project.save(update_fields=["annotators_per_document"])
        annotators = Membership.objects.filter(project=project, role=Role.ANNOTATOR)
        annotators.filter(user_id__in=chosen).update(in_pool=True)
        annotators.exclude(user_id__in=chosen).update(in_pool=False)


SUBMIT_UNDO_WINDOW = timedelta(minutes=2)


def assignment_create(*, document: Document, annotator: AbstractBaseUser) -> Assignment:
    """Assign one document by hand; the project then requires assignments."""
    if not Membership.objects.filter(project_id=document.project_id, user=annotator).exists():
        raise AssignmentError(f"{annotator.get_username()} is not a member of this project.")
    with transaction.atomic():
        assignment, _ = Assignment.objects.get_or_create(document=document, annotator=annotator)
        Project.objects.filter(pk=document.project_id).update(assignment_required=True)
    return assignment


def _locked(assignment: Assignment) -> Assignment:
    return Assignment.objects.select_for_update().select_related("document").get(pk=assignment.pk)


def _open_assignment(document: Document, annotator: AbstractBaseUser) -> Assignment:
    """Lock the annotator's assignment; in an open project, start one."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("document")
        .filter(document=document, annotator=annotator)
        .first()
    )
    if assignment is None:
        if Project.objects.filter(pk=document.project_id, assignment_required=True).exists():
            raise AssignmentError("This document is not assigned to you.")
        Assignment.objects.get_or_create(document=document, annotator=annotator)
        assignment = _locked(Assignment.objects.get(document=document, annotator=annotator))
    if not assignment.is_open:
        raise AssignmentError(
            f"You have {assignment.get_status_display().lower()} this document already: "
            "a curator can reopen it for you."
        )
    return assignment


def assignment_submit(*, document: Document, annotator: AbstractBaseUser) -> Assignment:
    """Hand in the work: the spans become read-only and agreement is refreshed."""
    with transaction.atomic():
        assignment = _open_assignment(document, annotator)
        assignment.status = AssignmentStatus.SUBMITTED
        assignment.submitted = timezone.now()
        assignment.save(update_fields=["status", "submitted", "updated"])
        agreement_refresh(document=assignment.document)
    return assignment


def assignment_submit_undo(*, document: Document, annotator: AbstractBaseUser) -> Assignment:
    """The annotator takes back a submission made less than ``SUBMIT_UNDO_WINDOW`` ago."""
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("document")
            .filter(document=document, annotator=annotator)
            .first()
        )
        if assignment is None or assignment.status != AssignmentStatus.SUBMITTED:
            raise AssignmentError("You have not submitted this document: there is nothing to undo.")
        if assignment.submitted is None or (
            timezone.now() - assignment.submitted > SUBMIT_UNDO_WINDOW
        ):
            minutes = int(SUBMIT_UNDO_WINDOW.total_seconds() // 60)
            raise AssignmentError(
                f"A submission can be undone for {minutes} minutes only: "
                "ask a curator to reopen the document."
            )
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.submitted = None
        assignment.save(update_fields=["status", "submitted", "updated"])
        agreement_refresh(document=assignment.document)
    return assignment


def assignment_skip(*, document: Document, annotator: AbstractBaseUser, reason: str) -> Assignment:
    """Decline the document, saying why (unreadable, off topic, duplicate, ...)."""
    reason = reason.strip()
    if not reason:
        raise AssignmentError("Say why you skip this document.")
    with transaction.atomic():
        assignment = _open_assignment(document, annotator)
        assignment.status = AssignmentStatus.SKIPPED
        assignment.skip_reason = reason
        assignment.save(update_fields=["status", "skip_reason", "updated"])
    return assignment


def assignment_reopen(*, assignment: Assignment) -> Assignment:
    """A curator gives a submitted or skipped assignment back to its annotator."""
    with transaction.atomic():
        assignment = _locked(assignment)
        if assignment.is_open:
            return assignment
        was_submitted = assignment.status == AssignmentStatus.SUBMITTED
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.skip_reason = ""
        assignment.submitted = None
        assignment.save(update_fields=["status", "skip_reason", "submitted", "updated"])
        if was_submitted:
            agreement_refresh(document=assignment.document)
    return assignment

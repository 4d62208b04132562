"""Stored agreement: per-document statistics and the project's summary.

The maths is in :mod:`annotator.curation.agreement` (pure functions); this module feeds
it from the database and stores the results, so that the dashboard reads two
tables and computes nothing.

* A document's statistics cover the annotators whose assignment is
  *submitted*, spans or none; with fewer than two such annotators there is
  nothing to compare and no row is kept.
* Annotators are keyed by user id (as a string) inside the statistics, so a
  renamed user keeps their figures; pages map ids to names when they render.
* Labels are the project's label names, in hotkey order. The ``actor`` label,
  if the project has one, is its own token layer because actors nest inside
  claims, threats and proposals; every other label is in the ``content`` layer.
* Relations and attribute values are read with the spans (one query each) and
  go into the same statistics, with the project's relation types (name and
  direction) and label attributes. A stored row computed with another set of
  them, or another statistics format, is recomputed as a relabelled one is.
* :func:`agreement_refresh` runs when an assignment is submitted or reopened:
  it recomputes that document, then merges every stored document of the
  project again (about a second for 10,000 documents). A running total would
  be faster but cannot subtract a reopened document; merging from the stored
  rows can, and is always consistent with them. Stored rows computed with
  other labels (a label was added since) are recomputed on the way. The
  project row is locked meanwhile, so submissions in one project refresh one
  at a time.
"""

from collections.abc import Sequence
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, Q

from ..annotation.tokenization import TOKENIZATION_RULE
from ..models import (
    AssignmentStatus,
    Document,
    DocumentAgreement,
    Label,
    LabelAttribute,
    Project,
    ProjectAgreement,
    Relation,
    RelationType,
    Span,
    SpanAttribute,
)
from . import agreement

ACTOR_LABEL = "actor"


def project_labels(project: Project) -> list[str]:
    return list(
        Label.objects.filter(project=project).order_by("hotkey").values_list("name", flat=True)
    )


def layers_for(labels: Sequence[str]) -> dict[str, list[str]]:
    content = [label for label in labels if label != ACTOR_LABEL]
    if ACTOR_LABEL in labels and content:
        return {"actor": [ACTOR_LABEL], "content": content}
    return {"all": list(labels)}


class Scheme(NamedTuple):
    """What a project's statistics are computed over; stored rows must agree with it."""

    labels: list[str]
    relation_types: dict[str, bool]
    attributes: dict[str, list[str]]

    def computed(self, statistics: dict) -> bool:
        """Whether stored statistics were computed over this scheme and the current rules."""
        return (
            statistics.get("format") == agreement.STATISTICS_FORMAT
            and statistics["labels"] == self.labels
            and statistics["layers"] == layers_for(self.labels)
            and statistics.get("tokenization") == TOKENIZATION_RULE
            and statistics.get("relation_types") == self.relation_types
            and statistics.get("attributes") == self.attributes
        )


def project_scheme(project: Project) -> Scheme:
    """The project's labels, relation types (name: directed) and attributes per label."""
    attributes: dict[str, list[str]] = {}
    for label, name in (
        LabelAttribute.objects.filter(label__project=project)
        .order_by("label__hotkey", "name")
        .values_list("label__name", "name")
    ):
        attributes.setdefault(label, []).append(name)
    relation_types = RelationType.objects.filter(project=project).order_by("key")
    return Scheme(
        labels=project_labels(project),
        relation_types=dict(relation_types.values_list("name", "directed")),
        attributes=attributes,
    )


def _document_statistics(document: Document, scheme: Scheme) -> dict | None:
    annotators = [
        str(annotator_id)
        for annotator_id in document.assignments.filter(
            status=AssignmentStatus.SUBMITTED
        ).values_list("annotator_id", flat=True)
    ]
    if len(annotators) < 2:
        return None
    spans = [
        (str(annotator_id), label, start, end)
        for annotator_id, label, start, end in Span.objects.filter(
            document=document, annotator_id__in=[int(name) for name in annotators]
        ).values_list("annotator_id", "label__name", "start", "end")
    ]
    ids = [int(name) for name in annotators]
    relations = [
        (str(annotator_id), type_name, (source_label, source_start, source_end), target)
        for annotator_id, type_name, source_label, source_start, source_end, *target in (
            Relation.objects.filter(document=document, annotator_id__in=ids).values_list(
                "annotator_id",
                "type__name",
                "source__label__name",
                "source__start",
                "source__end",
                "target__label__name",
                "target__start",
                "target__end",
            )
        )
    ]
    attribute_values = [
        (str(annotator_id), *rest)
        for annotator_id, *rest in SpanAttribute.objects.filter(
            span__document=document, span__annotator_id__in=ids
        ).values_list(
            "span__annotator_id",
            "span__label__name",
            "span__start",
            "span__end",
            "attribute__name",
            "value",
        )
    ]
    return agreement.document_statistics(
        document.text,
        spans,
        annotators=annotators,
        layers=layers_for(scheme.labels),
        labels=scheme.labels,
        relations=relations,
        relation_types=scheme.relation_types,
        attribute_values=attribute_values,
        attributes=scheme.attributes,
    )


def _store_document(document: Document, scheme: Scheme) -> DocumentAgreement | None:
    statistics = _document_statistics(document, scheme)
    if statistics is None:
        DocumentAgreement.objects.filter(document=document).delete()
        return None
    score = agreement.summarize(statistics)["span_f1"]["exact"]["overall"]["micro"]["value"]
    row, _ = DocumentAgreement.objects.update_or_create(
        document=document,
        defaults={
            "project_id": document.project_id,
            "annotators": len(statistics["annotators"]),
            "score": score,
            "statistics": statistics,
        },
    )
    return row


def project_agreement_refresh(
    *, project: Project, scheme: Scheme | None = None
) -> ProjectAgreement:
    """Merge the stored statistics of every document of the project and store the summary.

    ``scheme`` saves reading it again when the caller has just read it."""
    scheme = scheme or project_scheme(project)
    with transaction.atomic():
        # One refresh per project at a time: two submissions at once would
        # otherwise both write the summary, the second from a stale merge.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        stale = []
        current = []
        rows = DocumentAgreement.objects.filter(project=project).values_list(
            "document_id", "statistics"
        )
        for document_id, statistics in rows.iterator(chunk_size=500):
            if scheme.computed(statistics):
                current.append(statistics)
            else:
                stale.append(document_id)
        for document in Document.objects.filter(pk__in=stale):
            row = _store_document(document, scheme)
            if row is not None:
                current.append(row.statistics)
        merged = agreement.merge_statistics(current) if current else None
        summary, _ = ProjectAgreement.objects.update_or_create(
            project=project,
            defaults={
                "documents": len(current),
                "statistics": merged,
                "summary": agreement.summarize(merged) if merged else None,
            },
        )
    return summary


def agreement_refresh(*, document: Document) -> None:
    """Recompute one document's statistics, then the project's summary."""
    with transaction.atomic():
        scheme = project_scheme(document.project)
        _store_document(document, scheme)
        project_agreement_refresh(project=document.project, scheme=scheme)


NO_PROJECT_AGREEMENT = "no document has two submitted annotators yet"


def document_score_reason(*, document: Document, stored: DocumentAgreement | None) -> str | None:
    """Why the document has no agreement score (exact span F1), or None when it has one."""
    if stored is None:
        submitted = document.assignments.filter(status=AssignmentStatus.SUBMITTED).count()
        return f"fewer than two annotators have submitted this document ({submitted} so far)"
    if stored.score is not None:
        return None
    return agreement.summarize(stored.statistics)["span_f1"]["exact"]["overall"]["micro"]["reason"]


def project_agreement_reason(stored: ProjectAgreement | None) -> str | None:
    """Why the project has no agreement summary yet, or None when it has one."""
    return NO_PROJECT_AGREEMENT if stored is None or stored.summary is None else None


def documents_agreement_refresh(*, project: Project, document_ids: Sequence[int]) -> None:
    """Recompute some documents' statistics, then the project's summary once (after an import
    that submitted assignments on many documents)."""
    scheme = project_scheme(project)
    with transaction.atomic():
        for document in Document.objects.filter(project=project, pk__in=list(document_ids)):
            _store_document(document, scheme)
        project_agreement_refresh(project=project, scheme=scheme)


def project_agreement_rebuild(*, project: Project) -> ProjectAgreement:
    """Recompute every document of the project from its spans (after a fixture or an import)."""
    scheme = project_scheme(project)
    submitted = Count("assignments", filter=Q(assignments__status=AssignmentStatus.SUBMITTED))
    with transaction.atomic():
        DocumentAgreement.objects.filter(project=project).delete()
        documents = (
            project.documents.annotate(submitted=submitted)
            .filter(submitted__gte=2)
            .select_related("project")
        )
        for document in documents.iterator(chunk_size=200):
            _store_document(document, scheme)
        return project_agreement_refresh(project=project, scheme=scheme)

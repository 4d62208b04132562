"""Documents of a project with their chosen spans, read in chunks for the writers.

A :class:`Selection` names a project, a span source and optionally a subset of
the project's documents. Every selected document is exported, with the spans
the source gives it (possibly none), in document id order.

:func:`read_documents` pages through the documents by id (keyset pagination,
``chunk_size`` at a time) and fetches the spans of each chunk in one query, so
a chunk costs two queries (and a full last chunk one more, that finds nothing)
and memory holds one chunk, whatever the corpus size.

Span sources are the functions in :data:`SOURCES`: each takes a condition on
the span's document (a ``Q``) and the annotator, and returns a queryset of
dicts with the keys ``document_id``, ``start``, ``end``, ``label_name``,
``annotator_name`` and ``span_origin`` (both ``None`` for gold; the origin is
``None`` too for a span marked by hand). Offsets are code points, half-open
``[start, end)``.

Annotator sources also carry each annotator's relations between their spans
(:class:`~annotator.exports.records.ExportRelation`) and each span's attribute values
(``ExportSpan.attributes``): the span query joins each span's outgoing relations and
attribute values, so a chunk still costs two queries; where the source holds no
relation and no value in the project (one query per read says so), spans are
read without those joins, one row each. Gold carries the same: its
accepted relations between accepted gold spans, and the attribute values of accepted
gold spans (:class:`~annotator.models.GoldRelation`,
:class:`~annotator.models.GoldSpanAttribute`).

Gold (the default source) is the accepted gold spans of the documents whose
gold status is *gold*: a gold selection holds only those documents, so that a
document nobody finished adjudicating is not exported as one without spans, and
a proposal nobody accepted never passes for gold. Gold spans, relations and values
carry no provenance (annotators, merge rule, curator) into an export.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from operator import itemgetter

from django.contrib.auth.models import User
from django.db.models import CharField, Count, Exists, F, FilteredRelation, Q, QuerySet, Value

from annotator.exports.records import ExportDocument, ExportRelation, ExportSpan
from annotator.models import (
    Document,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    GoldSpanStatus,
    GoldStatus,
    LabelAttribute,
    Project,
    Relation,
    Span,
    SpanAttribute,
)

DEFAULT_CHUNK_SIZE = 1000
SPAN_FIELDS = ("document_id", "start", "end", "label_name", "annotator_name", "span_origin")
#: Read beside SPAN_FIELDS: the span's id, per outgoing relation its target and type,
#: and per attribute value the attribute's name and the value.
RELATION_FIELDS = (
    "span_key",
    "relation_target",
    "relation_type",
    "attribute_name",
    "attribute_value",
)


class ExportError(Exception):
    """An export that cannot be made as asked; the message is meant for the user."""


def all_annotator_spans(documents: Q, annotator: User | None) -> QuerySet:
    return Span.objects.filter(documents).values(
        "document_id",
        "start",
        "end",
        label_name=F("label__name"),
        annotator_name=F("annotator__username"),
        span_origin=F("origin"),
    )


def one_annotator_spans(documents: Q, annotator: User | None) -> QuerySet:
    return all_annotator_spans(documents, annotator).filter(annotator=annotator)


def gold_spans(documents: Q, annotator: User | None) -> QuerySet:
    """Accepted gold spans only; the selection keeps the documents to gold ones."""
    return GoldSpan.objects.filter(documents, status=GoldSpanStatus.ACCEPTED).values(
        "document_id",
        "start",
        "end",
        label_name=F("label__name"),
        annotator_name=Value(None, output_field=CharField()),
        span_origin=Value(None, output_field=CharField()),
    )


SpanSource = Callable[[Q, User | None], QuerySet]

DEFAULT_SOURCE = "gold"

#: Source name -> function giving the spans of some documents (see module docstring).
SOURCES: dict[str, SpanSource] = {
    "gold": gold_spans,
    "annotators": all_annotator_spans,
    "annotator": one_annotator_spans,
}


@dataclass(frozen=True, eq=False)
class Selection:
    """What to export: a project's documents (all, or those of ``documents``) and a span source.

    A ``"gold"`` selection holds only the documents whose gold status is gold.

    ``annotator`` is required by, and only allowed with, the ``"annotator"``
    source, and must be a member of the project.
    """

    project: Project
    source: str
    annotator: User | None = None
    documents: QuerySet | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ExportError(
                f"Unknown span source {self.source!r}; choose one of {', '.join(SOURCES)}."
            )
        if self.source == "annotator" and self.annotator is None:
            raise ExportError("Choose the annotator whose spans to export.")
        if self.source != "annotator" and self.annotator is not None:
            raise ExportError("An annotator can be chosen only with the 'annotator' source.")
        if self.annotator is not None and self.project.role_of(self.annotator) is None:
            raise ExportError(f"{self.annotator.get_username()} is not a member of this project.")

    def document_queryset(self) -> QuerySet:
        documents = Document.objects.filter(project=self.project)
        if self.documents is not None:
            documents = documents.filter(pk__in=self.documents.values("pk"))
        if self.source == "gold":
            documents = documents.filter(gold_status=GoldStatus.GOLD)
        return documents

    def spans(self, documents: Q) -> QuerySet:
        """The source's spans of the documents meeting ``documents``, a condition on a span."""
        return SOURCES[self.source](documents, self.annotator)

    @cached_property
    def linked(self) -> bool:
        """Whether the source holds any relation or attribute value in the project: without
        one, spans are read without joining either (one query, once per read)."""
        in_project = Q(document__project=self.project)
        if self.source == "gold":
            relations = GoldRelation.objects.filter(in_project, status=GoldSpanStatus.ACCEPTED)
            values = GoldSpanAttribute.objects.filter(gold_span__document__project=self.project)
        else:
            relations = Relation.objects.filter(in_project)
            values = SpanAttribute.objects.filter(span__document__project=self.project)
            if self.annotator is not None:
                relations = relations.filter(annotator=self.annotator)
                values = values.filter(span__annotator=self.annotator)
        return Project.objects.filter(
            Q(pk=self.project.pk), Q(Exists(relations)) | Q(Exists(values))
        ).exists()


@dataclass(frozen=True)
class SelectionCounts:
    documents: int
    spans: int
    #: Every label of the project, in label order, with its span count (zero included).
    spans_per_label: dict[str, int]


def export_labels(project: Project) -> list[str]:
    """The label names the writers take, in the project's label order."""
    return list(project.labels.values_list("name", flat=True))


def relation_schema(project: Project) -> dict[str, list[dict]]:
    """The project's relation types and span attributes, for a release's manifest and card:
    ``{"relation_types": [{name, directed, source_labels, target_labels}], "attributes":
    [{label, name, values}]}``, labels in label order (an empty list allows every label).
    Five queries, whatever the number of types."""
    order = {name: index for index, name in enumerate(export_labels(project))}

    def names(labels) -> list[str]:
        return sorted((label.name for label in labels.all()), key=order.__getitem__)

    types = project.relation_types.prefetch_related("source_labels", "target_labels")
    attributes = LabelAttribute.objects.filter(label__project=project).select_related("label")
    return {
        "relation_types": [
            {
                "name": relation_type.name,
                "directed": relation_type.directed,
                "source_labels": names(relation_type.source_labels),
                "target_labels": names(relation_type.target_labels),
            }
            for relation_type in sorted(types, key=lambda relation_type: relation_type.name)
        ],
        "attributes": [
            {
                "label": attribute.label.name,
                "name": attribute.name,
                "values": list(attribute.allowed_values),
            }
            for attribute in sorted(
                attributes, key=lambda attribute: (order[attribute.label.name], attribute.name)
            )
        ],
    }


def count_selection(selection: Selection) -> SelectionCounts:
    """Documents and spans per label of a selection, in three aggregate queries."""
    documents = selection.document_queryset()
    per_label = dict.fromkeys(export_labels(selection.project), 0)
    grouped = (
        selection.spans(Q(document__in=documents.values("pk")))
        .order_by()
        .values("label_name")
        .annotate(spans=Count("*"))
        .values_list("label_name", "spans")
    )
    for name, spans in grouped:
        per_label[name] = spans
    return SelectionCounts(documents.count(), sum(per_label.values()), per_label)


def checked_counts(selection: Selection) -> SelectionCounts:
    """:func:`count_selection`, refusing a selection without documents with the reason."""
    counts = count_selection(selection)
    if counts.documents == 0:
        if selection.source == "gold":
            raise ExportError(
                "No document of this project is gold yet: adjudicate documents and mark "
                "them gold, or export the annotators' spans instead."
            )
        raise ExportError("There are no documents to export in this selection.")
    return counts


def read_documents(
    selection: Selection, *, chunk_size: int = DEFAULT_CHUNK_SIZE, limit: int | None = None
) -> Iterator[ExportDocument]:
    """Yield every selected document once, in id order, with its spans.

    Two queries per chunk of ``chunk_size`` documents; ``limit`` stops after
    that many documents (for previews).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    documents = selection.document_queryset().order_by("pk")
    fields = ("pk", "title", "text", "source", "metadata")
    last_id = 0
    remaining = limit
    while remaining is None or remaining > 0:
        size = chunk_size if remaining is None else min(chunk_size, remaining)
        chunk = list(documents.filter(pk__gt=last_id).values_list(*fields)[:size])
        if not chunk:
            return
        first_id, last_id = chunk[0][0], chunk[-1][0]
        # The chunk is every selected document with an id in this range, and a
        # range is far cheaper for PostgreSQL than a list of hundreds of ids.
        # The range is also put on the span table itself: without it PostgreSQL
        # reads every span of the table for each chunk instead of the chunk's
        # part of the document index.
        in_chunk = Q(
            document__in=documents.filter(pk__range=(first_id, last_id)).values("pk"),
            document_id__gte=first_id,
            document_id__lte=last_id,
        )
        rows = selection.spans(in_chunk)
        if selection.linked:
            spans = _spans_by_document(rows, gold=selection.source == "gold")
        else:
            spans = _plain_spans_by_document(rows)
        for pk, title, text, source, metadata in chunk:
            yield ExportDocument(pk, title, text, source, metadata, *spans.get(pk, ((), ())))
        if len(chunk) < size:
            return
        if remaining is not None:
            remaining -= len(chunk)


def _spans_by_document(
    rows: QuerySet, *, gold: bool
) -> dict[int, tuple[tuple[ExportSpan, ...], tuple[ExportRelation, ...]]]:
    """Each document's spans and relations, from one query.

    The spans are left-joined to their outgoing relations and to their attribute
    values: a span comes once per pair of a relation it starts and a value it holds
    (``None`` standing in for none), so both are deduplicated, and each relation is
    turned into the indexes of its two spans in the document's tuple (a relation to a
    span not exported, such as a proposed gold span, is left out). A span has few of
    either, so the product stays small. Gold joins only accepted relations.
    """
    relations = "relations_from"
    if gold:
        relations = "accepted_relations"
        rows = rows.alias(
            accepted_relations=FilteredRelation(
                "relations_from",
                condition=Q(relations_from__status=GoldSpanStatus.ACCEPTED),
            )
        )
    extra = {
        "span_key": F("pk"),
        "relation_target": F(f"{relations}__target_id"),
        "relation_type": F(f"{relations}__type__name"),
        "attribute_name": F("attribute_values__attribute__name"),
        "attribute_value": F("attribute_values__value"),
    }
    ordered = (
        rows.annotate(**extra)
        .order_by(*SPAN_FIELDS, *RELATION_FIELDS)
        .values_list(*SPAN_FIELDS, *RELATION_FIELDS)
    )
    documents = {}
    # Fetched whole: a chunk's spans are bounded, and a server-side cursor
    # (what iterator() opens on PostgreSQL) costs extra round trips.
    for document_id, document_rows in groupby(ordered, key=itemgetter(0)):
        spans: list[ExportSpan] = []
        index_of: dict[int, int] = {}
        links: list[tuple[int, int, str]] = []
        for span_key, span_rows in groupby(document_rows, key=itemgetter(6)):
            span_rows = list(span_rows)
            index_of[span_key] = len(spans)
            attributes = tuple(sorted({row[9:11] for row in span_rows if row[9] is not None}))
            start, end, label, annotator, origin = span_rows[0][1:6]
            spans.append(ExportSpan(start, end, label, annotator, attributes, origin))
            # dict.fromkeys: deduplicated, in the query's order.
            links += dict.fromkeys(
                (span_key, row[7], row[8]) for row in span_rows if row[7] is not None
            )
        relations = tuple(
            ExportRelation(index_of[source], index_of[target], relation_type)
            for source, target, relation_type in links
            if target in index_of
        )
        documents[document_id] = (tuple(spans), relations)
    return documents


def _plain_spans_by_document(
    rows: QuerySet,
) -> dict[int, tuple[tuple[ExportSpan, ...], tuple[ExportRelation, ...]]]:
    """Each document's spans where the source holds no relation or value: one row per
    span and one tuple made from it, the export's hottest loop (a release reads every
    span of the corpus here)."""
    ordered = rows.order_by(*SPAN_FIELDS).values_list(*SPAN_FIELDS)
    make = ExportSpan._make
    return {
        document_id: (
            tuple(make((row[1], row[2], row[3], row[4], (), row[5])) for row in group),
            (),
        )
        for document_id, group in groupby(ordered, key=itemgetter(0))
    }

"""The relations and attribute values the annotate page carries in its page data.

Apart from :mod:`annotator.web.relations`, whose views import the annotate page's
helpers, so that the page can import this without a cycle.
"""

from ..models import Document, LabelAttribute, Relation, RelationType, SpanAttribute


def relation_page_data(document: Document, annotator) -> dict:
    """What the annotate page needs to show and write relations and attributes.

    Relations are ``[id, type, source span, target span]``; values
    ``[span, attribute, value]``; both the annotator's own only.
    """
    types = RelationType.objects.filter(project=document.project).prefetch_related(
        "source_labels", "target_labels"
    )
    attributes = LabelAttribute.objects.filter(label__project=document.project).order_by(
        "label_id", "name", "pk"
    )
    relations = Relation.objects.filter(document=document, annotator=annotator).order_by("pk")
    values = SpanAttribute.objects.filter(
        span__document=document, span__annotator=annotator
    ).order_by("span_id", "attribute_id")
    return {
        "relationTypes": [
            {
                "id": relation_type.pk,
                "name": relation_type.name,
                "key": relation_type.key,
                "directed": relation_type.directed,
                "description": relation_type.description,
                "sources": [label.pk for label in relation_type.source_labels.all()],
                "targets": [label.pk for label in relation_type.target_labels.all()],
            }
            for relation_type in types.order_by("key", "pk")
        ],
        "attributes": [
            {
                "id": attribute.pk,
                "label": attribute.label_id,
                "name": attribute.name,
                "values": list(attribute.allowed_values),
            }
            for attribute in attributes
        ],
        "relations": [
            list(row) for row in relations.values_list("id", "type_id", "source_id", "target_id")
        ],
        "attributeValues": [
            list(row) for row in values.values_list("span_id", "attribute_id", "value")
        ],
    }

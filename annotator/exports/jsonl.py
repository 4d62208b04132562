"""JSON Lines in the two shapes doccano imports and exports for sequence labelling.

One UTF-8 line per document, keys sorted, non-ASCII written as is, one file per
split (``train.jsonl``, ``validation.jsonl``, ``test.jsonl``). Offsets are code
points, half-open, as Python (and doccano, which is Python) index text.

``write_doccano_jsonl``::

    {"id": 1, "label": [[0, 5, "claim"]], "meta": {...}, "source": "...",
     "split": "train", "text": "...", "title": "..."}

``meta`` is the document's meta exactly as imported, whatever its keys; our own
fields sit beside it at the top level, so no key of a user's meta can clash with
them: ``source``, ``split`` and, in an export of annotators' spans (when any span
carries an annotator), four more, each read against ``label`` and leaving its
``[start, end, label]`` triples as they are:

- ``span_annotators``: one username per ``label`` entry, in order;
- ``span_origins``: one per ``label`` entry, in order: where the span came from
  when its annotator did not mark it by hand (the suggestion source they
  accepted, ``model:<name>@<version>``, ``string-match`` or ``import:<name>``, or
  the import that wrote it), ``null`` for a span marked by hand;
- ``span_attributes``: one object per ``label`` entry, in order, of the span's
  attribute values (``{"stance": "oppose"}``; ``{}`` when it has none);
- ``relations``: ``[{"from": 0, "to": 2, "type": "claimant"}]``, ``from`` and
  ``to`` indexes into ``label``.

doccano keeps top-level keys it does not know as metadata. Gold spans have no
annotator and no origin, so a gold line has no ``span_annotators`` or
``span_origins``; it has ``span_attributes`` and ``relations`` (the adjudicated
ones) when its document has a gold relation or attribute value, and neither key
otherwise, as before gold had them.

``write_doccano_entities_jsonl``::

    {"entities": [{"end_offset": 5, "id": 1, "label": "claim", "start_offset": 0},
                  {"end_offset": 12, "id": 2, "label": "actor", "start_offset": 6}],
     "id": 1, "relations": [{"from_id": 1, "id": 1, "to_id": 2, "type": "claimant"}],
     "split": "train", "text": "..."}

Entity ids and relation ids each run from 1 across the whole file; a relation's
``from_id`` and ``to_id`` are entity ids of its line. An entity has an
``"annotator"`` key when its span has one, and an ``"attributes"`` object
(``{"stance": "oppose"}``) when its span holds attribute values, and an
``"origin"`` when its span was not marked by hand (see ``span_origins``). A gold
export writes the accepted gold relations.
"""

import json
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    carries_relations,
    checked_spans,
    ordered_relations,
    span_sort_key,
)

# One encoder for every line: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _line(record: dict) -> bytes:
    return (_ENCODER.encode(record) + "\n").encode("utf-8")


def write_doccano_jsonl(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    stream: BinaryIO,
    *,
    split: str,
) -> ExportCounts:
    """Write one ``{"id", "title", "text", "label", "meta", "source", "split"}`` line per
    document of ``split``."""
    written = spans_written = relations_written = 0
    for document in documents:
        spans = checked_spans(document, labels)
        record = {
            "id": document.id,
            "title": document.title,
            "text": document.text,
            "label": [[span.start, span.end, span.label] for span in spans],
            "meta": document.meta,
            "source": document.source,
            "split": split,
        }
        relations = ordered_relations(document, spans)
        if any(span.annotator is not None for span in spans):
            record["span_annotators"] = [span.annotator for span in spans]
            record["span_origins"] = [span.origin for span in spans]
        if "span_annotators" in record or carries_relations(document, spans):
            record["span_attributes"] = [dict(span.attributes) for span in spans]
            record["relations"] = [
                {"from": source, "to": target, "type": type_} for source, target, type_ in relations
            ]
        stream.write(_line(record))
        written += 1
        spans_written += len(spans)
        relations_written += len(relations)
    return ExportCounts(documents=written, spans=spans_written, relations=relations_written)


def write_doccano_entities_jsonl(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    stream: BinaryIO,
    *,
    split: str,
    first_entity_id: int = 1,
    first_relation_id: int = 1,
) -> ExportCounts:
    """Write one ``{"id", "text", "entities", "relations", "split"}`` line per document of
    ``split``.

    ``first_entity_id`` and ``first_relation_id`` let a file written in several calls
    keep its ids running (a streamed download writes a batch of documents per call).
    """
    written = spans_written = relations_written = 0
    for document in documents:
        checked_spans(document, labels)
        # Entities in the stable span order; relations name spans by their index in
        # ``document.spans``, so each index gets the id of its place in that order.
        order = sorted(range(len(document.spans)), key=lambda i: span_sort_key(document.spans[i]))
        entity_ids = {}
        entities = []
        for index in order:
            span = document.spans[index]
            entity_ids[index] = first_entity_id + spans_written + len(entities)
            entity = {
                "id": entity_ids[index],
                "label": span.label,
                "start_offset": span.start,
                "end_offset": span.end,
            }
            if span.annotator is not None:
                entity["annotator"] = span.annotator
            if span.attributes:
                entity["attributes"] = dict(span.attributes)
            if span.origin is not None:
                entity["origin"] = span.origin
            entities.append(entity)
        relations = [
            {
                "id": first_relation_id + relations_written + number,
                "from_id": entity_ids[relation.source],
                "to_id": entity_ids[relation.target],
                "type": relation.type,
            }
            for number, relation in enumerate(document.relations)
        ]
        record = {
            "id": document.id,
            "text": document.text,
            "entities": entities,
            "relations": relations,
            "split": split,
        }
        stream.write(_line(record))
        written += 1
        spans_written += len(entities)
        relations_written += len(relations)
    return ExportCounts(documents=written, spans=spans_written, relations=relations_written)

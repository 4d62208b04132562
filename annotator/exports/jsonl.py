"""JSON Lines in the two shapes doccano imports and exports for sequence labelling.

One UTF-8 line per document, keys sorted, non-ASCII written as is. Offsets are
code points, half-open, as Python (and doccano, which is Python) index text.

``write_doccano_jsonl``::

    {"id": 1, "label": [[0, 5, "claim"]], "meta": {...}, "text": "...", "title": "..."}

``meta`` is the document's meta plus ``"source"`` and, when any span carries an
annotator, ``"span_annotators"`` (one entry per ``label`` entry, in order).

``write_doccano_entities_jsonl``::

    {"entities": [{"end_offset": 5, "id": 1, "label": "claim", "start_offset": 0}],
     "id": 1, "relations": [], "text": "..."}

Entity ids run from 1 across the whole file; an entity has an ``"annotator"``
key when its span has one.
"""

import json
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from annotator.exports.records import ExportCounts, ExportDocument, checked_spans

RESERVED_META_KEYS = ("source", "span_annotators")
# One encoder for every line: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _line(record: dict) -> bytes:
    return (_ENCODER.encode(record) + "\n").encode("utf-8")


def write_doccano_jsonl(
    documents: Iterable[ExportDocument], labels: Sequence[str], stream: BinaryIO
) -> ExportCounts:
    """Write one ``{"id", "title", "text", "label", "meta"}`` line per document."""
    written = spans_written = 0
    for document in documents:
        spans = checked_spans(document, labels)
        clash = [key for key in RESERVED_META_KEYS if key in document.meta]
        if clash:
            raise ValueError(f"document {document.id}: meta already has {clash}")
        meta = {**document.meta, "source": document.source}
        if any(span.annotator is not None for span in spans):
            meta["span_annotators"] = [span.annotator for span in spans]
        record = {
            "id": document.id,
            "title": document.title,
            "text": document.text,
            "label": [[span.start, span.end, span.label] for span in spans],
            "meta": meta,
        }
        stream.write(_line(record))
        written += 1
        spans_written += len(spans)
    return ExportCounts(documents=written, spans=spans_written)


def write_doccano_entities_jsonl(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    stream: BinaryIO,
    *,
    first_entity_id: int = 1,
) -> ExportCounts:
    """Write one ``{"id", "text", "entities", "relations"}`` line per document.

    ``first_entity_id`` lets a file written in several calls keep its entity
    ids running (a streamed download writes a batch of documents per call).
    """
    counts = ExportCounts()
    for document in documents:
        entities = []
        for span in checked_spans(document, labels):
            entity = {
                "id": first_entity_id + counts.spans + len(entities),
                "label": span.label,
                "start_offset": span.start,
                "end_offset": span.end,
            }
            if span.annotator is not None:
                entity["annotator"] = span.annotator
            entities.append(entity)
        record = {"id": document.id, "text": document.text, "entities": entities, "relations": []}
        stream.write(_line(record))
        counts += ExportCounts(documents=1, spans=len(entities))
    return counts

"""W3C Web Annotation Data Model (JSON-LD), one annotation per line (JSON Lines).

JSON Lines rather than one AnnotationCollection so that the file streams and
each line stands alone; every line carries its own ``@context``::

    {"@context": "http://www.w3.org/ns/anno.jsonld",
     "id": "urn:annotator:document:7#span-1", "type": "Annotation",
     "body": {"type": "TextualBody", "purpose": "tagging", "value": "claim"},
     "target": {"source": "urn:annotator:document:7",
                "selector": [{"type": "TextPositionSelector", "start": 10, "end": 17},
                             {"type": "TextQuoteSelector", "exact": "in Oslo",
                              "prefix": "...", "suffix": "..."}]}}

TextPositionSelector ``start``/``end`` count Unicode code points, half-open, as
the Web Annotation model specifies (not UTF-16 units as JavaScript strings
index). ``prefix``/``suffix`` are up to ``context`` code points either side.
A span's annotator, when present, is the annotation's ``creator``. Keys are
sorted; lines follow document order, then span order, then the document's relations.

In an export of annotators' spans, a span holding attribute values has a list
for a body: the tagging body first, then one body per value, its ``purpose``
``classifying`` and its ``label`` (``rdfs:label`` in the context) the attribute::

    "body": [{"type": "TextualBody", "purpose": "tagging", "value": "claim"},
             {"type": "TextualBody", "purpose": "classifying",
              "label": "stance", "value": "oppose"}]

and each relation is a linking annotation whose two targets are the ids of its
span annotations, the source span first, its type the tagging body::

    {"@context": "http://www.w3.org/ns/anno.jsonld",
     "id": "urn:annotator:document:7#relation-1", "type": "Annotation",
     "motivation": "linking", "creator": {"type": "Person", "nickname": "alice"},
     "body": {"type": "TextualBody", "purpose": "tagging", "value": "claimant"},
     "target": ["urn:annotator:document:7#span-2", "urn:annotator:document:7#span-1"]}

A span its annotator did not mark by hand has its origin (``Span.origin``: the
suggestion source they accepted, such as ``model:spancat@3``, or the import that
wrote it) under the key ``"urn:annotator:origin"``, an absolute IRI, so that a
JSON-LD processor keeps it too.

JSON keeps the order of ``target``; a JSON-LD processor reads it as a set, so
there the direction is lost. Gold carries its accepted relations and values alike.

The annotations point at their documents by IRI, so the texts travel beside
them: each split is a folder (``train/``, ``validation/``, ``test/``) holding
``annotations.jsonl`` and ``documents.jsonl``, one line per document::

    {"id": "urn:annotator:document:7", "meta": {...}, "source": "...",
     "split": "train", "text": "...", "title": "..."}

whose ``id`` is the IRI the annotations' ``target.source`` names and whose
``text`` the selectors index.
"""

import json
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    ExportSpan,
    checked_spans,
    ordered_relations,
)

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ORIGIN_KEY = "urn:annotator:origin"
DEFAULT_DOCUMENT_IRI = "urn:annotator:document:{id}"


def _tag(value: str) -> dict:
    return {"type": "TextualBody", "purpose": "tagging", "value": value}


def _creator(annotator: str) -> dict:
    return {"type": "Person", "nickname": annotator}


def annotation(
    document: ExportDocument, span: ExportSpan, number: int, source: str, context: int
) -> dict:
    text = document.text
    body: dict | list[dict] = _tag(span.label)
    if span.attributes:
        body = [body] + [
            {"type": "TextualBody", "purpose": "classifying", "label": name, "value": value}
            for name, value in span.attributes
        ]
    record = {
        "@context": CONTEXT,
        "id": f"{source}#span-{number}",
        "type": "Annotation",
        "body": body,
        "target": {
            "source": source,
            "selector": [
                {"type": "TextPositionSelector", "start": span.start, "end": span.end},
                {
                    "type": "TextQuoteSelector",
                    "exact": text[span.start : span.end],
                    "prefix": text[max(0, span.start - context) : span.start],
                    "suffix": text[span.end : span.end + context],
                },
            ],
        },
    }
    if span.annotator is not None:
        record["creator"] = _creator(span.annotator)
    if span.origin is not None:
        record[ORIGIN_KEY] = span.origin
    return record


def linking_annotation(
    spans: list[ExportSpan], relation: tuple[int, int, str], number: int, source: str
) -> dict:
    """The linking annotation of ``relation``, ``(source, target, type)`` with its ends
    indexes into ``spans``, whose annotations are ``#span-<index + 1>``."""
    start, end, type_ = relation
    record = {
        "@context": CONTEXT,
        "id": f"{source}#relation-{number}",
        "type": "Annotation",
        "motivation": "linking",
        "body": _tag(type_),
        "target": [f"{source}#span-{start + 1}", f"{source}#span-{end + 1}"],
    }
    # Relations link an annotator's own spans, so the source span's annotator is theirs.
    if spans[start].annotator is not None:
        record["creator"] = _creator(spans[start].annotator)
    return record


def _line(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def write_w3c(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    stream: BinaryIO,
    *,
    texts: BinaryIO | None = None,
    split: str = "",
    document_iri: str = DEFAULT_DOCUMENT_IRI,
    context: int = 32,
) -> ExportCounts:
    """Write one annotation per span as UTF-8 JSON Lines to ``stream``, and each
    document's line to ``texts`` (see the module docstring), if given.

    ``document_iri`` is formatted with the document's ``id`` to give the target
    source; annotation ids are that IRI plus ``#span-<n>``, n counting from 1 in
    span order; linking annotations' ids are the IRI plus ``#relation-<n>``.
    """
    written = spans_written = relations_written = 0
    for document in documents:
        source = document_iri.format(id=document.id)
        spans = checked_spans(document, labels)
        for number, span in enumerate(spans, start=1):
            stream.write(_line(annotation(document, span, number, source, context)))
        relations = ordered_relations(document, spans)
        for number, relation in enumerate(relations, start=1):
            stream.write(_line(linking_annotation(spans, relation, number, source)))
        relations_written += len(relations)
        if texts is not None:
            texts.write(
                _line(
                    {
                        "id": source,
                        "title": document.title,
                        "text": document.text,
                        "source": document.source,
                        "meta": document.meta,
                        "split": split,
                    }
                )
            )
        written += 1
        spans_written += len(spans)
    return ExportCounts(documents=written, spans=spans_written, relations=relations_written)

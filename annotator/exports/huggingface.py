"""A Hugging Face ``datasets`` folder: ``train.parquet``, ``validation.parquet``, ``test.parquet``.

A split that receives no document has no file (``datasets`` rejects an empty
split file), so load the files that exist.

Load it with ``datasets.load_dataset("parquet", data_files={...})`` or
``load_dataset(directory)``; no network is needed. Each Parquet schema carries
the ``datasets`` features under the ``huggingface`` metadata key, so the
ClassLabel names come back with the data. The features are written in the
``Sequence`` form, which both old (2.x/3.x) and current ``datasets`` read.

One row per document, documents assigned by :func:`assign_split`:

- ``id`` int64, ``title``, ``text``, ``source`` strings, ``meta`` the document's
  meta as a JSON string (its keys vary, so it cannot have a fixed schema);
- ``tokens``: the ``annotator.tokens`` tokens; ``token_starts``/``token_ends``
  their code point offsets into ``text`` (half-open);
- ``ner_tags``: IOB2 ClassLabel of the content layer (claim, threat, proposal);
  ``actor_tags``: IOB2 ClassLabel of the actor layer. Names are ``O``, then
  ``B-x``, ``I-x`` per label in the order given;
- ``spans``: every span as ``{start, end, label}``, code points, half-open,
  including spans the tag columns could not carry (see ExportCounts).

Rows are buffered ``rows_per_group`` at a time per split, so memory is bounded
by three row groups.
"""

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    iob2_names,
    iob2_tags,
    layers,
    tokenize_document,
)
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split

SPAN_TYPE = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
SCALAR_COLUMNS = ("id", "title", "text", "source", "meta")


def _value(dtype: str) -> dict:
    return {"dtype": dtype, "_type": "Value"}


def _sequence(feature: dict) -> dict:
    return {"feature": feature, "_type": "Sequence"}


def features(labels: Sequence[str]) -> dict:
    """The ``datasets.Features.to_dict()`` form of the columns, with tag names."""
    actor_labels, content_labels = layers(labels)
    return {
        "id": _value("int64"),
        "title": _value("string"),
        "text": _value("string"),
        "source": _value("string"),
        "meta": _value("string"),
        "tokens": _sequence(_value("string")),
        "token_starts": _sequence(_value("int64")),
        "token_ends": _sequence(_value("int64")),
        "ner_tags": _sequence({"names": iob2_names(content_labels), "_type": "ClassLabel"}),
        "actor_tags": _sequence({"names": iob2_names(actor_labels), "_type": "ClassLabel"}),
        # A list of dicts, not Sequence(dict): the latter means a dict of lists.
        "spans": [{"start": _value("int64"), "end": _value("int64"), "label": _value("string")}],
    }


def arrow_schema(labels: Sequence[str]) -> pa.Schema:
    """The Arrow schema matching :func:`features`, with those features as metadata."""
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("title", pa.string()),
            ("text", pa.string()),
            ("source", pa.string()),
            ("meta", pa.string()),
            ("tokens", pa.list_(pa.string())),
            ("token_starts", pa.list_(pa.int64())),
            ("token_ends", pa.list_(pa.int64())),
            ("ner_tags", pa.list_(pa.int64())),
            ("actor_tags", pa.list_(pa.int64())),
            ("spans", pa.list_(SPAN_TYPE)),
        ]
    )
    info = {"info": {"features": features(labels)}}
    return schema.with_metadata({"huggingface": json.dumps(info, sort_keys=True)})


class _SplitColumns:
    """The rows of one split not yet written, column by column.

    List columns are kept flat with their offsets, the layout Arrow stores, so a
    row group becomes a table without a Python object per row or per token.
    """

    def __init__(self, labels: Sequence[str]) -> None:
        actor_labels, content_labels = layers(labels)
        self.labels = labels
        self.actor_labels, self.content_labels = actor_labels, content_labels
        self.actor_index = {name: i for i, name in enumerate(iob2_names(actor_labels))}
        self.content_index = {name: i for i, name in enumerate(iob2_names(content_labels))}
        self.clear()

    def clear(self) -> None:
        self.rows = 0
        self.scalars: dict[str, list] = {name: [] for name in SCALAR_COLUMNS}
        self.token_offsets = [0]
        self.tokens: list[str] = []
        self.token_starts: list[int] = []
        self.token_ends: list[int] = []
        self.ner_tags: list[int] = []
        self.actor_tags: list[int] = []
        self.span_offsets = [0]
        self.span_starts: list[int] = []
        self.span_ends: list[int] = []
        self.span_labels: list[str] = []

    def add(self, document: ExportDocument) -> ExportCounts:
        tokenized = tokenize_document(document, self.labels)
        tokens, text = tokenized.tokens, document.text
        actor_tags, actor_dropped = iob2_tags(len(tokens), tokenized.aligned, self.actor_labels)
        content_tags, content_dropped = iob2_tags(
            len(tokens), tokenized.aligned, self.content_labels
        )
        for name, value in zip(
            SCALAR_COLUMNS,
            (
                document.id,
                document.title,
                text,
                document.source,
                json.dumps(document.meta, ensure_ascii=False, sort_keys=True),
            ),
            strict=True,
        ):
            self.scalars[name].append(value)
        self.tokens += [text[start:end] for start, end in tokens]
        self.token_offsets.append(len(self.tokens))
        if tokens:
            starts, ends = zip(*tokens, strict=True)
            self.token_starts += starts
            self.token_ends += ends
        # map() runs in C: these columns cost a pass over every token of every document.
        self.ner_tags += map(self.content_index.__getitem__, content_tags)
        self.actor_tags += map(self.actor_index.__getitem__, actor_tags)
        for span in tokenized.spans:
            self.span_starts.append(span.start)
            self.span_ends.append(span.end)
            self.span_labels.append(span.label)
        self.span_offsets.append(len(self.span_starts))
        self.rows += 1
        return ExportCounts(
            1, len(document.spans), tokenized.misaligned, actor_dropped + content_dropped
        )

    def table(self, schema: pa.Schema) -> pa.Table:
        token_offsets = pa.array(self.token_offsets, pa.int32())

        def token_list(values: list, value_type: pa.DataType) -> pa.ListArray:
            return pa.ListArray.from_arrays(token_offsets, pa.array(values, value_type))

        spans = pa.StructArray.from_arrays(
            [
                pa.array(self.span_starts, pa.int64()),
                pa.array(self.span_ends, pa.int64()),
                pa.array(self.span_labels, pa.string()),
            ],
            fields=list(SPAN_TYPE),
        )
        columns = [
            pa.array(self.scalars[name], schema.field(name).type) for name in SCALAR_COLUMNS
        ] + [
            token_list(self.tokens, pa.string()),
            token_list(self.token_starts, pa.int64()),
            token_list(self.token_ends, pa.int64()),
            token_list(self.ner_tags, pa.int64()),
            token_list(self.actor_tags, pa.int64()),
            pa.ListArray.from_arrays(pa.array(self.span_offsets, pa.int32()), spans),
        ]
        return pa.Table.from_arrays(columns, schema=schema)


def write_huggingface(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    directory: Path,
    *,
    seed: str | int = 0,
    ratios: SplitRatios | None = None,
    rows_per_group: int = 1000,
) -> dict[str, ExportCounts]:
    """Write the three split files into ``directory`` (created; must be empty).

    Returns the counts of each split, keyed ``train``, ``validation``, ``test``;
    a split that receives no document gets no file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty")
    schema = arrow_schema(labels)
    counts = {name: ExportCounts() for name in SPLIT_NAMES}
    buffers = {name: _SplitColumns(labels) for name in SPLIT_NAMES}
    # Opened on a split's first rows: ``datasets`` refuses a split file with no rows.
    writers: dict[str, pq.ParquetWriter] = {}

    def flush(name: str) -> None:
        if buffers[name].rows:
            if name not in writers:
                writers[name] = pq.ParquetWriter(directory / f"{name}.parquet", schema)
            writers[name].write_table(buffers[name].table(schema))
            buffers[name].clear()
            # Arrow's allocator keeps freed row groups for reuse; give them back.
            pa.default_memory_pool().release_unused()

    try:
        for document in documents:
            name = assign_split(document.id, seed, ratios)
            counts[name] += buffers[name].add(document)
            if buffers[name].rows >= rows_per_group:
                flush(name)
        for name in SPLIT_NAMES:
            flush(name)
    finally:
        for writer in writers.values():
            writer.close()
    return counts

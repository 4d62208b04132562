"""A Hugging Face ``datasets`` folder of Parquet files, named as on the Hub.

Each split is one or more files ``train-00000-of-00002.parquet``,
``train-00001-of-00002.parquet``, ``validation-00000-of-00001.parquet``, ...
of at most ``rows_per_file`` documents each. A split that receives no document
has no file (``datasets`` rejects an empty split file).

Load it with ``datasets.load_dataset(directory)``, which finds the splits by
these names, or ``load_dataset("parquet", data_files={"train":
"<directory>/train-*.parquet", ...})``; no network is needed. Each Parquet schema carries
the ``datasets`` features under the ``huggingface`` metadata key, so the
ClassLabel names come back with the data. The features are written in the
``Sequence`` form, which both old (2.x/3.x) and current ``datasets`` read.

One row per document, documents assigned by :func:`assign_split`:

- ``id`` int64, ``title``, ``text``, ``source`` strings, ``meta`` the document's
  meta as a JSON string (its keys vary, so it cannot have a fixed schema);
- ``tokens``: the ``annotator.annotation.tokenization`` tokens; ``token_starts``/``token_ends``
  their code point offsets into ``text`` (half-open);
- ``ner_tags``: IOB2 ClassLabel of the content layer (claim, threat, proposal);
  ``actor_tags``: IOB2 ClassLabel of the actor layer. Names are ``O``, then
  ``B-x``, ``I-x`` per label in the order given;
- ``spans``: every span as ``{start, end, label}``, code points, half-open,
  including spans the tag columns could not carry (counted per label as
  ``misaligned`` or ``overlapping``, see ExportCounts; within a layer the tags
  keep the most spans that do not overlap, see ``records.resolve_overlaps``);
- ``relations``: every relation as ``{head, tail, type}``, ``head`` and ``tail``
  indexes into the row's ``spans`` (the relation runs from ``spans[head]`` to
  ``spans[tail]``);
- ``span_attributes``: one list per entry of ``spans``, in the same order, of the
  span's attribute values as ``{name, value}`` (``[]`` when it holds none);
- ``span_origins``: one per entry of ``spans``, in the same order: where the span
  came from when its annotator did not mark it by hand (the suggestion source
  they accepted, ``string-match``, ``model:<name>@<version>``, ``import:<name>``,
  or the import that wrote it), ``None`` when they did; always ``None`` in gold.

A gold export holds the accepted gold relations and the gold spans' attribute values.

Rows are buffered ``rows_per_group`` at a time per split, compactly (UTF-8
bytes and numpy arrays, no Python object per token), so memory holds three row
groups' buffers and the Arrow table of one, plus the footers of the three open
files, which grow by about 8 KB per row group until a file is closed.

The columns are built from those buffers with ``pa.Array.from_buffers``, never
``pa.array``: the latter imports pandas, where installed, to check whether its
argument is a pandas object (45 MB in the exporting process).
"""

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from annotator.annotation.tokenization import token_bounds
from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    ExportSpan,
    checked_spans,
    iob2_names,
    layers,
    ordered_relations,
    resolve_overlaps,
)
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split

# Physical encoding only; the columns read back the same. Statistics on ``id``
# alone: min/max over a row group's tokens serve no query and cost a tenth of
# the writing, and those of ``text`` would copy two whole texts into the footer
# per row group (7 KB of the 8 KB it then takes, held in memory until the end).
# Dictionaries where values repeat. Token offsets rise through a document:
# delta encoded, they take half the space of a dictionary and are written faster.
PARQUET_OPTIONS = {
    "write_statistics": ["id"],
    "use_dictionary": [
        "relations.list.element.type",
        "span_attributes.list.element.list.element.name",
        "span_attributes.list.element.list.element.value",
        "span_origins.list.element",
        "source",
        "meta",
        "tokens.list.element",
        "ner_tags.list.element",
        "actor_tags.list.element",
        "spans.list.element.label",
    ],
    "column_encoding": {
        "token_starts.list.element": "DELTA_BINARY_PACKED",
        "token_ends.list.element": "DELTA_BINARY_PACKED",
    },
}
SPAN_TYPE = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
RELATION_TYPE = pa.struct([("head", pa.int64()), ("tail", pa.int64()), ("type", pa.string())])
ATTRIBUTE_TYPE = pa.struct([("name", pa.string()), ("value", pa.string())])


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
        "relations": [{"head": _value("int64"), "tail": _value("int64"), "type": _value("string")}],
        "span_attributes": [[{"name": _value("string"), "value": _value("string")}]],
        "span_origins": _sequence(_value("string")),
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
            ("relations", pa.list_(RELATION_TYPE)),
            ("span_attributes", pa.list_(pa.list_(ATTRIBUTE_TYPE))),
            ("span_origins", pa.list_(pa.string())),
        ]
    )
    info = {"info": {"features": features(labels)}}
    return schema.with_metadata({"huggingface": json.dumps(info, sort_keys=True)})


def _offsets(lengths: np.ndarray) -> pa.Array:
    """Arrow ``int32`` offsets (a leading 0, then running totals) for items of ``lengths``."""
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # The schema's string and list types have 32-bit offsets; a row group past
    # them would wrap around silently.
    if offsets[-1] >= 2**31:
        raise ValueError(f"a row group of {offsets[-1]} items or bytes is too large for Arrow")
    return _array(pa.int32(), offsets.astype(np.int32))


def _array(value_type: pa.DataType, values: np.ndarray) -> pa.Array:
    """An Arrow array sharing a numpy array's memory (see the module docstring on ``pa.array``)."""
    return pa.Array.from_buffers(value_type, len(values), [None, pa.py_buffer(values)])


def _strings(data: bytes | np.ndarray, lengths: np.ndarray) -> pa.Array:
    """UTF-8 ``data`` cut into strings of ``lengths`` bytes."""
    offsets = _offsets(lengths).buffers()[1]
    return pa.StringArray.from_buffers(len(lengths), offsets, pa.py_buffer(data))


def _encoded(values: Sequence[bytes]) -> pa.Array:
    """A string array of UTF-8 encoded ``values``."""
    return _strings(b"".join(values), np.fromiter(map(len, values), np.int64, len(values)))


def _optional_strings(values: Sequence[str | None]) -> pa.Array:
    """A string array of ``values``, ``None`` as null (a validity bitmap, least significant
    bit first, as Arrow lays it out)."""
    present = np.fromiter((value is not None for value in values), np.bool_, len(values))
    encoded = [value.encode() if value is not None else b"" for value in values]
    strings = _encoded(encoded)
    if present.all():
        return strings
    validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    return pa.StringArray.from_buffers(
        len(values), strings.buffers()[1], strings.buffers()[2], validity
    )


def _token_bytes(text: str) -> bytes:
    """The UTF-8 bytes of a text's tokens, one after another: the text without its
    whitespace, since tokens hold none and the gaps between them are whitespace only.
    ``str.split`` cuts at what ``str.isspace`` calls whitespace, as the tokeniser does."""
    return "".join(text.split()).encode()


def _utf8_lengths(text: str, encoded: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The length in UTF-8 bytes of each token ``[start, end)`` of ``text``."""
    if len(encoded) == len(text):
        return ends - starts
    codes = np.frombuffer(text.encode("utf-32-le"), np.uint32)
    offsets = np.zeros(len(codes) + 1, np.int64)
    np.cumsum(1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000), out=offsets[1:])
    return offsets[ends] - offsets[starts]


def _aligned(
    spans: Sequence[ExportSpan], starts: np.ndarray, ends: np.ndarray
) -> tuple[list[tuple[int, int, ExportSpan]], list[ExportSpan]]:
    """``records.tokenize_document``'s alignment over tokens given as two sorted arrays, for
    tokens kept in numpy here: ``(first_token, end_token, span)`` for each
    span from a token start to a token end, and the spans that are not."""
    span_starts = np.fromiter((span.start for span in spans), np.int64, len(spans))
    span_ends = np.fromiter((span.end for span in spans), np.int64, len(spans))
    firsts = np.searchsorted(starts, span_starts)
    lasts = np.searchsorted(ends, span_ends)
    # Past the last token, compare with a value no span offset equals.
    on_edges = (np.append(starts, -1)[firsts] == span_starts) & (
        np.append(ends, -1)[lasts] == span_ends
    )
    aligned, misaligned = [], []
    for span, first, last, on_edge in zip(
        spans, firsts.tolist(), lasts.tolist(), on_edges.tolist(), strict=True
    ):
        if on_edge:
            aligned.append((first, last + 1, span))
        else:
            misaligned.append(span)
    return aligned, misaligned


class _Layer:
    """The IOB2 tags of one layer for the rows not yet written, as the tagged token ranges.

    Tags are stored as ranges of the split's tokens, a few per document, and
    spread over the tokens only when a row group is written.
    """

    def __init__(self, layer_labels: Sequence[str]) -> None:
        names = iob2_names(layer_labels)
        self.begin_tags = {label: names.index(f"B-{label}") for label in layer_labels}
        self.clear()

    def clear(self) -> None:
        self.firsts: list[int] = []
        self.ends: list[int] = []
        self.begins: list[int] = []

    def add(
        self, aligned: Iterable[tuple[int, int, ExportSpan]], first_token: int
    ) -> list[ExportSpan]:
        """Tag one document's ranges, its tokens numbered from ``first_token``.

        Returns the spans left out as overlapping (see :func:`resolve_overlaps`).
        """
        mine = (r for r in aligned if r[2].label in self.begin_tags)
        kept, dropped = resolve_overlaps(mine)
        for first, end, span in kept:
            self.firsts.append(first_token + first)
            self.ends.append(first_token + end)
            self.begins.append(self.begin_tags[span.label])
        return dropped

    def tags(self, token_count: int) -> np.ndarray:
        """Tag indices of ``token_count`` tokens: ``O`` (0) outside the ranges."""
        firsts = np.array(self.firsts, np.int64)
        begins = np.array(self.begins, np.int64)
        # Each range adds its inside tag from its first token on and takes it
        # away at its end; ranges do not overlap, so the running sum is the tag.
        steps = np.zeros(token_count + 1, np.int64)
        np.add.at(steps, firsts, begins + 1)
        np.add.at(steps, np.array(self.ends, np.int64), -(begins + 1))
        tags = np.cumsum(steps[:-1])
        tags[firsts] = begins
        return tags


class _SplitColumns:
    """The rows of one split not yet written, kept compact until they become a row group.

    Per document: its strings UTF-8 encoded (its tokens one after another, with
    their lengths in bytes) and its token offsets as numpy arrays. Token strings
    and tags are made for the whole row group at once, so no Python object is made
    per token, not even while tokenising (``tokenization.token_bounds``).
    """

    def __init__(self, labels: Sequence[str]) -> None:
        actor_labels, content_labels = layers(labels)
        self.labels = labels
        self.actor = _Layer(actor_labels)
        self.content = _Layer(content_labels)
        self.clear()

    def clear(self) -> None:
        self.ids: list[int] = []
        self.titles: list[bytes] = []
        self.texts: list[bytes] = []
        self.sources: list[bytes] = []
        self.metas: list[bytes] = []
        self.token_bytes: list[bytes] = []
        self.token_lengths: list[np.ndarray] = []
        self.token_starts: list[np.ndarray] = []
        self.token_ends: list[np.ndarray] = []
        self.token_total = 0
        self.span_counts: list[int] = []
        self.spans: list[ExportSpan] = []
        self.relation_counts: list[int] = []
        self.relations: list[tuple[int, int, str]] = []
        self.actor.clear()
        self.content.clear()

    @property
    def rows(self) -> int:
        return len(self.ids)

    def add(self, document: ExportDocument) -> ExportCounts:
        text, encoded = document.text, document.text.encode()
        starts, ends = token_bounds(text)
        spans = checked_spans(document, self.labels)
        aligned, misaligned = _aligned(spans, starts, ends)
        self.ids.append(document.id)
        self.titles.append(document.title.encode())
        self.texts.append(encoded)
        self.sources.append(document.source.encode())
        meta = json.dumps(document.meta, ensure_ascii=False, sort_keys=True)
        self.metas.append(meta.encode())
        self.token_bytes.append(_token_bytes(text))
        self.token_lengths.append(_utf8_lengths(text, encoded, starts, ends))
        self.token_starts.append(starts)
        self.token_ends.append(ends)
        dropped = self.actor.add(aligned, self.token_total)
        dropped += self.content.add(aligned, self.token_total)
        self.token_total += len(starts)
        self.span_counts.append(len(spans))
        self.spans += spans
        relations = ordered_relations(document, spans)
        self.relation_counts.append(len(relations))
        self.relations += relations
        counts = ExportCounts.of(1, len(document.spans), misaligned=misaligned, overlapping=dropped)
        return ExportCounts(counts.documents, counts.spans, counts.left_out, len(relations))

    def table(self, schema: pa.Schema) -> pa.Table:
        token_counts = np.fromiter(map(len, self.token_starts), np.int64, self.rows)
        token_offsets = _offsets(token_counts)
        starts = np.concatenate(self.token_starts)
        ends = np.concatenate(self.token_ends)

        def token_list(values: pa.Array) -> pa.ListArray:
            return pa.ListArray.from_arrays(token_offsets, values)

        spans = pa.StructArray.from_arrays(
            [
                _array(pa.int64(), np.array([span.start for span in self.spans], np.int64)),
                _array(pa.int64(), np.array([span.end for span in self.spans], np.int64)),
                _encoded([span.label.encode() for span in self.spans]),
            ],
            fields=list(SPAN_TYPE),
        )
        relations = pa.StructArray.from_arrays(
            [
                _array(pa.int64(), np.array([r[0] for r in self.relations], np.int64)),
                _array(pa.int64(), np.array([r[1] for r in self.relations], np.int64)),
                _encoded([r[2].encode() for r in self.relations]),
            ],
            fields=list(RELATION_TYPE),
        )
        values = [value for span in self.spans for value in span.attributes]
        attributes = pa.StructArray.from_arrays(
            [
                _encoded([name.encode() for name, _ in values]),
                _encoded([v.encode() for _, v in values]),
            ],
            fields=list(ATTRIBUTE_TYPE),
        )
        per_span = pa.ListArray.from_arrays(
            _offsets(np.fromiter((len(span.attributes) for span in self.spans), np.int64)),
            attributes,
        )
        columns = [
            _array(pa.int64(), np.array(self.ids, np.int64)),
            _encoded(self.titles),
            _encoded(self.texts),
            _encoded(self.sources),
            _encoded(self.metas),
            token_list(_strings(b"".join(self.token_bytes), np.concatenate(self.token_lengths))),
            token_list(_array(pa.int64(), starts)),
            token_list(_array(pa.int64(), ends)),
            token_list(_array(pa.int64(), self.content.tags(self.token_total))),
            token_list(_array(pa.int64(), self.actor.tags(self.token_total))),
            pa.ListArray.from_arrays(_offsets(np.array(self.span_counts, np.int64)), spans),
            pa.ListArray.from_arrays(_offsets(np.array(self.relation_counts, np.int64)), relations),
            pa.ListArray.from_arrays(_offsets(np.array(self.span_counts, np.int64)), per_span),
            pa.ListArray.from_arrays(
                _offsets(np.array(self.span_counts, np.int64)),
                _optional_strings([span.origin for span in self.spans]),
            ),
        ]
        return pa.Table.from_arrays(columns, schema=schema)


def shard_name(split: str, number: int, total: int) -> str:
    """The Hub's name for file ``number`` of ``total`` of a split, which ``datasets`` recognises."""
    return f"{split}-{number:05d}-of-{total:05d}.parquet"


class _SplitFiles:
    """The Parquet files of one split, a new one every ``rows_per_file`` rows.

    A Parquet writer keeps each row group's metadata until its file is closed,
    about 8 KB per row group, so a single file per split would make memory grow
    with the corpus. Files are named ``<split>-NNNNN.parquet`` while written and
    renamed with their total (:func:`shard_name`) by :meth:`finish`.
    """

    def __init__(self, directory: Path, split: str, schema: pa.Schema, rows_per_file: int) -> None:
        self.directory, self.split, self.schema = directory, split, schema
        self.rows_per_file = rows_per_file
        self.paths: list[Path] = []
        self.writer: pq.ParquetWriter | None = None
        self.rows_in_file = 0

    def write(self, table: pa.Table) -> None:
        if self.writer is None or self.rows_in_file >= self.rows_per_file:
            self.close()
            self.paths.append(self.directory / f"{self.split}-{len(self.paths):05d}.parquet")
            # Arrow's default pool (mimalloc) keeps what it frees; malloc
            # hands it back to the numpy arrays of the next row group.
            self.writer = pq.ParquetWriter(
                self.paths[-1], self.schema, memory_pool=pa.system_memory_pool(), **PARQUET_OPTIONS
            )
            self.rows_in_file = 0
        self.writer.write_table(table)
        self.rows_in_file += table.num_rows

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def finish(self) -> None:
        self.close()
        for number, path in enumerate(self.paths):
            path.rename(self.directory / shard_name(self.split, number, len(self.paths)))


def write_huggingface(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    directory: Path,
    *,
    seed: str | int = 0,
    ratios: SplitRatios | None = None,
    rows_per_group: int = 1000,
    rows_per_file: int = 10_000,
) -> dict[str, ExportCounts]:
    """Write the Parquet files of the three splits into ``directory`` (created; must be empty).

    Returns the counts of each split, keyed ``train``, ``validation``, ``test``;
    a split that receives no document gets no file. A file holds at most
    ``rows_per_file`` rows (rounded up to whole row groups).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty")
    schema = arrow_schema(labels)
    counts = {name: ExportCounts() for name in SPLIT_NAMES}
    buffers = {name: _SplitColumns(labels) for name in SPLIT_NAMES}
    # Files are opened on a split's first rows: ``datasets`` refuses a file with no rows.
    files = {name: _SplitFiles(directory, name, schema, rows_per_file) for name in SPLIT_NAMES}

    def flush(name: str) -> None:
        if buffers[name].rows:
            files[name].write(buffers[name].table(schema))
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
        for split_files in files.values():
            split_files.close()
    for split_files in files.values():
        split_files.finish()
    return counts

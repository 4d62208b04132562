"""spaCy v3 ``.spacy`` (DocBin) files, for ``spacy train`` and ``DocBin.get_docs``.

The bytes are those spaCy's own ``DocBin(attrs=["ENT_IOB", "ENT_TYPE"],
store_user_data=True)`` writes for the Docs described below, built with
``spacy.blank("en")``, except that they are compressed faster (see
``COMPRESSION_LEVEL``); ``tests/test_export_spacy.py`` checks this against
spaCy itself. They are written from arrays, without spaCy: building the Docs
cost about a millisecond per document, and importing spaCy about 70 MB.

Documents are written in shards of at most ``shard_size`` documents:
``00000.spacy``, ``00001.spacy``, ... in one directory per split, named as
``spacy train`` names its corpora: ``train/``, ``dev/`` (the validation split)
and ``test/``. spaCy's corpus reader takes a directory as a whole::

    python -m spacy train config.cfg --paths.train spacy/train --paths.dev spacy/dev

Memory is bounded by one shard, and by ``VOCABULARY_SIZE`` distinct words kept
between shards.

Tokens are those of ``annotator.annotation.tokenization.tokenize``; whitespace between them
becomes spaCy's trailing space or a whitespace token, so ``doc.text`` equals the
original text exactly and character offsets (code points) carry over unchanged.
Every token-aligned span is in ``doc.spans["sc"]``; ``doc.ents``, which may not
overlap, holds the largest subset of them that does not, chosen by
``records.resolve_overlaps`` over all labels: the span that ends first, then
the next starting after it, and so on (which keeps as many spans as any choice
could), an actor first between spans ending together. Actors nest inside
claims, so a claim that holds an actor is in ``sc`` only.
``doc.user_data`` holds ``id``, ``title``, ``source`` and ``split``. When any span
of the document carries an annotator, or the document has relations or attribute
values (gold), it also holds, by code point offsets so that spans off token edges
are named too (``doc.char_span(start, end)`` finds those on token edges):

- ``relations``: ``{"head": (start, end, label), "tail": (start, end, label),
  "type": "claimant", "annotator": "alice"}`` per relation, from head to tail;
- ``span_attributes``: ``{"start", "end", "label", "annotator", "attributes":
  {"stance": "oppose"}}`` per span holding attribute values;
- ``span_origins``: ``{"start", "end", "label", "annotator", "origin":
  "string-match"}`` per span its annotator did not mark by hand (the suggestion
  source they accepted or the import that wrote it).

``DocBin`` keeps ``user_data`` (``store_user_data=True``, as written here) and
gives it back from ``get_docs`` with lists read as tuples. In gold, ``annotator``
is ``None``: the relations and values are the adjudicated ones.

Counts, per label: ``misaligned`` spans are missing from both ``sc`` and
``ents``; ``overlapping`` ones are in ``sc`` but not in ``ents``.
"""

import re
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain, compress, count, islice

import regex
from srsly.msgpack import Packer

from annotator.annotation.tokenization import (
    SIMPLE_PATTERN,
    UAX29_FLAGS,
    UAX29_PATTERN,
    WHITESPACE_CLASS,
    is_simple,
)
from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    ExportSpan,
    carries_relations,
    checked_spans,
    ordered_relations,
    resolve_overlaps,
    tokenize_document,
)

SPANS_KEY = "sc"
#: The folder of each split: spaCy calls the validation corpus "dev".
SPLIT_FOLDERS = {"train": "train", "validation": "dev", "test": "test"}

#: spaCy's symbols (``spacy/symbols.pyx``) in the order of their IDs. spaCy's
#: string store gives these strings their ID instead of a hash, so a token
#: "_" or "number", or a label "PERSON", is stored as a small integer.
SYMBOLS = {name: symbol_id for symbol_id, name in enumerate([
    "", "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE",
    "IS_UPPER", "LIKE_URL", "LIKE_NUM", "LIKE_EMAIL", "IS_STOP", "IS_OOV_DEPRECATED",
    "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT", "IS_CURRENCY",
    *(f"FLAG{number}" for number in range(19, 64)),
    "ID", "ORTH", "LOWER", "NORM", "SHAPE", "PREFIX", "SUFFIX", "LENGTH", "CLUSTER", "LEMMA",
    "POS", "TAG", "DEP", "ENT_IOB", "ENT_TYPE", "HEAD", "SENT_START", "SPACY", "PROB", "LANG",
    "ADJ", "ADP", "ADV", "AUX", "CONJ", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
    "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X", "EOL", "SPACE",
    *(f"DEPRECATED{number:03d}" for number in range(1, 277)),
    "PERSON", "NORP", "FACILITY", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
    "LANGUAGE", "LAW", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
    "acomp", "advcl", "advmod", "agent", "amod", "appos", "attr", "aux", "auxpass", "cc",
    "ccomp", "complm", "conj", "cop", "csubj", "csubjpass", "dep", "det", "dobj", "expl",
    "hmod", "hyph", "infmod", "intj", "iobj", "mark", "meta", "neg", "nmod", "nn", "npadvmod",
    "nsubj", "nsubjpass", "num", "number", "oprd", "obj", "obl", "parataxis", "partmod",
    "pcomp", "pobj", "poss", "possessive", "preconj", "prep", "prt", "punct", "quantmod",
    "relcl", "rcmod", "root", "xcomp", "acl", "ENT_KB_ID", "MORPH", "ENT_ID", "IDX", "_",
])}  # fmt: skip

#: The token columns: ORTH first, then the requested attributes sorted by ID
#: (attribute IDs are the first symbols).
ATTRS = [SYMBOLS["ORTH"], SYMBOLS["ENT_IOB"], SYMBOLS["ENT_TYPE"]]
#: ENT_IOB values as ``Doc.set_ents`` stores them (0 would be "missing").
IOB_INSIDE, IOB_OUTSIDE, IOB_BEGIN = 1, 2, 3

#: spaCy's ``BASE_NORMS`` (``spacy/lang/norm_exceptions.py``): a word's norm is
#: its entry here, else its lowercase. DocBin stores every norm in its strings.
#: Named escapes, as several are look-alikes of ASCII characters.
NORM_EXCEPTIONS = {
    orth: norm
    for norm, orths in [
        ("'s", [
            "'s", "'S", "\N{RIGHT SINGLE QUOTATION MARK}s", "\N{RIGHT SINGLE QUOTATION MARK}S",
        ]),
        ("'", [
            "\N{RIGHT SINGLE QUOTATION MARK}", "\N{LEFT SINGLE QUOTATION MARK}",
            "\N{ACUTE ACCENT}", "`",
        ]),
        ('"', [
            "\N{RIGHT DOUBLE QUOTATION MARK}", "\N{LEFT DOUBLE QUOTATION MARK}", "''", "``",
            "\N{ACUTE ACCENT}" * 2, "\N{DOUBLE LOW-9 QUOTATION MARK}",
            "\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}",
            "\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}",
            "\N{LEFT SINGLE QUOTATION MARK}" * 2, "\N{RIGHT SINGLE QUOTATION MARK}" * 2,
        ]),
        ("?", ["\N{FULLWIDTH QUESTION MARK}"]),
        ("!", ["\N{FULLWIDTH EXCLAMATION MARK}"]),
        (",", ["\N{FULLWIDTH COMMA}"]),
        (";", ["\N{FULLWIDTH SEMICOLON}"]),
        (":", ["\N{FULLWIDTH COLON}"]),
        (".", ["\N{IDEOGRAPHIC FULL STOP}", "\N{DEVANAGARI DANDA}"]),
        ("...", ["\N{HORIZONTAL ELLIPSIS}"]),
        ("-", ["\N{EM DASH}", "\N{EN DASH}", "--", "---", "\N{EM DASH}" * 2]),
        ("$", [
            "€", "£", "¥", "฿", "US$", "C$", "A$", "₺", "₹", "৳", "₩", "Mex$", "₣", "E£",
        ]),
    ]
    for orth in orths
}  # fmt: skip

#: One spaCy word: a token with the one space that may follow it (its SPACY
#: flag), or a run of other whitespace, which is a word of its own. The words
#: of a text, joined, are the text. The tokens are those of
#: ``annotation.tokenization``, through the same two patterns it chooses between.
SIMPLE_WORDS = re.compile(rf"(?:{SIMPLE_PATTERN}) ?|\s+")
UAX29_WORDS = regex.compile(rf"(?:{UAX29_PATTERN}) ?|[{WHITESPACE_CLASS}]+", UAX29_FLAGS)

#: ``SpanGroup.to_bytes``: id, kb_id, label, start, end, start_char, end_char.
SPAN_STRUCT = struct.Struct(">QQQllll")
#: A token's row in DocBin's uint64 array, in native byte order like numpy's,
#: and its ENT_IOB and ENT_TYPE columns.
ROW_STRUCT = struct.Struct("=QQQ")
ENT_STRUCT = struct.Struct("=QQ")

#: spaCy compresses at zlib's default level (6), which took longer than all the
#: rest of this writer; level 1 takes a third of that for files 5-25% larger.
#: DocBin decompresses either, and the uncompressed bytes are spaCy's.
COMPRESSION_LEVEL = 1

#: Distinct words kept between shards (about 300 bytes each), so that hashing
#: and norms are worked out once per corpus rather than once per shard.
VOCABULARY_SIZE = 100_000

_MURMUR_M = 0xC6A4A7935BD1E995
_MASK64 = (1 << 64) - 1


def murmurhash64a(key: bytes, seed: int) -> int:
    """Austin Appleby's MurmurHash64A, as ``murmurhash`` (spaCy's hash) computes it."""
    length = len(key)
    hashed = (seed ^ (length * _MURMUR_M)) & _MASK64
    blocks = length - length % 8
    # The C code reads blocks in native byte order, the tail byte by byte.
    for (block,) in struct.iter_unpack("=Q", key[:blocks]):
        block = (block * _MURMUR_M) & _MASK64
        block ^= block >> 47
        hashed ^= (block * _MURMUR_M) & _MASK64
        hashed = (hashed * _MURMUR_M) & _MASK64
    if blocks < length:
        hashed ^= int.from_bytes(key[blocks:], "little")
        hashed = (hashed * _MURMUR_M) & _MASK64
    hashed ^= hashed >> 47
    hashed = (hashed * _MURMUR_M) & _MASK64
    return hashed ^ (hashed >> 47)


def string_id(string: str) -> int:
    """The ID spaCy's ``StringStore`` gives ``string``: its symbol, or its hash."""
    symbol = SYMBOLS.get(string)
    if symbol is not None:
        return symbol
    return murmurhash64a(string.encode(), 1)


class _Vocabulary(dict[str, bytes]):
    """What a DocBin needs of each word, worked out on first sight and kept.

    Keys are words as ``SIMPLE_WORDS`` and ``UAX29_WORDS`` match them, with their trailing space,
    so that one look-up per word gives its token row (ORTH, ENT_IOB outside, no
    ENT_TYPE) and another its SPACY flag: a corpus has many words, few distinct.
    """

    def __init__(self) -> None:
        super().__init__()
        self.spaces: dict[str, int] = {}
        #: The word's text and norm, which go into the strings of its shard.
        self.strings: dict[str, tuple[str, str]] = {}

    def __missing__(self, word: str) -> bytes:
        space = 1 if word[-1] == " " and not word[0].isspace() else 0
        text = word[:-1] if space else word
        norm = NORM_EXCEPTIONS.get(text) or text.lower()
        self.spaces[word] = space
        # Most norms equal their text: keep one string, not two.
        self.strings[word] = (text, text if norm == text else norm)
        row = self[word] = ROW_STRUCT.pack(string_id(text), IOB_OUTSIDE, 0)
        return row

    def clear(self) -> None:
        super().clear()
        self.spaces.clear()
        self.strings.clear()


def annotator_user_data(
    spans: Sequence[ExportSpan], relations: Sequence[tuple[int, int, str]]
) -> dict:
    """The ``relations``, ``span_attributes`` and ``span_origins`` of ``doc.user_data``
    (see the module docstring); ``relations`` index ``spans``."""

    def named(span: ExportSpan) -> list:
        return [span.start, span.end, span.label]

    return {
        "relations": [
            {
                "head": named(spans[head]),
                "tail": named(spans[tail]),
                "type": type_,
                "annotator": spans[head].annotator,
            }
            for head, tail, type_ in relations
        ],
        "span_attributes": [
            {
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "annotator": span.annotator,
                "attributes": dict(span.attributes),
            }
            for span in spans
            if span.attributes
        ],
        "span_origins": [
            {
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "annotator": span.annotator,
                "origin": span.origin,
            }
            for span in spans
            if span.origin is not None
        ],
    }


class _Shard:
    """The columns of one DocBin, filled document by document."""

    def __init__(self, vocabulary: _Vocabulary, packer: Packer, label_ids: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.packer = packer
        self.label_ids = label_ids
        self.words: set[str] = set()
        self.tokens: list[bytearray] = []
        self.spaces: list[bytes] = []
        self.lengths = array("i")  # int32
        self.labels: set[str] = set()
        self.span_groups: list[bytes] = []
        self.user_data: list[bytes] = []

    def add(self, document: ExportDocument, labels: Sequence[str], split: str) -> ExportCounts:
        text = document.text
        words = (SIMPLE_WORDS if is_simple(text) else UAX29_WORDS).findall(text)
        rows = bytearray(b"".join(map(self.vocabulary.__getitem__, words)))
        self.spaces.append(bytes(map(self.vocabulary.spaces.__getitem__, words)))
        self.words.update(words)
        self.lengths.append(len(words))

        # The alignment of records.tokenize_document, over the same tokens: a
        # span is kept if a token starts at its start and one ends at its end.
        starts = list(accumulate(map(len, words), initial=0))
        whitespace = list(compress(count(), map(str.isspace, words)))
        aligned: list[tuple[int, int, ExportSpan]] = []  # token ranges, for resolve_overlaps
        word_ranges: dict[ExportSpan, tuple[int, int]] = {}
        misaligned: list[ExportSpan] = []
        spans = checked_spans(document, labels)
        for span in spans:
            first = bisect_left(starts, span.start)
            last = bisect_left(starts, span.end) - 1  # the last word starting inside
            if (
                starts[first] == span.start
                and not words[first].isspace()
                and not words[last].isspace()
                and starts[last + 1] - (words[last][-1] == " ") == span.end
            ):
                aligned.append(
                    (
                        first - bisect_left(whitespace, first),
                        last + 1 - bisect_left(whitespace, last),
                        span,
                    )
                )
                word_ranges[span] = (first, last + 1)
            else:
                misaligned.append(span)
        kept, dropped = resolve_overlaps(aligned)

        for _, _, span in kept:
            first, end = word_ranges[span]
            label_id = self.label_ids[span.label]
            ENT_STRUCT.pack_into(rows, ROW_STRUCT.size * first + 8, IOB_BEGIN, label_id)
            for word in range(first + 1, end):
                ENT_STRUCT.pack_into(rows, ROW_STRUCT.size * word + 8, IOB_INSIDE, label_id)
        self.tokens.append(rows)
        self.labels.update(span.label for span in word_ranges)
        group = self.packer.pack(
            {
                "name": SPANS_KEY,
                "attrs": {},
                "spans": [
                    SPAN_STRUCT.pack(
                        0, 0, self.label_ids[span.label], *word_ranges[span], span.start, span.end
                    )
                    for _, _, span in aligned
                ],
            }
        )
        self.span_groups.append(self.packer.pack({group: [SPANS_KEY]}))
        user_data = {
            "id": document.id,
            "title": document.title,
            "source": document.source,
            "split": split,
        }
        relations = ordered_relations(document, spans)
        if any(span.annotator is not None for span in spans) or carries_relations(document, spans):
            user_data |= annotator_user_data(spans, relations)
        self.user_data.append(self.packer.pack(user_data))
        counts = ExportCounts.of(1, len(document.spans), misaligned=misaligned, overlapping=dropped)
        return ExportCounts(counts.documents, counts.spans, counts.left_out, len(relations))

    def to_bytes(self) -> bytes:
        count = len(self.lengths)
        # DocBin.add collects each token's text, norm and (here empty) tag,
        # lemma, morph, dep, kb and id strings, and each span's label.
        strings = set(chain.from_iterable(map(self.vocabulary.strings.__getitem__, self.words)))
        strings.update(self.labels)
        if self.words:
            strings.add("")
        message = {
            "version": "0.1",
            "attrs": ATTRS,
            "tokens": b"".join(self.tokens),
            "spaces": b"".join(self.spaces),
            "lengths": self.lengths.tobytes(),
            "strings": sorted(strings),
            "cats": [{}] * count,
            "flags": [{"has_unknown_spaces": False}] * count,
            "span_groups": self.span_groups,
            "user_data": self.user_data,
        }
        return zlib.compress(self.packer.pack(message), COMPRESSION_LEVEL)


def _batches(items: Iterable[ExportDocument], size: int) -> Iterator[list[ExportDocument]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def spacy_left_out(document: ExportDocument, labels: Sequence[str]) -> ExportCounts:
    """What the DocBin leaves out of ``document`` (see the module docstring), worked out
    from the shared token alignment rather than by writing it."""
    tokenized = tokenize_document(document, labels)
    _, overlapping = resolve_overlaps(tokenized.aligned)
    return ExportCounts.of(
        1, len(document.spans), misaligned=tokenized.misaligned, overlapping=overlapping
    )


def spacy_shards(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    *,
    shard_size: int,
    split: str = "train",
) -> Iterator[tuple[str, bytes, ExportCounts]]:
    """Each shard's file name (``NNNNN.spacy``), bytes and counts, one shard at a time,
    for the documents of ``split``."""
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    # srsly.msgpack_dumps's settings; one packer, as making one scans plugins.
    packer = Packer(use_bin_type=True)
    label_ids = {label: string_id(label) for label in labels}
    vocabulary = _Vocabulary()
    for number, batch in enumerate(_batches(documents, shard_size)):
        if len(vocabulary) > VOCABULARY_SIZE:
            vocabulary.clear()
        shard = _Shard(vocabulary, packer, label_ids)
        counts = ExportCounts()
        for document in batch:
            counts += shard.add(document, labels, split)
        yield f"{number:05d}.spacy", shard.to_bytes(), counts

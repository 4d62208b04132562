"""spaCy v3 ``.spacy`` (DocBin) files, for ``spacy train`` and ``DocBin.get_docs``.

A DocBin is built in memory, so documents are written in shards of at most
``shard_size`` documents: ``00000.spacy``, ``00001.spacy``, ... in one
directory, which spaCy's corpus reader takes as a whole. Memory is bounded by
one shard.

Tokens are those of ``annotator.tokens.tokenize``; whitespace between them
becomes spaCy's trailing space or a whitespace token, so ``doc.text`` equals the
original text exactly and character offsets (code points) carry over unchanged.
Every token-aligned span is in ``doc.spans["sc"]``; ``doc.ents`` holds the
non-overlapping subset chosen by ``resolve_overlaps`` over all labels.
``doc.user_data`` holds ``id``, ``title`` and ``source``.

Counts: ``misaligned_spans`` are missing from both ``sc`` and ``ents``;
``overlapping_spans`` are in ``sc`` but not in ``ents``.
"""

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from itertools import islice
from pathlib import Path

import spacy
import srsly.msgpack
from spacy.tokens import Doc, DocBin

from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    ExportSpan,
    TokenizedDocument,
    resolve_overlaps,
    tokenize_document,
)

SPANS_KEY = "sc"


def words_and_spaces(text: str, tokens: Sequence[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    """spaCy ``words``/``spaces`` that rebuild ``text`` exactly from its tokens."""
    words: list[str] = []
    spaces: list[bool] = []

    def add_whitespace(gap: str) -> None:
        # spaCy stores one plain space as the previous token's trailing space;
        # anything else (runs, newlines, leading whitespace) is its own token.
        if gap.startswith(" ") and words and not spaces[-1] and not words[-1].isspace():
            spaces[-1] = True
            gap = gap[1:]
        if gap:
            words.append(gap)
            spaces.append(False)

    position = 0
    for start, end in tokens:
        if start > position:
            gap = text[position:start]
            # The common case, one space after a word, inline: this loop runs per token.
            if gap == " " and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True
            else:
                add_whitespace(gap)
        words.append(text[start:end])
        spaces.append(False)
        position = end
    add_whitespace(text[position:])
    return words, spaces


def to_doc(nlp: spacy.language.Language, tokenized: TokenizedDocument) -> tuple[Doc, int]:
    """Build the Doc of one document; return it and the number of spans left out of ents."""
    document = tokenized.document
    words, spaces = words_and_spaces(document.text, tokenized.tokens)
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    # Both checks guard the promise that offsets carry over unchanged; neither
    # can fail while words_and_spaces and the alignment agree.
    if doc.text != document.text:
        raise RuntimeError(f"document {document.id}: spaCy text differs from the original")
    doc.user_data.update(id=document.id, title=document.title, source=document.source)

    def char_span(span_range: tuple[int, int, ExportSpan]) -> spacy.tokens.Span:
        span = span_range[2]
        result = doc.char_span(span.start, span.end, label=span.label, alignment_mode="strict")
        if result is None:
            raise RuntimeError(f"document {document.id}: aligned span {span} not in spaCy doc")
        return result

    doc.spans[SPANS_KEY] = [char_span(r) for r in tokenized.aligned]
    kept, dropped = resolve_overlaps(tokenized.aligned)
    doc.ents = [char_span(r) for r in kept]
    return doc, dropped


def cache_msgpack_plugins() -> None:
    """Look srsly's msgpack plugins up once per process instead of on every pack.

    srsly finds them by scanning every installed distribution's entry points
    and catalogue's whole global registry each time it creates a packer, and
    ``DocBin.add`` packs three times per document: the entry point scan was a
    quarter of this writer's time, the registry scan another seventh. Installed
    packages do not change while we run, and the plugins register themselves
    when imported (before the first export), so the answer can be kept.
    """
    for registry in (srsly.msgpack.msgpack_encoders, srsly.msgpack.msgpack_decoders):
        if not hasattr(registry.get_all, "cache_info"):
            registry.get_all = cache(registry.get_all)


def _batches(items: Iterable[ExportDocument], size: int) -> Iterator[list[ExportDocument]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def write_spacy(
    documents: Iterable[ExportDocument],
    labels: Sequence[str],
    directory: Path,
    *,
    shard_size: int = 1000,
) -> ExportCounts:
    """Write ``NNNNN.spacy`` shards into ``directory`` (created; must be empty)."""
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty")
    cache_msgpack_plugins()
    nlp = spacy.blank("en")
    counts = ExportCounts()
    for number, batch in enumerate(_batches(documents, shard_size)):
        docbin = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=True)
        for document in batch:
            tokenized = tokenize_document(document, labels)
            doc, dropped = to_doc(nlp, tokenized)
            docbin.add(doc)
            counts += ExportCounts(1, len(document.spans), tokenized.misaligned, dropped)
        docbin.to_disk(directory / f"{number:05d}.spacy")
    return counts

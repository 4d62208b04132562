"""CoNLL-style token file with IOB2 tags, one column per annotation layer.

Each line is ``token<TAB>actor_tag<TAB>content_tag``: the actor layer holds the
labels in ``ACTOR_LABELS``, the content layer every other label (claim,
threat, proposal). Actors nest inside claims, so one column could not hold both.

One file per split (``train.conll``, ``validation.conll``, ``test.conll``).
Tokens come from ``annotator.annotation.tokenization.tokenize``; whitespace is never a token.
Each document starts with the line ``-DOCSTART- <id><TAB>O<TAB>O`` and a blank line
(CoNLL-2003 style, the document id after the marker), in input order. Readers
that skip CoNLL-2003 document markers skip any line starting ``-DOCSTART-``
(``datasets``' ``conll`` builder, for one); the id is in the first column, not a
tag column, so the tags stay valid IOB2 for a reader that does not.

Within a document a blank line ends a sentence where the text between two
tokens holds a line break, or after a token ``.``, ``!`` or ``?`` - except
where a span continues across that point, so that no entity is cut in two.

A span whose start is not a token start or whose end is not a token end is left
out and counted as ``misaligned``; a span overlapping a kept span of the same
layer is left out (see ``records.resolve_overlaps``: the most spans that do not
overlap are kept) and counted as ``overlapping``, both per label.

Relations and span attribute values are not written: a column of tags per token
has no place for a link between two spans or for a span's values. The other
formats carry them.
"""

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from annotator.exports.records import (
    LINE_BREAKS,
    ExportCounts,
    ExportDocument,
    ExportSpan,
    iob2_tags,
    layers,
    tokenize_document,
)

DOCSTART = "-DOCSTART- {id}\tO\tO\n\n"
UNTAGGED = "\tO\tO\n"
# Each of these characters always starts a token (annotator.annotation.tokenization), so
# finding them in the text finds the sentence-ending tokens.
SENTENCE_END = re.compile(r"[.!?]")
LINE_BREAK = re.compile("[" + re.escape("".join(sorted(LINE_BREAKS))) + "]")


def sentence_ends(
    text: str, starts: Sequence[int], actor_tags: list[str], content_tags: list[str]
) -> set[int]:
    """Indices of the tokens a sentence ends after (see the module docstring).

    Found from the few sentence marks and line breaks in the text rather than
    by testing every token: this format's cost is per token.
    """
    candidates = {bisect_left(starts, m.start()) for m in SENTENCE_END.finditer(text)}
    # A line break lies in the gap after the last token that starts before it.
    candidates.update(bisect_left(starts, m.start()) - 1 for m in LINE_BREAK.finditer(text))
    last = len(starts) - 1
    ends = {
        index
        for index in candidates
        if 0 <= index < last
        and actor_tags[index + 1][0] != "I"
        and content_tags[index + 1][0] != "I"
    }
    if starts:
        ends.add(last)
    return ends


def write_conll(
    documents: Iterable[ExportDocument], labels: Sequence[str], stream: BinaryIO
) -> ExportCounts:
    """Write every document as UTF-8 CoNLL to ``stream``; see the module docstring."""
    actor_labels, content_labels = layers(labels)
    written = spans = 0
    misaligned: list[ExportSpan] = []
    overlapping: list[ExportSpan] = []
    for document in documents:
        tokenized = tokenize_document(document, labels)
        words = tokenized.words
        actor_tags, actor_dropped = iob2_tags(len(words), tokenized.aligned, actor_labels)
        content_tags, content_dropped = iob2_tags(len(words), tokenized.aligned, content_labels)
        # Most tokens are outside every span: give them all the untagged ending, then
        # rewrite the endings of the few tokens spans cover and of sentence ends.
        endings = [UNTAGGED] * len(words)
        for first, end, _ in tokenized.aligned:
            for index in range(first, end):
                endings[index] = f"\t{actor_tags[index]}\t{content_tags[index]}\n"
        for index in sentence_ends(document.text, tokenized.starts, actor_tags, content_tags):
            endings[index] += "\n"
        # Interleaved by slice assignment and joined once: concatenating each
        # token to its ending made a string per token and took seven times longer.
        lines = [DOCSTART.format(id=document.id)] * (2 * len(words) + 1)
        lines[1::2] = words
        lines[2::2] = endings
        stream.write("".join(lines).encode("utf-8"))
        written += 1
        spans += len(document.spans)
        misaligned += tokenized.misaligned
        overlapping += actor_dropped + content_dropped
    return ExportCounts.of(written, spans, misaligned=misaligned, overlapping=overlapping)

"""CoNLL-style token file with IOB2 tags, one column per annotation layer.

Each line is ``token<TAB>actor_tag<TAB>content_tag``: the actor layer holds the
labels in ``ACTOR_LABELS``, the content layer every other label (claim,
threat, proposal). Actors nest inside claims, so one column could not hold both.

Tokens come from ``annotator.tokens.tokenize``; whitespace is never a token.
Each document starts with the line ``-DOCSTART-<TAB>O<TAB>O`` and a blank line
(CoNLL-2003 style), in input order. Within a document a blank line ends a
sentence where the text between two tokens holds a line break, or after a token
``.``, ``!`` or ``?`` - except where a span continues across that point, so
that no entity is cut in two.

A span whose start is not a token start or whose end is not a token end is left
out and counted in ``misaligned_spans``; a span overlapping a kept span of the
same layer is left out and counted in ``overlapping_spans``.
"""

from collections.abc import Iterable, Sequence
from typing import BinaryIO

from annotator.exports.records import (
    LINE_BREAKS,
    ExportCounts,
    ExportDocument,
    iob2_tags,
    layers,
    tokenize_document,
)

DOCSTART = "-DOCSTART-\tO\tO\n\n"
SENTENCE_END_TOKENS = frozenset(".!?")


def write_conll(
    documents: Iterable[ExportDocument], labels: Sequence[str], stream: BinaryIO
) -> ExportCounts:
    """Write every document as UTF-8 CoNLL to ``stream``; see the module docstring."""
    actor_labels, content_labels = layers(labels)
    counts = ExportCounts()
    for document in documents:
        tokenized = tokenize_document(document, labels)
        text, tokens = document.text, tokenized.tokens
        actor_tags, actor_dropped = iob2_tags(len(tokens), tokenized.aligned, actor_labels)
        content_tags, content_dropped = iob2_tags(len(tokens), tokenized.aligned, content_labels)
        lines = [DOCSTART]
        for index, (start, end) in enumerate(tokens):
            lines.append(f"{text[start:end]}\t{actor_tags[index]}\t{content_tags[index]}\n")
            following = index + 1
            if following == len(tokens):
                lines.append("\n")
                break
            continues = actor_tags[following][0] == "I" or content_tags[following][0] == "I"
            ends_sentence = text[start:end] in SENTENCE_END_TOKENS or any(
                char in LINE_BREAKS for char in text[end : tokens[following][0]]
            )
            if ends_sentence and not continues:
                lines.append("\n")
        stream.write("".join(lines).encode("utf-8"))
        counts += ExportCounts(
            documents=1,
            spans=len(document.spans),
            misaligned_spans=tokenized.misaligned,
            overlapping_spans=actor_dropped + content_dropped,
        )
    return counts

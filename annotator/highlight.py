"""Document text as HTML with spans as nested ``<mark>`` elements.

Spans may nest (an actor inside a claim) and may cross each other. The text is
cut at every span boundary; each piece is wrapped in the marks of the spans
covering it, outermost first, so crossing spans become several properly nested
marks that share a ``data-span`` id. The output holds the document text and
nothing else, so the browser can count offsets over its text nodes.

Built in Python rather than a recursive template: a document with thousands of
spans renders in one linear pass, and every piece of text goes through
``escape``.
"""

import itertools
from collections.abc import Sequence
from typing import Protocol

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


class Highlight(Protocol):
    pk: int
    start: int
    end: int
    label_id: int


def _nesting_key(span: Highlight) -> tuple[int, int, int]:
    return (span.start, -span.end, span.pk)


def highlight_html(text: str, spans: Sequence[Highlight]) -> SafeString:
    """Return ``text`` escaped, with each span of ``[start, end)`` code points marked."""
    boundaries = {0, len(text)}
    for span in spans:
        boundaries.add(span.start)
        boundaries.add(span.end)
    cuts = sorted(boundaries)
    by_start: dict[int, list[Highlight]] = {}
    for span in spans:
        by_start.setdefault(span.start, []).append(span)

    parts: list[str] = []
    covering: list[Highlight] = []
    open_marks: list[Highlight] = []
    for piece_start, piece_end in itertools.pairwise(cuts):
        covering = [span for span in covering if span.end > piece_start]
        covering.extend(by_start.get(piece_start, ()))
        covering.sort(key=_nesting_key)
        shared = 0
        while (
            shared < len(open_marks)
            and shared < len(covering)
            and open_marks[shared] is covering[shared]
        ):
            shared += 1
        parts.append("</mark>" * (len(open_marks) - shared))
        for span in covering[shared:]:
            parts.append(f'<mark class="span label-{span.label_id}" data-span="{span.pk}">')
        open_marks = list(covering)
        parts.append(escape(text[piece_start:piece_end]))
    parts.append("</mark>" * len(open_marks))
    return mark_safe("".join(parts))  # noqa: S308 - every text piece is escaped above

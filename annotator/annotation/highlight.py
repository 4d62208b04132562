"""How spans look: a mark per label that needs no colour, the text as HTML with spans as
nested ``<mark>`` elements, and the span list.

The pages paint spans in the browser; these marks (``LABEL_MARKS``) are the
per-label line drawn under or over the text, so labels stay apart in
greyscale and for colour-blind readers whatever colours a project picks. The
HTML below is what a browser without JavaScript shows.

Spans may nest (an actor inside a claim) and may cross each other. The text is
cut at every span boundary; each piece is wrapped in the marks of the spans
covering it, outermost first, so crossing spans become several properly nested
marks that share a ``data-span`` id. The output holds the document text and
nothing else, so the browser can count offsets over its text nodes.

Both are built in Python rather than in templates: a document with thousands of
spans renders in one linear pass (the template loop cost 113 ms of a 115 ms page
at 1,000 spans, bench/annotate_page.py), and every piece of user text goes
through ``escape`` (the standard library's, which Django's wraps: the same
output without the per-call lazy-string overhead).
"""

import itertools
from collections.abc import Sequence
from html import escape
from typing import NamedTuple, Protocol

from django.utils.safestring import SafeString, mark_safe

QUOTE_LENGTH = 120


class LabelMark(NamedTuple):
    """A CSS ``text-decoration`` and its ``text-underline-offset``: lines at different
    heights and in different styles, so nested spans of two labels show both."""

    decoration: str
    offset: str


# In label order (by hotkey). Solid, dotted, dashed, double, wavy: apart at a glance
# and in greyscale; after five, overlines repeat the styles. Wavy comes late because
# Chromium rasterises it slowly: as the second label's mark it doubled the raster work
# of a create at 5,000 spans (bench/pages_in_chromium.py).
LABEL_MARKS = (
    LabelMark("underline solid 2px", "2px"),
    LabelMark("underline dotted 3px", "5px"),
    LabelMark("overline dashed 2px", "0"),
    LabelMark("underline double 3px", "9px"),
    LabelMark("underline wavy 1.5px", "13px"),
    LabelMark("overline solid 2px", "0"),
    LabelMark("overline dotted 3px", "0"),
    LabelMark("overline double 3px", "0"),
)


def label_marks(labels: Sequence) -> list[tuple[object, LabelMark]]:
    """Each label with its mark, by position in ``labels``."""
    return [(label, LABEL_MARKS[index % len(LABEL_MARKS)]) for index, label in enumerate(labels)]


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


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1] + "…"


def span_list_html(
    text: str,
    spans: Sequence[Highlight],
    *,
    label_names: dict[int, str],
    csrf_token: str,
    delete_url: str,
    read_only: bool,
) -> SafeString:
    """The items of the span panel: label, quoted text and, unless read-only, a delete form.

    ``delete_url`` has ``0`` where the span id goes. The forms work without
    JavaScript.
    """
    if not spans:
        return mark_safe(
            '<li class="muted empty">No spans yet. Select text and press a label key.</li>'
        )
    names = {label_id: escape(name) for label_id, name in label_names.items()}
    token = escape(csrf_token)
    url_head, url_tail = (escape(part) for part in delete_url.split("/0/", 1))
    rows = []
    for span in spans:
        name = names[span.label_id]
        delete = (
            ""
            if read_only
            else f'<form method="post" action="{url_head}/{span.pk}/{url_tail}" class="inline">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<button type="submit" class="delete" aria-label="Delete {name} span">&times;</button>'
            "</form>"
        )
        rows.append(
            f'<li class="span-item" data-span="{span.pk}"><button type="button" '
            f'class="span-select label-{span.label_id}" data-span="{span.pk}">'
            f'<span class="span-label">{name}</span> '
            f"<q>{escape(_quote(text[span.start : span.end]))}</q></button>{delete}</li>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - label names, quotes and token escaped above

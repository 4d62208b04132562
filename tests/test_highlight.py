"""highlight_html: spans as well-formed nested marks over exactly the document text."""

from html.parser import HTMLParser
from types import SimpleNamespace

from annotator.annotation.highlight import highlight_html

TEXT = "Sergey Lavrov said 🎉 NATO <b>&</b> will meet in January."


def _span(pk: int, quote: str, label_id: int = 1) -> SimpleNamespace:
    start = TEXT.find(quote)
    assert start >= 0
    return SimpleNamespace(pk=pk, start=start, end=start + len(quote), label_id=label_id)


class _Marks(HTMLParser):
    """Check nesting and record, for every code point of text, the spans that cover it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[int] = []
        self.text = ""
        self.covering: list[set[int]] = []

    def handle_starttag(self, tag, attrs):
        assert tag == "mark", tag
        self.open.append(int(dict(attrs)["data-span"]))

    def handle_endtag(self, tag):
        assert tag == "mark", tag
        assert self.open, "a </mark> closes nothing"
        self.open.pop()

    def handle_data(self, data):
        self.text += data
        self.covering.extend(set(self.open) for _ in data)


def _parse(html: str) -> _Marks:
    parser = _Marks()
    parser.feed(html)
    parser.close()
    assert parser.open == [], "marks left open"
    return parser


def _expected_covering(spans) -> list[set[int]]:
    return [{s.pk for s in spans if s.start <= i < s.end} for i in range(len(TEXT))]


def test_no_spans_is_the_escaped_text():
    html = highlight_html(TEXT, [])

    assert "<mark" not in html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html
    assert _parse(html).text == TEXT


def test_nested_crossing_and_identical_spans_nest_properly():
    spans = [
        _span(1, "Sergey Lavrov said 🎉 NATO", label_id=1),  # claim
        _span(2, "Sergey Lavrov", label_id=4),  # actor inside the claim
        _span(3, "NATO <b>&</b> will", label_id=2),  # threat crossing the claim's end
        _span(4, "NATO", label_id=4),  # actor inside both
        _span(5, "NATO", label_id=3),  # proposal on the same range as the actor
    ]

    parsed = _parse(highlight_html(TEXT, spans))

    assert parsed.text == TEXT
    assert parsed.covering == _expected_covering(spans)


def test_marks_carry_span_ids_and_label_classes():
    spans = [_span(41, "NATO", label_id=4), _span(42, "🎉 NATO", label_id=2)]

    html = highlight_html(TEXT, spans)

    assert '<mark class="span label-4" data-span="41">' in html
    assert '<mark class="span label-2" data-span="42">' in html
    assert _parse(html).covering == _expected_covering(spans)


def test_spans_at_both_ends_of_the_text():
    spans = [
        SimpleNamespace(pk=1, start=0, end=len(TEXT), label_id=1),
        SimpleNamespace(pk=2, start=0, end=6, label_id=4),
        SimpleNamespace(pk=3, start=len(TEXT) - 8, end=len(TEXT), label_id=3),
    ]

    parsed = _parse(highlight_html(TEXT, spans))

    assert parsed.text == TEXT
    assert parsed.covering == _expected_covering(spans)


def test_many_overlapping_spans_keep_the_text_and_coverage():
    spans = [
        SimpleNamespace(pk=pk, start=start, end=start + width, label_id=pk % 4 + 1)
        for pk, (start, width) in enumerate(
            [(s, w) for s in range(0, len(TEXT) - 10, 3) for w in (2, 7, 10)], start=1
        )
    ]

    parsed = _parse(highlight_html(TEXT, spans))

    assert parsed.text == TEXT
    assert parsed.covering == _expected_covering(spans)

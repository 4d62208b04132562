"""The spaCy writer writes what spaCy's own DocBin writes, without spaCy.

The oracle builds each Doc the way spaCy users do (``spacy.blank("en")``,
``Doc(vocab, words, spaces)``, ``char_span``, ``doc.spans``, ``doc.ents``) and
serialises it with ``DocBin``; the writer's files must hold the same bytes.
"""

import subprocess
import sys
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.attrs import ENT_IOB, ENT_TYPE, ORTH
from spacy.lang.norm_exceptions import BASE_NORMS
from spacy.strings import get_string_id
from spacy.symbols import IDS
from spacy.tokens import Doc, DocBin
from test_export_formats import FIXTURES, LABELS
from test_export_formats import doc as quoted_document

from annotator.annotation.tokenization import tokenize
from annotator.exports.records import (
    ExportCounts,
    ExportDocument,
    ExportRelation,
    ExportSpan,
    resolve_overlaps,
    span_sort_key,
    tokenize_document,
)
from annotator.exports.spacy_docbin import (
    ATTRS,
    COMPRESSION_LEVEL,
    NORM_EXCEPTIONS,
    SYMBOLS,
    spacy_left_out,
    spacy_shards,
    string_id,
)

# Symbol names as labels: spaCy stores them by symbol ID, not by hash.
ORACLE_LABELS = [*LABELS, "PERSON", "LOC"]
APOSTROPHE = "\N{RIGHT SINGLE QUOTATION MARK}"  # spaCy's norm is "'"
# One pipeline for every test: a Doc's bytes do not depend on what its vocab saw before.
NLP = spacy.blank("en")
SPLIT = "validation"


def words_and_spaces(text: str, tokens: Sequence[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    """spaCy ``words``/``spaces`` that rebuild ``text`` exactly from its tokens.

    How the writer built spaCy Docs before it wrote DocBins itself: the oracle's
    words, independent of the writer's word patterns.
    """
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


EDGES = [
    quoted_document(100, ""),
    quoted_document(101, "   \n\t "),
    quoted_document(102, "No spans here, just words."),
    quoted_document(103, "  Leading and trailing  ", ("Leading", "claim", 0), ("and", "actor", 0)),
    quoted_document(
        104,
        "Runs  of   spaces\n\nand\r\nbreaks \u2028 and\u3000ideographic\xa0space.",
        ("Runs  of   spaces", "claim", 0),
        ("spaces\n\nand", "threat", 0),
        ("and\u3000ideographic\xa0space", "proposal", 0),
        ("of", "actor", 0),
        (" of", "actor", 0),  # starts on whitespace: misaligned
    ),
    quoted_document(
        105,
        unicodedata.normalize("NFD", f"Café Genève: Zoë a dit «non» — 50 € … l{APOSTROPHE}État."),
        (unicodedata.normalize("NFD", "Café"), "actor", 0),  # the combining accent is in the token
        ("af", "claim", 0),  # inside a token: misaligned
        ("«non»", "LOC", 0),
    ),
    quoted_document(
        106,
        f"PERSON X _ number Number ORG said 'the IDX' and {APOSTROPHE}s US$ 5 İstanbul ǅ.",
        ("PERSON", "PERSON", 0),
        ("Number ORG", "LOC", 0),
        ("PERSON X _ number", "claim", 0),
        ("İstanbul ǅ", "actor", 0),
    ),
    quoted_document(
        107,
        "a b c d e f",  # nested and overlapping spans of equal and different lengths
        ("a b c d e f", "claim", 0),
        ("a b", "actor", 0),
        ("b c d", "threat", 0),
        ("c d e", "proposal", 0),
        ("c d e", "claim", 0),
        ("f", "actor", 0),
    ),
    quoted_document(
        108,
        "a\nb c d",  # longer in tokens, shorter in spaCy words: the tokens decide
        ("a\nb", "actor", 0),
        ("b c d", "claim", 0),
    ),
    # An annotators' document: relations named by their index in the unsorted spans,
    # one to a span off token edges, and attribute values.
    replace(
        quoted_document(
            110,
            "NATO said talks in Oslo would resume.",
            ("talks in Oslo would resume", "claim", 0),
            ("NATO", "actor", 0),
            ("Osl", "actor", 0),
        ),
        spans=(
            ExportSpan(10, 36, "claim", "alice", (("stance", "support"),)),
            ExportSpan(0, 4, "actor", "alice", origin="string-match"),
            ExportSpan(19, 22, "actor", "bob", (("role", "host"),), origin="import:ner v3"),
        ),
        relations=(ExportRelation(0, 1, "claimant"), ExportRelation(0, 2, "addressee")),
    ),
    quoted_document(
        109,
        "שלום עולם 🎉👍🏽 经济增长",
        ("שלום", "actor", 0),
        ("🎉", "claim", 0),
        ("经济增长", "LOC", 0),
    ),
]


def annotator_user_data(document: ExportDocument) -> dict:
    """What ``doc.user_data`` holds of an annotators' document beside its id, title,
    source and split, worked out from ``document.spans`` as given (not sorted)."""

    def named(index: int) -> list:
        span = document.spans[index]
        return [span.start, span.end, span.label]

    with_values = sorted((span for span in document.spans if span.attributes), key=span_sort_key)
    with_origins = sorted(
        (span for span in document.spans if span.origin is not None), key=span_sort_key
    )
    return {
        "relations": [
            {
                "head": named(relation.source),
                "tail": named(relation.target),
                "type": relation.type,
                "annotator": document.spans[relation.source].annotator,
            }
            for relation in document.relations
        ],
        "span_attributes": [
            {
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "annotator": span.annotator,
                "attributes": dict(span.attributes),
            }
            for span in with_values
        ],
        "span_origins": [
            {
                "start": span.start,
                "end": span.end,
                "label": span.label,
                "annotator": span.annotator,
                "origin": span.origin,
            }
            for span in with_origins
        ],
    }


def as_read(value: object) -> object:
    """``value`` as DocBin.get_docs gives user data back: lists as tuples."""
    if isinstance(value, list):
        return tuple(as_read(item) for item in value)
    if isinstance(value, dict):
        return {key: as_read(item) for key, item in value.items()}
    return value


def spacy_docbin(documents: Sequence[ExportDocument], labels: Sequence[str]) -> DocBin:
    """The DocBin spaCy writes for ``documents``, Docs built the usual way."""
    docbin = DocBin(attrs=["ENT_IOB", "ENT_TYPE"], store_user_data=True)
    for export_document in documents:
        tokenized = tokenize_document(export_document, labels)
        words, spaces = words_and_spaces(
            export_document.text, list(zip(tokenized.starts, tokenized.ends, strict=True))
        )
        doc = Doc(NLP.vocab, words=words, spaces=spaces)
        assert doc.text == export_document.text
        doc.user_data.update(
            id=export_document.id,
            title=export_document.title,
            source=export_document.source,
            split=SPLIT,
        )
        if any(span.annotator is not None for span in export_document.spans):
            doc.user_data.update(annotator_user_data(export_document))

        def char_span(aligned: tuple[int, int, ExportSpan], doc: Doc = doc) -> spacy.tokens.Span:
            span = aligned[2]
            result = doc.char_span(span.start, span.end, label=span.label, alignment_mode="strict")
            assert result is not None
            return result

        doc.spans["sc"] = [char_span(aligned) for aligned in tokenized.aligned]
        kept, _ = resolve_overlaps(tokenized.aligned)
        doc.ents = [char_span(aligned) for aligned in kept]
        docbin.add(doc)
    return docbin


def expected_counts(documents: Sequence[ExportDocument], labels: Sequence[str]) -> ExportCounts:
    counts = ExportCounts()
    for export_document in documents:
        tokenized = tokenize_document(export_document, labels)
        dropped = resolve_overlaps(tokenized.aligned)[1]
        counts += ExportCounts.of(
            1, len(export_document.spans), misaligned=tokenized.misaligned, overlapping=dropped
        )
        counts += ExportCounts(relations=len(export_document.relations))
    return counts


def write_spacy(
    documents: Sequence[ExportDocument], labels: Sequence[str], directory: Path, shard_size: int
) -> ExportCounts:
    """The writer's shards of one split, as files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = ExportCounts()
    for name, data, shard_counts in spacy_shards(
        documents, labels, shard_size=shard_size, split=SPLIT
    ):
        (directory / name).write_bytes(data)
        counts += shard_counts
    return counts


def assert_written_like_spacy(
    documents: Sequence[ExportDocument], labels: Sequence[str], directory: Path, shard_size: int
) -> None:
    counts = write_spacy(documents, labels, directory, shard_size=shard_size)

    assert counts == expected_counts(documents, labels)
    # What a summary says before writing is what the writer reports.
    summary = ExportCounts()
    for export_document in documents:
        summary += spacy_left_out(export_document, labels)
        summary += ExportCounts(relations=len(export_document.relations))
    assert summary == counts
    shards = sorted(directory.iterdir())
    batches = [documents[i : i + shard_size] for i in range(0, len(documents), shard_size)]
    assert [shard.name for shard in shards] == [f"{n:05d}.spacy" for n in range(len(batches))]
    for shard, batch in zip(shards, batches, strict=True):
        oracle = spacy_docbin(batch, labels)
        written = shard.read_bytes()
        payload = zlib.decompress(oracle.to_bytes())
        assert zlib.decompress(written) == payload
        assert written == zlib.compress(payload, COMPRESSION_LEVEL)

        read_back = DocBin().from_disk(shard).get_docs(NLP.vocab)
        expected = oracle.get_docs(NLP.vocab)
        for export_document, doc, oracle_doc in zip(batch, read_back, expected, strict=True):
            text = export_document.text
            assert doc.text == text
            assert doc.user_data == {
                "id": export_document.id,
                "title": export_document.title,
                "source": export_document.source,
                "split": SPLIT,
            } | (
                as_read(annotator_user_data(export_document))
                if any(span.annotator is not None for span in export_document.spans)
                else {}
            )
            # The DocBin's tokens are ours: every word that is not whitespace is a token.
            assert [t.text for t in doc if not t.is_space] == [
                text[start:end] for start, end in tokenize(text)
            ]
            assert all(s.text == text[s.start_char : s.end_char] for s in doc.spans["sc"])
            found = [(s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]]
            assert sorted(found) == sorted(
                (s.start, s.end, s.label)
                for _, _, s in tokenize_document(export_document, labels).aligned
            )
            ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
            assert ents == [(e.start_char, e.end_char, e.label_) for e in oracle_doc.ents]
            assert all(e.text == text[e.start_char : e.end_char] for e in doc.ents)


def test_fixtures_are_written_as_spacy_writes_them(tmp_path: Path) -> None:
    assert_written_like_spacy([*FIXTURES, *EDGES], ORACLE_LABELS, tmp_path, shard_size=4)


def test_one_shard_holds_every_document(tmp_path: Path) -> None:
    assert_written_like_spacy([*FIXTURES, *EDGES], ORACLE_LABELS, tmp_path, shard_size=1000)


PIECES = [
    "the", "Minister", "said", "NATO", "number", "Number", "PERSON", "X", "_", "a_b", "42",
    "3.5", "e\u0301t\u00e9", "Zoë", "İ", "ǅ", "ß", "שלום", "قال", "经济增长", "東京", "🎉",
    "👍🏽", ".", ",", "'", APOSTROPHE, "€", "—", "…", "«", "$", "US", "(",
    "नरेन्द्र", "मोदी", "مُحَمَّد", "Ọ̀yọ́", "🇳🇴", "👨\u200d👩\u200d👧", "ภาษา", "\u0301", "\u200d",
    " ", " ", " ", "  ", "\n", "\n\n", "\t", " \n ", "\r\n", "\xa0", "\u3000", "\u2028",
]  # fmt: skip


@st.composite
def documents(draw: st.DrawFn, doc_id: int) -> ExportDocument:
    text = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=40)))
    tokens = tokenize(text)
    spans = []
    for _ in range(draw(st.integers(0, 8))):
        label = draw(st.sampled_from(ORACLE_LABELS))
        if tokens and draw(st.booleans()):
            first = draw(st.integers(0, len(tokens) - 1))
            last = draw(st.integers(first, min(first + 6, len(tokens) - 1)))
            spans.append(ExportSpan(tokens[first][0], tokens[last][1], label))
        elif text:
            start = draw(st.integers(0, len(text) - 1))
            spans.append(ExportSpan(start, draw(st.integers(start + 1, len(text))), label))
    return ExportDocument(doc_id, draw(st.text(max_size=5)), text, "generated", {}, tuple(spans))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), shard_size=st.integers(1, 4))
def test_generated_documents_are_written_as_spacy_writes_them(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, shard_size: int
) -> None:
    batch = [data.draw(documents(doc_id)) for doc_id in range(data.draw(st.integers(1, 6)))]
    directory = tmp_path_factory.mktemp("spacy")
    assert_written_like_spacy(batch, ORACLE_LABELS, directory, shard_size=shard_size)


def test_tables_copied_from_spacy_match_it() -> None:
    assert SYMBOLS == IDS
    assert NORM_EXCEPTIONS == BASE_NORMS
    assert ATTRS == [ORTH, ENT_IOB, ENT_TYPE]


@given(st.text())
def test_string_ids_are_spacys(string: str) -> None:
    assert string_id(string) == get_string_id(string)


@pytest.mark.parametrize("length", range(18))
def test_string_ids_of_every_tail_length(length: int) -> None:
    string = "abcdéfghijklmnopq"[:length]
    assert string_id(string) == get_string_id(string)


def test_writer_does_not_import_spacy() -> None:
    # spaCy's import alone costs about 70 MB of the export's memory.
    code = (
        "import sys, annotator.exports.spacy_docbin as m; "
        "assert not any(n == 'spacy' or n.startswith('spacy.') for n in sys.modules)"
    )
    subprocess.run(  # noqa: S603 - a fixed command
        [sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent
    )


@pytest.mark.parametrize("text", ["", "  lead", "a  b\n\nc ", "x\ty", "🎉 é\u2028ש"])
def test_oracle_words_and_spaces_rebuild_the_text(text: str) -> None:
    words, spaces = words_and_spaces(text, tokenize(text))
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == text

"""Tokens by grapheme clusters and UAX #29 word boundaries, in several scripts.

The multi-script corpus gives each text's tokens as a reader of that script
would cut it (written out by hand, not computed). A second oracle cuts texts
the long way: UAX #29 segments from ``regex``'s ``\\b`` (a split, not our
pattern), then rules 2 and 3 of the module docstring applied segment by
segment in plain Python; the fast ``re`` path is held to it for every BMP
character it claims to handle.
"""

import re
import sys
import unicodedata

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.annotation.tokenization import (
    SIMPLE_PATTERN,
    WHITESPACE,
    is_simple,
    is_simple_character,
    simple_tokens,
    tokenize,
    tokenize_words,
)

MID_WORD = regex.compile(
    r"[\p{Word_Break=MidLetter}\p{Word_Break=MidNum}\p{Word_Break=MidNumLet}"
    r"\p{Word_Break=Single_Quote}\p{Word_Break=Double_Quote}]"
)
ATTACHED = regex.compile(r"[\p{Word_Break=Extend}\p{Word_Break=Format}\p{Word_Break=ZWJ}]")

NFC = "NFC"
RSQ = "\N{RIGHT SINGLE QUOTATION MARK}"
# (text, its tokens); texts are NFC as documents are stored.
CORPUS = [
    # Latin with combining marks that have no precomposed form: Yoruba tone marks.
    ("Ọ̀yọ́ State", ["Ọ̀yọ́", "State"]),
    ("Ga\u0331ŋ\u0300 crème", ["Ga\u0331ŋ\u0300", "crème"]),
    # Devanagari: virama conjuncts and vowel signs stay in the word.
    ("नरेन्द्र मोदी ने कहा।", ["नरेन्द्र", "मोदी", "ने", "कहा", "।"]),
    # Arabic with harakat (fatha, damma, shadda).
    ("قال مُحَمَّد إنّ", ["قال", "مُحَمَّد", "إنّ"]),
    # Thai has no spaces between words: one token per grapheme cluster.
    ("ภาษาไทย", ["ภ", "า", "ษ", "า", "ไ", "ท", "ย"]),
    ("นี่", ["นี่"]),
    # Chinese and Japanese: a token per ideograph or kana, Katakana words whole.
    ("北京说", ["北", "京", "说"]),
    ("東京でカタカナ", ["東", "京", "で", "カタカナ"]),
    # Emoji: a flag is two regional indicators, a family a ZWJ sequence, a tone a modifier.
    ("🇳🇴🇺🇦 flags", ["🇳🇴", "🇺🇦", "flags"]),
    ("👨\u200d👩\u200d👧\u200d👦 family", ["👨\u200d👩\u200d👧\u200d👦", "family"]),
    ("👍🏽👍", ["👍🏽", "👍"]),
    ("❤️ love", ["❤️", "love"]),
    # English news: possessives, abbreviations and numbers split at their punctuation.
    ("Russia's U.S. envoy", ["Russia", "'", "s", "U", ".", "S", ".", "envoy"]),
    (
        f"Russia{RSQ}s 1,000 troops: 3.5%",
        ["Russia", RSQ, "s", "1", ",", "000", "troops", ":", "3", ".", "5", "%"],
    ),
    ("e-mail a_b", ["e", "-", "mail", "a_b"]),
    # Whitespace of every kind separates and is never a token.
    ("a\u00a0b\u202fc\u3000d\r\ne", ["a", "b", "c", "d", "e"]),
]


@pytest.mark.parametrize(("text", "expected"), CORPUS)
def test_multi_script_corpus(text: str, expected: list[str]) -> None:
    assert unicodedata.is_normalized(NFC, text)
    words, starts, ends = tokenize_words(text)
    assert words == expected
    assert [text[start:end] for start, end in zip(starts, ends, strict=True)] == expected


def test_issue_examples_stay_whole() -> None:
    """The counts the issue reported: 11, 8, 4, 2 and 7 tokens before."""
    assert len(tokenize("नरेन्द्र मोदी")) == 2
    assert len(tokenize("مُحَمَّد")) == 1
    assert len(tokenize("Ọ̀yọ́")) == 1
    assert len(tokenize("🇳🇴")) == 1
    assert len(tokenize("👨\u200d👩\u200d👧\u200d👦")) == 1


def test_offsets_are_code_points_outside_the_bmp() -> None:
    text = "\U0001d49c\U0001d4b7 😀 x"  # script capitals, astral
    assert tokenize(text) == [(0, 2), (3, 4), (5, 6)]


def test_no_token_holds_whitespace_and_gaps_are_whitespace() -> None:
    text = "".join(text for text, _ in CORPUS) + " \u0301x \u00adsoft"
    position = 0
    for start, end in tokenize(text):
        assert not any(character.isspace() for character in text[start:end])
        assert all(character.isspace() for character in text[position:start])
        position = end
    assert all(character.isspace() for character in text[position:])


def reference_tokens(text: str) -> list[tuple[int, int]]:
    """The module's three rules, applied to ``regex``'s UAX #29 segments one by one."""
    tokens = []
    position = 0
    for segment in regex.split(r"\b", text, flags=regex.WORD | regex.V1):
        start = position
        position += len(segment)
        piece_start = None
        index = 0
        while index < len(segment):
            character = segment[index]
            if character.isspace():
                if piece_start is not None:
                    tokens.append((start + piece_start, start + index))
                    piece_start = None
                index += 1
            elif MID_WORD.match(character):
                if piece_start is not None:
                    tokens.append((start + piece_start, start + index))
                    piece_start = None
                end = index + 1
                while end < len(segment) and ATTACHED.match(segment[end]):
                    end += 1
                tokens.append((start + index, start + end))
                index = end
            else:
                if piece_start is None:
                    piece_start = index
                index += 1
        if piece_start is not None:
            tokens.append((start + piece_start, start + len(segment)))
    return tokens


INTERESTING = st.sampled_from(
    [
        *"aZé1_ .,:;'\"-!?\n\t",
        RSQ,
        "\u0301",
        "\u093f",
        "\u094d",
        "\u0651",
        "\u200d",
        "\u200c",
        "\u00ad",
        "\u2060",
        "\ufe0f",
        "🇳",
        "🇴",
        "👨",
        "👍",
        "🏽",
        "न",
        "م",
        "ก",
        "北",
        "カ",
        "ひ",
        "\u05d0",
        "\u202f",
        "\u00a0",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(INTERESTING, max_size=25).map("".join))
def test_tokens_follow_the_rule_on_awkward_text(text: str) -> None:
    assert tokenize(text) == reference_tokens(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_tokens_follow_the_rule_on_any_text(text: str) -> None:
    assert tokenize(text) == reference_tokens(text)


def test_simple_characters_are_tokenised_as_the_full_rule_does() -> None:
    """Every BMP character the fast path accepts, between letters, digits and spaces."""
    simple = [chr(code) for code in range(0x10000) if is_simple_character(chr(code))]
    assert len(simple) > 30_000
    # Joined in runs so that every character meets letters, digits, spaces,
    # punctuation and the characters beside it.
    for offset in range(0, len(simple), 500):
        run = simple[offset : offset + 500]
        for text in ("".join(run), " a".join(run), "1".join(run), "a.".join(run)):
            assert is_simple(text)
            assert tokenize(text) == reference_tokens(text), text


def test_characters_the_fast_path_would_get_wrong_are_not_simple() -> None:
    for character in ["\u0301", "\u200d", "\u00ad", "北", "ก", "カ", "\u00b2", "\u202f"]:
        assert not is_simple_character(character)
        assert not is_simple(f"abc {character} def")
    assert not is_simple("flag 🇳🇴")
    assert is_simple("party 🎉 café")


def test_python_whitespace_is_all_in_the_bmp() -> None:
    assert set(WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.lists(INTERESTING, max_size=25).map("".join))
def test_the_fast_path_finds_the_tokens_re_finds(text: str) -> None:
    """Any text, simple or not: the numpy walk gives ``re``'s tokens of the pattern."""
    starts, ends = simple_tokens(text)
    expected = [match.span() for match in re.finditer(SIMPLE_PATTERN, text)]
    assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == expected


def test_the_fast_path_knows_what_re_makes_of_every_character() -> None:
    """Each code point between two letters: one token with them if ``re`` calls it a word
    character, a token of its own if neither word character nor whitespace, none if
    whitespace."""
    text = "a".join(map(chr, range(sys.maxunicode + 1)))
    starts, ends = simple_tokens(text)
    expected = [match.span() for match in re.finditer(SIMPLE_PATTERN, text)]
    assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == expected

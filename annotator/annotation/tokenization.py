"""The one tokenisation used by token-level agreement and by token-based exports.

The rule (:data:`TOKENIZATION_RULE`), for a text in any script:

1. The text is cut at the default word boundaries of Unicode UAX #29 (*Word
   Boundaries*). A boundary never falls inside an extended grapheme cluster, so
   a letter keeps its combining marks ("Ọ̀yọ́"), an Indic word its viramas and
   vowel signs ("नरेन्द्र"), a vowelled Arabic word its harakat ("مُحَمَّد"), an
   emoji its skin tone, a flag its two regional indicators and a ZWJ sequence
   (a family emoji) all its parts.
2. Whitespace (what Python's ``str.isspace`` calls whitespace) is never part of
   a token; a piece of text between two boundaries that holds whitespace is cut
   there.
3. The punctuation UAX #29 keeps inside a word, Word_Break ``MidLetter``,
   ``MidNum``, ``MidNumLet``, ``Single_Quote`` and ``Double_Quote`` (the
   apostrophes of "Russia's", the full stops of "U.S", the comma of "1,000", a
   colon), is a token of its own, with any ``Extend``/``Format``/``ZWJ``
   characters that follow it: a span may then end before a possessive or
   include an abbreviation's full stop, as annotators mark them.

So a token is a run of letters, digits and underscores with their marks, or one
punctuation mark, symbol or emoji sequence. Scripts that UAX #29 does not cut
into words without a dictionary come out a grapheme cluster per token: Chinese
ideographs, Hiragana, Thai. A span boundary inside a token is reported by the
token-based consumers, never silently moved.

Tokens are ``(start, end)`` half-open ranges of Python code points into the
text, so they line up with span offsets without any conversion.

Library: the ``regex`` module (pinned in ``requirements.txt``), whose ``WORD``
flag makes ``\\b`` the UAX #29 default word boundary and which knows the
Word_Break property, all in C, from wheels on every platform; its Unicode
version moves with its own version, which is why it is pinned exactly. ICU
(PyICU) would add dictionary segmentation of Thai and Chinese but has no wheels
(it builds against the system's ICU) and walks boundaries one Python call at a
time.

Speed: UAX #29 boundaries cost about five times Python's ``re``. Most texts
hold only characters for which the rule above gives exactly the tokens of
``\\w+|[^\\w\\s]`` under ``re``: letters and digits that UAX #29 joins as Python
joins ``\\w``, and punctuation, symbols and whitespace that stand alone in both.
Such a text (:func:`is_simple`, a table per character worked out from the two
definitions) is tokenised as ``re`` would; any other by the full rule.
``tests/test_tokenization.py`` checks every character of the table both ways.

Under ``\\w+|[^\\w\\s]`` a token is a run of word characters or one other
non-whitespace character, so a simple text's tokens follow from what ``re`` calls
each of its characters (word, whitespace or other, :func:`_simple_kinds`, one
table over all code points made by ``re`` itself). :func:`simple_tokens` finds
them with a few numpy operations over the whole text: a fifth of the time of
``re.split``, which makes a string per token and per gap between tokens.
"""

import re
import sys
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING, NamedTuple

import regex

if TYPE_CHECKING:
    import numpy as np

#: Changes whenever a text's tokens may change: stored agreement statistics
#: computed under another rule are recomputed (see ``curation.agreement_refresh``).
TOKENIZATION_RULE = f"uax29-mid-punctuation/regex-{regex.__version__}"

#: Python's whitespace (``str.isspace``), which has no character outside the BMP.
WHITESPACE = "".join(chr(code) for code in range(0x10000) if chr(code).isspace())
_WHITESPACE_CLASS = "".join(f"\\u{ord(character):04x}" for character in WHITESPACE)
_MID_CLASS = (
    r"\p{Word_Break=MidLetter}\p{Word_Break=MidNum}\p{Word_Break=MidNumLet}"
    r"\p{Word_Break=Single_Quote}\p{Word_Break=Double_Quote}"
)
_ATTACHED_CLASS = r"\p{Word_Break=Extend}\p{Word_Break=Format}\p{Word_Break=ZWJ}"

#: The full rule as one ``regex`` pattern (compiled with :data:`UAX29_FLAGS`):
#: a mid-word punctuation mark with what attaches to it, or the shortest run of
#: other non-whitespace characters that ends at a word boundary, before a
#: mid-word punctuation mark or before whitespace.
UAX29_PATTERN = (
    rf"[{_MID_CLASS}][{_ATTACHED_CLASS}]*"
    rf"|(?:(?![{_MID_CLASS}])[^{_WHITESPACE_CLASS}])+?(?=[{_MID_CLASS}{_WHITESPACE_CLASS}]|\b)"
)
UAX29_FLAGS = regex.WORD | regex.V1
#: What the full rule gives for a text :func:`is_simple` accepts, as a ``re`` pattern.
SIMPLE_PATTERN = r"\w+|[^\w\s]"
#: Python's whitespace as a pattern class, for patterns built on these.
WHITESPACE_CLASS = _WHITESPACE_CLASS

_UAX29_SPLIT = regex.compile(f"({UAX29_PATTERN})", UAX29_FLAGS)
# Splitting on the pattern captured gives the text as alternating runs: the
# whitespace before the first token, the token, the whitespace after it, ...

_PYTHON_WORD = re.compile(r"\w")
#: Per kind of character under ``re`` (word, whitespace, other), the Word_Break
#: values with which the full rule treats it as ``re`` does: word characters
#: that UAX #29 joins to each other, whitespace that joins nothing else, and
#: characters that stand alone (mid-word punctuation stands alone by rule 3).
_SIMPLE_WORD_BREAK = {
    "word": regex.compile(
        r"[\p{Word_Break=ALetter}\p{Word_Break=Hebrew_Letter}\p{Word_Break=Numeric}_]"
    ),
    "space": regex.compile(
        r"[\p{Word_Break=CR}\p{Word_Break=LF}\p{Word_Break=Newline}\p{Word_Break=WSegSpace}"
        r"\p{Word_Break=Other}]"
    ),
    "other": regex.compile(rf"[\p{{Word_Break=Other}}{_MID_CLASS}]"),
}
_ASTRAL = re.compile(f"[\U00010000-\\U{sys.maxunicode:08x}]")


class Tokens(NamedTuple):
    """The tokens of a text as three parallel lists: their text and code point ranges."""

    words: list[str]
    starts: list[int]
    ends: list[int]


def is_simple_character(character: str) -> bool:
    """Whether ``re``'s ``\\w+|[^\\w\\s]`` treats ``character`` as the full rule does."""
    if _PYTHON_WORD.match(character):
        kind = "word"
    elif character.isspace():
        kind = "space"
    else:
        kind = "other"
    return _SIMPLE_WORD_BREAK[kind].match(character) is not None


@cache
def _complex_bmp() -> re.Pattern:
    """A ``re`` class of the BMP characters that are not simple (worked out once, ~0.1 s).

    A class of BMP characters only, so that ``re`` tests it with one bitmap look-up.
    """
    ranges = []
    for code in range(0x10000):
        if not is_simple_character(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return re.compile("[" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges) + "]")


class _AstralCharacters(dict[str, bool]):
    """Whether each character outside the BMP is simple, worked out on first sight."""

    def __missing__(self, character: str) -> bool:
        simple = self[character] = is_simple_character(character)
        return simple


_SIMPLE_ASTRAL = _AstralCharacters()


def is_simple(text: str) -> bool:
    """Whether every character of ``text`` is simple (see the module docstring)."""
    if text.isascii():
        return True
    if _complex_bmp().search(text):
        return False
    return all(map(_SIMPLE_ASTRAL.__getitem__, _ASTRAL.findall(text)))


#: What ``re`` makes of a character in :data:`SIMPLE_PATTERN` (see :func:`_simple_kinds`).
_OTHER, _WORD, _SPACE = 0, 1, 2
_PLANE = 0x10000


@cache
def _simple_kinds() -> "np.ndarray":
    """Per code point, whether ``re`` takes it for ``\\w``, ``\\s`` or neither (worked out
    once, ~0.05 s, 1.1 MB): the classes of :data:`SIMPLE_PATTERN`, found by ``re`` over
    strings of every character, a plane at a time.

    Each plane's string is decoded from its code points in one piece: a string made
    of a million one-character strings took the exporting process 80 MB past its peak.
    """
    import numpy as np  # see simple_tokens

    kinds = np.full(sys.maxunicode + 1, _OTHER, np.uint8)
    for plane_start in range(0, sys.maxunicode + 1, _PLANE):
        codes = np.arange(plane_start, plane_start + _PLANE, dtype=np.uint32)
        plane = codes.tobytes().decode("utf-32-le", "surrogatepass")
        for kind, pattern in ((_WORD, r"\w+"), (_SPACE, r"\s+")):
            for run in re.finditer(pattern, plane):
                kinds[plane_start + run.start() : plane_start + run.end()] = kind
    return kinds


def simple_tokens(text: str) -> tuple["np.ndarray", "np.ndarray"]:
    """The ``[start, end)`` code point offsets of the tokens ``re`` finds in ``text`` with
    :data:`SIMPLE_PATTERN`, as two arrays: runs of word characters, and each other
    character that is not whitespace."""
    # Imported on first use: the web app imports this module, seldom tokenises, and
    # would hold numpy's 13 MB in every process.
    import numpy as np

    # UTF-32 gives one code point per four bytes; no Python object per character.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    kinds = _simple_kinds()[codes]
    word = kinds == _WORD
    in_token = kinds != _SPACE
    # Two word characters side by side are one token: no boundary between them.
    joined = word[1:] & word[:-1]
    starts = in_token.copy()
    starts[1:] &= ~joined
    ends = in_token
    ends[:-1] &= ~joined
    return np.flatnonzero(starts), np.flatnonzero(ends) + 1


def token_bounds(text: str) -> tuple["np.ndarray", "np.ndarray"]:
    """The tokens' ``[start, end)`` code point offsets as two int64 arrays, for writers
    that need no string per token."""
    if is_simple(text):
        return simple_tokens(text)
    import numpy as np  # see simple_tokens

    _, starts, ends = tokenize_words(text)
    return np.array(starts, np.int64), np.array(ends, np.int64)


def tokenize_words(text: str) -> Tokens:
    """Return the tokens of ``text`` with their text and ``[start, end)`` offsets."""
    if is_simple(text):
        starts, ends = (bounds.tolist() for bounds in simple_tokens(text))
        words = [text[start:end] for start, end in zip(starts, ends, strict=True)]
        return Tokens(words, starts, ends)
    # Splitting makes every token's string and the running sum of run lengths
    # gives every offset, all inside C: a third faster than slicing the text at
    # each Match.span().
    runs = _UAX29_SPLIT.split(text)
    bounds = list(accumulate(map(len, runs)))
    return Tokens(runs[1::2], bounds[0:-1:2], bounds[1::2])


def tokenize(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` code-point ranges of the tokens of ``text``."""
    _, starts, ends = tokenize_words(text)
    return list(zip(starts, ends, strict=True))

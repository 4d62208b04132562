"""The one tokenisation used by token-level agreement and by token-based exports.

A token is a maximal run of word characters (``\\w+``: letters, digits, underscore,
in any script) or a single character that is neither a word character nor
whitespace (punctuation, symbols, emoji). Whitespace is never part of a token.
Tokens are ``(start, end)`` half-open ranges of Python code points into the text,
so they line up with span offsets without any conversion.

Scripts written without spaces (Chinese, Japanese) come out as one token per run
of ideographs; span boundaries inside such a run fall inside a token, which
token-based consumers report rather than silently shift.
"""

import re
from itertools import accumulate
from typing import NamedTuple

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")
# Splitting on the pattern captured gives the text as alternating runs: the
# whitespace before the first token, the token, the whitespace after it, ...
_TOKEN_SPLIT = re.compile(f"({TOKEN_PATTERN.pattern})")


class Tokens(NamedTuple):
    """The tokens of a text as three parallel lists: their text and code point ranges."""

    words: list[str]
    starts: list[int]
    ends: list[int]


def tokenize_words(text: str) -> Tokens:
    """Return the tokens of ``text`` with their text and ``[start, end)`` offsets."""
    # Exports tokenise millions of tokens. Splitting makes every token's string
    # and the running sum of run lengths gives every offset, all inside C: a
    # third faster than slicing the text at each Match.span().
    runs = _TOKEN_SPLIT.split(text)
    bounds = list(accumulate(map(len, runs)))
    return Tokens(runs[1::2], bounds[0:-1:2], bounds[1::2])


def tokenize(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` code-point ranges of the tokens of ``text``."""
    _, starts, ends = tokenize_words(text)
    return list(zip(starts, ends, strict=True))

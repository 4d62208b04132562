"""JSON from outside (request bodies, JSON Lines imports) read into values both databases store.

Python's ``json`` accepts more than a database keeps, and fails on some inputs
in ways that are not ``JSONDecodeError``: ``NaN`` and ``Infinity`` (not JSON,
refused by PostgreSQL's ``jsonb`` and SQLite's ``JSON_VALID``), numbers such as
``1e999`` that become infinity, integers past Python's 4,300-digit conversion
limit (a ``ValueError``), nesting deep enough to exhaust the interpreter's stack
(a ``RecursionError``), and strings holding NUL or a lone surrogate (which
neither database stores as text). :func:`loads` refuses each of these with an
:class:`UntrustedJSONError` whose message is a clause about the input ("is
nested too deeply (more than 100 levels)"), so that each caller can name the
input: "request.jsonl line 3: the record is nested too deeply ...".
"""

import json
import math
import re
import sys

# Far deeper than any document metadata or request body of this app, and far below
# the depth at which Python's json encoder (used again when the value is stored) recurses out.
MAX_DEPTH = 100
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UntrustedJSONError(ValueError):
    """The JSON text is syntactically fine but holds something refused; the message says what."""


def _refuse_constant(name: str) -> None:
    raise UntrustedJSONError(f"has {name}, which is not a JSON number")


def _checked_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        shown = literal if len(literal) <= 24 else literal[:20] + "…"
        raise UntrustedJSONError(f"has a number too large to store ({shown})")
    return value


def _checked_int(literal: str) -> int:
    limit = sys.get_int_max_str_digits()
    if limit and len(literal.lstrip("-")) > limit:
        raise UntrustedJSONError(f"has an integer of more than {limit} digits")
    return int(literal)


def _string_problem(text: str) -> str | None:
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000)"
    return (
        f"contains a lone surrogate (\\u{ord(found.group()):04x}), which is not a Unicode character"
    )


def problem(value: object) -> str | None:
    """Why ``value`` (parsed JSON) cannot be stored, as a clause; None when it can.

    Walks the value with a stack of its own rather than by recursion, so that
    a deep value is measured, not a crash.
    """
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            found = _string_problem(item)
            if found:
                return found
        elif isinstance(item, float) and not math.isfinite(item):
            return f"has a number too large to store ({item})"
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return f"is nested too deeply (more than {MAX_DEPTH} levels)"
            if isinstance(item, dict):
                pending.extend((key, depth + 1) for key in item)
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)
    return None


def loads(text: str) -> object:
    """Parse ``text``; raise ``json.JSONDecodeError`` if it is not JSON, and
    :class:`UntrustedJSONError` if it is JSON that cannot be stored."""
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_checked_float,
            parse_int=_checked_int,
        )
    except RecursionError:
        raise UntrustedJSONError(f"is nested too deeply (more than {MAX_DEPTH} levels)") from None
    found = problem(value)
    if found:
        raise UntrustedJSONError(found)
    return value

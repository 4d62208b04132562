"""How refusals are worded, so that every service and command says them the same way.

A person reads these messages mid-task: name the label with its article ("an
actor span"), quote the text rather than give offsets, and end each message
with exactly one full stop, whatever the message it wraps ended with.
"""

from collections.abc import Iterable

QUOTE_LIMIT = 60


def with_article(word: str) -> str:
    """``"an actor"``, ``"a claim"``: the indefinite article by the word's first letter."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def either(words: Iterable[str]) -> str:
    """``"claim, threat or proposal"``: alternatives joined as a sentence says them."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Text in curly quotes on one line, its middle elided past ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        half = (limit - 1) // 2
        text = f"{text[:half]}…{text[-half:]}"
    return f"“{text}”"


def sentence(text: str) -> str:
    """``text`` as one sentence: a capital first letter, one closing full stop.

    Unlike ``str.capitalize`` it leaves the rest alone (names, ``ISO 639-1``).
    """
    text = text.strip().rstrip(".").rstrip()
    if not text:
        return ""
    if text[-1] not in "?!…":
        text += "."
    return text[0].upper() + text[1:]

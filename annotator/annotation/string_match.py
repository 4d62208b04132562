"""String-match suggestions: every phrase the project has labelled, proposed where it occurs.

The phrases are the texts of the project's accepted gold spans, which any
annotator may be shown, and of one annotator's own spans, shown to that
annotator only: annotation stays blind, so another annotator's spans never
become anyone's suggestion. A phrase is proposed wherever it occurs on word
boundaries (a letter, digit or ``_`` at an edge of the phrase must not
continue into the text around it), with its most frequent label: gold first,
then the annotator's own (ties go to the lower label id). Where two matches of
one label overlap, the leftmost, then the longest, is kept.

Finding every phrase in a text is one pass of an Aho-Corasick automaton
(``pyahocorasick``), whatever the number of phrases. Automata are built per
project (gold) and per project and annotator (own spans), and cached in each
process under the counters of :class:`annotator.models.PhraseIndexVersion`,
which database triggers move whenever those spans change: one query tells a
process whether its automata are current, and a change to one annotator's
spans rebuilds only that annotator's. Phrases are read with their counts in
one grouped query each, the text cut by the database.

Offsets are Python code points into the document text, half-open ``[start, end)``.
"""

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Substr

from ..models import Document, GoldSpan, GoldSpanStatus, PhraseIndexVersion, Span

#: Shorter phrases (a single letter, a digit) match everywhere and help no one.
MIN_PHRASE_LENGTH = 2
GOLD = 0


class Proposal(NamedTuple):
    label_id: int
    start: int
    end: int


@dataclass(frozen=True)
class PhraseIndex:
    """An automaton whose values are ``(phrase length, label id)``, the phrase's top label."""

    version: int
    automaton: ahocorasick.Automaton | None


_cache: dict[tuple[int, int], PhraseIndex] = {}
_lock = threading.Lock()


def _phrases(spans: QuerySet) -> dict[str, int]:
    """Phrase -> most frequent label id, from a queryset of spans or gold spans."""
    counts: dict[str, Counter] = {}
    rows = (
        spans.annotate(phrase=Substr("document__text", F("start") + 1, F("end") - F("start")))
        .values("phrase", "label_id")
        .annotate(total=Count("id"))
        .values_list("phrase", "label_id", "total")
        .order_by()
    )
    for phrase, label_id, total in rows:
        if len(phrase) >= MIN_PHRASE_LENGTH:
            counts.setdefault(phrase, Counter())[label_id] += total
    return {
        phrase: min(counter.items(), key=lambda item: (-item[1], item[0]))[0]
        for phrase, counter in counts.items()
    }


def build_automaton(phrases: dict[str, int]) -> ahocorasick.Automaton | None:
    if not phrases:
        return None
    automaton = ahocorasick.Automaton()
    for phrase, label_id in phrases.items():
        automaton.add_word(phrase, (len(phrase), label_id))
    automaton.make_automaton()
    return automaton


def _build(project_id: int, annotator_id: int) -> ahocorasick.Automaton | None:
    if annotator_id == GOLD:
        spans = GoldSpan.objects.filter(
            document__project_id=project_id, status=GoldSpanStatus.ACCEPTED
        )
    else:
        spans = Span.objects.filter(document__project_id=project_id, annotator_id=annotator_id)
    return build_automaton(_phrases(spans))


def phrase_versions(project_id: int, annotator_id: int) -> tuple[int, int]:
    """The counters of the project's gold phrases and of the annotator's own, read now."""
    versions = dict(
        PhraseIndexVersion.objects.filter(
            project_id=project_id, annotator_id__in=(GOLD, annotator_id)
        ).values_list("annotator_id", "version")
    )
    return versions.get(GOLD, 0), versions.get(annotator_id, 0)


def automata(project_id: int, annotator_id: int) -> tuple[PhraseIndex, PhraseIndex]:
    """The gold automaton and the annotator's own, current as of the counters read now."""
    indexes = []
    for owner, version in zip(
        (GOLD, annotator_id), phrase_versions(project_id, annotator_id), strict=True
    ):
        key = (project_id, owner)
        index = _cache.get(key)
        if index is None or index.version != version:
            # The counter is read before the phrases: a change committed in between
            # moves it again, so the next request rebuilds rather than trusting stale data.
            with _lock:
                index = PhraseIndex(version, _build(project_id, owner))
                _cache[key] = index
        indexes.append(index)
    return indexes[0], indexes[1]


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def find_phrases(text: str, automaton: ahocorasick.Automaton | None) -> Iterable[Proposal]:
    """Every occurrence on word boundaries of the automaton's phrases in ``text``."""
    if automaton is None:
        return
    length = len(text)
    for last, (size, label_id) in automaton.iter(text):
        start, end = last - size + 1, last + 1
        if _is_word(text[start]) and start > 0 and _is_word(text[start - 1]):
            continue
        if _is_word(text[last]) and end < length and _is_word(text[end]):
            continue
        yield Proposal(label_id, start, end)


def leftmost_longest(proposals: Iterable[Proposal]) -> list[Proposal]:
    """Per label, drop each proposal that overlaps one starting earlier or as early and longer."""
    kept = []
    reach: dict[int, int] = {}
    for proposal in sorted(proposals, key=lambda p: (p.start, -p.end, p.label_id)):
        if proposal.start >= reach.get(proposal.label_id, 0):
            kept.append(proposal)
            reach[proposal.label_id] = proposal.end
    return kept


def string_match_proposals(document: Document, annotator_id: int) -> list[Proposal]:
    """What string matching proposes to ``annotator_id`` on ``document``, gold labels first."""
    gold, own = automata(document.project_id, annotator_id)
    chosen: dict[tuple[int, int], int] = {}
    for proposal in find_phrases(document.text, gold.automaton):
        chosen[proposal.start, proposal.end] = proposal.label_id
    for proposal in find_phrases(document.text, own.automaton):
        chosen.setdefault((proposal.start, proposal.end), proposal.label_id)
    return leftmost_longest(Proposal(label, start, end) for (start, end), label in chosen.items())


def clear_cache() -> None:
    """Forget every automaton (tests; a process never needs to)."""
    _cache.clear()

"""String-match suggestion time: a 30,000-character document against 10,000 known phrases.

Builds a project whose accepted gold spans hold N distinct phrases (default
10,000) and one annotator's document of C characters (default 30,000), then
times, in this process:

- "build": reading the phrases (one grouped query) and building the gold
  automaton, once; what the first request after a change of gold pays;
- "match": the proposals for the document with a current automaton (the
  counters query included): the computation the target is about;
- "open": what opening the document costs the API: storing the proposals
  for the annotator and reading the pending suggestions back.

Two corpora. By default the phrases are names (actors, places, bodies: two or
three capitalised made-up words) and the document is ordinary sentences with
one known name in about every sentence, as in a news article. With
``--dense`` the phrases are one to four words of the document's own small
vocabulary, so a phrase starts at almost every word: a worst case.

Target: "match" <= 20 ms (p95)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/suggestions.py --phrases 10000 --characters 30000 --repeat 50
"""

import argparse
import random
import time

import corpus
from timing import print_table, summary, timed

TARGET_MS = 20.0


SYLLABLES = [
    "ka",
    "lo",
    "ve",
    "ri",
    "dan",
    "mor",
    "tel",
    "sa",
    "bru",
    "nik",
    "ost",
    "ela",
    "gar",
    "vin",
    "tho",
    "pel",
    "ur",
    "zan",
]


def names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct names of two or three capitalised made-up words."""
    found: set[str] = set()
    while len(found) < count:
        words = [
            "".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))).capitalize()
            for _ in range(rng.randint(2, 3))
        ]
        found.add(" ".join(words))
    return sorted(found)


def dense_phrases(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct runs of one to four words of the corpus vocabulary."""
    found: set[str] = set()
    while len(found) < count:
        text = corpus.make_text(rng, 3000)
        for start, end in corpus.pick_ranges(rng, text, 200):
            if "\n" not in text[start:end]:
                found.add(text[start:end])
    return sorted(found)[:count]


def article(rng: random.Random, phrases: list[str], characters: int) -> str:
    """Sentences of ordinary words, with a known name in about every sentence."""
    sentences = []
    size = 0
    while size < characters:
        words = list(rng.choices(corpus.VOCABULARY, k=rng.randint(8, 20)))
        words.insert(rng.randrange(len(words)), rng.choice(phrases))
        sentence = " ".join(words)
        sentence = sentence[0].upper() + sentence[1:] + ". "
        sentences.append(sentence)
        size += len(sentence)
    return "".join(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phrases", type=int, default=10_000)
    parser.add_argument("--characters", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--dense", action="store_true", help="phrases from the text's words")
    args = parser.parse_args()
    corpus.setup_django()
    from django.conf import settings
    from django.db import transaction

    from annotator.annotation import string_match
    from annotator.annotation.string_match import string_match_proposals
    from annotator.annotation.suggestions import pending_suggestions, string_match_refresh
    from annotator.models import (
        Document,
        GoldOrigin,
        GoldSpan,
        GoldSpanStatus,
        GoldStatus,
        text_digest,
    )

    settings.DEBUG = False  # no query log
    rng = random.Random(16)
    bench = corpus.create_project(annotators=1)
    annotator = bench.annotators[0]
    try:
        phrases = dense_phrases(rng, args.phrases) if args.dense else names(rng, args.phrases)
        with transaction.atomic():
            for first in range(0, len(phrases), 200):
                batch = phrases[first : first + 200]
                text = ". ".join(batch) + "."
                document = Document.objects.create(
                    project=bench.project,
                    title="gold",
                    text=text,
                    text_sha256=text_digest(text),
                    gold_status=GoldStatus.GOLD,
                )
                spans = []
                start = 0
                for phrase in batch:
                    spans.append((start, start + len(phrase)))
                    start += len(phrase) + 2
                GoldSpan.objects.bulk_create(
                    GoldSpan(
                        document=document,
                        label=rng.choice(bench.labels),
                        start=start,
                        end=end,
                        status=GoldSpanStatus.ACCEPTED,
                        origin=GoldOrigin.CURATOR,
                        guidelines_version=1,
                    )
                    for start, end in spans
                )
            if args.dense:
                text = corpus.make_text(rng, args.characters)
            else:
                text = article(rng, phrases, args.characters)
            target = Document.objects.create(project=bench.project, title="target", text=text)
        string_match.clear_cache()
        began = time.perf_counter()
        string_match.automata(bench.project.pk, annotator.pk)
        build_ms = (time.perf_counter() - began) * 1000
        proposals = string_match_proposals(target, annotator.pk)
        match = timed(lambda: string_match_proposals(target, annotator.pk), args.repeat)

        def open_document() -> None:
            string_match_refresh(document=target, annotator=annotator)
            list(pending_suggestions(target, annotator))

        open_document()  # the first opening stores every proposal
        opened = timed(open_document, args.repeat)
        print(
            f"String match on {corpus.database_label()}: {len(phrases)} gold phrases "
            f"({'dense' if args.dense else 'names'}), "
            f"a document of {len(target.text)} characters, {len(proposals)} proposals"
        )
        rows = [("build (once)", build_ms, build_ms, "")]
        for name, times in (("match", match), ("open (API)", opened)):
            median, p95 = summary(times)
            verdict = ""
            if name == "match":
                verdict = "met" if p95 <= TARGET_MS else "MISSED"
                verdict += f" (p95 <= {TARGET_MS:.0f} ms)"
            rows.append((name, median, p95, verdict))
        print_table(["step", "median ms", "p95 ms", "target"], rows)
    finally:
        corpus.remove_project(bench)


if __name__ == "__main__":
    main()

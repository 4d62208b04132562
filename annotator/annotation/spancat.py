"""A spaCy span categorizer (``spancat``) trained from scratch, scored and run over texts.

spaCy is imported inside these functions only, so that the web processes,
which never train, do not load it: the train worker does
(:mod:`annotator.annotation.training`). No pretrained weights are used (none
can be downloaded here): a blank multi-language pipeline (``xx``: spaCy's
rule-based tokenizer, no language data) and the span categorizer's own
hash-embedding CNN, learnt from the project's gold alone.

Candidate spans are the token n-grams of 1 to ``max_tokens`` tokens
(spaCy's n-gram suggester), where ``max_tokens`` is the longest gold span of the
training data, capped at :data:`MAX_NGRAM`: a longer span cannot be proposed,
and :class:`TrainingData` counts those, with the spans whose edges fall inside
a token, rather than hiding them. Offsets in and out are Python code points,
half-open ``[start, end)``; the texts are the documents' stored texts, so
spaCy's character offsets are ours.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

SPANS_KEY = "sc"
LANGUAGE = "xx"
#: Longest candidate, in tokens: candidates grow with n-gram sizes times tokens.
MAX_NGRAM = 8
BATCH_SIZE = 8
DROPOUT = 0.1

Offsets = tuple[int, int, str]


@dataclass
class TrainingData:
    """Examples of one split, and what could not become one."""

    examples: list = field(default_factory=list)
    spans: int = 0
    misaligned: int = 0
    too_long: int = 0


def blank_pipeline(labels: Sequence[str], max_tokens: int):
    """A blank ``xx`` pipeline with an untrained span categorizer for ``labels``."""
    import spacy

    nlp = spacy.blank(LANGUAGE)
    sizes = ngram_sizes(max_tokens)
    spancat = nlp.add_pipe(
        "spancat",
        config={
            "spans_key": SPANS_KEY,
            "suggester": {"@misc": "spacy.ngram_suggester.v1", "sizes": sizes},
        },
    )
    for label in labels:
        spancat.add_label(label)
    return nlp


def longest_span_tokens(nlp, documents: Iterable[tuple[str, Sequence[Offsets]]]) -> int:
    longest = 1
    for text, spans in documents:
        doc = nlp.make_doc(text)
        for start, end, _ in spans:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None:
                longest = max(longest, len(span))
    return longest


def ngram_sizes(max_tokens: int) -> list[int]:
    return list(range(1, max(1, min(max_tokens, MAX_NGRAM)) + 1))


def examples(
    nlp, documents: Iterable[tuple[str, Sequence[Offsets]]], max_tokens: int
) -> TrainingData:
    """spaCy examples of ``(text, spans)``; a span that does not start and end on token
    edges, or is longer than the suggester's n-grams, is counted and left out."""
    from spacy.training import Example

    longest = ngram_sizes(max_tokens)[-1]
    data = TrainingData()
    for text, spans in documents:
        reference = nlp.make_doc(text)
        kept = []
        for start, end, label in spans:
            data.spans += 1
            span = reference.char_span(start, end, label=label)
            if span is None:
                data.misaligned += 1
            elif len(span) > longest:
                data.too_long += 1
            else:
                kept.append(span)
        reference.spans[SPANS_KEY] = kept
        data.examples.append(Example(nlp.make_doc(text), reference))
    return data


def train(
    nlp,
    training: list,
    *,
    epochs: int,
    seed: int,
    on_epoch: Callable[[int, float], None] | None = None,
):
    """Train ``nlp`` in place on ``training`` examples for ``epochs`` passes; returns it."""
    import random

    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    order = random.Random(seed)
    optimizer = nlp.initialize(lambda: training)
    shuffled = list(training)
    for epoch in range(1, epochs + 1):
        order.shuffle(shuffled)
        losses: dict[str, float] = {}
        for batch in minibatch(shuffled, size=BATCH_SIZE):
            nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
        if on_epoch is not None:
            on_epoch(epoch, losses.get("spancat", 0.0))
    return nlp


def evaluate(nlp, validation: list, labels: Sequence[str]) -> dict:
    """Exact-span precision, recall and F1, overall and per label, on held-out examples."""
    scores = nlp.evaluate(validation)
    per_type = scores.get(f"spans_{SPANS_KEY}_per_type") or {}
    return {
        "overall": {
            "precision": scores.get(f"spans_{SPANS_KEY}_p"),
            "recall": scores.get(f"spans_{SPANS_KEY}_r"),
            "f1": scores.get(f"spans_{SPANS_KEY}_f"),
        },
        "labels": {
            label: {
                "precision": per_type.get(label, {}).get("p"),
                "recall": per_type.get(label, {}).get("r"),
                "f1": per_type.get(label, {}).get("f"),
            }
            for label in labels
        },
        "documents": len(validation),
        "spans": sum(len(example.reference.spans[SPANS_KEY]) for example in validation),
    }


def predict(nlp, texts: Iterable[str]) -> Iterable[list[tuple[int, int, str, float]]]:
    """For each text, the spans the model proposes: ``(start, end, label, score)``."""
    for doc in nlp.pipe(texts, batch_size=16):
        group = doc.spans[SPANS_KEY]
        scores = group.attrs.get("scores", [None] * len(group))
        yield [
            (
                span.start_char,
                span.end_char,
                span.label_,
                float(score) if score is not None else None,
            )
            for span, score in zip(group, scores, strict=True)
        ]


def save(nlp) -> tuple[str, bytes]:
    """The pipeline's config and weights."""
    return nlp.config.to_str(), nlp.to_bytes()


def load(config: str, weights: bytes):
    """A pipeline from what :func:`save` returned."""
    from spacy import util
    from thinc.api import Config

    nlp = util.load_model_from_config(Config().from_str(config), auto_fill=True)
    return nlp.from_bytes(weights)

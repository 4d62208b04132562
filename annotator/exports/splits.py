"""Deterministic train/validation/test assignment by document, and documents sent by split.

A document's split depends only on the seed, its id and the ratios, so it is
the same in every export and format, whatever else is in the corpus, and a
document is never divided between splits. The rule, exactly (also in every
release's dataset card, see :func:`rule_in_words`)::

    u = int.from_bytes(sha256(f"{seed}:{id}".encode("utf-8")).digest()[:8], "big") / 2**64
    split = "train" if u < train else "validation" if u < train + validation else "test"

where ``seed`` is the seed as a string and ``id`` the document id in decimal; a
split whose ratio is 0 receives nothing, even through rounding: a ``u`` past
``train + validation`` goes to validation (or train) when test is 0.

:func:`by_split` hands a writer the documents of one split after the other
while reading them once: the first split's as they are read, the others from
spool files on disk, so memory does not grow with the corpus.
"""

import hashlib
import math
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from annotator.exports.records import ExportDocument

SPLIT_NAMES = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitRatios:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1

    def __post_init__(self) -> None:
        values = (self.train, self.validation, self.test)
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ValueError(f"split ratios must be finite and non-negative, got {values}")
        if not math.isclose(sum(values), 1.0, abs_tol=1e-9):
            raise ValueError(f"split ratios must sum to 1, got {sum(values)}")

    def as_dict(self) -> dict[str, float]:
        return {"train": self.train, "validation": self.validation, "test": self.test}


def hash_unit(seed: str | int, document_id: int) -> float:
    """Map ``(seed, document_id)`` to a number in [0, 1) through SHA-256."""
    digest = hashlib.sha256(f"{seed}:{document_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_split(document_id: int, seed: str | int = 0, ratios: SplitRatios | None = None) -> str:
    """Return ``"train"``, ``"validation"`` or ``"test"`` for a document."""
    ratios = ratios or SplitRatios()
    point = hash_unit(seed, document_id)
    if point < ratios.train:
        return "train"
    if point < ratios.train + ratios.validation:
        return "validation"
    # A test ratio of 0 must never receive documents, even through rounding.
    return "test" if ratios.test > 0 else "validation" if ratios.validation > 0 else "train"


def rule_in_words(seed: str, ratios: SplitRatios) -> str:
    """The split rule with this seed and these ratios, in words and as Python, for a card."""
    return (
        "A document's split depends only on the seed, its id and the ratios. In Python, "
        "for a document id `id` (an integer):\n\n"
        "```python\n"
        "from hashlib import sha256\n\n"
        f"seed, train, validation, test = {seed!r}, {ratios.train!r}, "
        f"{ratios.validation!r}, {ratios.test!r}\n"
        'u = int.from_bytes(sha256(f"{seed}:{id}".encode("utf-8")).digest()[:8], "big") / 2**64\n'
        'if u < train:\n    split = "train"\n'
        'elif u < train + validation:\n    split = "validation"\n'
        "else:\n"
        '    split = "test" if test > 0 else "validation" if validation > 0 else "train"\n'
        "```\n\n"
        "That is: the first 8 bytes of the SHA-256 of the UTF-8 text `<seed>:<id>` (the id "
        "in decimal), read as a big-endian unsigned integer and divided by 2^64, give a "
        "number `u` in [0, 1); the document is in train when `u` is below the train ratio, "
        "in validation when below train + validation, and in test otherwise (a split with "
        "ratio 0 never receives a document, even through rounding)."
    )


class _Spool:
    """Documents pickled one after another into a file, read back in the same order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._stream: BinaryIO | None = None

    def add(self, document: ExportDocument) -> None:
        if self._stream is None:
            self._stream = self.path.open("xb")
        pickle.dump(document, self._stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def documents(self) -> Iterator[ExportDocument]:
        if self._stream is not None:
            self._stream.close()
        with self.path.open("rb") as stream:
            for _ in range(self.count):
                yield pickle.load(stream)  # noqa: S301 - our own scratch file, written above

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


def by_split(
    documents: Iterable[ExportDocument],
    *,
    seed: str | int,
    ratios: SplitRatios,
    scratch: Path,
    on_read: Callable[[str, ExportDocument], None] | None = None,
) -> Iterator[tuple[str, Iterator[ExportDocument]]]:
    """Yield ``(split, its documents)`` for each split that has documents, in
    :data:`SPLIT_NAMES` order, reading ``documents`` once.

    The first split's documents come as they are read (the others are spooled
    into ``scratch`` meanwhile); take each split's documents before asking for
    the next split. ``on_read`` is told each document's split as it is read.
    """
    source = iter(documents)
    first_split = SPLIT_NAMES[0]
    spools = {split: _Spool(scratch / f"{split}.pickle") for split in SPLIT_NAMES[1:]}

    def first_split_documents() -> Iterator[ExportDocument]:
        for document in source:
            split = assign_split(document.id, seed, ratios)
            if on_read is not None:
                on_read(split, document)
            if split == first_split:
                yield document
            else:
                spools[split].add(document)

    try:
        first = first_split_documents()
        head = next(first, None)
        if head is not None:
            yield first_split, chain([head], first)
        # Whatever the caller left of the first split is read now, to fill the spools.
        for _ in first:
            pass
        for split, spool in spools.items():
            if spool.count:
                yield split, spool.documents()
    finally:
        for spool in spools.values():
            spool.close()

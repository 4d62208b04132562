"""Deterministic train/validation/test assignment by document.

A document's split depends only on the seed, its id and the ratios, so it is
the same in every export and format, whatever else is in the corpus, and a
document is never divided between splits.
"""

import hashlib
import math
from dataclasses import dataclass

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

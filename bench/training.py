"""Training time of the span categorizer per 1,000 gold documents.

Fills a fresh project with N gold documents (default 1,000) of about 3,000
characters and 10 accepted gold spans each (the corpus of bench/export.py),
plus 100 documents not yet gold, then queues a model and runs it in this
process as the train worker would: read the gold, train on the train split
for E epochs (default 5), score on the validation split, store, predict the
documents not yet gold. Prints each stage's time, the training time per epoch
per 1,000 training documents, and the validation figures (the corpus is random
words, so the scores only show that the pipeline runs end to end)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench \\
        .venv/bin/python bench/training.py 1000 --epochs 5
"""

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402
from export import LABELS, document_text, span_ranges  # noqa: E402

from annotator.annotation import training  # noqa: E402
from annotator.models import (  # noqa: E402
    Document,
    GoldOrigin,
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Label,
    Membership,
    Project,
    Role,
    Suggestion,
    text_digest,
)

PREDICTED_DOCUMENTS = 100


def fill(documents: int) -> tuple[Project, User]:
    rng = random.Random(7)
    suffix = uuid.uuid4().hex[:8]
    with transaction.atomic():
        project = Project.objects.create(name=f"Training bench {suffix}", slug=f"bench-{suffix}")
        labels = [
            Label.objects.create(project=project, name=name, colour=colour, hotkey=str(n))
            for n, (name, colour) in enumerate(LABELS, start=1)
        ]
        curator = User.objects.create_user(f"bench-{suffix}-curator")
        Membership.objects.create(project=project, user=curator, role=Role.CURATOR)
        for number in range(documents + PREDICTED_DOCUMENTS):
            text, words = document_text(rng)
            gold = number < documents
            document = Document.objects.create(
                project=project,
                title=f"Document {number}",
                text=text,
                text_sha256=text_digest(text),
                gold_status=GoldStatus.GOLD if gold else GoldStatus.NOT_STARTED,
            )
            if gold:
                GoldSpan.objects.bulk_create(
                    GoldSpan(
                        document=document,
                        label=labels[index % len(labels)],
                        start=start,
                        end=end,
                        status=GoldSpanStatus.ACCEPTED,
                        origin=GoldOrigin.CURATOR,
                        guidelines_version=1,
                    )
                    for index, (start, end) in enumerate(sorted(set(span_ranges(rng, words))))
                )
    return project, curator


def cleanup(project: Project, curator: User) -> None:
    with transaction.atomic():
        Suggestion.objects.filter(document__project=project).delete()
        GoldSpan.objects.filter(document__project=project).delete()
        project.delete()
        curator.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", nargs="?", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=5)
    arguments = parser.parse_args()
    settings.DEBUG = False
    project, curator = fill(arguments.documents)
    epochs_at: list[float] = []
    original = training.spancat.train

    def timed_train(*args, **kwargs):
        on_epoch = kwargs["on_epoch"]

        def record(epoch: int, loss: float) -> None:
            epochs_at.append(time.perf_counter())
            on_epoch(epoch, loss)

        return original(*args, **{**kwargs, "on_epoch": record})

    training.spancat.train = timed_train
    try:
        with tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = media
            training.request_training(
                project=project, requested_by=curator, epochs=arguments.epochs
            )
            began = time.perf_counter()
            model = training.run_training(training.claim_next_training())
            total = time.perf_counter() - began
    finally:
        training.spancat.train = original
        cleanup(project, curator)
    if model.status != "done":
        raise SystemExit(f"training failed: {model.message}")
    train_documents = model.counts["train"]["documents"]
    per_epoch = (epochs_at[-1] - epochs_at[0]) / max(1, len(epochs_at) - 1)
    print(
        f"\nTraining on {arguments.documents} gold documents ({train_documents} train, "
        f"{model.counts['validation']['documents']} validation), {arguments.epochs} epochs"
    )
    print(f"  whole job                      {total:8.1f} s")
    print(f"  training (read, {arguments.epochs} epochs)       {model.seconds:8.1f} s")
    print(f"  one epoch                      {per_epoch:8.1f} s")
    print(f"  one epoch per 1,000 train docs {per_epoch * 1000 / train_documents:8.1f} s")
    print(f"  suggestions on {PREDICTED_DOCUMENTS} documents    {model.suggestions_made:8d}")
    overall = model.metrics.get("overall", {}) if model.metrics else {}
    if overall.get("f1") is not None:
        print(
            f"  validation P / R / F1          {overall['precision']:.3f} / "
            f"{overall['recall']:.3f} / {overall['f1']:.3f}"
        )


if __name__ == "__main__":
    main()

"""``manage.py train_worker [--once] [--idle-seconds SECONDS]``: train the queued models."""

import logging
import signal
import time
from types import FrameType

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from annotator.annotation.training import claim_next_training, run_training
from annotator.models import TrainedModel, TrainingStatus

logger = logging.getLogger(__name__)

SLEEP_STEP_SECONDS = 0.2


class Command(BaseCommand):
    help = (
        "Train the span categorizers curators queue on the dashboard and through the API, "
        "one at a time, oldest first, and turn their predictions into suggestions. SIGTERM "
        "or SIGINT stops it cleanly: a training under way goes back to the queue."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="train the models queued now, then exit"
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=5.0,
            help="how long to wait before looking at an empty queue again (default 5)",
        )

    def handle(self, *args, once: bool, idle_seconds: float, **options) -> None:
        self.stopping = False
        previous = {
            signum: signal.signal(signum, self.stop) for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not self.stopping:
                close_old_connections()
                try:
                    model = claim_next_training()
                    if model is not None:
                        self.train(model)
                except DatabaseError:
                    logger.exception("The train worker lost the database; trying again.")
                    model = None
                if model is None:
                    if once:
                        break
                    self.sleep(idle_seconds)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def train(self, model: TrainedModel) -> None:
        self.stdout.write(f"{model.source} of {model.project.slug}: training.")
        ended = run_training(model, should_stop=lambda: self.stopping)
        self.stdout.write(describe(ended))

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        signal.signal(signum, signal.SIG_DFL)

    def sleep(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while not self.stopping and (left := until - time.monotonic()) > 0:
            time.sleep(min(SLEEP_STEP_SECONDS, left))


def describe(model: TrainedModel) -> str:
    if model.status == TrainingStatus.DONE:
        f1 = (model.metrics or {}).get("overall", {}).get("f1")
        score = f"validation F1 {f1:.3f}" if f1 is not None else "no validation score"
        outcome = f"done, {score}, {model.suggestions_made} suggestions."
    elif model.status == TrainingStatus.FAILED:
        outcome = f"failed: {model.message}"
    elif model.status == TrainingStatus.QUEUED:
        outcome = "back in the queue."
    else:
        outcome = "running in another worker."
    return f"{model.source} of {model.project.slug}: {outcome}"

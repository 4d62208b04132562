"""Training a span categorizer from a project's gold, in the background, versioned.

A curator asks for a model (:func:`request_training`): a
:class:`~annotator.models.TrainedModel` row, queued with the next version
number of its name. The train worker (``manage.py train_worker``) claims the
oldest queued one (:func:`claim_next_training`) and runs it (:func:`run_training`):

1. Read the gold: the accepted gold spans of the documents whose gold status is
   *gold*, through the export reader, and split them by document with the
   seed and ratios releases use (:func:`annotator.exports.splits.assign_split`):
   with the same seed, the train split is the train split of a release.
2. Train on the train split (:mod:`annotator.annotation.spancat`), from a blank
   pipeline, for the requested epochs.
3. Score on the validation split, which the model never saw: precision,
   recall and F1 per label and overall. With no validation document there is
   no score (``metrics`` says why) rather than a score on training data.
4. Store the model (config and weights), then run it over the documents not
   yet gold: its predictions become suggestions for every annotator with the
   source ``model:<name>@<version>``, replacing the undecided suggestions of
   earlier versions of the same name (decided ones stay, with their decisions).

States and claims are those of release jobs (:mod:`annotator.exports.release_jobs`):
queued -> running -> done | failed; a job whose worker stopped reporting for
``TRAINING_JOB_STALE_MINUTES`` is queued again, or failed after
:data:`MAX_ATTEMPTS` claims; every write of a worker to the row names the
claim it holds, so a worker given up for dead stores nothing. A separate
worker rather than a kind of release job: training holds spaCy and a model in
memory for minutes, releases must not wait behind it, and the two scale apart.
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from ..exports.reader import Selection, export_labels, read_documents
from ..exports.splits import SplitRatios, assign_split
from ..models import (
    Document,
    GoldStatus,
    Project,
    Suggestion,
    SuggestionDecision,
    TrainedModel,
    TrainingStatus,
)
from . import spancat
from .span_imports import insert_rows

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
#: Seconds between two writes of a running job's progress (and heartbeat).
PROGRESS_INTERVAL = 1.0
PREDICT_CHUNK = 200
INTERNAL_ERROR = (
    "The model could not be trained because of an internal error, which has been logged. "
    "Nothing was stored. Try again later, or tell an administrator."
)
WORKER_LOST = (
    f"The train worker stopped {MAX_ATTEMPTS} times while training this model. "
    "Nothing was stored. Ask again, or tell an administrator."
)


class TrainingError(Exception):
    """A training that cannot be done as asked; the message is meant for the user."""


class TrainingLost(Exception):
    """The job is no longer this worker's."""


class TrainingInterrupted(Exception):
    """The worker is stopping; the job goes back to the queue."""


def request_training(
    *,
    project: Project,
    requested_by: AbstractBaseUser,
    name: str = "spancat",
    epochs: int = 20,
    seed: str = "0",
    ratios: SplitRatios | None = None,
) -> TrainedModel:
    """Queue the next version of model ``name``; refuses a project without gold to learn from."""
    ratios = ratios or SplitRatios()
    if not 1 <= epochs <= 1000:
        raise TrainingError("Train for 1 to 1000 epochs.")
    if not name or not name.replace("-", "").replace("_", "").isalnum() or len(name) > 50:
        raise TrainingError("Name the model with letters, digits, - and _ (50 at most).")
    gold = Document.objects.filter(project=project, gold_status=GoldStatus.GOLD)
    if not any(
        assign_split(pk, seed, ratios) == "train" for pk in gold.values_list("pk", flat=True)
    ):
        raise TrainingError(
            "No gold document falls in the train split: adjudicate documents and mark them "
            "gold first."
        )
    for _ in range(3):
        latest = TrainedModel.objects.filter(project=project, name=name).aggregate(
            latest=Max("version")
        )["latest"]
        try:
            with transaction.atomic():
                return TrainedModel.objects.create(
                    project=project,
                    name=name,
                    version=(latest or 0) + 1,
                    requested_by=requested_by,
                    seed=str(seed),
                    train=ratios.train,
                    validation=ratios.validation,
                    test=ratios.test,
                    epochs=epochs,
                )
        except IntegrityError:
            continue  # another request took the version between our read and insert
    raise TrainingError("Too many trainings asked for at once; try again.")


def _stale_after() -> timedelta:
    return timedelta(minutes=settings.TRAINING_JOB_STALE_MINUTES)


def claim_next_training() -> TrainedModel | None:
    """Give the oldest queued training to the calling worker; None if none is queued."""
    stale = TrainedModel.objects.filter(
        status=TrainingStatus.RUNNING, heartbeat__lt=timezone.now() - _stale_after()
    )
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=TrainingStatus.FAILED, message=WORKER_LOST, finished=timezone.now()
    )
    stale.filter(attempts__lt=MAX_ATTEMPTS).update(
        status=TrainingStatus.QUEUED, started=None, heartbeat=None, stage="", steps_done=0
    )
    while True:
        with transaction.atomic():
            candidate = (
                TrainedModel.objects.select_for_update(skip_locked=True)
                .filter(status=TrainingStatus.QUEUED)
                .order_by("created", "pk")
                .first()
            )
            if candidate is None:
                return None
            now = timezone.now()
            claimed = TrainedModel.objects.filter(
                pk=candidate.pk, status=TrainingStatus.QUEUED
            ).update(
                status=TrainingStatus.RUNNING,
                attempts=F("attempts") + 1,
                started=now,
                heartbeat=now,
            )
        if claimed:
            return TrainedModel.objects.select_related("project").get(pk=candidate.pk)


def _write(model: TrainedModel, **fields) -> None:
    fields.setdefault("heartbeat", timezone.now())
    claim = TrainedModel.objects.filter(
        pk=model.pk, status=TrainingStatus.RUNNING, attempts=model.attempts
    )
    if claim.update(**fields) != 1:
        raise TrainingLost


def _gold(model: TrainedModel) -> tuple[list[str], dict[str, list]]:
    """The project's labels and its gold documents per split, as ``(text, spans)``."""
    ratios = SplitRatios(model.train, model.validation, model.test)
    splits: dict[str, list] = {"train": [], "validation": [], "test": []}
    for document in read_documents(Selection(model.project, "gold")):
        split = assign_split(document.id, model.seed, ratios)
        spans = [(span.start, span.end, span.label) for span in document.spans]
        splits[split].append((document.text, spans))
    return export_labels(model.project), splits


def _predict(model: TrainedModel, nlp, should_stop: Callable[[], bool]) -> int:
    """Suggestions of ``model`` on every document not yet gold; returns how many."""
    labels = dict(model.project.labels.values_list("name", "pk"))
    documents = Document.objects.filter(project=model.project).exclude(gold_status=GoldStatus.GOLD)
    total = documents.count()
    made = done = 0
    last_id = 0
    reported = time.monotonic()
    while True:
        chunk = list(
            documents.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "text")[:PREDICT_CHUNK]
        )
        if not chunk:
            return made
        last_id = chunk[-1][0]
        if should_stop():
            raise TrainingInterrupted
        now = timezone.now()
        rows = [
            (document_id, labels[label], start, end, model.source, score, now)
            for (document_id, _), proposals in zip(
                chunk, spancat.predict(nlp, (text for _, text in chunk)), strict=True
            )
            for start, end, label, score in proposals
        ]
        insert_rows(
            Suggestion,
            ("document_id", "label_id", "start", "end", "source", "score", "created"),
            rows,
        )
        made += len(rows)
        done += len(chunk)
        if time.monotonic() - reported >= PROGRESS_INTERVAL:
            _write(model, stage="predicting", steps_done=done, steps_total=total)
            reported = time.monotonic()


def run_training(
    model: TrainedModel, *, should_stop: Callable[[], bool] | None = None
) -> TrainedModel:
    """Train, score, store and run a model this worker claimed; return it as it ended."""
    should_stop = should_stop or (lambda: False)
    began = time.monotonic()
    try:
        _write(model, stage="reading gold")
        labels, splits = _gold(model)
        if not splits["train"]:
            raise TrainingError("No gold document falls in the train split any more.")
        reader = spancat.blank_pipeline(labels, 1)
        longest = spancat.longest_span_tokens(reader, splits["train"])
        nlp = spancat.blank_pipeline(labels, longest)
        training = spancat.examples(nlp, splits["train"], longest)
        validation = spancat.examples(nlp, splits["validation"], longest)
        counts = {
            split: {
                "documents": len(splits[split]),
                "spans": data.spans,
                "misaligned": data.misaligned,
                "too_long": data.too_long,
            }
            for split, data in (("train", training), ("validation", validation))
        }
        _write(model, stage="training", steps_done=0, steps_total=model.epochs, counts=counts)

        def on_epoch(epoch: int, loss: float) -> None:
            if should_stop():
                raise TrainingInterrupted
            _write(model, steps_done=epoch)

        spancat.train(nlp, training.examples, epochs=model.epochs, seed=0, on_epoch=on_epoch)
        seconds = time.monotonic() - began
        if validation.examples:
            metrics = spancat.evaluate(nlp, validation.examples, labels)
        else:
            metrics = {"reason": "no gold document fell in the validation split"}
        config, weights = spancat.save(nlp)
        _write(model, stage="predicting", steps_done=0, steps_total=0)
        with transaction.atomic():
            # Older versions' undecided suggestions give way; decided ones keep their decisions.
            Suggestion.objects.filter(
                document__project=model.project,
                annotator__isnull=True,
                source__startswith=f"model:{model.name}@",
            ).exclude(pk__in=SuggestionDecision.objects.values("suggestion_id")).delete()
            made = _predict(model, nlp, should_stop)
            model.weights.save(
                f"{model.project.slug}-{model.name}-v{model.version}.spacy",
                ContentFile(weights),
                save=False,
            )
            _write(
                model,
                status=TrainingStatus.DONE,
                stage="",
                metrics=metrics,
                config=config,
                weights=model.weights.name,
                suggestions_made=made,
                seconds=seconds,
                finished=timezone.now(),
            )
    except TrainingInterrupted:
        _write(model, status=TrainingStatus.QUEUED, started=None, heartbeat=None, stage="")
    except TrainingLost:
        logger.warning("Training %d was taken from this worker; it stored nothing.", model.pk)
    except TrainingError as error:
        _write(model, status=TrainingStatus.FAILED, message=str(error), finished=timezone.now())
    except Exception:
        logger.exception("Training %d of %s failed.", model.pk, model.project.slug)
        _write(model, status=TrainingStatus.FAILED, message=INTERNAL_ERROR, finished=timezone.now())
    model.refresh_from_db()
    return model


def load_model(model: TrainedModel):
    """The spaCy pipeline of a done model (for scripts; the pages never load one)."""
    with model.weights.open("rb") as stream:
        return spancat.load(model.config, stream.read())

"""Release jobs: a release asked for on the Export page or through the API, built by a worker.

A release of 100,000 documents takes minutes, far longer than a web request may,
so the page and the API only queue a job and the release worker
(``manage.py release_worker``) builds it:

- :func:`request_release` checks the request as :func:`release_create` would
  (known formats, gold documents to release) and queues the job; a refusal is
  an :class:`ExportError` and queues nothing. Who may ask is the views' check,
  as for every export.
- :func:`claim_next_job` gives the oldest queued job to one worker.
- :func:`run_job` builds the release, writing progress to the job's row, and
  ends it *done*, with the release, or *failed*, with a message for the user.

States: queued -> running -> done | failed, and running -> queued when the job
is interrupted or its worker is given up for dead.

A job is marked done in the transaction that stores its release, so a job that
is not done has stored nothing, and running it again cannot make a second
release. That is why a stale job is requeued rather than failed: a worker that
dies (killed, out of memory, machine lost) leaves its job *running* and stops
its heartbeat; once the heartbeat is older than ``RELEASE_JOB_STALE_MINUTES``,
the next claim puts the job back in the queue. After :data:`MAX_ATTEMPTS`
claims it fails instead, so that a job that kills its worker every time does
not take down every worker in turn forever. The heartbeat is written with the
progress, so the stale time must exceed the longest stretch without progress:
the gold read before the first format and the zip after the last.

Every claim counts an attempt, and every write a worker makes to the row is
conditional on the row still holding its attempt, so a worker that was given
up for dead and wakes up finds the job gone (:class:`JobLost`) and stores
nothing. A worker that is asked to stop puts its job back in the queue at once.
"""

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from annotator.exports.reader import ExportError, Selection, checked_counts
from annotator.exports.records import ExportDocument
from annotator.exports.releases import DEFAULT_LICENSE, Progress, chosen_formats, release_create
from annotator.exports.splits import SplitRatios
from annotator.models import (
    PENDING_JOB_STATUSES,
    Project,
    Release,
    ReleaseJob,
    ReleaseJobStatus,
)

logger = logging.getLogger(__name__)

#: Seconds between two writes of a running job's progress (and heartbeat).
PROGRESS_INTERVAL = 1.0
#: Claims of one job before a worker that never finishes it fails it.
MAX_ATTEMPTS = 3
#: How long the Export page keeps showing a job that failed.
FAILED_JOBS_SHOWN_FOR = timedelta(days=1)
LANGUAGE_CODE = re.compile(r"[a-z]{2}")

#: How much of an unexpected error's own message a failed job keeps.
ERROR_DETAIL_CHARACTERS = 300


def internal_error(error: Exception) -> str:
    """The message of a job failed by an unexpected error: what the error said, so that
    the user and an administrator see why without the log."""
    detail = f"{type(error).__name__}: {error}".strip()
    if len(detail) > ERROR_DETAIL_CHARACTERS:
        detail = detail[:ERROR_DETAIL_CHARACTERS] + "…"
    return (
        f"The release could not be built because of an internal error ({detail}), which "
        "has been logged. Nothing was stored. Tell an administrator."
    )


WORKER_LOST = (
    f"The release worker stopped {MAX_ATTEMPTS} times while building this release. "
    "Nothing was stored. Request it again, or tell an administrator."
)


class JobLost(Exception):
    """The job is no longer this worker's: it was given up for dead, requeued or failed."""


class JobInterrupted(Exception):
    """The worker is stopping; the job goes back to the queue."""


def request_release(
    *,
    project: Project,
    requested_by: User,
    formats: Iterable[str] | None = None,
    seed: str = "0",
    ratios: SplitRatios | None = None,
    license: str = DEFAULT_LICENSE,
    languages: Sequence[str] | None = None,
) -> ReleaseJob:
    """Queue a release of the project's gold data, with :func:`release_create`'s parameters.

    Raises :class:`ExportError`, queueing nothing, for an unknown format, no
    format, a language that is not an ISO 639-1 code, or a project without gold
    documents.
    """
    export_formats = chosen_formats(formats)
    ratios = ratios or SplitRatios()
    for language in languages or ():
        if not LANGUAGE_CODE.fullmatch(language):
            raise ExportError(f"{language!r} is not an ISO 639-1 language code, such as 'en'.")
    counts = checked_counts(Selection(project, "gold"))
    return ReleaseJob.objects.create(
        project=project,
        requested_by=requested_by,
        formats=[export_format.name for export_format in export_formats],
        seed=str(seed),
        train=ratios.train,
        validation=ratios.validation,
        test=ratios.test,
        license=license,
        languages=list(languages or ()),
        documents_total=counts.documents,
    )


def stale_after() -> timedelta:
    """How long a running job may go without a heartbeat before it is given up."""
    return timedelta(minutes=settings.RELEASE_JOB_STALE_MINUTES)


def recover_stale_jobs(*, silent_since: datetime) -> None:
    """Requeue the running jobs whose last heartbeat is older than ``silent_since``, or fail
    those claimed :data:`MAX_ATTEMPTS` times already."""
    stale = ReleaseJob.objects.filter(status=ReleaseJobStatus.RUNNING, heartbeat__lt=silent_since)
    failed = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ReleaseJobStatus.FAILED, message=WORKER_LOST, finished=timezone.now()
    )
    requeued = stale.filter(attempts__lt=MAX_ATTEMPTS).update(
        status=ReleaseJobStatus.QUEUED,
        started=None,
        heartbeat=None,
        current_format="",
        documents_done=0,
    )
    if failed or requeued:
        logger.warning(
            "Release jobs whose worker stopped reporting: %d requeued, %d failed after %d "
            "attempts.",
            requeued,
            failed,
            MAX_ATTEMPTS,
        )


def claim_next_job() -> ReleaseJob | None:
    """Give the oldest queued job to the calling worker, marked running; None if none is queued.

    Stale jobs are recovered first (see the module docstring). On PostgreSQL the
    candidate row is locked with SKIP LOCKED, so concurrent workers pass over
    each other's candidates instead of waiting behind them. The claim itself is
    an UPDATE conditional on the job still being queued: that is what makes the
    job one worker's on any database, SQLite (no row locks) included.
    """
    recover_stale_jobs(silent_since=timezone.now() - stale_after())
    while True:
        with transaction.atomic():
            candidate = (
                ReleaseJob.objects.select_for_update(skip_locked=True)
                .filter(status=ReleaseJobStatus.QUEUED)
                .order_by("created", "pk")
                .first()
            )
            if candidate is None:
                return None
            now = timezone.now()
            claimed = ReleaseJob.objects.filter(
                pk=candidate.pk, status=ReleaseJobStatus.QUEUED
            ).update(
                status=ReleaseJobStatus.RUNNING,
                attempts=F("attempts") + 1,
                started=now,
                heartbeat=now,
            )
        if claimed:
            return ReleaseJob.objects.select_related("project", "requested_by").get(pk=candidate.pk)


def run_job(job: ReleaseJob, *, should_stop: Callable[[], bool] | None = None) -> ReleaseJob:
    """Build the release of a job this worker claimed; return the job as it ended.

    Done with its release; failed with the :class:`ExportError`'s message, or for
    any other error with its type and message (and its traceback logged); queued again if
    ``should_stop`` said so while the formats were written. Nothing is stored
    unless the job is done.
    """
    try:
        release_create(
            project=job.project,
            author=job.requested_by,
            formats=job.formats,
            seed=job.seed,
            ratios=SplitRatios(job.train, job.validation, job.test),
            license=job.license,
            languages=job.languages or None,
            progress=_progress_recorder(job, should_stop or (lambda: False)),
            on_stored=lambda release: _mark_done(job, release),
        )
    except JobInterrupted:
        _write(
            job,
            status=ReleaseJobStatus.QUEUED,
            started=None,
            heartbeat=None,
            current_format="",
            documents_done=0,
        )
    except JobLost:
        logger.warning("Release job %d was taken from this worker; it stored nothing.", job.pk)
    except ExportError as error:
        _write(job, status=ReleaseJobStatus.FAILED, message=str(error), finished=timezone.now())
    except Exception as error:
        logger.exception("Release job %d of %s failed.", job.pk, job.project.slug)
        _write(
            job,
            status=ReleaseJobStatus.FAILED,
            message=internal_error(error),
            finished=timezone.now(),
        )
    job.refresh_from_db()
    return job


def _write(job: ReleaseJob, **fields) -> bool:
    """Update the job's row if it still holds this worker's claim; False if it does not."""
    fields.setdefault("heartbeat", timezone.now())
    claim = ReleaseJob.objects.filter(
        pk=job.pk, status=ReleaseJobStatus.RUNNING, attempts=job.attempts
    )
    return claim.update(**fields) == 1


def _mark_done(job: ReleaseJob, release: Release) -> None:
    if not _write(job, status=ReleaseJobStatus.DONE, release=release, finished=timezone.now()):
        raise JobLost


def _progress_recorder(job: ReleaseJob, should_stop: Callable[[], bool]) -> Progress:
    """The progress callback of :func:`release_create` for a job: it writes the format and
    the documents written at each format's start and end and at most once a second between."""

    def record(
        format_name: str, total: int, documents: Iterable[ExportDocument]
    ) -> Iterator[ExportDocument]:
        _report(job, format_name, 0, total)
        reported_at = time.monotonic()
        written = 0
        for document in documents:
            if should_stop():
                raise JobInterrupted
            yield document
            written += 1
            if time.monotonic() - reported_at >= PROGRESS_INTERVAL:
                _report(job, format_name, written, total)
                reported_at = time.monotonic()
        _report(job, format_name, written, total)

    return record


def _report(job: ReleaseJob, format_name: str, written: int, total: int) -> None:
    if not _write(job, current_format=format_name, documents_done=written, documents_total=total):
        raise JobLost


def jobs_shown(project: Project) -> QuerySet:
    """The project's jobs the Export page lists, oldest first: those not finished, and
    those that failed in the last :data:`FAILED_JOBS_SHOWN_FOR`."""
    failed_lately = Q(
        status=ReleaseJobStatus.FAILED, finished__gte=timezone.now() - FAILED_JOBS_SHOWN_FOR
    )
    return (
        ReleaseJob.objects.filter(project=project)
        .filter(Q(status__in=PENDING_JOB_STATUSES) | failed_lately)
        .select_related("requested_by")
        .order_by("created", "pk")
    )

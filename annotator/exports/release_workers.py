"""Release workers' own rows: who is running, where, building what, heard from when.

``manage.py release_worker`` keeps a :class:`Heartbeat`, which writes the
process's :class:`~annotator.models.ReleaseWorker` row (host name and process id)
at most every :data:`HEARTBEAT_SECONDS`: while idle, and with the progress of
the job it builds, which it names. ``release_worker --status`` reads the rows
back with :func:`worker_lines` and :func:`job_counts`.

The row is for people watching the workers; the job's own heartbeat, not this
one, decides when a job is given up (:mod:`annotator.exports.release_jobs`). A
worker counts as alive while its heartbeat is younger than the same
``RELEASE_JOB_STALE_MINUTES``.
"""

import logging
import os
import socket
import time
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import Count
from django.utils import timezone

from annotator.exports.release_jobs import stale_after
from annotator.models import PENDING_JOB_STATUSES, ReleaseJob, ReleaseWorker

logger = logging.getLogger(__name__)

#: Seconds between two writes of a worker's row, unless its job changes.
HEARTBEAT_SECONDS = 5.0
#: Rows of workers stopped (or silent) for longer are deleted when a worker starts.
FORGOTTEN_AFTER = timedelta(days=1)


class Heartbeat:
    """The calling process's row: created by the first :meth:`beat`, then kept current."""

    def __init__(self) -> None:
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.worker: ReleaseWorker | None = None
        self.job_id: int | None = None
        self.written_at = float("-inf")

    def beat(self, job: ReleaseJob | None = None, *, building: bool = False) -> None:
        """Report, naming ``job`` (or no job unless ``building``), if the job changed or
        :data:`HEARTBEAT_SECONDS` passed. A database error is logged, not raised: the
        row only informs, and the job being built must not fail for it."""
        job_id = job.pk if job is not None else (self.job_id if building else None)
        if job_id == self.job_id and time.monotonic() - self.written_at < HEARTBEAT_SECONDS:
            return
        try:
            self._write(job_id)
        except DatabaseError:
            logger.warning("The release worker could not write its heartbeat.", exc_info=True)
            return
        self.job_id = job_id
        self.written_at = time.monotonic()

    def _write(self, job_id: int | None) -> None:
        now = timezone.now()
        if self.worker is not None:
            if ReleaseWorker.objects.filter(pk=self.worker.pk).update(heartbeat=now, job=job_id):
                return
        else:
            forget_silent_workers(now=now)
        self.worker = ReleaseWorker.objects.create(
            hostname=self.hostname, pid=self.pid, heartbeat=now, job_id=job_id
        )

    def stop(self) -> None:
        """Mark the row stopped (a worker asked to stop, not one killed outright)."""
        if self.worker is None:
            return
        try:
            ReleaseWorker.objects.filter(pk=self.worker.pk).update(
                stopped=timezone.now(), heartbeat=timezone.now(), job=None
            )
        except DatabaseError:
            logger.warning("The release worker could not record its stop.", exc_info=True)

    @property
    def name(self) -> str:
        return f"{self.hostname} pid {self.pid}"


def forget_silent_workers(*, now: datetime) -> int:
    """Delete the rows of workers stopped or silent for over :data:`FORGOTTEN_AFTER`."""
    deleted, _ = ReleaseWorker.objects.filter(heartbeat__lt=now - FORGOTTEN_AFTER).delete()
    return deleted


def is_alive(worker: ReleaseWorker, *, now: datetime) -> bool:
    return worker.stopped is None and now - worker.heartbeat < stale_after()


def worker_lines(*, now: datetime) -> list[str]:
    """One line per known worker: its state, when it was last heard from, when it started."""
    lines = []
    workers = ReleaseWorker.objects.select_related("job__project").order_by("hostname", "started")
    for worker in workers:
        heard = _ago(now - worker.heartbeat)
        if worker.stopped is not None:
            state = f"stopped {heard} ago"
        elif not is_alive(worker, now=now):
            state = f"silent for {heard}, presumed dead"
            if worker.job is not None:
                state += f" (was building job {worker.job_id} of {worker.job.project.slug})"
        elif worker.job is not None:
            state = f"building job {worker.job_id} of {worker.job.project.slug}, heard {heard} ago"
        else:
            state = f"idle, heard {heard} ago"
        started = worker.started.strftime("%Y-%m-%d %H:%M:%S %Z")
        lines.append(f"{worker.hostname} pid {worker.pid}: {state}; started {started}")
    return lines


def job_counts() -> dict[str, int]:
    """Jobs not finished, by status (queued, running)."""
    counts = dict(
        ReleaseJob.objects.filter(status__in=PENDING_JOB_STATUSES)
        .values_list("status")
        .annotate(Count("pk"))
    )
    return {status: counts.get(status, 0) for status in PENDING_JOB_STATUSES}


def _ago(elapsed: timedelta) -> str:
    seconds = max(0, round(elapsed.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"

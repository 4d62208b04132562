"""``manage.py release_worker [--once] [--idle-seconds SECONDS] [--status]``: build queued
releases, or say what the workers are doing."""

import logging
import signal
import time
from types import FrameType

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from annotator.exports.release_jobs import claim_next_job, run_job
from annotator.exports.release_workers import Heartbeat, is_alive, job_counts, worker_lines
from annotator.models import ReleaseJob, ReleaseJobStatus, ReleaseWorker

logger = logging.getLogger(__name__)

# Sleeps are cut into steps this long, so that a stop request is seen soon.
SLEEP_STEP_SECONDS = 0.2


class Command(BaseCommand):
    help = (
        "Build the releases queued from the Export page and the API, one at a time, oldest "
        "first. Run one or more next to the web server. SIGTERM or SIGINT stops it cleanly: "
        "a release being built goes back to the queue; a second signal stops it at once. "
        "--status lists the workers and the jobs waiting, and fails if jobs wait and no "
        "worker is alive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="build the releases queued now, then exit"
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=2.0,
            help="how long to wait before looking at an empty queue again (default 2)",
        )
        parser.add_argument(
            "--status",
            action="store_true",
            help="list the workers (host, process, state, last heartbeat) and the jobs waiting",
        )

    def handle(self, *args, once: bool, idle_seconds: float, status: bool, **options) -> None:
        if status:
            self.show_status()
            return
        self.stopping = False
        self.heartbeat = Heartbeat()
        self.stdout.write(f"Release worker {self.heartbeat.name}: started.")
        previous = {
            signum: signal.signal(signum, self.stop) for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not self.stopping:
                # As at the start of a web request: drop a connection that broke or aged.
                close_old_connections()
                try:
                    self.heartbeat.beat()
                    job = claim_next_job()
                    if job is not None:
                        self.build(job)
                except DatabaseError:
                    # The database went away (a restart, a failover): outlive it. A job
                    # left running is requeued once stale.
                    logger.exception("The release worker lost the database; trying again.")
                    job = None
                if job is None:
                    if once:
                        break
                    self.sleep(idle_seconds)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.heartbeat.stop()
            self.stdout.write(f"Release worker {self.heartbeat.name}: stopped.")

    def build(self, job: ReleaseJob) -> None:
        self.stdout.write(f"Release job {job.pk} of {job.project.slug}: building.")
        self.heartbeat.beat(job)
        ended = run_job(job, should_stop=self.reporting_should_stop)
        self.stdout.write(describe(ended))

    def reporting_should_stop(self) -> bool:
        """Asked by the build before each document: the heartbeat goes with it."""
        self.heartbeat.beat(building=True)
        return self.stopping

    def show_status(self) -> None:
        now = timezone.now()
        lines = worker_lines(now=now)
        self.stdout.write("\n".join(lines) if lines else "No release worker has reported.")
        counts = job_counts()
        self.stdout.write(
            f"Release jobs: {counts[ReleaseJobStatus.QUEUED]} queued, "
            f"{counts[ReleaseJobStatus.RUNNING]} running."
        )
        alive = [worker for worker in ReleaseWorker.objects.all() if is_alive(worker, now=now)]
        if any(counts.values()) and not alive:
            raise CommandError("Release jobs are waiting and no release worker is alive.")

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        # A second signal ends the process at once; its job is later requeued as stale.
        signal.signal(signum, signal.SIG_DFL)

    def sleep(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while not self.stopping and (left := until - time.monotonic()) > 0:
            time.sleep(min(SLEEP_STEP_SECONDS, left))


def describe(job: ReleaseJob) -> str:
    """How a job this worker ran ended, in a line."""
    if job.status == ReleaseJobStatus.DONE:
        outcome = f"done, version {job.release.version}."
    elif job.status == ReleaseJobStatus.FAILED:
        outcome = f"failed: {job.message}"
    elif job.status == ReleaseJobStatus.QUEUED:
        outcome = "back in the queue."
    else:
        outcome = "running in another worker."
    return f"Release job {job.pk} of {job.project.slug}: {outcome}"

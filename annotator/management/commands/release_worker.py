"""``manage.py release_worker [--once] [--idle-seconds SECONDS]``: build queued releases."""

import logging
import signal
import time
from types import FrameType

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from annotator.exports.release_jobs import claim_next_job, run_job
from annotator.models import ReleaseJob, ReleaseJobStatus

logger = logging.getLogger(__name__)

# Sleeps are cut into steps this long, so that a stop request is seen soon.
SLEEP_STEP_SECONDS = 0.2


class Command(BaseCommand):
    help = (
        "Build the releases queued from the Export page and the API, one at a time, oldest "
        "first. Run one or more next to the web server. SIGTERM or SIGINT stops it cleanly: "
        "a release being built goes back to the queue; a second signal stops it at once."
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

    def handle(self, *args, once: bool, idle_seconds: float, **options) -> None:
        self.stopping = False
        previous = {
            signum: signal.signal(signum, self.stop) for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not self.stopping:
                # As at the start of a web request: drop a connection that broke or aged.
                close_old_connections()
                try:
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

    def build(self, job: ReleaseJob) -> None:
        self.stdout.write(f"Release job {job.pk} of {job.project.slug}: building.")
        ended = run_job(job, should_stop=lambda: self.stopping)
        self.stdout.write(describe(ended))

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

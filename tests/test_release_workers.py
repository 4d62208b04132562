"""The release workers' rows and ``release_worker --status``: which worker runs where,
what it builds, when it was last heard from, and whether jobs wait with no one alive."""

import io
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.utils import timezone

from annotator.curation.gold import gold_span_create, gold_status_set
from annotator.exports import release_jobs, release_workers
from annotator.exports.release_jobs import request_release
from annotator.exports.release_workers import Heartbeat
from annotator.models import Document, GoldStatus, ReleaseJob, ReleaseJobStatus, ReleaseWorker


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def job(project, labels, curator) -> ReleaseJob:
    document = Document.objects.create(project=project, title="Talks", text="NATO met.")
    gold_span_create(document=document, label=labels["actor"], start=0, end=4, curator=curator)
    gold_status_set(document=document, status=GoldStatus.GOLD)
    return request_release(project=project, requested_by=curator, formats=["jsonl"])


def status() -> str:
    out = io.StringIO()
    call_command("release_worker", "--status", stdout=out)
    return out.getvalue()


def worker(hostname: str, pid: int, *, heard: timedelta, **fields) -> ReleaseWorker:
    row = ReleaseWorker.objects.create(
        hostname=hostname, pid=pid, heartbeat=timezone.now() - heard, **fields
    )
    ReleaseWorker.objects.filter(pk=row.pk).update(started=timezone.now() - heard - timedelta(1))
    return row


@pytest.mark.django_db(transaction=True)
def test_a_worker_names_the_job_it_builds_and_records_its_stop(job, monkeypatch):
    seen_during_the_build = []
    build = release_jobs.run_job

    def watched(job, **kwargs):
        seen_during_the_build.append(ReleaseWorker.objects.values("job", "stopped").get())
        return build(job, **kwargs)

    monkeypatch.setattr("annotator.management.commands.release_worker.run_job", watched)
    out = io.StringIO()

    call_command("release_worker", "--once", stdout=out)

    assert seen_during_the_build == [{"job": job.pk, "stopped": None}]
    row = ReleaseWorker.objects.get()
    assert row.job is None and row.stopped is not None
    assert f"Release worker {row.hostname} pid {row.pid}: started." in out.getvalue()
    assert f"Release worker {row.hostname} pid {row.pid}: stopped." in out.getvalue()


@pytest.mark.django_db
def test_the_heartbeat_keeps_the_job_while_building_and_drops_it_when_idle(job, monkeypatch):
    heartbeat = Heartbeat()
    heartbeat.beat(job)
    first = ReleaseWorker.objects.get()
    monkeypatch.setattr(release_workers, "HEARTBEAT_SECONDS", 0.0)

    heartbeat.beat(building=True)
    building = ReleaseWorker.objects.get()
    heartbeat.beat()
    idle = ReleaseWorker.objects.get()

    assert (first.job_id, building.job_id, idle.job_id) == (job.pk, job.pk, None)
    assert first.heartbeat <= building.heartbeat <= idle.heartbeat
    assert ReleaseWorker.objects.count() == 1


@pytest.mark.django_db
def test_heartbeats_are_written_at_most_every_interval(job, django_assert_num_queries):
    heartbeat = Heartbeat()
    heartbeat.beat(job)

    with django_assert_num_queries(0):
        for _ in range(100):
            heartbeat.beat(building=True)


@pytest.mark.django_db
def test_a_heartbeat_that_cannot_be_written_is_logged_not_raised(job, monkeypatch, caplog):
    def lost(self, job_id):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(Heartbeat, "_write", lost)

    with caplog.at_level(logging.WARNING):
        Heartbeat().beat(job)

    assert "could not write its heartbeat" in caplog.text


@pytest.mark.django_db
def test_status_says_what_each_worker_does(job, settings):
    settings.RELEASE_JOB_STALE_MINUTES = 10
    worker("web-1", 101, heard=timedelta(seconds=3), job=job)
    worker("web-1", 102, heard=timedelta(seconds=1))
    worker("web-2", 201, heard=timedelta(minutes=14), job=job)
    worker("web-2", 202, heard=timedelta(hours=3), stopped=timezone.now() - timedelta(hours=3))

    lines = status().splitlines()

    # By host, then oldest first.
    assert [line.split("; started")[0] for line in lines] == [
        f"web-1 pid 101: building job {job.pk} of talks, heard 3 s ago",
        "web-1 pid 102: idle, heard 1 s ago",
        "web-2 pid 202: stopped 3 h ago",
        f"web-2 pid 201: silent for 14 min, presumed dead (was building job {job.pk} of talks)",
        "Release jobs: 1 queued, 0 running.",
    ]


@pytest.mark.django_db
def test_status_fails_when_jobs_wait_and_no_worker_is_alive(job, settings):
    settings.RELEASE_JOB_STALE_MINUTES = 0.5
    worker("web-2", 201, heard=timedelta(minutes=1))

    with pytest.raises(CommandError, match="no release worker is alive"):
        status()


@pytest.mark.django_db
def test_status_without_workers_or_jobs():
    assert status() == "No release worker has reported.\nRelease jobs: 0 queued, 0 running.\n"


@pytest.mark.django_db
def test_a_starting_worker_forgets_rows_silent_for_a_day(job):
    worker("gone", 1, heard=timedelta(days=2))
    worker("stopped", 2, heard=timedelta(days=2), stopped=timezone.now() - timedelta(days=2))
    recent = worker("recent", 3, heard=timedelta(hours=20))

    Heartbeat().beat()

    assert set(ReleaseWorker.objects.values_list("hostname", flat=True)) == {
        recent.hostname,
        Heartbeat().hostname,
    }


@pytest.mark.django_db
def test_the_database_refuses_a_stopped_worker_with_a_job(job):
    with pytest.raises(DatabaseError):
        worker("web-1", 1, heard=timedelta(0), job=job, stopped=timezone.now())


@pytest.mark.django_db
def test_a_running_job_counts_as_running(job):
    ReleaseJob.objects.filter(pk=job.pk).update(
        status=ReleaseJobStatus.RUNNING, started=timezone.now(), heartbeat=timezone.now()
    )
    worker("web-1", 1, heard=timedelta(seconds=2), job=job)

    assert status().splitlines()[-1] == "Release jobs: 0 queued, 1 running."

"""Release jobs: queued by the page and the API, claimed and built by the release worker.

Their lifecycle and its invariants, what a failure leaves (nothing), stale and
concurrent claims, the one snapshot a release reads, the page's polling list, the
API's 202 and polling endpoint, and the worker command.
"""

import io
import json
import logging
import os
import signal
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotator.curation.gold import gold_span_create, gold_status_set
from annotator.exports import release_jobs, releases
from annotator.exports.reader import ExportError
from annotator.exports.release_jobs import (
    MAX_ATTEMPTS,
    WORKER_LOST,
    claim_next_job,
    internal_error,
    request_release,
    run_job,
)
from annotator.exports.releases import consistent_reads, release_create
from annotator.models import (
    Document,
    GoldStatus,
    Label,
    Membership,
    Project,
    Release,
    ReleaseJob,
    ReleaseJobStatus,
    Role,
)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and snapshots of PostgreSQL"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_gold(project: Project, labels: dict[str, Label], curator: User, n: int) -> list[Document]:
    documents = []
    for number in range(n):
        document = Document.objects.create(
            project=project, title=f"Talks {number}", text=f"NATO envoy {number} said talks resume."
        )
        gold_span_create(document=document, label=labels["actor"], start=0, end=4, curator=curator)
        gold_status_set(document=document, status=GoldStatus.GOLD)
        documents.append(document)
    return documents


@pytest.fixture
def gold_documents(project, labels, curator) -> list[Document]:
    return make_gold(project, labels, curator, 3)


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def queue(project: Project, user: User, formats: list[str] | None = None) -> ReleaseJob:
    return request_release(project=project, requested_by=user, formats=formats or ["jsonl"])


def age_heartbeat(job: ReleaseJob, minutes: int) -> None:
    ReleaseJob.objects.filter(pk=job.pk).update(
        heartbeat=timezone.now() - timedelta(minutes=minutes)
    )


# Requesting.


def test_request_queues_a_job_with_the_parameters(project, curator, gold_documents, media_root):
    job = request_release(
        project=project,
        requested_by=curator,
        formats=["conll", "jsonl", "conll"],
        seed="7",
        ratios=releases.SplitRatios(0.5, 0.25, 0.25),
        license="cc-by-4.0",
        languages=["en"],
    )

    job.refresh_from_db()
    assert job.status == ReleaseJobStatus.QUEUED
    assert job.formats == ["jsonl", "conll"]  # each once, in the order of the formats
    assert (job.seed, job.train, job.validation, job.test) == ("7", 0.5, 0.25, 0.25)
    assert (job.license, job.languages, job.documents_total) == ("cc-by-4.0", ["en"], 3)
    assert (job.attempts, job.started, job.finished, job.release) == (0, None, None, None)
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"formats": ["xml"]}, "Unknown export format 'xml'"),
        ({"formats": []}, "Choose at least one format"),
        ({"languages": ["english"]}, "'english' is not an ISO 639-1 language code"),
    ],
)
def test_bad_requests_queue_nothing(project, curator, gold_documents, parameters, message):
    with pytest.raises(ExportError, match=message):
        request_release(project=project, requested_by=curator, **parameters)

    assert not ReleaseJob.objects.exists()


def test_a_project_without_gold_queues_nothing(project, curator, document):
    with pytest.raises(ExportError, match="No document of this project is gold yet"):
        request_release(project=project, requested_by=curator)

    assert not ReleaseJob.objects.exists()


# Claiming and running.


def test_claims_take_the_oldest_queued_job_once(project, curator, gold_documents):
    first, second = queue(project, curator), queue(project, curator)

    claimed = [claim_next_job(), claim_next_job(), claim_next_job()]

    assert [job and job.pk for job in claimed] == [first.pk, second.pk, None]
    assert claimed[0].status == ReleaseJobStatus.RUNNING
    assert claimed[0].attempts == 1
    assert claimed[0].started is not None and claimed[0].heartbeat is not None


def test_a_job_runs_to_done_with_its_release(project, curator, gold_documents, media_root):
    queue(project, curator, ["jsonl", "conll"])

    job = run_job(claim_next_job())

    assert job.status == ReleaseJobStatus.DONE
    assert job.message == "" and job.finished is not None
    assert (job.current_format, job.documents_done, job.documents_total) == ("conll", 3, 3)
    release = Release.objects.get()
    assert job.release == release
    assert (release.author, release.formats) == (curator, ["jsonl", "conll"])
    assert release.document_ids == sorted(d.pk for d in gold_documents)
    assert stored_files(media_root) == [media_root / "releases" / "talks-v1.zip"]


def test_a_refusal_at_run_time_fails_the_job_with_its_message(
    project, curator, gold_documents, media_root
):
    queue(project, curator)
    for document in gold_documents:
        gold_status_set(document=document, status=GoldStatus.IN_PROGRESS)

    job = run_job(claim_next_job())

    assert job.status == ReleaseJobStatus.FAILED
    assert job.message.startswith("No document of this project is gold yet")
    assert job.finished is not None and job.release is None
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_an_unexpected_error_fails_the_job_with_its_reason_and_logs_it(
    project, curator, gold_documents, media_root, monkeypatch, caplog
):
    def broken_writer(*args, **kwargs):
        raise RuntimeError("disk on fire at /srv/secret")

    monkeypatch.setattr(releases, "export_entries", broken_writer)
    queue(project, curator)

    with caplog.at_level(logging.ERROR, logger="annotator.exports.release_jobs"):
        job = run_job(claim_next_job())

    assert job.status == ReleaseJobStatus.FAILED
    assert job.message == internal_error(RuntimeError("disk on fire at /srv/secret"))
    assert "(RuntimeError: disk on fire at /srv/secret)" in job.message
    assert "disk on fire" in caplog.text and "Traceback" in caplog.text
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_a_job_taken_from_its_worker_before_it_is_stored_stores_nothing(
    project, curator, gold_documents, media_root, monkeypatch
):
    """Given up for dead and claimed again while it zipped, the old worker must not finish."""
    queue(project, curator)
    job = claim_next_job()
    store = releases._store

    def taken_meanwhile(*args):
        ReleaseJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)
        return store(*args)

    monkeypatch.setattr(releases, "_store", taken_meanwhile)

    ended = run_job(job)

    assert (ended.status, ended.attempts, ended.release) == (ReleaseJobStatus.RUNNING, 2, None)
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_a_job_taken_from_its_worker_while_writing_stops_at_the_next_report(
    project, curator, gold_documents, media_root
):
    queue(project, curator, ["jsonl", "conll"])
    job = claim_next_job()
    ReleaseJob.objects.filter(pk=job.pk).update(status=ReleaseJobStatus.QUEUED, started=None)

    ended = run_job(job)

    assert ended.status == ReleaseJobStatus.QUEUED
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_an_interrupted_job_goes_back_to_the_queue_and_runs_later(
    project, curator, gold_documents, media_root
):
    queue(project, curator)

    interrupted = run_job(claim_next_job(), should_stop=lambda: True)

    assert interrupted.status == ReleaseJobStatus.QUEUED
    assert (interrupted.started, interrupted.heartbeat, interrupted.documents_done) == (
        None,
        None,
        0,
    )
    assert not Release.objects.exists()
    assert stored_files(media_root) == []
    finished = run_job(claim_next_job())
    assert (finished.status, finished.attempts) == (ReleaseJobStatus.DONE, 2)


def _job_updates(queries: CaptureQueriesContext) -> int:
    return sum(
        query["sql"].startswith('UPDATE "annotator_releasejob"')
        for query in queries.captured_queries
    )


def test_progress_is_written_at_format_boundaries_and_then_at_most_once_a_second(
    project, labels, curator, gold_documents
):
    make_gold(project, labels, curator, 7)
    queue(project, curator, ["jsonl", "conll"])
    job = claim_next_job()

    with CaptureQueriesContext(connection) as queries:
        run_job(job)

    # A start and an end per format, and the final "done": none per document.
    assert _job_updates(queries) == 2 * 2 + 1


def test_progress_between_boundaries_follows_the_interval(
    project, curator, gold_documents, monkeypatch
):
    monkeypatch.setattr(release_jobs, "PROGRESS_INTERVAL", 0)
    queue(project, curator, ["jsonl", "conll"])
    job = claim_next_job()

    with CaptureQueriesContext(connection) as queries:
        run_job(job)

    assert _job_updates(queries) == 2 * (2 + 3) + 1


# Workers that stop reporting.


def test_a_stale_running_job_is_requeued_and_claimed_again(
    project, curator, gold_documents, settings
):
    settings.RELEASE_JOB_STALE_MINUTES = 10
    queue(project, curator)
    lost = claim_next_job()
    age_heartbeat(lost, minutes=11)

    again = claim_next_job()

    assert again.pk == lost.pk
    assert (again.status, again.attempts) == (ReleaseJobStatus.RUNNING, 2)
    assert again.heartbeat > lost.heartbeat
    assert run_job(again).status == ReleaseJobStatus.DONE
    assert Release.objects.count() == 1


def test_a_running_job_that_reported_lately_is_left_alone(
    project, curator, gold_documents, settings
):
    settings.RELEASE_JOB_STALE_MINUTES = 10
    queue(project, curator)
    running = claim_next_job()
    age_heartbeat(running, minutes=9)

    assert claim_next_job() is None
    running.refresh_from_db()
    assert (running.status, running.attempts) == (ReleaseJobStatus.RUNNING, 1)


def test_a_job_whose_worker_stopped_every_time_fails(project, curator, gold_documents, settings):
    settings.RELEASE_JOB_STALE_MINUTES = 1
    queue(project, curator)
    job = claim_next_job()
    ReleaseJob.objects.filter(pk=job.pk).update(attempts=MAX_ATTEMPTS)
    age_heartbeat(job, minutes=2)

    assert claim_next_job() is None

    job.refresh_from_db()
    assert (job.status, job.message) == (ReleaseJobStatus.FAILED, WORKER_LOST)
    assert job.finished is not None


# The database refuses states the lifecycle never reaches.


@pytest.mark.parametrize(
    "change",
    [
        {"status": "paused"},
        {"status": ReleaseJobStatus.DONE, "finished": timezone.now()},  # no release
        {"status": ReleaseJobStatus.FAILED, "finished": timezone.now()},  # no message
        {"message": "a message on a queued job"},
        {"started": timezone.now()},  # queued, yet started
        {"status": ReleaseJobStatus.RUNNING, "started": timezone.now()},  # no heartbeat
        {"finished": timezone.now()},  # queued, yet finished
        {"documents_done": 4},  # of 3
        {"formats": []},
        {"train": 1.5},
    ],
)
def test_the_database_refuses_an_inconsistent_job(project, curator, gold_documents, change):
    job = queue(project, curator)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReleaseJob.objects.filter(pk=job.pk).update(**change)

    job.refresh_from_db()
    assert job.status == ReleaseJobStatus.QUEUED and job.documents_done == 0


def test_the_database_refuses_two_jobs_for_one_release(project, curator, gold_documents):
    queue(project, curator)
    done = run_job(claim_next_job())
    other = queue(project, curator)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReleaseJob.objects.filter(pk=other.pk).update(
            status=ReleaseJobStatus.DONE,
            release=done.release,
            started=timezone.now(),
            finished=timezone.now(),
        )


# Concurrent workers (PostgreSQL: SQLite has no row locks and serialises writers).


@on_postgresql
def test_the_claim_skips_rows_other_workers_locked(project, curator, gold_documents):
    queue(project, curator)

    with CaptureQueriesContext(connection) as queries:
        claim_next_job()

    assert any("FOR UPDATE SKIP LOCKED" in query["sql"] for query in queries.captured_queries)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_job(project, curator, gold_documents):
    jobs = [queue(project, curator).pk for _ in range(8)]
    claims: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            while (job := claim_next_job()) is not None:
                claims.append(job.pk)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(claims) == sorted(jobs)
    assert set(ReleaseJob.objects.values_list("status", "attempts")) == {("running", 1)}


# One snapshot per release.


def test_formats_agree_when_gold_changes_while_they_are_written(
    project, curator, gold_documents, manager
):
    """The formats are written from what was read at the start, whatever changes after."""

    def reopen_one_document(name, total, documents):
        if name == "jsonl":
            gold_status_set(document=gold_documents[1], status=GoldStatus.IN_PROGRESS)
        return documents

    release = release_create(
        project=project,
        author=manager,
        formats=["jsonl", "conll", "w3c"],
        progress=reopen_one_document,
    )

    archive = zipfile.ZipFile(release.archive.open("rb"))
    manifest = json.loads(archive.read("talks-v1/release.json"))
    assert {name: written["documents"] for name, written in manifest["formats"].items()} == {
        "jsonl": 3,
        "conll": 3,
        "w3c": 3,
    }
    assert release.document_ids == sorted(d.pk for d in gold_documents)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_snapshot_is_read_only():
    with pytest.raises(DatabaseError, match="read-only transaction"), consistent_reads():
        Project.objects.create(name="Written in a snapshot", slug="written")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_release_reads_one_snapshot_while_a_curator_edits_gold(
    project, curator, gold_documents, manager, monkeypatch
):
    """Reading one document at a time, a document reopened (and committed) after the first
    was read is still in the release, as it was when the release started."""
    read_documents = releases.read_documents

    def reopened_while_reading(selection):
        for number, document in enumerate(read_documents(selection, chunk_size=1)):
            if number == 0:
                thread = threading.Thread(target=reopen_last_document)
                thread.start()
                thread.join()
            yield document

    def reopen_last_document() -> None:
        try:
            gold_status_set(document=gold_documents[-1], status=GoldStatus.IN_PROGRESS)
        finally:
            connection.close()

    monkeypatch.setattr(releases, "read_documents", reopened_while_reading)

    with CaptureQueriesContext(connection) as queries:
        release = release_create(project=project, author=manager, formats=["jsonl"])

    assert Document.objects.get(pk=gold_documents[-1].pk).gold_status == GoldStatus.IN_PROGRESS
    assert release.document_ids == sorted(d.pk for d in gold_documents)
    assert release.counts["labels"]["actor"] == 3
    sql = [query["sql"] for query in queries.captured_queries]
    # The snapshot's first statement sets it up; the version is taken in a later transaction.
    assert sql[:2] == ["BEGIN", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"]
    version_lock = next(i for i, text in enumerate(sql) if text.endswith("FOR UPDATE"))
    assert "BEGIN" in sql[2:version_lock]


# The Export page.


def export_url() -> str:
    return reverse("export", args=["talks"])


def jobs_url() -> str:
    return reverse("release-jobs", args=["talks"])


def test_the_page_lists_a_queued_job_and_polls(client, project, curator, gold_documents):
    queue(project, curator)
    client.force_login(curator)

    content = client.get(export_url()).content.decode()

    assert "Queued: waiting for the release worker" in content
    assert f'hx-get="{jobs_url()}" hx-trigger="every 2s"' in content
    assert content.index('id="release-jobs"') < content.index("No release yet.")


def test_the_page_without_pending_jobs_does_not_poll(client, project, curator, gold_documents):
    queue(project, curator)
    run_job(claim_next_job())
    client.force_login(curator)

    content = client.get(export_url()).content.decode()

    assert "every 2s" not in content
    assert 'id="release-jobs"' not in content
    assert "talks-v1.zip" in content


def test_htmx_polls_get_the_release_list_fragment(client, project, curator, gold_documents):
    queue(project, curator, ["jsonl", "conll"])
    job = claim_next_job()
    ReleaseJob.objects.filter(pk=job.pk).update(current_format="conll", documents_done=2)
    client.force_login(curator)

    fragment = client.get(jobs_url(), headers={"HX-Request": "true"})
    page = client.get(jobs_url())

    content = fragment.content.decode()
    assert fragment.status_code == 200
    assert content.lstrip().startswith('<div id="release-list"')
    assert "<html" not in content
    assert "Writing conll (format 2 of 2):" in content and "2 of 3 documents" in content
    assert 'hx-trigger="every 2s"' in content
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_a_job_being_read_says_so(client, project, curator, gold_documents):
    queue(project, curator)
    claim_next_job()
    client.force_login(curator)

    content = client.get(jobs_url(), headers={"HX-Request": "true"}).content.decode()

    assert "Reading the gold data (3 documents)" in content


def test_a_done_job_stops_the_polling_and_shows_the_release(
    client, project, curator, gold_documents
):
    queue(project, curator)
    run_job(claim_next_job())
    client.force_login(curator)

    content = client.get(jobs_url(), headers={"HX-Request": "true"}).content.decode()

    assert "hx-trigger" not in content
    assert reverse("release-download", args=["talks", 1]) in content


def test_a_failed_job_shows_its_message_escaped(client, project, curator, gold_documents):
    job = queue(project, curator)
    ReleaseJob.objects.filter(pk=job.pk).update(
        status=ReleaseJobStatus.FAILED,
        message='<script>alert("x")</script> & more',
        started=timezone.now(),
        finished=timezone.now(),
    )
    client.force_login(curator)

    content = client.get(jobs_url(), headers={"HX-Request": "true"}).content.decode()

    assert "Failed: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in content
    assert "<script>" not in content
    assert "hx-trigger" not in content


def test_jobs_that_failed_over_a_day_ago_are_not_shown(client, project, curator, gold_documents):
    job = queue(project, curator)
    ReleaseJob.objects.filter(pk=job.pk).update(
        status=ReleaseJobStatus.FAILED,
        message="Worker lost.",
        started=timezone.now() - timedelta(days=2),
        finished=timezone.now() - timedelta(days=2),
    )
    client.force_login(curator)

    content = client.get(jobs_url(), headers={"HX-Request": "true"}).content.decode()

    assert "Worker lost." not in content


def test_the_release_list_is_refused_to_annotator_outsider_anonymous(
    client, project, alice, charlie, curator, gold_documents
):
    queue(project, curator)
    htmx = {"HX-Request": "true"}

    client.force_login(alice)
    assert client.get(jobs_url(), headers=htmx).status_code == 403
    client.force_login(charlie)
    assert client.get(jobs_url(), headers=htmx).status_code == 404
    client.logout()
    response = client.get(jobs_url(), headers=htmx)
    assert response.status_code == 302 and reverse("login") in response["Location"]


# The API.


def api_releases_url(slug: str = "talks") -> str:
    return reverse("api-releases", args=[slug])


def api_job_url(job: ReleaseJob, slug: str = "talks") -> str:
    return reverse("api-release-job", args=[slug, job.pk])


def test_api_request_is_202_with_the_job_to_poll(client, project, curator, gold_documents):
    client.force_login(curator)

    response = client.post(
        api_releases_url(), {"formats": ["conll"], "languages": ["de"]}, "application/json"
    )

    assert response.status_code == 202
    body = response.json()
    job = ReleaseJob.objects.get()
    assert body["id"] == job.pk and body["status"] == "queued"
    assert body["url"] == f"http://testserver{api_job_url(job)}"
    assert response["Location"] == body["url"]
    assert body["progress"] == {
        "format": "",
        "format_number": None,
        "documents_done": 0,
        "documents_total": 3,
    }
    assert (body["formats"], body["languages"], body["release"]) == (["conll"], ["de"], None)


def test_api_polling_follows_the_job_to_its_release(client, project, curator, gold_documents):
    job = queue(project, curator, ["jsonl", "w3c"])
    client.force_login(curator)

    queued = client.get(api_job_url(job)).json()
    run_job(claim_next_job())
    done = client.get(api_job_url(job)).json()

    assert queued["status"] == "queued" and queued["release"] is None
    assert done["status"] == "done" and done["message"] == ""
    assert done["progress"] == {
        "format": "w3c",
        "format_number": 2,
        "documents_done": 3,
        "documents_total": 3,
    }
    assert done["release"] == "http://testserver" + reverse("api-release", args=["talks", 1])
    assert client.get(done["release"]).json()["formats"] == ["jsonl", "w3c"]


def test_api_polling_shows_why_a_job_failed(client, project, curator, gold_documents):
    job = queue(project, curator)
    for document in gold_documents:
        gold_status_set(document=document, status=GoldStatus.IN_PROGRESS)
    run_job(claim_next_job())
    client.force_login(curator)

    body = client.get(api_job_url(job)).json()

    assert body["status"] == "failed" and body["release"] is None
    assert body["message"].startswith("No document of this project is gold yet")


def test_api_bad_language_is_400_and_queues_nothing(client, project, curator, gold_documents):
    client.force_login(curator)

    response = client.post(api_releases_url(), {"languages": ["EN"]}, "application/json")

    assert response.status_code == 400
    assert "'EN' is not an ISO 639-1 language code" in response.json()["detail"]
    assert not ReleaseJob.objects.exists()


def test_api_job_is_refused_to_annotator_outsider_anonymous(
    client, project, alice, charlie, curator, gold_documents
):
    job = queue(project, curator)

    client.force_login(alice)
    assert client.get(api_job_url(job)).status_code == 403
    client.force_login(charlie)
    assert client.get(api_job_url(job)).status_code == 404
    client.logout()
    assert client.get(api_job_url(job)).status_code == 401


def test_api_job_of_another_project_is_not_found(client, project, curator, gold_documents):
    other = Project.objects.create(name="Other", slug="other")
    Membership.objects.create(project=other, user=curator, role=Role.CURATOR)
    job = queue(project, curator)
    client.force_login(curator)

    assert client.get(api_job_url(job, slug="other")).status_code == 404
    assert client.get(reverse("api-release-job", args=["talks", job.pk + 1])).status_code == 404


# The worker command. It commits as the real one does, so these tests are transactional.


@pytest.mark.django_db(transaction=True)
def test_worker_once_builds_the_queued_releases_and_exits(project, curator, gold_documents):
    first, second = queue(project, curator), queue(project, curator, ["conll"])
    out = io.StringIO()

    call_command("release_worker", "--once", stdout=out)

    assert list(ReleaseJob.objects.order_by("pk").values_list("status", "release__version")) == [
        ("done", 1),
        ("done", 2),
    ]
    assert f"Release job {first.pk} of talks: done, version 1." in out.getvalue()
    assert f"Release job {second.pk} of talks: done, version 2." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_worker_once_reports_a_failed_job(project, curator, gold_documents, monkeypatch):
    job = queue(project, curator)
    monkeypatch.setattr(releases, "export_entries", lambda *args, **kwargs: 1 / 0)
    out = io.StringIO()

    call_command("release_worker", "--once", stdout=out)

    reason = internal_error(ZeroDivisionError("division by zero"))
    assert f"Release job {job.pk} of talks: failed: {reason}" in out.getvalue()
    assert not Release.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_worker_stopped_while_building_puts_the_job_back(
    project, curator, gold_documents, monkeypatch
):
    """SIGTERM (a deploy, Ctrl+C) during a build: the job is queued again, the worker exits."""
    job = queue(project, curator)
    build = release_jobs.run_job

    def signalled_during_the_build(job, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return build(job, **kwargs)

    monkeypatch.setattr(
        "annotator.management.commands.release_worker.run_job", signalled_during_the_build
    )
    handler = signal.getsignal(signal.SIGTERM)
    out = io.StringIO()

    call_command("release_worker", stdout=out)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (ReleaseJobStatus.QUEUED, 1)
    assert "back in the queue" in out.getvalue()
    assert not Release.objects.exists()
    assert signal.getsignal(signal.SIGTERM) == handler


@pytest.mark.django_db(transaction=True)
def test_idle_worker_stops_on_sigterm():
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()

    call_command("release_worker", "--idle-seconds", "30", stdout=io.StringIO())

    timer.join()


@pytest.mark.django_db(transaction=True)
def test_worker_outlives_a_lost_database(project, curator, gold_documents, monkeypatch, caplog):
    job = queue(project, curator)

    def lost_database() -> None:
        raise OperationalError("server closed the connection unexpectedly")

    def stop_worker() -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    claims = iter([lost_database, claim_next_job, stop_worker])
    monkeypatch.setattr(
        "annotator.management.commands.release_worker.claim_next_job", lambda: next(claims)()
    )

    call_command("release_worker", "--idle-seconds", "0", stdout=io.StringIO())

    assert "The release worker lost the database" in caplog.text
    job.refresh_from_db()
    assert job.status == ReleaseJobStatus.DONE

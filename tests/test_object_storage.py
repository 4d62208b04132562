"""Release archives in an S3-compatible bucket: stored there by releases and the worker,
sent from there in chunks (or through a short-lived link), after the same permission
checks as on the file system.

The bucket is on a real S3 HTTP server (moto's, started by the ``s3_server``
fixture on 127.0.0.1) and is read back with boto3, independently of the app.
"""

import hashlib
import io
import json
import os
import tracemalloc
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from annotator.curation.gold import gold_span_create, gold_status_set
from annotator.exports.release_jobs import claim_next_job, request_release, run_job
from annotator.exports.releases import release_create
from annotator.models import Document, GoldStatus, Release, ReleaseJobStatus


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """The file system storage's folder, which must stay empty with a bucket configured."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def gold_documents(project, labels, curator) -> list[Document]:
    documents = []
    for number in range(3):
        document = Document.objects.create(
            project=project, title=f"Talks {number}", text=f"NATO envoy {number} said 🎉 talks."
        )
        gold_span_create(document=document, label=labels["actor"], start=0, end=4, curator=curator)
        gold_status_set(document=document, status=GoldStatus.GOLD)
        documents.append(document)
    return documents


def page_download_url(version: int = 1) -> str:
    return reverse("release-download", args=["talks", version])


def api_download_url(version: int = 1) -> str:
    return reverse("api-release-download", args=["talks", version])


def test_a_release_is_stored_in_the_bucket(s3_bucket, media_root, project, manager, gold_documents):
    release = release_create(project=project, author=manager)

    assert s3_bucket.keys() == [release.archive.name] == ["releases/talks-v1.zip"]
    stored = s3_bucket.read(release.archive.name)
    assert hashlib.sha256(stored).hexdigest() == release.archive_sha256
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        manifest = json.loads(archive.read("talks-v1/release.json"))
        for path, sha256 in manifest["files"].items():
            assert hashlib.sha256(archive.read(f"talks-v1/{path}")).hexdigest() == sha256
    assert not media_root.exists()


def test_a_release_that_is_not_stored_leaves_nothing_in_the_bucket(
    s3_bucket, project, manager, gold_documents
):
    def refuse(release: Release) -> None:
        raise RuntimeError("the job was taken from this worker")

    with pytest.raises(RuntimeError):
        release_create(project=project, author=manager, formats=["jsonl"], on_stored=refuse)

    assert s3_bucket.keys() == []
    assert not Release.objects.exists()


def test_a_name_already_in_the_bucket_is_kept_and_the_release_gets_another(
    s3_bucket, project, manager, gold_documents
):
    """A worker killed after storing its zip, before its transaction committed, leaves an
    object under the next version's name; the release that follows must not overwrite it
    (nor later delete it, were it not stored in the end)."""
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="releases/talks-v1.zip", Body=b"left")

    release = release_create(project=project, author=manager, formats=["jsonl"])

    assert release.archive.name != "releases/talks-v1.zip"
    assert s3_bucket.read("releases/talks-v1.zip") == b"left"
    assert hashlib.sha256(s3_bucket.read(release.archive.name)).hexdigest() == (
        release.archive_sha256
    )


def test_the_release_worker_stores_in_the_bucket(s3_bucket, project, curator, gold_documents):
    request_release(project=project, requested_by=curator, formats=["conll"])

    job = run_job(claim_next_job())

    assert job.status == ReleaseJobStatus.DONE
    assert s3_bucket.keys() == [job.release.archive.name]


@pytest.mark.parametrize("url", [page_download_url(), api_download_url()], ids=["page", "api"])
def test_downloads_stream_the_object_from_the_bucket(
    s3_bucket, client, project, curator, gold_documents, url
):
    release = release_create(project=project, author=curator)
    client.force_login(curator)

    response = client.get(url)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="talks-v1.zip"'
    body = b"".join(response.streaming_content)
    assert body == s3_bucket.read(release.archive.name)
    assert int(response["Content-Length"]) == len(body)


def test_a_large_archive_is_sent_in_bounded_memory(s3_bucket, client, project, curator):
    """django-storages' file object would copy the whole object into memory first."""
    size = 24 * 1024 * 1024
    content = os.urandom(size)
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="releases/talks-v1.zip", Body=content)
    Release.objects.create(
        project=project,
        version=1,
        author=curator,
        guidelines_version=1,
        archive="releases/talks-v1.zip",
        archive_sha256=hashlib.sha256(content).hexdigest(),
    )
    client.force_login(curator)
    del content
    digest = hashlib.sha256()
    # boto3 reads its S3 service description (megabytes) on the first call: not the download's.
    default_storage.exists("releases/talks-v1.zip")

    tracemalloc.start()
    try:
        response = client.get(page_download_url())
        for chunk in response.streaming_content:
            digest.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert digest.hexdigest() == Release.objects.get().archive_sha256
    assert peak < size / 3


def test_downloads_are_refused_before_the_bucket_is_asked(
    s3_bucket, client, project, manager, alice, charlie, gold_documents
):
    release_create(project=project, author=manager, formats=["jsonl"])

    client.force_login(alice)
    assert client.get(page_download_url()).status_code == 403
    assert client.get(api_download_url()).status_code == 403
    client.force_login(charlie)
    assert client.get(page_download_url()).status_code == 404
    assert client.get(api_download_url()).status_code == 404
    client.logout()
    assert client.get(page_download_url()).status_code == 302
    assert client.get(api_download_url()).status_code == 401


def test_presigned_downloads_redirect_to_a_short_lived_link(
    s3_bucket, s3_server, settings, client, project, curator, gold_documents
):
    settings.S3_PRESIGNED_DOWNLOAD_SECONDS = 60
    release = release_create(project=project, author=curator, formats=["jsonl", "conll"])
    client.force_login(curator)

    response = client.get(api_download_url())

    assert response.status_code == 302
    link = response["Location"]
    assert link.startswith(f"{s3_server}/{s3_bucket.name}/releases/talks-v1.zip?")
    assert parse_qs(urlsplit(link).query)["X-Amz-Expires"] == ["60"]
    fetched = httpx.get(link)
    assert fetched.status_code == 200
    assert fetched.content == s3_bucket.read(release.archive.name)
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="talks-v1.zip"'
    assert fetched.headers["Content-Type"] == "application/zip"


def test_presigned_downloads_keep_the_permission_checks(
    s3_bucket, settings, client, project, manager, alice, charlie, gold_documents
):
    settings.S3_PRESIGNED_DOWNLOAD_SECONDS = 60
    release_create(project=project, author=manager, formats=["jsonl"])

    client.force_login(alice)
    assert client.get(api_download_url()).status_code == 403
    client.force_login(charlie)
    assert client.get(page_download_url()).status_code == 404
    client.logout()
    assert client.get(api_download_url()).status_code == 401

"""Nothing lost silently: user meta on every export surface, and errors while a download
or a release is written.

Issue 11: a document whose meta had a ``source`` key (one of the JSONL writer's own
keys) made the API summary and the Export page a 500, cut the streamed download
short under a 200, and failed the release job without a reason. Our fields now sit
beside the user's meta, never inside it; and an error after a download has started
breaks the stream off, so the client never holds a truncated file it takes for whole.
"""

import io
import json
import logging
import random
import zipfile

import pytest
from django.urls import reverse

from annotator.annotation.spans import span_create
from annotator.curation.gold import gold_span_create, gold_status_set
from annotator.exports.release_jobs import claim_next_job, request_release, run_job
from annotator.models import Document, GoldStatus, ReleaseJobStatus

META = {"source": "Reuters", "split": "theirs", "span_annotators": ["x"], "desk": "Oslo"}
GOLD_QUERY = {"format": "jsonl", "source": "gold"}
WORDS = ["the", "minister", "said", "talks", "would", "resume", "after", "a", "draft", "treaty"]


@pytest.fixture
def wire_gold(project, labels, curator) -> list[Document]:
    """150 gold documents; the 103rd has a meta with our field names, as in the issue."""
    documents = []
    rng = random.Random(3)
    for number in range(150):
        text = f"Wire story {number} about NATO. " + " ".join(rng.choices(WORDS, k=1200))
        document = Document.objects.create(
            project=project,
            title=f"Wire {number}",
            text=text,
            metadata=META if number == 102 else {"desk": "Oslo"},
        )
        start = text.index("NATO")
        gold_span_create(
            document=document, label=labels["actor"], start=start, end=start + 4, curator=curator
        )
        gold_status_set(document=document, status=GoldStatus.GOLD)
        documents.append(document)
    return documents


def jsonl_records(data: bytes) -> dict[int, dict]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {
        record["id"]: record
        for name in archive.namelist()
        if name.endswith(".jsonl")
        for record in map(json.loads, archive.read(name).splitlines())
    }


def test_api_summary_shows_the_meta_whole(client, manager, wire_gold):
    client.force_login(manager)

    response = client.get("/api/v1/projects/talks/export/summary/", GOLD_QUERY)

    assert response.status_code == 200
    assert response.json()["documents"] == 150


def test_export_page_shows_its_default_jsonl_preview(client, manager, wire_gold):
    client.force_login(manager)

    response = client.get(reverse("export", args=["talks"]))

    assert response.status_code == 200
    assert "150 documents, 150 spans" in response.content.decode()


def test_the_whole_download_arrives_with_the_meta_whole(client, manager, wire_gold):
    client.force_login(manager)

    response = client.get("/api/v1/projects/talks/export/download/", GOLD_QUERY)

    assert response.status_code == 200
    records = jsonl_records(b"".join(response.streaming_content))
    assert len(records) == 150
    clashing = records[wire_gold[102].pk]
    assert clashing["meta"] == META
    assert clashing["source"] == "" and clashing["split"] in ("train", "validation", "test")


@pytest.mark.parametrize("formats", [["jsonl"], None])
def test_the_release_job_is_done_with_the_meta_whole(
    project, curator, wire_gold, settings, tmp_path, formats
):
    settings.MEDIA_ROOT = tmp_path / "media"
    request_release(project=project, requested_by=curator, formats=formats)

    job = run_job(claim_next_job())

    assert (job.status, job.message) == (ReleaseJobStatus.DONE, "")
    with job.release.archive.open("rb") as stream:
        archive = zipfile.ZipFile(io.BytesIO(stream.read()))
    records = {
        record["id"]: record
        for name in archive.namelist()
        if name.startswith("talks-v1/data/jsonl/")
        for record in map(json.loads, archive.read(name).splitlines())
    }
    assert records[wire_gold[102].pk]["meta"] == META


def refuse(monkeypatch, document: Document) -> None:
    """Make the JSON Lines writer refuse one document, as it would data it cannot write."""
    from annotator.exports import jsonl

    checked = jsonl.checked_spans

    def refusing(export_document, labels):
        if export_document.id == document.pk:
            raise ValueError(f"document {document.pk}: refused")
        return checked(export_document, labels)

    monkeypatch.setattr(jsonl, "checked_spans", refusing)


def test_an_error_after_the_download_started_breaks_the_stream_off(
    client, manager, wire_gold, monkeypatch, caplog
):
    refuse(monkeypatch, wire_gold[-1])
    client.force_login(manager)
    every_document_in_train = {"train": "1", "validation": "0", "test": "0"}

    response = client.get(
        "/api/v1/projects/talks/export/download/", GOLD_QUERY | every_document_in_train
    )

    assert response.status_code == 200
    received = bytearray()
    with (
        caplog.at_level(logging.ERROR, logger="annotator.exports.downloads"),
        pytest.raises(ValueError, match="refused"),
    ):
        for piece in response.streaming_content:
            received += piece
    assert received  # the first pieces were sent before the error
    assert "failed after it started" in caplog.text
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(bytes(received)))


def test_an_error_before_the_first_piece_is_an_ordinary_refusal(
    client, manager, wire_gold, monkeypatch
):
    refuse(monkeypatch, wire_gold[0])
    client.force_login(manager)
    query = GOLD_QUERY | {"train": "1", "validation": "0", "test": "0", "seed": "0"}

    api = client.get("/api/v1/projects/talks/export/download/", query)
    page = client.get(reverse("export-download", args=["talks"]), query)

    assert api.status_code == 400
    assert api.json() == {"detail": f"document {wire_gold[0].pk}: refused."}
    assert "Content-Disposition" not in api
    assert page.status_code == 400
    assert f"document {wire_gold[0].pk}: refused." in page.content.decode()


def test_a_release_whose_writer_refuses_the_data_fails_with_the_reason(
    project, curator, wire_gold, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    refuse(monkeypatch, wire_gold[5])
    request_release(project=project, requested_by=curator, formats=["conll", "jsonl"])

    job = run_job(claim_next_job())

    assert job.status == ReleaseJobStatus.FAILED
    assert job.message == (
        f"The doccano JSONL files could not be written: document {wire_gold[5].pk}: refused."
    )
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.zip"))


def test_annotator_spans_with_meta_too(client, manager, project, alice, labels):
    document = Document.objects.create(
        project=project, title="Wire", text="Wire story about NATO.", metadata={"source": "AP"}
    )
    span_create(document=document, annotator=alice, label=labels["actor"], start=17, end=21)
    client.force_login(manager)

    response = client.get(
        "/api/v1/projects/talks/export/download/", {"format": "jsonl", "source": "annotators"}
    )

    record = jsonl_records(b"".join(response.streaming_content))[document.pk]
    assert record["meta"] == {"source": "AP"} and record["span_annotators"] == ["alice"]

"""Releases of gold data: the zip, its card and manifest, reproducible checksums, write-once
rows, version numbers, storage, and who may request and download them.

The page and the API queue a release job; these tests run it as the release worker
would (the jobs themselves are tested in test_release_jobs.py)."""

import hashlib
import io
import json
import re
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.urls import reverse

from annotator.curation.gold import gold_span_create, gold_span_resize, gold_status_set
from annotator.exports import releases
from annotator.exports.formats import FORMATS
from annotator.exports.reader import ExportError
from annotator.exports.release_jobs import claim_next_job, run_job
from annotator.exports.releases import SPLIT_RULE, release_create
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split
from annotator.exports.zipstream import COMPRESSION_LEVEL
from annotator.models import (
    Document,
    GoldStatus,
    ProjectAgreement,
    Release,
    ReleaseJob,
    ReleaseJobStatus,
)

DATASHEET_SECTIONS = [
    "## Motivation",
    "## Composition",
    "## Collection process",
    "## Labelling and agreement",
    "## Uses",
    "## Distribution",
    "## Maintenance",
]


def split_files(name: str, split: str, document_ids: list[int]) -> set[str]:
    """The data files a release holds for one split of one format with these documents."""
    if name in ("jsonl", "doccano-entities"):
        return {f"data/{name}/{split}.jsonl"}
    if name == "conll":
        return {f"data/conll/{split}.conll"}
    if name == "w3c":
        return {f"data/w3c/{split}/annotations.jsonl", f"data/w3c/{split}/documents.jsonl"}
    if name == "brat":
        files = {f"data/brat/{split}/annotation.conf"}
        return files | {
            f"data/brat/{split}/{i}.{ext}" for i in document_ids for ext in ("txt", "ann")
        }
    if name == "spacy":
        return {f"data/spacy/{'dev' if split == 'validation' else split}/00000.spacy"}
    return {f"data/huggingface/{split}-00000-of-00001.parquet"}


def expected_data_files(formats, documents, seed: str = "0", ratios=None) -> set[str]:
    by_split: dict[str, list[int]] = {}
    for document in documents:
        by_split.setdefault(assign_split(document.pk, seed, ratios), []).append(document.pk)
    return {
        path
        for name in formats
        for split, ids in by_split.items()
        for path in split_files(name, split, ids)
    }


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def gold_documents(project, labels, curator, document) -> list[Document]:
    """Four gold documents (the emoji one included) with accepted gold spans."""
    documents = [document] + [
        Document.objects.create(
            project=project, title=f"Talks {n}", text=f"NATO envoy {n} said talks resume.\n"
        )
        for n in range(3)
    ]
    for item in documents:
        start = item.text.index("NATO")
        gold_span_create(
            document=item, label=labels["actor"], start=start, end=start + 4, curator=curator
        )
        start = item.text.index("said") if "said" in item.text else 0
        gold_span_create(
            document=item, label=labels["claim"], start=start, end=start + 4, curator=curator
        )
        gold_status_set(document=item, status=GoldStatus.GOLD)
    return documents


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def archive_of(release: Release) -> zipfile.ZipFile:
    with release.archive.open("rb") as stream:
        return zipfile.ZipFile(io.BytesIO(stream.read()))


def data_checksums(release: Release) -> dict[str, str]:
    return {path: sha for path, sha in release.files.items() if path.startswith("data/")}


def run_queued_job() -> ReleaseJob:
    """What the release worker does with the next queued job."""
    return run_job(claim_next_job())


def test_release_zip_holds_every_format_card_and_manifest(project, manager, gold_documents):
    ProjectAgreement.objects.create(
        project=project,
        documents=2,
        summary={
            "documents": 2,
            "annotators": ["alice", "bob"],
            "span_f1": {
                "exact": {"overall": {"micro": {"value": 0.75, "reason": None}, "labels": {}}}
            },
            "token": {},
            "unitized_alpha": {"overall": {"value": None, "reason": "no variation"}},
        },
    )

    release = release_create(project=project, author=manager, seed="7")

    archive = archive_of(release)
    names = archive.namelist()
    assert all(name.startswith("talks-v1/") for name in names)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
    relative = [name.removeprefix("talks-v1/") for name in names]
    # In the order written: each format's files together, formats in the order of
    # FORMATS, then the card and the manifest, made last.
    assert relative[-2:] == ["README.md", "release.json"]
    written = [path.split("/")[1] for path in relative[:-2]]
    assert written == sorted(written, key=list(FORMATS).index)
    # Compressed already: DocBin and Parquet are stored, everything else deflated.
    for info in archive.infolist():
        stored = info.filename.endswith((".spacy", ".parquet"))
        assert info.compress_type == (zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    # Every format a folder of files per split, brat's too: no zip inside the zip.
    assert {path for path in relative if path.startswith("data/")} == expected_data_files(
        FORMATS, gold_documents, seed="7"
    )
    manifest = json.loads(archive.read("talks-v1/release.json"))
    assert manifest["splits"]["documents"] == {
        split: sorted(d.pk for d in gold_documents if assign_split(d.pk, "7") == split)
        for split in SPLIT_NAMES
    }
    assert manifest["version"] == 1 and manifest["author"] == "mona"
    assert manifest["documents"] == sorted(d.pk for d in gold_documents)
    assert manifest["counts"]["labels"] == {"claim": 4, "threat": 0, "proposal": 0, "actor": 4}
    assert sum(manifest["counts"]["documents"].values()) == 4
    assert manifest["guidelines_version"] == project.guidelines_version
    assert manifest["agreement"]["span_f1"]["exact"]["overall"]["micro"]["value"] == 0.75
    assert set(manifest["formats"]) == set(FORMATS)
    # Every file but the manifest itself, with its sha256, as stored in the row.
    assert set(manifest["files"]) == set(relative) - {"release.json"}
    for path, sha256 in manifest["files"].items():
        assert hashlib.sha256(archive.read(f"talks-v1/{path}")).hexdigest() == sha256
    assert release.files == manifest["files"]
    assert release.document_ids == manifest["documents"]
    assert release.counts == manifest["counts"]
    with release.archive.open("rb") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == release.archive_sha256


def test_dataset_card_has_yaml_header_and_datasheet_sections(project, manager, gold_documents):
    release = release_create(project=project, author=manager, license="cc-by-4.0")

    card = archive_of(release).read("talks-v1/README.md").decode("utf-8")

    assert card.startswith("---\n")
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["license"] == "cc-by-4.0"
    assert header["language"] == ["en"]
    assert header["task_categories"] == ["token-classification"]
    assert header["size_categories"] == ["n<1K"]
    assert header["labels"] == ["claim", "threat", "proposal", "actor"]
    features = {f["name"]: f for f in header["dataset_info"]["features"]}
    assert features["ner_tags"]["sequence"]["class_label"]["names"] == {
        "0": "O",
        "1": "B-claim",
        "2": "I-claim",
        "3": "B-threat",
        "4": "I-threat",
        "5": "B-proposal",
        "6": "I-proposal",
    }
    data_files = header["configs"][0]["data_files"]
    assert all(entry["path"].startswith("data/huggingface/") for entry in data_files)
    positions = [card.index(section) for section in DATASHEET_SECTIONS]
    assert positions == sorted(positions)
    assert "No agreement figures were computed" in card
    assert "two releases of unchanged data have data files with the same SHA-256" in card


def test_license_defaults_to_other(project, manager, gold_documents):
    release = release_create(project=project, author=manager, formats=["jsonl"])

    card = archive_of(release).read("talks-v1/README.md").decode("utf-8")
    assert yaml.safe_load(card.split("---\n")[1])["license"] == "other"


def test_agreement_figures_undefined_give_their_reasons(project, manager, gold_documents):
    ProjectAgreement.objects.create(
        project=project,
        summary={
            "documents": 1,
            "annotators": ["alice"],
            "span_f1": {},
            "token": {
                "content": {
                    "cohen_kappa": {"mean": {"value": None, "reason": "fewer than two annotators"}},
                    "fleiss_kappa": {"value": 0.5, "reason": None},
                    "krippendorff_alpha": {"value": None, "reason": "no tokens"},
                }
            },
        },
    )

    release = release_create(project=project, author=manager, formats=["jsonl"])

    card = archive_of(release).read("talks-v1/README.md").decode("utf-8")
    assert "| Fleiss' kappa, content tokens | 0.500 |" in card
    assert "undefined (fewer than two annotators)" in card
    assert "| Krippendorff's alpha, content tokens | undefined (no tokens) |" in card


def test_two_releases_of_unchanged_data_have_the_same_data_checksums(
    project, manager, gold_documents
):
    first = release_create(project=project, author=manager)
    second = release_create(project=project, author=manager)

    assert (first.version, second.version) == (1, 2)
    assert data_checksums(first) == data_checksums(second)
    assert len(data_checksums(first)) >= len(FORMATS)
    # The card names the version and time, so it differs; the data files do not.
    assert first.files["README.md"] != second.files["README.md"]


def test_changing_one_gold_span_changes_the_checksums(project, manager, curator, gold_documents):
    first = release_create(project=project, author=manager)
    changed = gold_documents[1]
    gold_status_set(document=changed, status=GoldStatus.IN_PROGRESS)
    gold_span = changed.gold_spans.get(label__name="actor")
    gold_span_resize(
        gold_span=gold_span, start=gold_span.start, end=gold_span.end + 6, curator=curator
    )
    gold_status_set(document=changed, status=GoldStatus.GOLD)

    second = release_create(project=project, author=manager)

    before, after = data_checksums(first), data_checksums(second)
    split = assign_split(changed.pk, "0")
    changed_files = {
        f"data/jsonl/{split}.jsonl",
        f"data/doccano-entities/{split}.jsonl",
        f"data/conll/{split}.conll",
        f"data/w3c/{split}/annotations.jsonl",
        f"data/brat/{split}/{changed.pk}.ann",
        f"data/spacy/{'dev' if split == 'validation' else split}/00000.spacy",
        f"data/huggingface/{split}-00000-of-00001.parquet",
    }
    assert {path for path in before if before[path] != after.get(path)} == changed_files


def test_release_row_refuses_updates(project, manager, gold_documents):
    release = release_create(project=project, author=manager, formats=["jsonl"])

    with pytest.raises(DatabaseError), transaction.atomic():
        Release.objects.filter(pk=release.pk).update(version=99)
    with pytest.raises(DatabaseError), transaction.atomic():
        release.save()
    assert Release.objects.get(pk=release.pk).version == 1


def test_versions_increase_per_project(project, manager, gold_documents):
    versions = [
        release_create(project=project, author=manager, formats=["conll"]).version for _ in range(3)
    ]

    assert versions == [1, 2, 3]
    assert list(project.releases.values_list("version", flat=True)) == [3, 2, 1]


def test_a_release_stored_while_another_is_built_is_built_again_for_the_next_version(
    project, manager, gold_documents, media_root, monkeypatch
):
    """The zip's folder names the version: built for v1, it is built again for v2 when
    another release takes v1 meanwhile."""
    built_for = []
    write_formats = releases.write_formats

    def another_stored_meanwhile(archive, *args, **kwargs):
        built_for.append(archive.prefix)
        if len(built_for) == 1:
            release_create(project=project, author=manager, formats=["conll"])
        return write_formats(archive, *args, **kwargs)

    monkeypatch.setattr(releases, "write_formats", another_stored_meanwhile)

    release = release_create(project=project, author=manager, formats=["jsonl"])

    # Ours for v1, the other one's for v1, ours again for v2.
    assert built_for == ["talks-v1", "talks-v1", "talks-v2"]
    assert (release.version, release.formats) == (2, ["jsonl"])
    archive = archive_of(release)
    assert all(name.startswith("talks-v2/") for name in archive.namelist())
    assert json.loads(archive.read("talks-v2/release.json"))["version"] == 2
    assert list(project.releases.values_list("version", "formats")) == [
        (2, ["jsonl"]),
        (1, ["conll"]),
    ]
    assert sorted(stored_files(media_root)) == [
        media_root / "releases" / "talks-v1.zip",
        media_root / "releases" / "talks-v2.zip",
    ]


def test_a_release_that_loses_the_version_every_time_says_so_and_stores_nothing(
    project, manager, gold_documents, media_root, monkeypatch
):
    write_formats = releases.write_formats
    inner = []

    def another_stored_meanwhile(archive, *args, **kwargs):
        if not inner:  # the other release, built in here, is not raced itself
            inner.append(archive.prefix)
            try:
                release_create(project=project, author=manager, formats=["conll"])
            finally:
                inner.pop()
        return write_formats(archive, *args, **kwargs)

    monkeypatch.setattr(releases, "write_formats", another_stored_meanwhile)

    with pytest.raises(ExportError, match="stored while this one was built, 3 times"):
        release_create(project=project, author=manager, formats=["jsonl"])

    assert sorted(project.releases.values_list("formats", flat=True)) == [["conll"]] * 3


def test_a_release_writes_its_files_into_the_zip_not_into_a_folder(
    project, manager, gold_documents, tmp_path, monkeypatch
):
    """brat alone would be two files per document on disk; the zip is an unnamed
    temporary file, so only the gold spool is left to see when the release is stored."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    on_disk = []
    store = releases._store

    def looked_at_disk(*args):
        on_disk.extend(path.name for path in scratch.rglob("*") if path.is_file())
        return store(*args)

    monkeypatch.setattr(releases, "_store", looked_at_disk)

    release = release_create(project=project, author=manager)

    assert on_disk == ["gold.pickle"]
    assert sum(path.endswith((".txt", ".ann")) for path in release.files) == 2 * len(gold_documents)
    assert list(scratch.iterdir()) == []


def test_a_release_deflates_its_text_files_at_the_downloads_level(project, manager, gold_documents):
    release = release_create(project=project, author=manager, formats=["jsonl", "conll", "brat"])

    with release.archive.open("rb") as stream, zipfile.ZipFile(stream) as archive:
        deflated = [
            info for info in archive.infolist() if info.compress_type == zipfile.ZIP_DEFLATED
        ]
        sizes = {info.filename: info.compress_size for info in deflated}
        expected = {}
        for info in deflated:
            deflate = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
            data = archive.read(info)
            expected[info.filename] = len(deflate.compress(data) + deflate.flush())

    assert sizes == expected
    assert any(name.endswith(".conll") for name in sizes)


def test_archive_is_stored_under_media_root(project, manager, gold_documents, media_root):
    release = release_create(project=project, author=manager, formats=["jsonl", "brat"])

    assert release.archive.name == "releases/talks-v1.zip"
    assert stored_files(media_root) == [media_root / "releases" / "talks-v1.zip"]
    assert release.formats == ["jsonl", "brat"]


@pytest.mark.parametrize(
    ("formats", "message"),
    [(["xml"], "Unknown export format 'xml'"), ([], "Choose at least one format")],
)
def test_bad_formats_write_nothing(project, manager, gold_documents, media_root, formats, message):
    with pytest.raises(ExportError, match=message):
        release_create(project=project, author=manager, formats=formats)

    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_no_gold_documents_write_nothing(project, manager, document, media_root):
    with pytest.raises(ExportError, match="No document of this project is gold yet"):
        release_create(project=project, author=manager)

    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_splits_follow_seed_and_ratios(project, manager, gold_documents):
    release = release_create(
        project=project,
        author=manager,
        formats=["huggingface"],
        ratios=SplitRatios(1.0, 0.0, 0.0),
    )

    assert release.counts["documents"] == {"train": 4, "validation": 0, "test": 0}
    assert release.splits == {
        "seed": "0",
        "ratios": {"train": 1.0, "validation": 0.0, "test": 0.0},
        "rule": SPLIT_RULE,
    }
    # Only the train split has files (however the writer names or shards them).
    data_files = set(release.files) - {"README.md"}
    assert data_files and all(path.startswith("data/huggingface/train") for path in data_files)


# The HTML views.


def create_url() -> str:
    return reverse("release-create", args=["talks"])


def download_url(version: int = 1) -> str:
    return reverse("release-download", args=["talks", version])


@pytest.mark.parametrize("role", ["manager", "curator"])
def test_managers_and_curators_create_releases_on_the_page(client, request, role, gold_documents):
    user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.post(
        create_url(),
        {"formats": ["jsonl", "conll"], "train": "0.8"}
        | {"validation": "0.1", "test": "0.1", "seed": "0", "license": "cc-by-4.0"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("export", args=["talks"]) + "#releases"
    job = ReleaseJob.objects.get()
    assert (job.status, job.requested_by, job.formats) == ("queued", user, ["jsonl", "conll"])
    assert (job.license, job.documents_total) == ("cc-by-4.0", 4)
    assert not Release.objects.exists()
    assert run_queued_job().status == ReleaseJobStatus.DONE
    release = Release.objects.get()
    assert release.author == user and release.formats == ["jsonl", "conll"]
    page = client.get(reverse("export", args=["talks"])).content.decode()
    assert download_url(1) in page and "talks-v1.zip" in page


RELEASE_FORM = {"formats": ["jsonl"], "train": "0.8", "validation": "0.1", "test": "0.1"}
RELEASE_FORM |= {"seed": "0", "license": "other"}


def test_annotator_outsider_and_anonymous_cannot_create(
    client, alice, charlie, gold_documents, media_root
):
    client.force_login(alice)
    assert client.post(create_url(), RELEASE_FORM).status_code == 403
    client.force_login(charlie)
    assert client.post(create_url(), RELEASE_FORM).status_code == 404
    client.logout()
    response = client.post(create_url(), RELEASE_FORM)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not ReleaseJob.objects.exists()
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"formats": ["xml"]}, "Select a valid choice. xml is not one of the available choices."),
        ({"train": "0.5"}, "Split ratios must sum to 1"),
    ],
)
def test_bad_release_form_is_400_and_writes_nothing(
    client, manager, gold_documents, media_root, change, message
):
    client.force_login(manager)

    response = client.post(create_url(), RELEASE_FORM | change)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReleaseJob.objects.exists()
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_release_without_gold_is_400_on_the_page(client, manager, document, media_root):
    client.force_login(manager)

    response = client.post(create_url(), RELEASE_FORM)

    assert response.status_code == 400
    assert "No document of this project is gold yet" in response.content.decode()
    assert not ReleaseJob.objects.exists()
    assert stored_files(media_root) == []


def test_download_streams_the_stored_zip(client, manager, curator, gold_documents):
    release = release_create(project=manager.memberships.get().project, author=manager)
    with release.archive.open("rb") as stream:
        stored = stream.read()

    for user in (manager, curator):
        client.force_login(user)
        response = client.get(download_url())
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert 'filename="talks-v1.zip"' in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == stored


def test_download_refused_to_annotator_outsider_anonymous(
    client, project, manager, alice, charlie, gold_documents
):
    release_create(project=project, author=manager, formats=["jsonl"])

    client.force_login(alice)
    assert client.get(download_url()).status_code == 403
    client.force_login(charlie)
    assert client.get(download_url()).status_code == 404
    client.logout()
    response = client.get(download_url())
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(manager)
    assert client.get(download_url(2)).status_code == 404


# The API.


def api_list_url(slug: str = "talks") -> str:
    return reverse("api-releases", args=[slug])


def test_api_creates_lists_shows_and_downloads(client, project, curator, gold_documents):
    client.force_login(curator)

    requested = client.post(
        api_list_url(), {"formats": ["jsonl", "w3c"], "license": "cc0-1.0"}, "application/json"
    )

    assert requested.status_code == 202
    job = requested.json()
    assert (job["status"], job["formats"], job["release"]) == ("queued", ["jsonl", "w3c"], None)
    run_queued_job()
    job = client.get(job["url"]).json()
    assert job["status"] == "done"
    shown = client.get(job["release"])
    assert shown.status_code == 200
    body = shown.json()
    assert body["version"] == 1 and body["author"] == "cora"
    assert body["formats"] == ["jsonl", "w3c"]
    assert set(body["files"]) == {"README.md"} | expected_data_files(
        ["jsonl", "w3c"], gold_documents
    )
    listed = client.get(api_list_url()).json()
    assert [r["version"] for r in listed["results"]] == [1]
    detail = client.get(reverse("api-release", args=["talks", 1]))
    assert detail.status_code == 200
    assert detail.json()["document_ids"] == sorted(d.pk for d in gold_documents)
    download = client.get(body["download"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == body["archive_sha256"]


def test_api_manager_may_create(client, manager, gold_documents):
    client.force_login(manager)

    assert client.post(api_list_url(), {}, "application/json").status_code == 202
    assert ReleaseJob.objects.get().formats == list(FORMATS)
    run_queued_job()
    assert Release.objects.get().formats == list(FORMATS)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"formats": ["xml"]}, "formats", '"xml" is not a valid choice.'),
        ({"formats": []}, "formats", "This list may not be empty."),
        ({"train": 0.5}, "detail", "Split ratios must sum to 1"),
    ],
)
def test_api_bad_release_is_400_and_writes_nothing(
    client, manager, gold_documents, media_root, body, field, message
):
    client.force_login(manager)

    response = client.post(api_list_url(), body, "application/json")

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not ReleaseJob.objects.exists()
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_api_release_without_gold_is_400(client, manager, document, media_root):
    client.force_login(manager)

    response = client.post(api_list_url(), {}, "application/json")

    assert response.status_code == 400
    assert "No document of this project is gold yet" in response.json()["detail"]
    assert not ReleaseJob.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "url",
    [
        api_list_url,
        lambda: reverse("api-release", args=["talks", 1]),
        lambda: reverse("api-release-download", args=["talks", 1]),
    ],
)
def test_api_refuses_annotator_outsider_anonymous(
    client, project, manager, alice, charlie, gold_documents, url
):
    release_create(project=project, author=manager, formats=["jsonl"])

    client.force_login(alice)
    assert client.get(url()).status_code == 403
    client.force_login(charlie)
    assert client.get(url()).status_code == 404
    client.logout()
    assert client.get(url()).status_code in (401, 403)


def test_api_create_refused_to_annotator_outsider_anonymous(
    client, alice, charlie, gold_documents, media_root
):
    client.force_login(alice)
    assert client.post(api_list_url(), {}, "application/json").status_code == 403
    client.force_login(charlie)
    assert client.post(api_list_url(), {}, "application/json").status_code == 404
    client.logout()
    assert client.post(api_list_url(), {}, "application/json").status_code in (401, 403)
    assert not ReleaseJob.objects.exists()
    assert not Release.objects.exists()
    assert stored_files(media_root) == []


# The command.


def test_command_creates_a_release(manager, gold_documents, capsys):
    call_command(
        "create_release",
        "--project",
        "talks",
        "--author",
        "mona",
        "--format",
        "jsonl",
        "--format",
        "spacy",
        "--language",
        "en",
    )

    release = Release.objects.get()
    assert release.formats == ["jsonl", "spacy"]
    assert "Release 1 of talks: 4 documents" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--project", "talks", "--author", "mona", "--format", "xml"), "Unknown export format"),
        (("--project", "nope", "--author", "mona"), "No project with slug 'nope'"),
        (("--project", "talks", "--author", "nobody"), "No user 'nobody'"),
        (("--project", "talks", "--author", "mona", "--train", "0.5"), "must sum to 1"),
    ],
)
def test_command_refusals_write_nothing(manager, gold_documents, media_root, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_release", *arguments)

    assert not Release.objects.exists()
    assert stored_files(media_root) == []


def test_command_without_gold_writes_nothing(manager, document, media_root):
    with pytest.raises(CommandError, match="No document of this project is gold yet"):
        call_command("create_release", "--project", "talks", "--author", "mona")

    assert stored_files(media_root) == []


def test_export_page_ids_are_unique_with_the_release_form(client, manager, gold_documents):
    client.force_login(manager)

    content = client.get(reverse("export", args=["talks"])).content.decode()

    ids = re.findall(r'\sid="([^"]+)"', content)
    assert "id_release_train" in ids and "id_train" in ids
    assert len(ids) == len(set(ids))
    assert 'action="/projects/talks/releases/"' in content and "Create release" in content


def test_card_and_manifest_say_which_spans_each_format_left_out(
    project, manager, curator, labels, gold_documents
):
    odd = gold_documents[1]
    gold_status_set(document=odd, status=GoldStatus.IN_PROGRESS)
    start = odd.text.index("envoy")
    gold_span_create(
        document=odd, label=labels["threat"], start=start, end=start + 3, curator=curator
    )
    gold_status_set(document=odd, status=GoldStatus.GOLD)

    release = release_create(project=project, author=manager, formats=["conll", "jsonl"])

    archive = archive_of(release)
    manifest = json.loads(archive.read("talks-v1/release.json"))
    assert manifest["formats"]["conll"]["left_out"] == {
        "misaligned": {"claim": 0, "threat": 1, "proposal": 0, "actor": 0}
    }
    assert manifest["formats"]["jsonl"]["left_out"] == {}
    card = archive.read("talks-v1/README.md").decode("utf-8")
    assert (
        "- CoNLL, IOB2 tags left out 1 spans (1 threat): a boundary is not on a token edge "
        "(inside a word or on whitespace)." in card
    )


def test_card_and_manifest_list_relation_types_with_their_counts(
    project, manager, gold_documents, alice, labels
):
    from annotator.annotation.relations import relation_create
    from annotator.annotation.spans import span_create
    from annotator.projects.setup import add_default_relations

    add_default_relations(project)
    # Alice's relations are not gold: the release counts none of them.
    document = gold_documents[0]
    claim, _ = span_create(
        document=document, annotator=alice, label=labels["claim"], start=0, end=4
    )
    actor, _ = span_create(
        document=document, annotator=alice, label=labels["actor"], start=5, end=8
    )
    relation_create(
        relation_type=project.relation_types.get(name="claimant"),
        source=claim,
        target=actor,
        annotator=alice,
    )

    release = release_create(project=project, author=manager, formats=["jsonl"])

    archive = archive_of(release)
    manifest = json.loads(archive.read("talks-v1/release.json"))
    assert [(t["name"], t["relations"]) for t in manifest["relation_types"]] == [
        ("addressee", 0),
        ("claimant", 0),
    ]
    claimant = manifest["relation_types"][1]
    assert claimant["source_labels"] == ["claim", "threat", "proposal"]
    assert claimant["target_labels"] == ["actor"]
    assert {a["name"] for a in manifest["attributes"]} == {"stance"}
    card = archive.read("talks-v1/README.md").decode("utf-8")
    assert "| `claimant` | `claim`, `threat`, `proposal` | `actor` | yes | 0 |" in card
    assert "| `stance` | `claim` | support, oppose, neutral |" in card
    assert "This release holds no relations: no gold relation was accepted" in card


def test_a_card_without_relation_types_says_nothing_of_them(project, manager, gold_documents):
    release = release_create(project=project, author=manager, formats=["jsonl"])

    card = archive_of(release).read("talks-v1/README.md").decode("utf-8")
    body = card.split("---\n", 2)[2]
    assert "Relation types" not in body and "relations" not in body.split("## Uses")[0]

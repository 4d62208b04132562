"""The export API: counts and preview, and the streamed download; access and bad parameters."""

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User

from annotator.annotation.spans import span_create
from annotator.exports.records import LEFT_OUT_REASONS
from annotator.exports.splits import SplitRatios, assign_split
from annotator.models import Document, Project

QUERY = {"source": "annotators", "format": "jsonl"}


def summary_url(slug: str = "talks") -> str:
    return f"/api/v1/projects/{slug}/export/summary/"


def download_url(slug: str = "talks") -> str:
    return f"/api/v1/projects/{slug}/export/download/"


def preview_records(preview: str) -> list[dict]:
    """The records of a JSON Lines preview, whose files are headed ``== name ==``."""
    return [json.loads(line) for line in preview.splitlines() if line.startswith("{")]


def unzipped(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_summary_counts_and_preview(client, manager, alice_span, document):
    client.force_login(manager)

    response = client.get(summary_url(), QUERY)

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("format", "source", "documents", "spans")} == {
        "format": "jsonl",
        "source": "annotators",
        "documents": 1,
        "spans": 1,
    }
    assert body["spans_per_label"] == {"claim": 0, "threat": 0, "proposal": 0, "actor": 1}
    assert body["files"] == "train.jsonl, validation.jsonl, test.jsonl"
    assert body["left_out"] == {
        "spans": 0,
        "documents_counted": 1,
        "complete": True,
        "reasons": [],
        "still_in": "",
    }
    split = assign_split(document.pk)
    assert body["preview"].startswith(f"== {split}.jsonl ==\n")
    [record] = preview_records(body["preview"])
    assert record["text"] == document.text and record["label"] == [[18, 31, "actor"]]
    assert record["split"] == split


def test_summary_counts_spans_a_token_format_leaves_out(
    client, manager, project, alice, labels, document
):
    # "Lavro" ends inside a word; the claim holds the actor "NATO" and overlaps the threat.
    start = document.text.index("Sergey")
    span_create(
        document=document, annotator=alice, label=labels["actor"], start=start, end=start + 12
    )
    nato = document.text.index("NATO")
    span_create(document=document, annotator=alice, label=labels["actor"], start=nato, end=nato + 4)
    span_create(
        document=document, annotator=alice, label=labels["claim"], start=nato, end=nato + 14
    )
    span_create(
        document=document, annotator=alice, label=labels["threat"], start=nato + 10, end=nato + 25
    )
    client.force_login(manager)

    conll = client.get(summary_url(), QUERY | {"format": "conll"}).json()
    spacy = client.get(summary_url(), QUERY | {"format": "spacy"}).json()

    assert document.text[nato + 10 : nato + 25] == "meet in January"
    assert conll["left_out"]["spans"] == 2
    assert conll["left_out"]["reasons"] == [
        {"reason": "misaligned", "why": LEFT_OUT_REASONS["misaligned"], "labels": {"actor": 1}},
        {"reason": "overlapping", "why": LEFT_OUT_REASONS["overlapping"], "labels": {"threat": 1}},
    ]
    # A layer keeps the claim, which ends first; doc.ents takes every label at once and
    # keeps the actor, which ends first, then the threat: the claim goes.
    assert spacy["left_out"]["reasons"][1]["labels"] == {"claim": 1}
    assert "doc.spans['sc']" in spacy["left_out"]["still_in"]
    assert "(left out, " in spacy["preview"]


def test_preview_is_the_first_three_records(client, manager, project, alice_span):
    for n in range(5):
        Document.objects.create(project=project, title=f"D{n}", text=f"Text {n}.")
    client.force_login(manager)

    body = client.get(summary_url(), QUERY | {"format": "doccano-entities"}).json()

    assert body["documents"] == 6
    assert sorted(record["id"] for record in preview_records(body["preview"])) == list(
        project.documents.order_by("pk").values_list("pk", flat=True)[:3]
    )


def test_download_is_a_zip_of_the_split_files_and_a_report(client, manager, alice_span, document):
    client.force_login(manager)

    response = client.get(download_url(), QUERY | {"format": "w3c"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert 'filename="talks-annotators-w3c.zip"' in response["Content-Disposition"]
    split = assign_split(document.pk)
    archive = unzipped(response)
    assert archive.namelist() == [
        f"talks-annotators-w3c/{split}/documents.jsonl",
        f"talks-annotators-w3c/{split}/annotations.jsonl",
        "talks-annotators-w3c/export.json",
    ]
    [annotation] = [
        json.loads(line)
        for line in archive.read(f"talks-annotators-w3c/{split}/annotations.jsonl").splitlines()
    ]
    [text] = [
        json.loads(line)
        for line in archive.read(f"talks-annotators-w3c/{split}/documents.jsonl").splitlines()
    ]
    assert text["id"] == annotation["target"]["source"]
    position, quote = annotation["target"]["selector"]
    assert quote["exact"] == text["text"][position["start"] : position["end"]] == "Sergey Lavrov"
    report = json.loads(archive.read("talks-annotators-w3c/export.json"))
    assert report["splits"]["documents"] == {split: [document.pk]}
    assert (report["documents"], report["spans"], report["left_out"]) == (1, 1, {})


def test_download_honours_the_split_ratios(client, manager, project, alice_span):
    for n in range(30):
        Document.objects.create(project=project, title=f"D{n}", text=f"Text {n}.")
    client.force_login(manager)
    ratios = {"train": "0.5", "validation": "0", "test": "0.5", "seed": "s"}

    archive = unzipped(client.get(download_url(), QUERY | {"format": "conll"} | ratios))

    expected = {"train": [], "test": []}
    for pk in project.documents.order_by("pk").values_list("pk", flat=True):
        expected[assign_split(pk, "s", SplitRatios(0.5, 0, 0.5))].append(pk)
    for split, ids in expected.items():
        data = archive.read(f"talks-annotators-conll/{split}.conll").decode()
        assert [
            int(line.split("\t")[0].split()[1])
            for line in data.splitlines()
            if line.startswith("-DOCSTART-")
        ] == ids
    assert "talks-annotators-conll/validation.conll" not in archive.namelist()


def test_download_brat_zip(client, manager, alice_span, document):
    client.force_login(manager)

    response = client.get(download_url(), QUERY | {"format": "brat"})

    assert response.status_code == 200
    assert response.streaming
    folder = f"talks-annotators-brat/{assign_split(document.pk)}"
    with unzipped(response) as archive:
        assert archive.read(f"{folder}/{document.pk}.txt").decode("utf-8") == document.text
        ann = archive.read(f"{folder}/{document.pk}.ann").decode("utf-8")
        assert archive.read(f"{folder}/annotation.conf").startswith(b"[entities]\n")
    assert ann.startswith("T1\tactor 18 31\tSergey Lavrov\n")


def test_curator_may_export(client, curator, alice_span):
    client.force_login(curator)

    assert client.get(summary_url(), QUERY).status_code == 200
    assert client.get(download_url(), QUERY).status_code == 200


@pytest.mark.parametrize("url", [summary_url, download_url])
def test_annotator_is_forbidden(client, alice, alice_span, url):
    client.force_login(alice)

    response = client.get(url(), QUERY)

    assert response.status_code in (401, 403)
    assert b"Sergey" not in response.content


@pytest.mark.parametrize("url", [summary_url, download_url])
def test_outsider_gets_404(client, charlie, alice_span, url):
    client.force_login(charlie)

    assert client.get(url(), QUERY).status_code == 404


@pytest.mark.parametrize("url", [summary_url, download_url])
def test_anonymous_is_refused(client, alice_span, url):
    response = client.get(url(), QUERY)

    assert response.status_code in (401, 403)
    assert b"Sergey" not in response.content


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"format": "xml"}, "format", '"xml" is not a valid choice.'),
        ({"format": None}, "format", "This field is required."),
        ({"source": "everyone"}, "source", '"everyone" is not a valid choice.'),
        ({"source": "gold"}, "detail", "No document of this project is gold yet"),
        ({"source": None}, "detail", "No document of this project is gold yet"),
        ({"source": "annotator"}, "detail", "Choose the annotator"),
        ({"source": "annotator", "annotator": "charlie"}, "annotator", "is not a member"),
        ({"annotator": "bob"}, "detail", "only with the 'annotator' source"),
        ({"train": "0.7"}, "detail", "Split ratios must sum to 1"),
        ({"train": "2", "validation": "-1"}, "train", "less than or equal to 1"),
        ({"seed": "x" * 101}, "seed", "no more than 100 characters"),
    ],
)
@pytest.mark.parametrize("url", [summary_url, download_url])
def test_bad_parameters_are_400(
    client, manager, bob, charlie, alice_span, url, change, field, message
):
    client.force_login(manager)
    query = {key: value for key, value in (QUERY | change).items() if value is not None}

    response = client.get(url(), query)

    assert response.status_code == 400
    assert "Content-Disposition" not in response
    error = response.json()[field]
    assert message in (error if isinstance(error, str) else error[0])


def test_empty_selection_is_400(client, db):
    Project.objects.create(name="Empty", slug="empty")
    client.force_login(User.objects.create_superuser("root", password="password"))

    response = client.get(download_url("empty"), QUERY)

    assert response.status_code == 400
    assert response.json() == {"detail": "There are no documents to export in this selection."}

"""The export API: counts and preview, and the streamed download; access and bad parameters."""

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User

from annotator.models import Document, Project

QUERY = {"source": "annotators", "format": "jsonl"}


def summary_url(slug: str = "talks") -> str:
    return f"/api/v1/projects/{slug}/export/summary/"


def download_url(slug: str = "talks") -> str:
    return f"/api/v1/projects/{slug}/export/download/"


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
    record = json.loads(body["preview"])
    assert record["text"] == document.text and record["label"] == [[18, 31, "actor"]]


def test_preview_is_the_first_three_records(client, manager, project, alice_span):
    for n in range(5):
        Document.objects.create(project=project, title=f"D{n}", text=f"Text {n}.")
    client.force_login(manager)

    body = client.get(summary_url(), QUERY | {"format": "doccano-entities"}).json()

    assert body["documents"] == 6
    assert [json.loads(line)["id"] for line in body["preview"].splitlines()] == list(
        project.documents.order_by("pk").values_list("pk", flat=True)[:3]
    )


def test_download_streams_jsonl(client, manager, alice_span, document):
    client.force_login(manager)

    response = client.get(download_url(), QUERY | {"format": "w3c"})

    assert response.status_code == 200
    assert response.streaming
    assert 'filename="talks-annotators-w3c.jsonl"' in response["Content-Disposition"]
    [annotation] = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    position, quote = annotation["target"]["selector"]
    assert quote["exact"] == document.text[position["start"] : position["end"]] == "Sergey Lavrov"


def test_download_brat_zip(client, manager, alice_span, document):
    client.force_login(manager)

    response = client.get(download_url(), QUERY | {"format": "brat"})

    assert response.status_code == 200
    assert response.streaming
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.read(f"{document.pk}.txt").decode("utf-8") == document.text
        ann = archive.read(f"{document.pk}.ann").decode("utf-8")
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

"""The Export page and its download: managers and curators only; bad requests are 400."""

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from annotator.models import (
    Document,
    GoldOrigin,
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Project,
)

PAGE_QUERY = {"source": "annotators", "format": "jsonl", "train": "0.8", "validation": "0.1"}
PAGE_QUERY |= {"test": "0.1", "seed": "0"}


def page_url(slug: str = "talks") -> str:
    return reverse("export", args=[slug])


def download_url(slug: str = "talks") -> str:
    return reverse("export-download", args=[slug])


def test_manager_sees_counts_and_preview(client, manager, alice_span):
    client.force_login(manager)

    response = client.get(page_url(), PAGE_QUERY)

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" in content
    assert "1 document, 1 span" in content
    assert '<td>actor</td><td class="number">1</td>' in content
    assert '<td>claim</td><td class="number">0</td>' in content
    assert (
        "Sergey Lavrov" in content and "&quot;span_annotators&quot;: [&quot;alice&quot;]" in content
    )


def test_page_without_a_query_shows_the_gold_export(client, manager, alice_span, labels):
    document = alice_span.document
    GoldSpan.objects.create(
        document=document,
        label=labels["claim"],
        start=0,
        end=5,
        status=GoldSpanStatus.ACCEPTED,
        origin=GoldOrigin.CURATOR,
        guidelines_version=1,
    )
    Document.objects.filter(pk=document.pk).update(gold_status=GoldStatus.GOLD)
    client.force_login(manager)

    response = client.get(page_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert "1 document, 1 span" in content
    assert '<td>claim</td><td class="number">1</td>' in content
    assert "span_annotators" not in content


def test_page_without_gold_documents_says_why(client, manager, alice_span):
    client.force_login(manager)

    response = client.get(page_url())

    assert response.status_code == 200
    assert "No document of this project is gold yet" in response.content.decode()


def test_htmx_gets_the_summary_partial(client, manager, alice_span):
    client.force_login(manager)

    response = client.get(page_url(), PAGE_QUERY | {"format": "conll"}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content and content.strip().startswith('<section id="export-summary">')
    assert "Sergey\tB-actor\tO" in content


def test_htmx_shows_errors_in_the_partial(client, manager, alice_span):
    client.force_login(manager)

    response = client.get(page_url(), PAGE_QUERY | {"source": "gold"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "No document of this project is gold yet" in response.content.decode()


def test_curator_may_export(client, curator, alice_span):
    client.force_login(curator)

    assert client.get(page_url(), PAGE_QUERY).status_code == 200
    assert client.get(download_url(), PAGE_QUERY).status_code == 200


@pytest.mark.parametrize("url", [page_url, download_url])
def test_annotator_is_forbidden(client, alice, alice_span, url):
    client.force_login(alice)

    response = client.get(url(), PAGE_QUERY)

    assert response.status_code == 403
    assert b"Sergey" not in response.content


@pytest.mark.parametrize("url", [page_url, download_url])
def test_outsider_gets_404(client, charlie, alice_span, url):
    client.force_login(charlie)

    assert client.get(url(), PAGE_QUERY).status_code == 404


@pytest.mark.parametrize("url", [page_url, download_url])
def test_anonymous_is_sent_to_login(client, alice_span, url):
    response = client.get(url(), PAGE_QUERY)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_superuser_may_export(client, alice_span):
    client.force_login(User.objects.create_superuser("root", password="password"))

    assert client.get(download_url(), PAGE_QUERY).status_code == 200


def test_jsonl_download_streams(client, manager, document, alice_span, bob, labels):
    second = Document.objects.create(project=document.project, title="Second", text="NATO met.")
    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="talks-annotators-jsonl.jsonl"'
    records = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [r["id"] for r in records] == [document.pk, second.pk]
    [[start, end, label]] = records[0]["label"]
    assert (document.text[start:end], label) == ("Sergey Lavrov", "actor")
    assert records[1]["label"] == []


def test_entity_ids_run_across_streamed_batches(client, manager, project, alice, labels):
    from annotator.annotation.spans import span_create

    for n in range(150):  # more than one streamed batch of documents
        document = Document.objects.create(project=project, title=f"D{n}", text=f"NATO {n}.")
        span_create(document=document, annotator=alice, label=labels["actor"], start=0, end=4)
    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY | {"format": "doccano-entities"})

    lines = b"".join(response.streaming_content).splitlines()
    ids = [entity["id"] for line in lines for entity in json.loads(line)["entities"]]
    assert ids == list(range(1, 151))


def test_huggingface_download_is_a_zip_of_parquet_files(client, manager, project, alice_span):
    for n in range(30):
        Document.objects.create(project=project, title=f"D{n}", text=f"Filler {n}.")
    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY | {"format": "huggingface"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "talks-annotators-huggingface.zip" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
    assert set(names) == {
        "talks-annotators-huggingface/train-00000-of-00001.parquet",
        "talks-annotators-huggingface/validation-00000-of-00001.parquet",
        "talks-annotators-huggingface/test-00000-of-00001.parquet",
    }


def test_spacy_download_streams_a_zip_of_shards_spacy_reads(client, manager, project, alice_span):
    import spacy
    from spacy.tokens import DocBin

    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY | {"format": "spacy"})

    assert response.status_code == 200
    assert response.streaming
    assert "talks-annotators-spacy.zip" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.namelist() == ["talks-annotators-spacy/00000.spacy"]
        shard = archive.read("talks-annotators-spacy/00000.spacy")
    [doc] = DocBin().from_bytes(shard).get_docs(spacy.blank("en").vocab)
    assert [(span.text, span.label_) for span in doc.spans["sc"]] == [("Sergey Lavrov", "actor")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "xml"}, "Select a valid choice. xml is not one of the available choices."),
        ({"source": "everyone"}, "Select a valid choice. everyone is not one of the"),
        ({"source": "gold"}, "No document of this project is gold yet"),
        ({"source": "annotator"}, "Choose the annotator whose spans to export."),
        ({"source": "annotator", "annotator": "charlie"}, "Select a valid choice."),
        ({"train": "0.9"}, "Split ratios must sum to 1"),
        ({"train": "-0.1", "validation": "1.0"}, "greater than or equal to 0"),
    ],
)
def test_bad_download_requests_are_400(client, manager, charlie, alice_span, change, message):
    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY | change)

    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert message in response.content.decode()


def test_empty_selection_is_400(client, db):
    Project.objects.create(name="Empty", slug="empty")
    client.force_login(User.objects.create_superuser("root", password="password"))

    response = client.get(download_url("empty"), PAGE_QUERY)

    assert response.status_code == 400
    assert "There are no documents to export" in response.content.decode()


def test_one_annotators_spans(client, manager, alice_span, bob, document, labels):
    from annotator.annotation.spans import span_create

    span_create(document=document, annotator=bob, label=labels["claim"], start=0, end=5)
    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY | {"source": "annotator", "annotator": "bob"})

    [record] = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert record["label"] == [[0, 5, "claim"]]
    assert record["meta"]["span_annotators"] == ["bob"]


def test_user_text_is_escaped(client, manager, project, alice):
    Document.objects.create(project=project, title="<b>bold</b>", text="<script>x</script> here")
    alice.username = "<i>alice</i>"
    alice.save()
    client.force_login(manager)

    response = client.get(page_url(), PAGE_QUERY)

    content = response.content.decode()
    assert "<script>x</script>" not in content and "<b>bold</b>" not in content
    assert "&lt;script&gt;x&lt;/script&gt;" in content
    assert "<i>alice</i>" not in content and "&lt;i&gt;alice&lt;/i&gt;" in content

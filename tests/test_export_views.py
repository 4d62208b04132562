"""The Export page and its download: managers and curators only; bad requests are 400."""

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from annotator.exports.splits import assign_split
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


def unzipped(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def jsonl_records(archive: zipfile.ZipFile) -> list[dict]:
    """The records of every ``.jsonl`` file of a download, each split's file in turn."""
    return [
        json.loads(line)
        for name in archive.namelist()
        if name.endswith(".jsonl")
        for line in archive.read(name).splitlines()
    ]


def test_jsonl_download_streams(client, manager, document, alice_span, bob, labels):
    second = Document.objects.create(project=document.project, title="Second", text="NATO met.")
    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="talks-annotators-jsonl.zip"'
    archive = unzipped(response)
    records = {record["id"]: record for record in jsonl_records(archive)}
    assert set(records) == {document.pk, second.pk}
    for pk, record in records.items():
        assert record["split"] == assign_split(pk)
        assert f"talks-annotators-jsonl/{record['split']}.jsonl" in archive.namelist()
    [[start, end, label]] = records[document.pk]["label"]
    assert (document.text[start:end], label) == ("Sergey Lavrov", "actor")
    assert records[second.pk]["label"] == []


def test_entity_ids_run_across_streamed_batches(client, manager, project, alice, labels):
    from annotator.annotation.spans import span_create

    for n in range(150):  # more than one streamed batch of documents
        document = Document.objects.create(project=project, title=f"D{n}", text=f"NATO {n}.")
        span_create(document=document, annotator=alice, label=labels["actor"], start=0, end=4)
    client.force_login(manager)
    ratios = {"train": "1", "validation": "0", "test": "0"}

    response = client.get(download_url(), PAGE_QUERY | {"format": "doccano-entities"} | ratios)

    archive = unzipped(response)
    assert archive.namelist() == [
        "talks-annotators-doccano-entities/train.jsonl",
        "talks-annotators-doccano-entities/export.json",
    ]
    ids = [entity["id"] for record in jsonl_records(archive) for entity in record["entities"]]
    assert ids == list(range(1, 151))


def test_huggingface_download_is_a_zip_of_parquet_files(client, manager, project, alice_span):
    for n in range(30):
        Document.objects.create(project=project, title=f"D{n}", text=f"Filler {n}.")
    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY | {"format": "huggingface"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "talks-annotators-huggingface.zip" in response["Content-Disposition"]
    with unzipped(response) as archive:
        names = archive.namelist()
        report = json.loads(archive.read("talks-annotators-huggingface/export.json"))
    assert set(names) == {
        "talks-annotators-huggingface/train-00000-of-00001.parquet",
        "talks-annotators-huggingface/validation-00000-of-00001.parquet",
        "talks-annotators-huggingface/test-00000-of-00001.parquet",
        "talks-annotators-huggingface/export.json",
    }
    assert report["documents"] == 31
    assert sum(len(ids) for ids in report["splits"]["documents"].values()) == 31


def test_spacy_download_streams_a_zip_of_shards_spacy_reads(client, manager, project, alice_span):
    import spacy
    from spacy.tokens import DocBin

    client.force_login(manager)

    response = client.get(download_url(), PAGE_QUERY | {"format": "spacy"})

    assert response.status_code == 200
    assert response.streaming
    assert "talks-annotators-spacy.zip" in response["Content-Disposition"]
    split = assign_split(alice_span.document_id)
    folder = "dev" if split == "validation" else split
    with unzipped(response) as archive:
        assert archive.namelist() == [
            f"talks-annotators-spacy/{folder}/00000.spacy",
            "talks-annotators-spacy/export.json",
        ]
        shard = archive.read(f"talks-annotators-spacy/{folder}/00000.spacy")
    [doc] = DocBin().from_bytes(shard).get_docs(spacy.blank("en").vocab)
    assert [(span.text, span.label_) for span in doc.spans["sc"]] == [("Sergey Lavrov", "actor")]


def test_page_shows_the_spans_a_format_leaves_out_and_why(client, manager, document, alice, labels):
    from annotator.annotation.spans import span_create

    start = document.text.index("Sergey")
    span_create(
        document=document, annotator=alice, label=labels["actor"], start=start, end=start + 5
    )
    client.force_login(manager)

    response = client.get(page_url(), PAGE_QUERY | {"format": "conll"})

    content = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="left-out">Spans left out: 1</h2>' in content
    assert "a boundary is not on a token edge (inside a word or on whitespace)" in content
    assert "train.conll, validation.conll, test.conll" in content
    jsonl = client.get(page_url(), PAGE_QUERY).content.decode()
    assert '<h2 id="left-out">Spans left out: 0</h2>' in jsonl
    assert "doccano JSONL carries every span of this selection." in jsonl


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

    [record] = jsonl_records(unzipped(response))
    assert record["label"] == [[0, 5, "claim"]]
    assert record["span_annotators"] == ["bob"]


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

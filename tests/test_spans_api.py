"""The spans API: my spans only, per role; the same validation as the HTML view."""

import uuid

import pytest
from django.urls import reverse

from annotator.models import Assignment, Label, Project, Span

JSON = "application/json"


def _list_url(document) -> str:
    return reverse("api-spans", args=[document.pk])


def _detail_url(span) -> str:
    return reverse("api-span", args=[span.pk])


def _span_count(document, annotator) -> int:
    assignment = Assignment.objects.filter(document=document, annotator=annotator).first()
    return assignment.span_count if assignment else 0


def _nato(document, label) -> dict:
    start = document.text.find("NATO")
    return {"label": label.pk, "start": start, "end": start + 4, "text": "NATO"}


def test_owner_lists_her_spans(client, alice, alice_span, document, labels):
    client.force_login(alice)

    response = client.get(_list_url(document))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [span] = body["results"]
    assert span["id"] == alice_span.pk
    assert (span["label"], span["label_name"]) == (labels["actor"].pk, "actor")
    assert (span["start"], span["end"], span["text"]) == (18, 31, "Sergey Lavrov")
    assert span["client_id"] == str(alice_span.client_id)


def test_another_annotator_lists_none_of_alices_spans(client, alice_span, bob, document):
    client.force_login(bob)

    response = client.get(_list_url(document))

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


def test_create_answers_201_then_200_on_retry(client, alice, document, labels):
    client.force_login(alice)
    payload = {**_nato(document, labels["actor"]), "client_id": str(uuid.uuid4())}

    first = client.post(_list_url(document), payload, content_type=JSON)
    again = client.post(_list_url(document), payload, content_type=JSON)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] == Span.objects.get().pk
    assert (first.json()["start"], first.json()["end"], first.json()["text"]) == (39, 43, "NATO")
    assert first.json()["client_id"] == payload["client_id"]
    assert _span_count(document, alice) == 1


def test_create_trims_whitespace(client, alice, document, labels):
    client.force_login(alice)
    payload = {"label": labels["actor"].pk, "start": 17, "end": 32, "text": "\nSergey Lavrov "}

    response = client.post(_list_url(document), payload, content_type=JSON)

    assert response.status_code == 201
    assert (response.json()["start"], response.json()["end"]) == (18, 31)
    assert response.json()["text"] == "Sergey Lavrov"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start": -1}, "detail", "must not be negative"),
        ({"start": 43, "end": 39}, "detail", "greater than its start"),
        ({"end": 39}, "detail", "greater than its start"),
        ({"end": 10_000}, "detail", "past the end"),
        ({"start": "39"}, "start", "A JSON integer is required."),
        ({"start": 39.0}, "start", "A JSON integer is required."),
        ({"end": True}, "end", "A JSON integer is required."),
        ({"start": 16, "end": 18, "text": "\n\n"}, "detail", "whitespace only"),
        ({"client_id": "not-a-uuid"}, "client_id", "Must be a valid UUID."),
        ({"label": 999_999}, "label", "No such label in this document's project."),
    ],
    ids=[
        "negative",
        "reversed",
        "empty",
        "past-the-end",
        "string",
        "float",
        "bool",
        "whitespace",
        "bad-client-id",
        "unknown-label",
    ],
)
def test_bad_create_is_400_and_changes_nothing(
    client, alice, alice_span, document, labels, change, field, message
):
    client.force_login(alice)

    response = client.post(
        _list_url(document), {**_nato(document, labels["actor"]), **change}, content_type=JSON
    )

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_text_mismatch_returns_both_texts(client, alice, document, labels):
    client.force_login(alice)

    response = client.post(
        _list_url(document), {**_nato(document, labels["actor"]), "text": "OTAN"}, content_type=JSON
    )

    assert response.status_code == 400
    body = response.json()
    assert (body["sent"], body["stored"]) == ("OTAN", "NATO")
    assert "“OTAN” does not match the document, which has “NATO” there" in body["detail"]
    assert not Span.objects.exists()
    assert not Assignment.objects.exists()


def test_label_of_another_project_is_400(client, alice, document):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="actor", colour="#000000", hotkey="4")
    client.force_login(alice)

    response = client.post(_list_url(document), _nato(document, foreign), content_type=JSON)

    assert response.status_code == 400
    assert "label" in response.json()
    assert not Span.objects.exists()


def test_duplicate_is_400(client, alice, alice_span, document, labels):
    client.force_login(alice)
    payload = {"label": labels["actor"].pk, "start": 18, "end": 31, "text": "Sergey Lavrov"}

    response = client.post(_list_url(document), payload, content_type=JSON)

    assert response.status_code == 400
    assert "already have" in response.json()["detail"]
    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_client_id_of_another_users_span_is_400(client, alice_span, bob, document, labels):
    client.force_login(bob)
    payload = {**_nato(document, labels["actor"]), "client_id": str(alice_span.client_id)}

    response = client.post(_list_url(document), payload, content_type=JSON)

    assert response.status_code == 400
    assert "another span" in response.json()["detail"]
    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, bob) == 0


def test_owner_reads_relabels_and_deletes(client, alice, alice_span, document, labels):
    client.force_login(alice)

    read = client.get(_detail_url(alice_span))
    relabelled = client.patch(
        _detail_url(alice_span), {"label": labels["claim"].pk}, content_type=JSON
    )

    assert read.status_code == 200
    assert read.json()["text"] == "Sergey Lavrov"
    assert relabelled.status_code == 200
    assert relabelled.json()["label_name"] == "claim"
    alice_span.refresh_from_db()
    assert alice_span.label == labels["claim"]

    deleted = client.delete(_detail_url(alice_span))

    assert deleted.status_code == 204
    assert not Span.objects.exists()
    assert _span_count(document, alice) == 0


def test_relabel_to_a_label_of_another_project_is_400(client, alice, alice_span, labels):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="claim", colour="#000000", hotkey="1")
    client.force_login(alice)

    response = client.patch(_detail_url(alice_span), {"label": foreign.pk}, content_type=JSON)

    assert response.status_code == 400
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]


@pytest.mark.parametrize("username", ["bob", "charlie"])
def test_another_annotator_or_outsider_gets_404_on_alices_span(
    request, client, alice, alice_span, document, labels, username
):
    client.force_login(request.getfixturevalue(username))
    url = _detail_url(alice_span)

    responses = [
        client.get(url),
        client.patch(url, {"label": labels["claim"].pk}, content_type=JSON),
        client.delete(url),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404]
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]
    assert _span_count(document, alice) == 1


def test_outsider_gets_404_on_the_document(client, alice_span, charlie, document, labels):
    client.force_login(charlie)

    listed = client.get(_list_url(document))
    created = client.post(_list_url(document), _nato(document, labels["actor"]), content_type=JSON)

    assert (listed.status_code, created.status_code) == (404, 404)
    assert list(Span.objects.all()) == [alice_span]
    assert not Assignment.objects.filter(annotator=charlie).exists()


def test_anonymous_is_401(client, alice_span, document, labels):
    url = _detail_url(alice_span)

    responses = [
        client.get(_list_url(document)),
        client.post(_list_url(document), _nato(document, labels["actor"]), content_type=JSON),
        client.get(url),
        client.patch(url, {"label": labels["claim"].pk}, content_type=JSON),
        client.delete(url),
    ]

    assert [response.status_code for response in responses] == [401] * 5
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]
    assert Span.objects.count() == 1


def test_unsupported_methods_are_405(client, alice, alice_span, document, labels):
    client.force_login(alice)

    put = client.put(_detail_url(alice_span), {"label": labels["claim"].pk}, content_type=JSON)
    delete_all = client.delete(_list_url(document))

    assert (put.status_code, delete_all.status_code) == (405, 405)
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]
    assert Span.objects.count() == 1

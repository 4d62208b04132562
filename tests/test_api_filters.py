"""Query parameters: allow-listed filters and ordering, bounded pages; body and CSRF rules."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.api_tokens import token_create
from annotator.models import Document, GoldStatus, Span


@pytest.fixture
def manager_client(manager) -> APIClient:
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def documents(project, document) -> list[Document]:
    extra = [
        Document.objects.create(project=project, title=title, text=f"{title} text.")
        for title in ("Budget", "Ceasefire", "Accord")
    ]
    Document.objects.filter(pk=extra[0].pk).update(gold_status=GoldStatus.GOLD)
    return [document, *extra]


@pytest.mark.parametrize(
    "query",
    [
        {"annotator__password": "x"},
        {"project__memberships__user__password__startswith": "pbkdf2"},
        {"title__icontains": "a"},
        {"search": "a"},
        {"ordering": "annotator__password"},
        {"ordering": "text"},
        {"ordering": "title,-project__name"},
    ],
    ids=["relation", "deep-relation", "lookup", "unknown", "order-relation", "order-field", "mix"],
)
def test_unlisted_filters_and_orderings_are_400(manager_client, project, documents, query):
    response = manager_client.get(reverse("api-documents", args=[project.slug]), query)

    assert response.status_code == 400
    message = str(response.json())
    assert "not allowed" in message or "Unknown query parameter" in message
    if any("__" in key or "__" in value for key, value in query.items()):
        assert "relation lookups are not allowed" in message


def test_relation_walk_is_refused_on_every_list_endpoint(manager_client, project, document):
    urls = [
        reverse("api-projects"),
        reverse("api-labels", args=[project.slug]),
        reverse("api-documents", args=[project.slug]),
        reverse("api-assignments", args=[project.slug]),
        reverse("api-my-assignments"),
        reverse("api-agreement-documents", args=[project.slug]),
        reverse("api-spans", args=[document.pk]),
        reverse("api-gold-spans", args=[document.pk]),
    ]

    for url in urls:
        filtered = manager_client.get(url, {"annotator__password__startswith": "md5"})
        ordered = manager_client.get(url, {"ordering": "annotator__password"})
        assert (filtered.status_code, ordered.status_code) == (400, 400), url


def test_allowed_filters_and_ordering(manager_client, project, documents):
    url = reverse("api-documents", args=[project.slug])

    gold = manager_client.get(url, {"gold_status": "gold"})
    titled = manager_client.get(url, {"title": "CEASE"})
    ordered = manager_client.get(url, {"ordering": "-title"})

    assert [row["title"] for row in gold.json()["results"]] == ["Budget"]
    assert [row["title"] for row in titled.json()["results"]] == ["Ceasefire"]
    assert [row["title"] for row in ordered.json()["results"]] == [
        "Talks in January",
        "Ceasefire",
        "Budget",
        "Accord",
    ]


def test_bad_filter_value_is_400(manager_client, project, documents):
    response = manager_client.get(
        reverse("api-documents", args=[project.slug]), {"gold_status": "platinum"}
    )

    assert response.status_code == 400
    assert "gold_status" in response.json()


def test_page_size_is_bounded(manager_client, project):
    Document.objects.bulk_create(
        Document(project=project, title=f"d{number}", text=f"text {number}", text_sha256="x")
        for number in range(501)
    )
    url = reverse("api-documents", args=[project.slug])

    default = manager_client.get(url)
    too_large = manager_client.get(url, {"limit": 100_000})
    far = manager_client.get(url, {"offset": 10**30})

    assert (default.json()["count"], len(default.json()["results"])) == (501, 100)
    assert len(too_large.json()["results"]) == 500
    assert far.status_code == 200
    assert far.json()["results"] == []


# --------------------------------------------------------------------------- bodies


@pytest.mark.parametrize("field", ["annotator", "document"])
def test_span_body_may_not_name_annotator_or_document(project, document, labels, alice, bob, field):
    client = APIClient()
    client.force_authenticate(alice)
    other = Document.objects.create(project=project, title="Other", text="Other NATO text.")
    body = {"label": labels["actor"].pk, "start": 39, "end": 43, "text": "NATO"}
    body[field] = bob.pk if field == "annotator" else other.pk

    response = client.post(reverse("api-spans", args=[document.pk]), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Span.objects.exists()


# --------------------------------------------------------------------------- CSRF


def _nato(labels) -> dict:
    return {"label": labels["actor"].pk, "start": 39, "end": 43, "text": "NATO"}


def test_session_post_without_csrf_token_is_403(alice, document, labels):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("api-spans", args=[document.pk]), _nato(labels), format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Span.objects.exists()


def test_session_post_with_csrf_token_is_accepted(alice, document, labels):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("tokens"))
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        reverse("api-spans", args=[document.pk]),
        _nato(labels),
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )

    assert response.status_code == 201
    assert Span.objects.count() == 1


def test_token_requests_need_no_csrf_token(alice, document, labels):
    _, token = token_create(user=alice, name="script")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.post(reverse("api-spans", args=[document.pk]), _nato(labels), format="json")

    assert response.status_code == 201
    assert Span.objects.get().annotator == alice

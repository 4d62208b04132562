"""Deleting and relabelling a span: the services and the plain-form HTML views."""

import json

import pytest
from django.urls import reverse

from annotator.annotation.spans import SpanError, span_create, span_delete, span_relabel
from annotator.models import Assignment, Label, Project, Span


def _span_count(document, annotator) -> int:
    return Assignment.objects.get(document=document, annotator=annotator).span_count


# services


def test_delete_removes_the_span_and_its_count(alice, alice_span, document):
    span_delete(span=alice_span)

    assert not Span.objects.exists()
    assert _span_count(document, alice) == 0


def test_relabel_keeps_the_offsets(alice_span, labels):
    span_relabel(span=alice_span, label=labels["claim"])

    alice_span.refresh_from_db()
    assert alice_span.label == labels["claim"]
    assert (alice_span.start, alice_span.end) == (18, 31)


def test_relabel_to_a_label_of_another_project_is_refused(alice_span, labels):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="claim", colour="#000000", hotkey="1")

    with pytest.raises(SpanError, match="does not belong"):
        span_relabel(span=alice_span, label=foreign)

    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]


def test_relabel_onto_an_existing_span_is_refused(alice, alice_span, document, labels):
    claim, _ = span_create(
        document=document,
        annotator=alice,
        label=labels["claim"],
        start=alice_span.start,
        end=alice_span.end,
    )

    with pytest.raises(SpanError, match="already have"):
        span_relabel(span=claim, label=labels["actor"])

    claim.refresh_from_db()
    assert claim.label == labels["claim"]
    assert claim.label_id == labels["claim"].pk
    assert Span.objects.count() == 2
    assert _span_count(document, alice) == 2


# HTML views


def test_owner_deletes_with_a_plain_form_post_and_is_sent_back(
    client, alice, alice_span, document, project
):
    client.force_login(alice)

    response = client.post(reverse("span-delete", args=[alice_span.pk]))

    assert response.status_code == 302
    assert response.url == reverse("annotate", args=[project.slug, document.pk])
    assert not Span.objects.exists()
    assert _span_count(document, alice) == 0


def test_owner_deletes_with_htmx_and_gets_the_fragment(client, alice, alice_span, document):
    client.force_login(alice)

    response = client.post(
        reverse("span-delete", args=[alice_span.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert 'id="workspace"' in response.text
    event = json.loads(response["HX-Trigger"])["spanDeleted"]
    assert event == {
        "id": alice_span.pk,
        "label": alice_span.label_id,
        "start": 18,
        "end": 31,
        "text": "Sergey Lavrov",
    }
    assert not Span.objects.exists()


def test_owner_relabels_with_a_plain_form_post(client, alice, alice_span, document, labels):
    client.force_login(alice)

    response = client.post(
        reverse("span-relabel", args=[alice_span.pk]), {"label": labels["threat"].pk}
    )

    assert response.status_code == 302
    alice_span.refresh_from_db()
    assert alice_span.label == labels["threat"]
    assert _span_count(document, alice) == 1


def test_owner_relabels_with_htmx_and_gets_the_fragment(client, alice, alice_span, labels):
    client.force_login(alice)

    response = client.post(
        reverse("span-relabel", args=[alice_span.pk]),
        {"label": labels["claim"].pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert json.loads(response["HX-Trigger"]) == {
        "spanRelabeled": {
            "id": alice_span.pk,
            "label": labels["claim"].pk,
            "previous": labels["actor"].pk,
        }
    }
    alice_span.refresh_from_db()
    assert alice_span.label == labels["claim"]


def test_relabel_to_a_label_of_another_project_is_a_400(client, alice, alice_span, labels):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="claim", colour="#000000", hotkey="1")
    client.force_login(alice)

    response = client.post(reverse("span-relabel", args=[alice_span.pk]), {"label": foreign.pk})

    assert response.status_code == 400
    assert "Choose a label of this project." in response.text
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]


def test_relabel_to_a_label_that_is_not_a_number_is_a_400(client, alice, alice_span, labels):
    client.force_login(alice)

    response = client.post(reverse("span-relabel", args=[alice_span.pk]), {"label": "abc"})

    assert response.status_code == 400
    assert "Choose a label of this project." in response.text
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]


@pytest.mark.parametrize("url_name", ["span-delete", "span-relabel"])
@pytest.mark.parametrize("username", ["bob", "charlie"])
def test_another_annotator_or_an_outsider_gets_404(
    request, client, alice, alice_span, document, labels, url_name, username
):
    client.force_login(request.getfixturevalue(username))

    response = client.post(reverse(url_name, args=[alice_span.pk]), {"label": labels["claim"].pk})

    assert response.status_code == 404
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]
    assert Span.objects.count() == 1
    assert _span_count(document, alice) == 1


@pytest.mark.parametrize("url_name", ["span-delete", "span-relabel"])
def test_anonymous_is_sent_to_login(client, alice, alice_span, document, labels, url_name):
    url = reverse(url_name, args=[alice_span.pk])

    response = client.post(url, {"label": labels["claim"].pk})

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]
    assert _span_count(document, alice) == 1


@pytest.mark.parametrize("url_name", ["span-delete", "span-relabel"])
def test_get_on_a_write_url_is_405(client, alice, alice_span, document, url_name):
    client.force_login(alice)

    response = client.get(reverse(url_name, args=[alice_span.pk]))

    assert response.status_code == 405
    assert Span.objects.get() == alice_span
    assert _span_count(document, alice) == 1

"""The HTML pages: document list, annotate page, span create, mark done; per role."""

import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from annotator.models import Assignment, AssignmentStatus, Document, Label, Project, Span

HTMX = {"HX-Request": "true"}


def _annotate_url(document) -> str:
    return reverse("annotate", args=[document.project.slug, document.pk])


def _create_url(document) -> str:
    return reverse("span-create", args=[document.project.slug, document.pk])


def _status_url(document) -> str:
    return reverse("document-status", args=[document.project.slug, document.pk])


def _span_count(document, annotator) -> int:
    assignment = Assignment.objects.filter(document=document, annotator=annotator).first()
    return assignment.span_count if assignment else 0


def _nato(document, label) -> dict:
    start = document.text.find("NATO")
    return {"label": label.pk, "start": start, "end": start + 4, "text": "NATO"}


def _row(html: str, title: str) -> str:
    """The document list's table row for one document title."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if f">{title}</a>" in row]
    assert len(rows) == 1, rows
    return rows[0]


def _row_status_and_count(html: str, title: str) -> tuple[str, int]:
    row = _row(html, title)
    status = re.search(r'<span class="status [^"]+">([^<]+)</span>', row).group(1)
    count = int(re.search(r'<td class="number">(\d+)</td>', row).group(1))
    return status, count


# annotate page


def test_owner_gets_the_full_page_with_her_spans(client, alice, alice_span, document, labels):
    client.force_login(alice)

    response = client.get(_annotate_url(document))

    assert response.status_code == 200
    assert "<html" in response.text
    assert 'id="workspace"' in response.text
    assert f'<mark class="span label-{labels["actor"].pk}" data-span="{alice_span.pk}">' in (
        response.text
    )
    assert f'<li class="span-item" data-span="{alice_span.pk}">' in response.text
    assert "<q>Sergey Lavrov</q>" in response.text
    for label in labels.values():
        assert f'data-hotkey="{label.hotkey}"' in response.text


def test_htmx_request_gets_only_the_workspace(client, alice, alice_span, document):
    client.force_login(alice)

    response = client.get(_annotate_url(document), headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<body" not in response.text
    assert response.text.strip().startswith('<div id="workspace"')
    assert f'data-span="{alice_span.pk}"' in response.text


def test_another_annotator_sees_none_of_alices_spans(client, alice_span, bob, document):
    client.force_login(bob)

    response = client.get(_annotate_url(document))

    assert response.status_code == 200
    assert f'data-span="{alice_span.pk}"' not in response.text
    assert "<mark" not in response.text
    assert "No spans yet." in response.text


@pytest.mark.parametrize(
    "url_name", ["document-list", "guidelines", "annotate", "span-create", "document-status"]
)
def test_outsider_gets_404_everywhere(client, alice_span, charlie, document, labels, url_name):
    client.force_login(charlie)
    args = [document.project.slug] if url_name in ("document-list", "guidelines") else None
    url = reverse(url_name, args=args or [document.project.slug, document.pk])

    if url_name in ("span-create", "document-status"):
        response = client.post(url, {**_nato(document, labels["actor"]), "status": "done"})
    else:
        response = client.get(url)

    assert response.status_code == 404
    assert list(Span.objects.all()) == [alice_span]
    assert not Assignment.objects.filter(annotator=charlie).exists()


def test_outsider_does_not_see_the_project_in_the_list(client, charlie, project):
    client.force_login(charlie)

    response = client.get(reverse("project-list"))

    assert response.status_code == 200
    assert "Other" in response.text
    assert project.name not in response.text


@pytest.mark.parametrize("url_name", ["project-list", "document-list", "guidelines", "annotate"])
def test_anonymous_is_sent_to_login_for_pages(client, document, url_name):
    args = {
        "project-list": [],
        "document-list": [document.project.slug],
        "guidelines": [document.project.slug],
        "annotate": [document.project.slug, document.pk],
    }[url_name]
    url = reverse(url_name, args=args)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("url_name", ["span-create", "document-status"])
def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, document, labels, url_name):
    url = reverse(url_name, args=[document.project.slug, document.pk])

    response = client.post(url, {**_nato(document, labels["actor"]), "status": "done"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Span.objects.exists()
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("url_name", ["span-create", "document-status"])
def test_get_on_a_write_url_is_405(client, alice, document, url_name):
    client.force_login(alice)

    response = client.get(reverse(url_name, args=[document.project.slug, document.pk]))

    assert response.status_code == 405
    assert not Span.objects.exists()
    assert not Assignment.objects.exists()


# creating spans through the HTML view


def test_htmx_create_returns_the_fragment_and_an_event(client, alice, document, labels):
    client.force_login(alice)

    response = client.post(_create_url(document), _nato(document, labels["actor"]), headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    span = Span.objects.get()
    assert (span.annotator, span.label, span.start, span.end) == (alice, labels["actor"], 39, 43)
    assert json.loads(response["HX-Trigger"]) == {
        "spanCreated": {"id": span.pk, "label": labels["actor"].pk, "created": True}
    }
    assert f'data-span="{span.pk}"' in response.text
    assert _span_count(document, alice) == 1


def test_plain_form_create_redirects_back(client, alice, document, labels):
    client.force_login(alice)

    response = client.post(_create_url(document), _nato(document, labels["actor"]))

    assert response.status_code == 302
    assert response.url == _annotate_url(document)
    assert Span.objects.get().label == labels["actor"]
    assert _span_count(document, alice) == 1


def test_retried_create_with_the_same_client_id_is_stored_once(client, alice, document, labels):
    client.force_login(alice)
    form = {**_nato(document, labels["actor"]), "client_id": str(uuid.uuid4())}

    first = client.post(_create_url(document), form, headers=HTMX)
    again = client.post(_create_url(document), form, headers=HTMX)

    assert (first.status_code, again.status_code) == (200, 200)
    span = Span.objects.get()
    assert json.loads(first["HX-Trigger"])["spanCreated"] == {
        "id": span.pk,
        "label": labels["actor"].pk,
        "created": True,
    }
    assert json.loads(again["HX-Trigger"])["spanCreated"]["created"] is False
    assert json.loads(again["HX-Trigger"])["spanCreated"]["id"] == span.pk
    assert _span_count(document, alice) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": -1}, "must not be negative"),
        ({"start": 43, "end": 39}, "greater than its start"),
        ({"end": 39}, "greater than its start"),
        ({"end": 10_000}, "past the end"),
        ({"start": "abc"}, "must be an integer"),
        ({"start": "39.0"}, "must be an integer"),
        ({"text": "OTAN"}, "“OTAN” does not match the document, which has “NATO” there"),
        ({"start": 16, "end": 18, "text": "\n\n"}, "whitespace only"),
        ({"label": 999_999}, "Choose a label of this project."),
        ({"label": "abc"}, "Choose a label of this project."),
        ({"client_id": "not-a-uuid"}, "client_id must be a UUID."),
    ],
    ids=[
        "negative",
        "reversed",
        "empty",
        "past-the-end",
        "not-a-number",
        "float",
        "text-mismatch",
        "whitespace",
        "unknown-label",
        "label-not-a-number",
        "bad-client-id",
    ],
)
def test_bad_create_is_a_400_page_and_changes_nothing(
    client, alice, alice_span, document, labels, change, message
):
    client.force_login(alice)

    response = client.post(_create_url(document), {**_nato(document, labels["actor"]), **change})

    assert response.status_code == 400
    assert "The span was not saved" in response.text
    assert message in response.text
    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_bad_htmx_create_is_a_plain_text_400(client, alice, document, labels):
    client.force_login(alice)
    form = {**_nato(document, labels["actor"]), "text": "OTAN"}

    response = client.post(_create_url(document), form, headers=HTMX)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "“OTAN” does not match the document, which has “NATO” there" in response.text
    assert not Span.objects.exists()
    assert not Assignment.objects.exists()


def test_label_of_another_project_is_refused(client, alice, document, labels):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")
    foreign = Label.objects.create(project=other, name="actor", colour="#000000", hotkey="4")
    client.force_login(alice)

    response = client.post(_create_url(document), _nato(document, foreign))

    assert response.status_code == 400
    assert "Choose a label of this project." in response.text
    assert not Span.objects.exists()


def test_duplicate_create_is_refused(client, alice, alice_span, document, labels):
    client.force_login(alice)
    form = {"label": labels["actor"].pk, "start": 18, "end": 31, "text": "Sergey Lavrov"}

    response = client.post(_create_url(document), form)

    assert response.status_code == 400
    assert "already have" in response.text
    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, alice) == 1


def test_client_id_of_another_users_span_is_refused(client, alice_span, bob, document, labels):
    client.force_login(bob)
    form = {**_nato(document, labels["actor"]), "client_id": str(alice_span.client_id)}

    response = client.post(_create_url(document), form)

    assert response.status_code == 400
    assert "another span" in response.text
    assert list(Span.objects.all()) == [alice_span]
    assert _span_count(document, bob) == 0


# document list, submit and skip


def test_document_list_shows_status_and_span_count_per_annotator(
    client, alice, bob, document, project, labels
):
    untouched = Document.objects.create(project=project, title="Quiet day", text="Nothing.")
    client.force_login(alice)
    client.post(_create_url(document), _nato(document, labels["actor"]))
    client.post(
        _create_url(document),
        {"label": labels["claim"].pk, "start": 18, "end": 31, "text": "Sergey Lavrov"},
    )

    listing = client.get(reverse("document-list", args=[project.slug]))

    assert listing.status_code == 200
    assert _row_status_and_count(listing.text, document.title) == ("In progress", 2)
    assert _row_status_and_count(listing.text, untouched.title) == ("Not started", 0)
    client.force_login(bob)
    bobs = client.get(reverse("document-list", args=[project.slug]))
    assert _row_status_and_count(bobs.text, document.title) == ("Not started", 0)


def test_submit_shows_in_the_document_list_and_the_page_is_read_only(
    client, alice, alice_span, document, project
):
    client.force_login(alice)

    response = client.post(_status_url(document), {"status": "submitted"})

    assert response.status_code == 302
    assert response.url == _annotate_url(document)
    assignment = Assignment.objects.get(document=document, annotator=alice)
    assert (assignment.status, assignment.span_count) == (AssignmentStatus.SUBMITTED, 1)
    assert assignment.submitted is not None
    listing = client.get(reverse("document-list", args=[project.slug]))
    assert _row_status_and_count(listing.text, document.title) == ("Submitted", 1)
    page = client.get(_annotate_url(document))
    assert '<span class="status status-submitted">Submitted</span>' in page.text
    assert "Read-only unless a curator reopens it." in page.text
    assert 'id="submit-document"' not in page.text


def test_submit_with_htmx_returns_the_workspace(client, alice, document):
    client.force_login(alice)

    response = client.post(_status_url(document), {"status": "submitted"}, headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert json.loads(response["HX-Trigger"]) == {"statusChanged": {"status": "submitted"}}
    assert "Read-only" in response.text
    assert Assignment.objects.get(annotator=alice).status == AssignmentStatus.SUBMITTED


def test_skip_needs_a_reason_and_records_it(client, alice, alice_span, document):
    client.force_login(alice)

    refused = client.post(_status_url(document), {"status": "skipped", "reason": "  "})
    assert refused.status_code == 400
    assert Assignment.objects.get(annotator=alice).status == AssignmentStatus.IN_PROGRESS

    response = client.post(_status_url(document), {"status": "skipped", "reason": "Off topic"})

    assert response.status_code == 302
    assignment = Assignment.objects.get(annotator=alice)
    assert (assignment.status, assignment.skip_reason) == (AssignmentStatus.SKIPPED, "Off topic")


# Behaviour changed with assignments: an annotator can no longer reopen her own
# submitted document (a curator does, on the adjudication page).
def test_annotator_cannot_reopen_a_submitted_document(client, alice, alice_span, document):
    client.force_login(alice)
    client.post(_status_url(document), {"status": "submitted"})

    response = client.post(_status_url(document), {"status": "in_progress"})

    assert response.status_code == 400
    assert Assignment.objects.get(annotator=alice).status == AssignmentStatus.SUBMITTED


@pytest.mark.parametrize("status", ["assigned", "in_progress", "done", "finished", ""])
def test_a_status_an_annotator_cannot_set_is_refused(client, alice, alice_span, document, status):
    client.force_login(alice)

    response = client.post(_status_url(document), {"status": status})

    assert response.status_code == 400
    assignment = Assignment.objects.get(annotator=alice)
    assert (assignment.status, assignment.span_count) == (AssignmentStatus.IN_PROGRESS, 1)


def test_submitting_does_not_touch_another_annotators_status(client, alice, bob, document):
    client.force_login(bob)

    client.post(_status_url(document), {"status": "submitted"})

    assert Assignment.objects.get(annotator=bob).status == AssignmentStatus.SUBMITTED
    assert not Assignment.objects.filter(annotator=alice).exists()


# CSRF


def test_posts_without_a_csrf_token_are_403(alice, document, labels):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    form = _nato(document, labels["actor"])
    api_url = reverse("api-spans", args=[document.pk])

    html = strict.post(_create_url(document), form)
    api = strict.post(api_url, form, content_type="application/json")

    assert html.status_code == 403
    assert api.status_code == 403
    assert not Span.objects.exists()
    assert not Assignment.objects.exists()

    strict.get(_annotate_url(document))  # sets the csrftoken cookie
    token = strict.cookies["csrftoken"].value
    accepted = strict.post(_create_url(document), form, headers={"X-CSRFToken": token})
    assert accepted.status_code == 302
    assert Span.objects.count() == 1

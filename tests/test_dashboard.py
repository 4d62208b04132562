"""The dashboard: stored agreement refreshed on submit and reopen, roles, query counts."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.annotation.assignments import assignment_reopen, assignment_submit
from annotator.annotation.spans import span_create
from annotator.curation.agreement_refresh import project_agreement_rebuild
from annotator.models import (
    Assignment,
    AssignmentStatus,
    Document,
    DocumentAgreement,
    Membership,
    ProjectAgreement,
    Role,
    Span,
)


def _span(document, annotator, label, phrase):
    start = document.text.find(phrase)
    span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(phrase)
    )


@pytest.fixture
def two_submitted(document, alice, bob, labels):
    _span(document, alice, labels["actor"], "Sergey Lavrov")
    _span(document, bob, labels["actor"], "Sergey Lavrov")
    _span(document, alice, labels["actor"], "NATO")
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    return document


def test_submitting_the_second_assignment_stores_document_and_project_agreement(
    document, alice, bob, labels
):
    _span(document, alice, labels["actor"], "Sergey Lavrov")
    _span(document, bob, labels["actor"], "Sergey Lavrov")
    assignment_submit(document=document, annotator=alice)
    assert not DocumentAgreement.objects.exists()

    assignment_submit(document=document, annotator=bob)

    stored = DocumentAgreement.objects.get()
    assert (stored.annotators, stored.score) == (2, 1.0)
    assert ProjectAgreement.objects.get().documents == 1


def test_reopening_removes_the_document_from_the_project_figures(two_submitted, alice):
    stored = DocumentAgreement.objects.get()
    assert stored.score == pytest.approx(2 / 3)

    assignment_reopen(assignment=Assignment.objects.get(annotator=alice))

    assert not DocumentAgreement.objects.exists()
    project_row = ProjectAgreement.objects.get()
    assert (project_row.documents, project_row.summary) == (0, None)


def test_manager_and_curator_see_the_dashboard(client, two_submitted, manager, alice, bob):
    curator = User.objects.create_user("cleo")
    Membership.objects.create(project=two_submitted.project, user=curator, role=Role.CURATOR)
    url = reverse("dashboard", args=[two_submitted.project.slug])

    for user in (manager, curator):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert "0.667" in response.text  # exact span F1 of the one document
        assert reverse("adjudicate", args=["talks", two_submitted.pk]) in response.text
        assert "<svg" in response.text and "style=" not in response.text
    assert ">alice</text>" in response.text and ">bob</text>" in response.text
    assert "Assignments and distribution" not in response.text  # curator: no manager link


def test_dashboard_by_role(client, two_submitted, alice, charlie):
    url = reverse("dashboard", args=[two_submitted.project.slug])

    client.force_login(alice)
    annotator = client.get(url)
    client.force_login(charlie)
    outsider = client.get(url)
    client.logout()
    anonymous = client.get(url)

    assert (annotator.status_code, outsider.status_code, anonymous.status_code) == (403, 404, 302)


def test_dashboard_escapes_usernames(client, project, manager, document, labels):
    evil = "<b>eve</b>"
    users = []
    for name in (evil, "zed"):
        user = User.objects.create_user(name)
        Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
        _span(document, user, labels["actor"], "NATO")
        assignment_submit(document=document, annotator=user)
        users.append(user)
    client.force_login(manager)

    response = client.get(reverse("dashboard", args=[project.slug]))

    assert evil not in response.text
    assert "&lt;b&gt;eve&lt;/b&gt;" in response.text


def _project_documents(project, annotators, labels, count: int, spans_each: int) -> None:
    words = " ".join(f"word{i:03d}" for i in range(250))
    label_cycle = list(labels.values())
    for number in range(count):
        document = Document.objects.create(project=project, title=f"D{number}", text=words)
        for offset, annotator in enumerate(annotators):
            Span.objects.bulk_create(
                Span(
                    document=document,
                    annotator=annotator,
                    label=label_cycle[(i + offset) % len(label_cycle)],
                    start=i * 8,
                    end=i * 8 + 7,
                )
                for i in range(spans_each)
            )
            Assignment.objects.create(
                document=document, annotator=annotator, status=AssignmentStatus.SUBMITTED
            )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_dashboard_queries_do_not_grow_with_documents_or_spans(
    client, project, alice, bob, manager, labels
):
    url = reverse("dashboard", args=[project.slug])
    client.force_login(manager)
    _project_documents(project, [alice, bob], labels, 1, 2)
    project_agreement_rebuild(project=project)
    small = _queries(client, url)

    _project_documents(project, [alice, bob], labels, 30, 40)
    project_agreement_rebuild(project=project)
    large = _queries(client, url)

    assert small == large
    assert ProjectAgreement.objects.get().documents == 31


def test_a_status_changed_in_the_admin_refreshes_the_agreement(
    client, document, alice, bob, labels
):
    _span(document, alice, labels["actor"], "NATO")
    _span(document, bob, labels["actor"], "NATO")
    assignment_submit(document=document, annotator=alice)
    bobs = Assignment.objects.get(annotator=bob)
    client.force_login(User.objects.create_superuser("root", password="password"))

    response = client.post(
        reverse("admin:annotator_assignment_change", args=[bobs.pk]),
        {"document": document.pk, "annotator": bob.pk, "status": "submitted", "skip_reason": ""},
    )

    assert response.status_code == 302
    assert DocumentAgreement.objects.get(document=document).score == 1.0

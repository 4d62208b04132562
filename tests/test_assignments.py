"""Assignments: distribution, eligibility, submit / skip / reopen, the queue, the manager page."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse

from annotator.annotation.assignments import (
    AssignmentError,
    assignment_reopen,
    assignment_submit,
    assignments_distribute,
    plan_distribution,
)
from annotator.annotation.spans import SpanError, span_create, span_delete, span_relabel
from annotator.models import (
    Assignment,
    AssignmentStatus,
    Document,
    Membership,
    Project,
    Role,
    Span,
)

# the pure plan


def test_plan_is_balanced_and_fills_every_document():
    planned = plan_distribution(
        document_ids=range(1, 11), pool=[7, 3, 5], per_document=2, existing={}
    )

    per_document = {}
    load = {3: 0, 5: 0, 7: 0}
    for document_id, annotator_id in planned:
        per_document.setdefault(document_id, set()).add(annotator_id)
        load[annotator_id] += 1
    assert all(len(annotators) == 2 for annotators in per_document.values())
    assert len(per_document) == 10
    assert max(load.values()) - min(load.values()) <= 1
    assert sum(load.values()) == 20


def test_plan_is_deterministic_whatever_the_input_order():
    first = plan_distribution(document_ids=[3, 1, 2], pool=[9, 8], per_document=1, existing={})
    again = plan_distribution(document_ids=[1, 2, 3], pool=[8, 9], per_document=1, existing={})

    assert first == again == [(1, 8), (2, 9), (3, 8)]


def test_plan_counts_existing_assignments_and_only_fills_gaps():
    planned = plan_distribution(
        document_ids=[1, 2], pool=[1, 2, 3], per_document=2, existing={1: [1, 2], 2: [1]}
    )

    assert planned == [(2, 3)]


def test_plan_with_a_pool_smaller_than_the_quota_gives_everyone():
    planned = plan_distribution(document_ids=[1], pool=[4], per_document=3, existing={})

    assert planned == [(1, 4)]


# the service


@pytest.fixture
def pool(project) -> list[User]:
    users = []
    for name in ("ann1", "ann2", "ann3"):
        user = User.objects.create_user(name)
        Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
        users.append(user)
    return users


@pytest.fixture
def documents(project) -> list[Document]:
    return [
        Document.objects.create(project=project, title=f"Article {i}", text=f"Text number {i}.")
        for i in range(6)
    ]


def test_distribute_assigns_two_per_document_and_requires_assignments(
    project, pool, documents, manager
):
    created = assignments_distribute(project=project)

    assert created == 12
    project.refresh_from_db()
    assert project.assignment_required
    loads = [Assignment.objects.filter(annotator=user).count() for user in pool]
    assert loads == [4, 4, 4]
    assert not Assignment.objects.filter(annotator=manager).exists()
    assert set(Assignment.objects.values_list("status", flat=True)) == {AssignmentStatus.ASSIGNED}
    assert assignments_distribute(project=project) == 0


def test_distribute_leaves_out_annotators_outside_the_pool(project, pool, documents):
    Membership.objects.filter(user=pool[2]).update(in_pool=False)

    assignments_distribute(project=project)

    assert not Assignment.objects.filter(annotator=pool[2]).exists()
    assert Assignment.objects.count() == 12


def test_distribute_with_an_empty_pool_is_refused_and_changes_nothing(project, documents):
    with pytest.raises(AssignmentError, match="pool is empty"):
        assignments_distribute(project=project)

    assert not Assignment.objects.exists()
    project.refresh_from_db()
    assert not project.assignment_required


# eligibility and read-only after submit


def _nato(document) -> dict:
    start = document.text.find("NATO")
    return {"start": start, "end": start + 4}


def test_unassigned_annotator_cannot_write_once_assignments_are_required(
    project, alice, document, labels
):
    project.assignment_required = True
    project.save()

    with pytest.raises(SpanError, match="not assigned to you"):
        span_create(document=document, annotator=alice, label=labels["actor"], **_nato(document))

    assert not Span.objects.exists()
    assert not Assignment.objects.exists()


def test_assigned_annotator_writes_and_status_moves_to_in_progress(
    project, alice, document, labels
):
    Assignment.objects.create(document=document, annotator=alice)
    project.assignment_required = True
    project.save()

    span_create(document=document, annotator=alice, label=labels["actor"], **_nato(document))

    assignment = Assignment.objects.get()
    assert (assignment.status, assignment.span_count) == (AssignmentStatus.IN_PROGRESS, 1)


def test_submitted_spans_are_read_only_until_a_curator_reopens(alice, alice_span, labels):
    document = alice_span.document
    assignment_submit(document=document, annotator=alice)

    with pytest.raises(SpanError, match="submitted this document"):
        span_create(document=document, annotator=alice, label=labels["claim"], **_nato(document))
    with pytest.raises(SpanError, match="submitted"):
        span_delete(span=alice_span)
    with pytest.raises(SpanError, match="submitted"):
        span_relabel(span=alice_span, label=labels["claim"])
    alice_span.refresh_from_db()
    assert alice_span.label == labels["actor"]
    assert Span.objects.count() == 1

    assignment_reopen(assignment=Assignment.objects.get())

    span_relabel(span=alice_span, label=labels["claim"])
    assert Assignment.objects.get().status == AssignmentStatus.IN_PROGRESS


def test_submitting_twice_is_refused(alice, alice_span):
    assignment_submit(document=alice_span.document, annotator=alice)

    with pytest.raises(AssignmentError, match="submitted"):
        assignment_submit(document=alice_span.document, annotator=alice)


def test_reopening_a_skipped_assignment_clears_the_reason(alice, document):
    assignment = Assignment.objects.create(
        document=document, annotator=alice, status=AssignmentStatus.SKIPPED, skip_reason="Dup"
    )

    assignment_reopen(assignment=assignment)

    assignment.refresh_from_db()
    assert (assignment.status, assignment.skip_reason) == (AssignmentStatus.IN_PROGRESS, "")


def test_a_skip_without_reason_is_refused_by_the_database(alice, document):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            document=document, annotator=alice, status=AssignmentStatus.SKIPPED
        )


def test_deleting_a_submitted_span_is_refused_in_html_and_api(client, alice, alice_span):
    assignment_submit(document=alice_span.document, annotator=alice)
    client.force_login(alice)

    page = client.post(reverse("span-delete", args=[alice_span.pk]))
    api = client.delete(reverse("api-span", args=[alice_span.pk]))

    assert (page.status_code, api.status_code) == (400, 400)
    assert "submitted this document" in api.json()["detail"]
    assert Span.objects.filter(pk=alice_span.pk).exists()


# the queue


def test_queue_shows_only_my_assignments_and_next_opens_the_next_unfinished(
    client, project, alice, bob, labels
):
    first, second, third, foreign = (
        Document.objects.create(project=project, title=f"Doc {i}", text=f"Doc {i} text")
        for i in range(4)
    )
    Assignment.objects.create(document=first, annotator=alice, status=AssignmentStatus.SUBMITTED)
    Assignment.objects.create(document=second, annotator=alice)
    Assignment.objects.create(document=third, annotator=alice)
    Assignment.objects.create(document=foreign, annotator=bob)
    project.assignment_required = True
    project.save()
    client.force_login(alice)

    listing = client.get(reverse("document-list", args=[project.slug]))
    page = client.get(reverse("annotate", args=[project.slug, second.pk]))
    refused = client.get(reverse("annotate", args=[project.slug, foreign.pk]))

    assert listing.status_code == 200
    assert [d.title for d in listing.context["documents"]] == ["Doc 0", "Doc 1", "Doc 2"]
    assert "Doc 3" not in listing.text
    next_url = reverse("annotate", args=[project.slug, second.pk])
    assert f'href="{next_url}" id="next-unfinished"' in listing.text
    assert page.context["next_id"] == third.pk
    assert page.context["previous_id"] == first.pk
    assert refused.status_code == 403


# the manager page


def test_manager_sets_the_pool_and_distributes(client, project, manager, pool, documents):
    client.force_login(manager)

    saved = client.post(
        reverse("assignments", args=[project.slug]),
        {"annotators_per_document": "1", "pool": [str(pool[0].pk), str(pool[1].pk)]},
    )
    distributed = client.post(reverse("assignments-distribute", args=[project.slug]))

    assert (saved.status_code, distributed.status_code) == (302, 302)
    project.refresh_from_db()
    assert project.annotators_per_document == 1
    assert list(Membership.objects.filter(in_pool=False).values_list("user", flat=True)) == [
        pool[2].pk
    ]
    assert Assignment.objects.filter(annotator=pool[0]).count() == 3
    assert Assignment.objects.filter(annotator=pool[1]).count() == 3
    page = client.get(reverse("assignments", args=[project.slug]))
    assert page.status_code == 200
    assert "Created 6 assignments." in page.text


def test_bad_annotators_per_document_is_refused_and_changes_nothing(client, project, manager):
    client.force_login(manager)

    response = client.post(
        reverse("assignments", args=[project.slug]), {"annotators_per_document": "0"}
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.annotators_per_document == 2


@pytest.mark.parametrize("url_name", ["assignments", "assignments-distribute"])
def test_assignment_pages_by_role(client, project, alice, charlie, url_name):
    curator = User.objects.create_user("cleo")
    Membership.objects.create(project=project, user=curator, role=Role.CURATOR)
    url = reverse(url_name, args=[project.slug])
    method = client.post if url_name == "assignments-distribute" else client.get

    responses = {}
    for name, user in (("annotator", alice), ("curator", curator), ("outsider", charlie)):
        client.force_login(user)
        responses[name] = method(url).status_code
    client.logout()
    responses["anonymous"] = method(url).status_code

    assert responses == {"annotator": 403, "curator": 403, "outsider": 404, "anonymous": 302}
    assert not Assignment.objects.exists()


def test_hand_assignment_in_the_admin_requires_assignments(client, project, alice, document):
    admin = User.objects.create_superuser("root", password="password")
    client.force_login(admin)

    response = client.post(
        reverse("admin:annotator_assignment_add"),
        {"document": document.pk, "annotator": alice.pk, "status": "assigned", "skip_reason": ""},
    )

    assert response.status_code == 302
    assert Assignment.objects.filter(document=document, annotator=alice).exists()
    assert Project.objects.get(pk=project.pk).assignment_required


def test_hand_assignment_of_a_non_member_is_refused(client, project, charlie, document):
    admin = User.objects.create_superuser("root", password="password")
    client.force_login(admin)

    response = client.post(
        reverse("admin:annotator_assignment_add"),
        {"document": document.pk, "annotator": charlie.pk, "status": "assigned", "skip_reason": ""},
    )

    assert response.status_code == 200
    assert "is not a member" in response.text
    assert not Assignment.objects.exists()


def test_curator_document_list_shows_every_document_with_its_adjudication(
    client, project, alice, document
):
    curator = User.objects.create_user("cleo")
    Membership.objects.create(project=project, user=curator, role=Role.CURATOR)
    Assignment.objects.create(document=document, annotator=alice)
    project.assignment_required = True
    project.save()
    client.force_login(curator)

    response = client.get(reverse("document-list", args=[project.slug]))

    assert response.status_code == 200
    adjudicate_url = reverse("adjudicate", args=[project.slug, document.pk])
    assert f'<a href="{adjudicate_url}">{document.title}</a>' in response.text
    assert reverse("dashboard", args=[project.slug]) in response.text

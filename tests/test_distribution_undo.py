"""A manager's *Distribute* can be undone until an annotator starts: exactly its assignments go."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from annotator.annotation.assignments import (
    AssignmentError,
    assignment_create,
    assignments_distribute,
    distribution_undo,
    undoable_distribution,
)
from annotator.annotation.spans import span_create
from annotator.models import Assignment, Distribution, Document, Membership, Project, Role


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
        for i in range(4)
    ]


def _assignments() -> set[tuple[int, int]]:
    return set(Assignment.objects.values_list("document_id", "annotator_id"))


def _required(project: Project) -> bool:
    return Project.objects.get(pk=project.pk).assignment_required


def test_undo_removes_the_assignments_and_opens_the_project_again(
    project, pool, documents, manager
):
    assignments_distribute(project=project, by=manager)
    distribution = Distribution.objects.get()
    assert distribution.created_by == manager

    removed = distribution_undo(project=project, distribution_id=distribution.pk)

    assert removed == 8
    assert not Assignment.objects.exists()
    assert not Distribution.objects.exists()
    assert not _required(project)


def test_undo_of_a_second_distribution_keeps_the_first(project, pool, documents):
    assignments_distribute(project=project)
    first = _assignments()
    Document.objects.create(project=project, title="Late", text="A late article.")
    assignments_distribute(project=project)
    second = Distribution.objects.latest("pk")

    removed = distribution_undo(project=project, distribution_id=second.pk)

    assert removed == 2
    assert _assignments() == first
    assert _required(project)


def test_assignments_made_by_hand_stay_and_keep_the_project_closed(project, pool, documents, alice):
    assignments_distribute(project=project)
    assignment_create(document=documents[0], annotator=alice)

    distribution_undo(project=project, distribution_id=Distribution.objects.get().pk)

    assert _assignments() == {(documents[0].pk, alice.pk)}
    assert _required(project)


def test_undo_is_refused_once_an_annotator_has_started(project, pool, documents, labels):
    assignments_distribute(project=project)
    started = Assignment.objects.order_by("pk").first()
    span_create(
        document=started.document,
        annotator=started.annotator,
        label=labels["claim"],
        start=0,
        end=4,
    )
    before = _assignments()
    distribution = Distribution.objects.get()

    with pytest.raises(AssignmentError) as refused:
        distribution_undo(project=project, distribution_id=distribution.pk)

    assert str(refused.value) == (
        "Annotators have started 1 of the documents this distribution assigned, "
        "so it cannot be undone."
    )
    assert _assignments() == before
    assert Distribution.objects.filter(pk=distribution.pk).exists()
    assert undoable_distribution(project) is None


@pytest.mark.parametrize("value", [None, "abc", 10**30, -1])
def test_an_unknown_distribution_is_refused(project, pool, documents, value):
    assignments_distribute(project=project)
    before = _assignments()

    with pytest.raises(AssignmentError, match="no such distribution"):
        distribution_undo(project=project, distribution_id=value)

    assert _assignments() == before


def test_another_projects_distribution_is_refused(project, pool, documents, charlie):
    other = Project.objects.get(slug="other")
    assignments_distribute(project=project)

    with pytest.raises(AssignmentError, match="no such distribution"):
        distribution_undo(project=other, distribution_id=Distribution.objects.get().pk)

    assert Assignment.objects.count() == 8


def test_a_distribution_that_assigns_nothing_leaves_nothing_to_undo(project, documents):
    Membership.objects.create(
        project=project, user=User.objects.create_user("solo"), role=Role.ANNOTATOR
    )
    assignments_distribute(project=project)
    undoable = undoable_distribution(project)
    assert undoable.assignment_count == 4

    assert assignments_distribute(project=project) == 0

    assert Distribution.objects.count() == 1


# --------------------------------------------------------------------------- the page


def test_the_page_offers_undo_after_distributing_and_undoes(
    client, project, manager, pool, documents
):
    client.force_login(manager)

    client.post(reverse("assignments-distribute", args=[project.slug]))
    page = client.get(reverse("assignments", args=[project.slug])).content.decode()
    undone = client.post(
        reverse("assignments-distribute-undo", args=[project.slug]),
        {"distribution": Distribution.objects.get().pk},
    )
    after = client.get(reverse("assignments", args=[project.slug])).content.decode()

    assert 'id="undo-distribution"' in page
    assert "Removes the 8 assignments it made" in page
    assert undone.status_code == 302
    assert not Assignment.objects.exists()
    assert "Distribution undone: removed 8 assignments." in after
    assert 'id="undo-distribution"' not in after


def test_the_page_shows_a_refused_undo(client, project, manager, pool, documents, labels):
    assignments_distribute(project=project)
    distribution = Distribution.objects.get()
    started = Assignment.objects.order_by("pk").first()
    span_create(
        document=started.document,
        annotator=started.annotator,
        label=labels["claim"],
        start=0,
        end=4,
    )
    client.force_login(manager)

    response = client.post(
        reverse("assignments-distribute-undo", args=[project.slug]),
        {"distribution": distribution.pk},
        follow=True,
    )

    assert "cannot be undone" in response.content.decode()
    assert 'id="undo-distribution"' not in response.content.decode()
    assert Assignment.objects.count() == 8


def test_undo_by_role(client, project, pool, documents, alice, curator, charlie):
    assignments_distribute(project=project)
    url = reverse("assignments-distribute-undo", args=[project.slug])
    form = {"distribution": Distribution.objects.get().pk}

    responses = {}
    for name, user in (("annotator", alice), ("curator", curator), ("outsider", charlie)):
        client.force_login(user)
        responses[name] = client.post(url, form).status_code
    client.logout()
    responses["anonymous"] = client.post(url, form).status_code

    assert responses == {"annotator": 403, "curator": 403, "outsider": 404, "anonymous": 302}
    assert Assignment.objects.count() == 8

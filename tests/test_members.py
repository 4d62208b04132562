"""A manager adds existing users to a project, sets their role and pool, and removes them.

A project keeps at least one manager; removing a member withdraws the assignments
they have not started.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from annotator.annotation.assignments import assignment_create
from annotator.models import Assignment, Membership, Role


def _memberships() -> list:
    return list(
        Membership.objects.order_by("pk").values_list(
            "pk", "project_id", "user_id", "role", "in_pool"
        )
    )


def test_the_manager_adds_an_existing_user_as_curator(client, project, manager):
    newcomer = User.objects.create_user("nadia", password="password")
    client.force_login(manager)

    response = client.post(
        reverse("members", args=[project.slug]), {"username": "Nadia", "role": "curator"}
    )

    assert response.status_code == 302
    assert Membership.objects.get(project=project, user=newcomer).role == Role.CURATOR


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "nobody", "role": "annotator"}, "No user is called &#x27;nobody&#x27;"),
        ({"username": "alice", "role": "annotator"}, "alice is already a member of Talks"),
        ({"username": "charlie", "role": "owner"}, "Select a valid choice"),
    ],
)
def test_a_bad_addition_is_a_400_and_changes_nothing(
    client, project, manager, alice, charlie, data, message
):
    client.force_login(manager)
    before = _memberships()

    response = client.post(reverse("members", args=[project.slug]), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _memberships() == before


def test_the_manager_sets_a_role_and_takes_an_annotator_out_of_the_pool(
    client, project, manager, alice
):
    membership = Membership.objects.get(user=alice)
    client.force_login(manager)

    response = client.post(
        reverse("member-edit", args=[project.slug, membership.pk]), {"role": "annotator"}
    )

    membership.refresh_from_db()
    assert response.status_code == 302
    assert (membership.role, membership.in_pool) == (Role.ANNOTATOR, False)


def test_the_last_manager_cannot_be_demoted(client, project, manager):
    membership = Membership.objects.get(user=manager)
    client.force_login(manager)
    before = _memberships()

    response = client.post(
        reverse("member-edit", args=[project.slug, membership.pk]), {"role": "curator"}
    )

    assert response.status_code == 400
    assert "mona is the last manager of this project" in response.content.decode()
    assert _memberships() == before


def test_the_last_manager_cannot_be_removed(client, project, manager):
    membership = Membership.objects.get(user=manager)
    client.force_login(manager)
    before = _memberships()

    response = client.post(reverse("member-remove", args=[project.slug, membership.pk]))

    assert response.status_code == 400
    assert "last manager" in response.content.decode()
    assert _memberships() == before


def test_a_manager_may_leave_when_another_remains(client, project, manager, curator):
    Membership.objects.filter(user=curator).update(role=Role.MANAGER)
    client.force_login(manager)

    response = client.post(
        reverse("member-remove", args=[project.slug, Membership.objects.get(user=manager).pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("project-list")
    assert not Membership.objects.filter(user=manager).exists()


def test_removing_an_annotator_withdraws_only_unstarted_assignments(
    client, project, manager, alice, alice_span, document
):
    untouched = project.documents.create(title="Later", text="A later article.")
    assignment_create(document=untouched, annotator=alice)
    client.force_login(manager)

    response = client.post(
        reverse("member-remove", args=[project.slug, Membership.objects.get(user=alice).pk]),
        follow=True,
    )

    assert response.status_code == 200
    assert "Removed alice. 1 unstarted assignment withdrawn." in response.content.decode()
    assert list(
        Assignment.objects.filter(annotator=alice).values_list("document_id", flat=True)
    ) == [document.pk]
    assert not Membership.objects.filter(user=alice).exists()


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("cora", 403), ("charlie", 404)])
def test_only_managers_change_members(
    client, project, manager, alice, curator, charlie, who, status
):
    User.objects.create_user("nadia", password="password")
    target = Membership.objects.get(user=manager).pk
    client.force_login(User.objects.get(username=who))
    before = _memberships()

    responses = [
        client.get(reverse("members", args=[project.slug])),
        client.post(
            reverse("members", args=[project.slug]), {"username": "nadia", "role": "manager"}
        ),
        client.post(reverse("member-edit", args=[project.slug, target]), {"role": "annotator"}),
        client.post(reverse("member-remove", args=[project.slug, target])),
    ]

    assert [response.status_code for response in responses] == [status] * 4
    assert _memberships() == before


def test_another_projects_membership_is_not_found(client, project, manager, charlie):
    client.force_login(manager)
    before = _memberships()

    response = client.post(
        reverse("member-remove", args=[project.slug, Membership.objects.get(user=charlie).pk])
    )

    assert response.status_code == 404
    assert _memberships() == before


def test_usernames_are_escaped(client, project, manager):
    hostile = User.objects.create_user("<b>x</b>", password="password")
    Membership.objects.create(project=project, user=hostile, role=Role.ANNOTATOR)
    client.force_login(manager)

    html = client.get(reverse("members", args=[project.slug])).content.decode()

    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html

"""The Django admin admits superusers only: it is not scoped by project.

The worst case of issue 11: a manager of one project who is staff and holds every
model permission must still reach no admin page, so no door shows or changes
another project. Managers work in the app's pages instead (test_project_setup,
test_label_settings, test_members, test_manager_documents).
"""

import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.urls import reverse

from annotator.models import Document, Label, Membership, Project, Role


@pytest.fixture
def staff_manager(project, document) -> User:
    """Manager of "talks", staff, with every permission of the annotator app."""
    user = User.objects.create_user("mallory", password="password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="annotator"))
    Membership.objects.create(project=project, user=user, role=Role.MANAGER)
    return user


@pytest.fixture
def other_document(db) -> Document:
    other = Project.objects.create(name="Secret", slug="secret")
    Label.objects.create(project=other, name="claim", colour="#fde68a", hotkey="1")
    return Document.objects.create(project=other, title="Secret memo", text="Only for B.")


def _admin_urls(other_document: Document) -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:annotator_document_import")]
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
    document = "admin:annotator_document"
    project = "admin:annotator_project"
    for name, object_id in [(document, other_document.pk), (project, other_document.project_id)]:
        urls += [
            reverse(f"{name}_change", args=[object_id]),
            reverse(f"{name}_delete", args=[object_id]),
            reverse(f"{name}_history", args=[object_id]),
        ]
    return urls


def test_a_staff_manager_with_every_permission_reaches_no_admin_page(
    client, staff_manager, other_document
):
    client.force_login(staff_manager)

    for url in _admin_urls(other_document):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Secret" not in response.content.decode(), url


def test_a_staff_manager_cannot_change_or_delete_another_projects_document(
    client, staff_manager, other_document
):
    client.force_login(staff_manager)
    before = list(Document.objects.order_by("pk").values_list("pk", "title", "text", "project_id"))

    change = client.post(
        reverse("admin:annotator_document_change", args=[other_document.pk]),
        {"project": other_document.project_id, "title": "Taken", "text": "Taken."},
    )
    delete = client.post(
        reverse("admin:annotator_document_delete", args=[other_document.pk]), {"post": "yes"}
    )

    assert (change.status_code, delete.status_code) == (403, 403)
    assert (
        list(Document.objects.order_by("pk").values_list("pk", "title", "text", "project_id"))
        == before
    )


def test_the_refusal_says_where_managers_work(client, staff_manager):
    client.force_login(staff_manager)

    response = client.get(reverse("admin:index"))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "The Django admin is for superusers" in response.content.decode()


def test_anonymous_is_sent_to_the_admin_login(client, db):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_superuser_still_uses_the_admin(admin_client, other_document):
    response = admin_client.get(
        reverse("admin:annotator_document_change", args=[other_document.pk])
    )

    assert response.status_code == 200
    assert "Secret memo" in response.content.decode()


def test_the_demo_manager_is_not_staff_and_may_create_projects(db, settings):
    settings.DEBUG = True
    call_command("loaddata", "fixtures/demo.json", verbosity=0)
    call_command("create_demo_users", stdout=io.StringIO())

    manager = User.objects.get(username="manager")
    assert not manager.is_staff
    assert manager.has_perm("annotator.add_project")
    assert Membership.objects.get(user=manager).role == Role.MANAGER
    others = User.objects.exclude(username="manager").filter(username__in=["curator", "annotator"])
    assert not any(user.has_perm("annotator.add_project") or user.is_staff for user in others)

"""A manager sets a project up from the app: create it, edit its settings and guidelines.

Who may create a project: superusers and users granted ``annotator.add_project``.
The creator becomes its manager and it starts with the four default labels.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from annotator.models import Label, Membership, Project, Role

NEW = {
    "name": "Border talks",
    "slug": "border-talks",
    "description": "Talks at the border.",
    "guidelines": "# Rules\n\nMark **claims**.",
    "annotators_per_document": 3,
}


def _creator(username: str = "pat") -> User:
    user = User.objects.create_user(username, password="password")
    user.user_permissions.add(Permission.objects.get(codename="add_project"))
    return user


def _projects() -> list:
    return list(Project.objects.order_by("pk").values_list("slug", "name", "guidelines_version"))


def test_a_user_with_the_permission_creates_a_project_with_default_labels(client, db):
    creator = _creator()
    client.force_login(creator)

    response = client.post(reverse("project-create"), NEW)

    project = Project.objects.get(slug="border-talks")
    assert response.status_code == 302
    assert response["Location"] == reverse("members", args=["border-talks"])
    assert (project.name, project.description, project.annotators_per_document) == (
        "Border talks",
        "Talks at the border.",
        3,
    )
    assert project.guidelines == NEW["guidelines"]
    labels = list(project.labels.order_by("hotkey").values_list("name", "hotkey", "colour"))
    assert labels == [
        ("claim", "1", "#fde68a"),
        ("threat", "2", "#fca5a5"),
        ("proposal", "3", "#a7f3d0"),
        ("actor", "4", "#bfdbfe"),
    ]
    assert Membership.objects.get(project=project).user == creator
    assert Membership.objects.get(project=project).role == Role.MANAGER


def test_a_superuser_may_create_a_project(client, db):
    client.force_login(User.objects.create_superuser("root", password="password"))

    response = client.post(reverse("project-create"), NEW)

    assert response.status_code == 302
    assert Project.objects.filter(slug="border-talks").exists()


@pytest.mark.parametrize("who", ["alice", "cora", "mona", "charlie"])
def test_members_without_the_permission_may_not_create_projects(
    client, alice, curator, manager, charlie, who
):
    client.force_login(User.objects.get(username=who))
    before = _projects()

    page = client.get(reverse("project-create"))
    response = client.post(reverse("project-create"), NEW)

    assert page.status_code == 403
    assert response.status_code == 403
    assert _projects() == before


def test_anonymous_is_sent_to_log_in_and_nothing_is_created(client, db):
    response = client.post(reverse("project-create"), NEW)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Project.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "talks"}, "slug", "already exists"),
        ({"slug": "two words"}, "slug", "valid"),
        ({"name": "   "}, "name", "required"),
        ({"annotators_per_document": 0}, "annotators_per_document", "greater than or equal"),
    ],
)
def test_bad_project_input_is_a_400_naming_the_field(client, project, change, field, message):
    client.force_login(_creator())
    before = (_projects(), Label.objects.count(), Membership.objects.count())

    response = client.post(reverse("project-create"), {**NEW, **change})

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert (_projects(), Label.objects.count(), Membership.objects.count()) == before


def test_the_create_page_links_from_the_project_list_only_for_creators(client, alice):
    client.force_login(alice)
    assert reverse("project-create") not in client.get(reverse("project-list")).content.decode()

    client.force_login(_creator())
    assert reverse("project-create") in client.get(reverse("project-list")).content.decode()


def test_the_preview_renders_sanitised_markdown(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("guidelines-preview"),
        {"guidelines": "## Actors\n\n<script>alert(1)</script> *names*"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div class="guidelines markdown" id="guidelines-preview"')
    assert "<h2>Actors</h2>" in html
    assert "<em>names</em>" in html
    assert "<script>" not in html


def test_the_preview_button_without_javascript_saves_nothing(client, db):
    client.force_login(_creator())

    response = client.post(reverse("project-create"), {**NEW, "preview": "1"})

    assert response.status_code == 200
    assert "<h1>Rules</h1>" in response.content.decode()
    assert Project.objects.count() == 0


def test_the_manager_edits_settings_and_new_guidelines_get_a_new_version(client, project, manager):
    client.force_login(manager)

    response = client.post(
        reverse("project-settings", args=[project.slug]),
        {
            "name": "Talks 2027",
            "description": "",
            "guidelines": "# Rules, revised",
            "annotators_per_document": 1,
        },
    )

    project.refresh_from_db()
    assert response.status_code == 302
    assert (project.name, project.guidelines, project.guidelines_version) == (
        "Talks 2027",
        "# Rules, revised",
        2,
    )
    assert project.annotators_per_document == 1
    assert project.slug == "talks"


def test_unchanged_guidelines_keep_their_version_even_with_crlf_line_ends(client, project, manager):
    project.guidelines = "# Rules\n\nMark claims.\n"
    project.save()
    client.force_login(manager)

    # Browsers post a textarea's lines with CRLF.
    client.post(
        reverse("project-settings", args=[project.slug]),
        {
            "name": "Renamed",
            "guidelines": "# Rules\r\n\r\nMark claims.\r\n",
            "annotators_per_document": 2,
        },
    )

    project.refresh_from_db()
    assert (project.name, project.guidelines_version) == ("Renamed", 1)
    assert project.guidelines == "# Rules\n\nMark claims.\n"


def test_the_settings_page_keeps_a_leading_blank_line_of_the_guidelines(client, project, manager):
    project.guidelines = "\n# Rules"
    project.save()
    client.force_login(manager)

    html = client.get(reverse("project-settings", args=[project.slug])).content.decode()

    # A browser drops the first newline after <textarea>; the template adds one for it to drop.
    assert 'hx-include="this">\n\n# Rules</textarea>' in html


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("cora", 403), ("charlie", 404)])
def test_only_managers_change_settings(client, project, alice, curator, charlie, who, status):
    client.force_login(User.objects.get(username=who))
    before = _projects()

    response = client.post(
        reverse("project-settings", args=[project.slug]),
        {"name": "Taken over", "guidelines": "", "annotators_per_document": 1},
    )

    assert response.status_code == status
    assert _projects() == before


def test_user_supplied_project_text_is_escaped(client, db):
    client.force_login(_creator())
    client.post(
        reverse("project-create"),
        {**NEW, "name": "<img src=x onerror=alert(1)>", "description": "<b>bold</b>"},
    )

    page = client.get(reverse("project-list")).content.decode()
    settings_page = client.get(reverse("project-settings", args=["border-talks"])).content.decode()

    for html in (page, settings_page):
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>bold</b>" not in page


def test_the_project_list_links_management_pages_only_where_the_user_manages(
    client, project, manager, django_assert_max_num_queries
):
    other = Project.objects.create(name="Other", slug="other")
    Membership.objects.create(project=other, user=manager, role=Role.ANNOTATOR)
    client.force_login(manager)

    with django_assert_max_num_queries(6):
        html = client.get(reverse("project-list")).content.decode()

    assert reverse("project-settings", args=["talks"]) in html
    assert reverse("project-settings", args=["other"]) not in html
    assert html.count('class="manage-links"') == 1

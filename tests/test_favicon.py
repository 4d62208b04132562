"""Every page has an icon: base.html links one, and /favicon.ico (asked for by pages that link
none, such as the admin's) leads to it, so no page logs a 404 for it."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse


def _icon_is_a_static_png(url: str) -> None:
    # The test client serves no static files; whitenoise serves what the finders find.
    found = finders.find(url.removeprefix(settings.STATIC_URL).removeprefix("/static/"))
    assert found, url
    assert Path(found).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("name", ["login", "project-list"])
def test_pages_link_an_icon_that_is_served(client, db, name):
    client.force_login(User.objects.create_user("ann", password="password"))
    if name == "login":
        client.logout()

    page = client.get(reverse(name)).content.decode()

    icon = static("annotator/favicon.png")
    assert f'<link rel="icon" href="{icon}" type="image/png">' in page
    _icon_is_a_static_png(icon)


def test_favicon_ico_leads_to_the_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == static("annotator/favicon.png")
    _icon_is_a_static_png(response["Location"])

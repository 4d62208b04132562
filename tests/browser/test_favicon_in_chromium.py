"""Chromium fetches the app's icon without a 404, and no request of a page fails."""

import pytest
from django.contrib.auth.models import User

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize(
    ("path", "links_icon"),
    [("/", True), ("/projects/security-talks/", True), ("/admin/", False)],
)
def test_no_request_of_a_page_fails_and_the_icon_loads(page_as, demo, path, links_icon):
    page = page_as(User.objects.create_superuser("root", password="password"))
    failed, icons = [], []
    page.on(
        "response", lambda response: failed.append(response.url) if response.status >= 400 else None
    )
    page.on(
        "requestfinished",
        lambda request: icons.append(request.url) if "favicon" in request.url else None,
    )

    page.goto(path)
    page.wait_for_load_state("networkidle")

    assert failed == []
    # Headless Chromium fetches only a linked icon; the admin's /favicon.ico is tested
    # through the test client (tests/test_favicon.py).
    if links_icon:
        page.wait_for_timeout(200)
        assert [url.rsplit("/", 1)[-1] for url in icons] == ["favicon.png"]

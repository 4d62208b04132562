"""Chromium through Playwright, against pytest-django's live server.

Debian's Chromium is used (``playwright install`` cannot download browsers
here). Playwright's sync API runs an event loop in the test thread, so Django's
guard against ORM calls from async contexts is lifted for these tests only.
"""

import os
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db) -> None:
    call_command("loaddata", "fixtures/demo.json", verbosity=0)


@pytest.fixture
def dialogs() -> list[str]:
    """Every dialog a page opens; a test of escaping expects none."""
    return []


@pytest.fixture
def page_as(browser: Browser, live_server, dialogs):
    """Open a browser page logged in as the given user."""
    contexts = []
    in_flight: dict[Page, set] = {}

    def open_page(user) -> Page:
        client = Client()
        client.force_login(user)
        context = browser.new_context(base_url=live_server.url)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        requests = in_flight.setdefault(page, set())
        page.on("request", lambda request: requests.add(request))
        page.on("requestfinished", lambda request: requests.discard(request))
        page.on("requestfailed", lambda request: requests.discard(request))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on(
            "console",
            lambda message: (
                console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        return page

    console_errors: list[str] = []
    yield open_page
    # A write still running in the live server when the test database is flushed can deadlock
    # with the flush (its foreign key checks against the TRUNCATE): let the pages' requests end.
    for _ in range(200):
        waiting = [
            page for page, requests in in_flight.items() if requests and not page.is_closed()
        ]
        if not waiting:
            break
        waiting[0].wait_for_timeout(50)
    for context in contexts:
        context.close()
    refused = [text for text in console_errors if "Content Security Policy" in text]
    assert refused == [], "the page broke its Content-Security-Policy"

"""Stored XSS: hostile strings in every field a user can fill, in a real browser.

Each payload either calls ``alert`` (a dialog would open; the ``dialogs``
fixture records it) or sets ``window.__pwned`` (checked after every page and
swap). Payloads sit in a project name, document titles, texts and source, label
names, usernames and the guidelines. Every page that shows them is opened as a
role that can see it, and the annotate and adjudication pages swap htmx
fragments that render the payload labels. Besides "no script ran", each page
must show the payload as text and hold no element with an inline handler, no
inline script and no ``javascript:`` link; ``page_as`` also fails the test on any
Content-Security-Policy violation, which an injected handler would cause.
"""

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction
from playwright.sync_api import Page, expect
from test_annotate_in_chromium import drag_over, wait_for_span_count

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create
from annotator.curation.gold import gold_premerge
from annotator.models import Document, Label, Membership, Project, Role
from annotator.web.projects import render_guidelines

pytestmark = [pytest.mark.browser]

IMG_ALERT = "<img src=x onerror=alert(1)>"
SVG_ALERT = '"><svg onload=alert(2)>'
JS_LINK = "javascript:alert(3)"
SCRIPT_ALERT = "<script>alert(4)</script>"
IMG_FLAG = '<img src=x onerror="window.__pwned=1">'
SVG_FLAG = '"><svg onload="window.__pwned=2">'
SCRIPT_FLAG = "<script>window.__pwned=4</script>"

TEXT = (
    f"Sergey Lavrov said {IMG_ALERT} and {SCRIPT_FLAG} while {SVG_FLAG} met "
    f"{SCRIPT_ALERT} in January, and {IMG_FLAG} agreed.\n"
)
GUIDELINES = f"""# Rules

[click me]({JS_LINK}) and <a href="{JS_LINK}">raw link</a>

{IMG_ALERT} {SVG_FLAG}

{SCRIPT_ALERT}
"""
# Elements a payload would create if it were not escaped. JSON data islands are inert.
INJECTED = "[onerror], [onload], script:not([src]):not([type='application/json'])"


class Hostile:
    """One project in which every user-supplied string is a payload."""

    def __init__(self) -> None:
        self.project = Project.objects.create(
            name=f"Talks {SVG_ALERT}", slug="talks", guidelines=GUIDELINES
        )
        self.labels = [
            Label.objects.create(project=self.project, name=name, colour=colour, hotkey=hotkey)
            for name, colour, hotkey in [
                (IMG_FLAG, "#fde68a", "1"),
                (SVG_ALERT, "#fca5a5", "2"),
                (SCRIPT_ALERT, "#bfdbfe", "3"),
            ]
        ]
        self.adjudicated = Document.objects.create(
            project=self.project,
            title=f"Adjudicated {SCRIPT_ALERT} {IMG_FLAG}",
            text=TEXT,
            source=JS_LINK,
        )
        self.fresh = Document.objects.create(
            project=self.project, title=f"Fresh {SVG_FLAG} {SCRIPT_FLAG}", text=TEXT, source=JS_LINK
        )
        self.annotator = self._member(IMG_ALERT, Role.ANNOTATOR)
        self.second = self._member(SVG_FLAG, Role.ANNOTATOR)
        self.manager = self._member("mona", Role.MANAGER)
        self.root = User.objects.create_superuser("root", password="password")
        start = TEXT.find("Sergey Lavrov")
        for user in (self.annotator, self.second):
            span_create(
                document=self.adjudicated,
                annotator=user,
                label=self.labels[0],
                start=start,
                end=start + len("Sergey Lavrov"),
            )
            assignment_submit(document=self.adjudicated, annotator=user)
        gold_premerge(document=self.adjudicated, curator=self.manager)

    def _member(self, username: str, role: str) -> User:
        user = User.objects.create_user(username, password="password")
        Membership.objects.create(project=self.project, user=user, role=role)
        return user


@pytest.fixture
def hostile(transactional_db) -> Hostile:
    return Hostile()


def assert_inert(page: Page, dialogs: list[str], *visible: str) -> None:
    """No dialog, no script, no injected element or link; each payload shown as text."""
    page.wait_for_load_state("load")
    assert dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator(INJECTED).count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    for text in visible:
        expect(page.get_by_text(text).filter(visible=True).first).to_be_visible()


def test_annotator_pages_show_payloads_as_text(page_as, hostile, dialogs):
    page = page_as(hostile.annotator)

    page.goto("/")
    assert_inert(page, dialogs, f"Talks {SVG_ALERT}", IMG_ALERT)  # project name, username
    page.goto(f"/projects/{hostile.project.slug}/")
    assert_inert(page, dialogs, hostile.adjudicated.title, hostile.fresh.title)
    page.goto(f"/projects/{hostile.project.slug}/documents/{hostile.fresh.pk}/")
    expect(page.locator("#document-text")).to_be_visible()
    assert_inert(page, dialogs, hostile.fresh.title, IMG_ALERT, SCRIPT_FLAG, SVG_FLAG, IMG_FLAG)
    for label in hostile.labels:
        labels = page.get_by_role("navigation", name="Labels")
        expect(labels.get_by_role("button", name=label.name)).to_be_visible()


def test_guidelines_strip_scripts_and_javascript_links(page_as, hostile, dialogs):
    page = page_as(hostile.annotator)

    page.goto(f"/projects/{hostile.project.slug}/guidelines/")

    assert_inert(page, dialogs, *(label.name for label in hostile.labels))
    link = page.locator(".markdown a", has_text="click me")
    expect(link).to_be_visible()
    assert link.get_attribute("href") is None
    assert page.locator(".markdown a", has_text="raw link").get_attribute("href") is None


def test_rendered_guidelines_keep_no_javascript_url_or_handler():
    html = render_guidelines(GUIDELINES)

    assert "javascript:" not in html
    assert "onerror" not in html and "onload" not in html and "<script" not in html
    assert "click me" in html


def test_htmx_swaps_render_payload_labels_as_text(page_as, hostile, dialogs):
    page = page_as(hostile.annotator)
    page.goto(f"/projects/{hostile.project.slug}/documents/{hostile.fresh.pk}/")
    expect(page.locator("#document-text")).to_be_visible()

    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("1")
    wait_for_span_count(page, 1)
    expect(page.locator("#span-list .span-label")).to_have_text([IMG_FLAG])
    assert_inert(page, dialogs)

    page.locator("#span-list .span-select").first.click()
    page.keyboard.press("2")
    expect(page.locator("#span-list .span-label")).to_have_text([SVG_ALERT])
    assert_inert(page, dialogs)

    page.locator("#span-list .span-select").first.click()
    page.keyboard.press("3")
    expect(page.locator("#span-list .span-label")).to_have_text([SCRIPT_ALERT])
    assert_inert(page, dialogs)

    page.locator("#span-list .span-select").first.click()
    page.keyboard.press("Delete")
    wait_for_span_count(page, 0)
    assert_inert(page, dialogs, hostile.fresh.title)


def test_manager_pages_show_payloads_as_text(page_as, hostile, dialogs):
    page = page_as(hostile.manager)
    slug = hostile.project.slug

    page.goto(f"/projects/{slug}/dashboard/")
    assert_inert(page, dialogs, f"Talks {SVG_ALERT}")
    page.goto(f"/projects/{slug}/documents/{hostile.adjudicated.pk}/adjudicate/")
    assert_inert(page, dialogs, hostile.adjudicated.title, IMG_ALERT, SVG_FLAG)
    page.locator("#accept-all").click()
    expect(page.locator("#gold-list .gold-item.accepted")).to_have_count(1)
    assert_inert(page, dialogs, IMG_FLAG)
    # The page paints at once and saves after; leave once it has saved.
    expect(page.locator("#adjudicate")).to_have_attribute("data-writes", "0")
    page.goto(f"/projects/{slug}/export/")
    assert_inert(page, dialogs, f"Talks {SVG_ALERT}")
    assert page.locator("option", has_text=IMG_ALERT).count() == 1
    page.goto(f"/projects/{slug}/network/")
    assert_inert(page, dialogs, f"Talks {SVG_ALERT}")
    assert page.locator("option", has_text=IMG_ALERT).count() == 1
    assert page.locator("option", has_text=SCRIPT_ALERT).count() == 1
    page.goto(f"/projects/{slug}/audit/")
    assert_inert(page, dialogs, IMG_ALERT, SVG_FLAG, "mona", hostile.adjudicated.title)


@pytest.mark.parametrize(
    ("path", "visible"),
    [
        ("/admin/annotator/document/", ["Fresh", SCRIPT_ALERT, JS_LINK]),
        ("/admin/annotator/label/", [IMG_FLAG, SVG_ALERT, SCRIPT_ALERT]),
        ("/admin/auth/user/", [IMG_ALERT, SVG_FLAG]),
        ("/admin/annotator/project/", [f"Talks {SVG_ALERT}"]),
    ],
)
def test_admin_change_lists_show_payloads_as_text(page_as, hostile, dialogs, path, visible):
    page = page_as(hostile.root)

    page.goto(path)

    assert_inert(page, dialogs, *visible)


def test_database_refuses_a_colour_that_is_not_hex(hostile):
    """The colour is written into a <style> block, so only #rrggbb may ever be stored."""
    # Too long for the column (PostgreSQL) or failing the check (both databases).
    for colour in ["red;}</style><script>alert(1)</script>", "#fff", "red", "#12345g", "}</a>{"]:
        with pytest.raises(DatabaseError), transaction.atomic():
            Label.objects.create(project=hostile.project, name=colour, colour=colour, hotkey="9")

    assert Label.objects.filter(project=hostile.project).count() == 3

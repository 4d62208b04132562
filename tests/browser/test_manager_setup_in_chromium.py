"""From a database holding only user accounts to an annotatable corpus, in the app alone.

A manager allowed to create projects creates one (with a live guidelines preview),
edits a label, adds two annotators and a curator, uploads a .jsonl with an emoji
and a .txt (watching the progress bar), distributes the documents and finds one;
then an annotator logs in through the login page, sees their queue and annotates
a document with the edited label's new key. No request goes to /admin/.
"""

import json
import re

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect
from test_annotate_in_chromium import PHRASE_BOXES, wait_until_saved

from annotator.models import Assignment, Document, Label, Membership, Project, Role, Span

pytestmark = [pytest.mark.browser]

ARTICLES = [
    {"title": "Summit 🎉 ends", "text": "Leaders met in Geneva 🎉 and agreed to talk again."},
    {"title": "Border", "text": "Troops crossed the border near the river at dawn."},
    {"text": "Sanctions were proposed by the ministers on Monday.", "meta": {"desk": "EU"}},
]


@pytest.fixture
def accounts(transactional_db) -> dict[str, User]:
    """Only user accounts: a manager who may create projects, two annotators, a curator."""
    users = {
        name: User.objects.create_user(name, password=f"{name}-password-2026")
        for name in ("manager", "ann1", "ann2", "cur")
    }
    users["manager"].user_permissions.add(Permission.objects.get(codename="add_project"))
    return users


def test_a_manager_sets_up_a_project_and_an_annotator_annotates_it(
    accounts, page_as, browser, live_server, tmp_path
):
    assert Project.objects.count() == 0
    page = page_as(accounts["manager"])
    visited = []
    page.on("request", lambda request: visited.append(request.url))

    # Create the project, guidelines previewed as they are typed.
    page.goto("/")
    page.click("#new-project")
    # htmx binds the preview on DOMContentLoaded: typing before that previews nothing.
    expect(page).to_have_url(re.compile(r"/new-project/$"))
    page.wait_for_load_state("load")
    page.fill("#id_name", "Border talks")
    page.fill("#id_slug", "border-talks")
    page.fill("#id_description", "Talks at the border.")
    page.fill("#id_guidelines", "## Actors\n\nMark **who** speaks.")
    expect(page.locator("#guidelines-preview h2")).to_have_text("Actors")
    expect(page.locator("#guidelines-preview strong")).to_have_text("who")
    page.fill("#id_annotators_per_document", "2")
    page.click("#save-project")
    expect(page).to_have_url(re.compile(r"/projects/border-talks/members/$"))

    # Members: two annotators and a curator.
    for username, role in [("ann1", "annotator"), ("ann2", "annotator"), ("cur", "curator")]:
        page.fill("#id_username", username)
        page.select_option("#id_role", role)
        page.click("#add-member")
        expect(page.locator(f"#member-{username}")).to_be_visible()

    # Labels: a reserved key and a relation type's key are refused with the reason, then
    # claim becomes "assertion" on k.
    page.click("#manage-nav >> text=Labels")
    claim = Label.objects.get(project__slug="border-talks", name="claim")
    field = f"#id_label-{claim.pk}-"
    page.fill(f"{field}hotkey", "n")
    page.click(f"#label-{claim.pk} button:text('Save claim')")
    expect(page.locator(f"#label-{claim.pk} .field-error")).to_contain_text(
        "n is taken by the annotation pages: it opens the next document"
    )
    page.fill(f"{field}name", "assertion")
    page.fill(f"{field}hotkey", "c")
    page.fill(f"{field}colour", "#ddd6fe")
    page.click(f"#label-{claim.pk} button:text('Save claim')")
    expect(page.locator(f"#label-{claim.pk} .field-error")).to_contain_text(
        "c is the key of the relation type claimant"
    )
    page.fill(f"{field}hotkey", "k")
    page.click(f"#label-{claim.pk} button:text('Save claim')")
    expect(page.locator(".messages")).to_contain_text("Saved the label assertion.")
    claim.refresh_from_db()
    assert (claim.name, claim.hotkey, claim.colour) == ("assertion", "k", "#ddd6fe")

    # Upload a .jsonl with an emoji and a .txt, with a progress bar.
    jsonl = tmp_path / "wire.jsonl"
    jsonl.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in ARTICLES),
        encoding="utf-8",
    )
    memo = tmp_path / "memo.txt"
    memo.write_text("Ministers' memo\n\nThe ministers proposed talks in January.\n", "utf-8")
    page.click("#manage-nav >> text=Upload documents")
    page.set_input_files("#upload-files", [str(jsonl), str(memo)])
    page.click("#upload-button")
    expect(page.locator("#import-summary")).to_contain_text("Imported 4 documents")
    expect(page.locator("#upload-progress")).to_have_js_property("value", 100)
    expect(page.locator("#upload-percent")).to_contain_text("100%")
    assert Document.objects.get(title="Summit 🎉 ends").text == ARTICLES[0]["text"]

    # Distribute: both annotators of the pool get every document.
    page.click("#upload-result >> text=Distribute the documents")
    page.click("#distribute")
    expect(page.locator(".messages")).to_contain_text("Created 8 assignments.")

    # Find a document by a word of its text and see who has it.
    page.click("#manage-nav >> text=Find and assign documents")
    page.fill("#id_q", "border")
    page.click("#search-button")
    rows = page.locator(".search-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Border")
    expect(rows.first).to_contain_text("ann1")
    expect(rows.first).to_contain_text("ann2")

    assert not [url for url in visited if "/admin/" in url]
    project = Project.objects.get(slug="border-talks")
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {
        "manager": Role.MANAGER,
        "ann1": Role.ANNOTATOR,
        "ann2": Role.ANNOTATOR,
        "cur": Role.CURATOR,
    }
    assert Assignment.objects.filter(annotator=accounts["ann1"]).count() == 4

    # An annotator logs in, sees their queue and annotates with the new key.
    context = browser.new_context(base_url=live_server.url)
    annotator = context.new_page()
    annotator.set_default_timeout(10_000)
    annotator.goto("/")
    annotator.fill("#id_username", "ann1")
    annotator.fill("#id_password", "ann1-password-2026")
    annotator.click("button:text('Log in')")
    annotator.click("text=Border talks")
    expect(annotator.locator("table.documents tbody tr")).to_have_count(4)
    annotator.click("text=Summit 🎉 ends")
    expect(annotator.locator("#document-text")).to_be_visible()
    # The click returns once the page is on its way, maybe before its script listens for keys.
    expect(annotator.locator("#annotate")).to_have_attribute("data-ready", "true")
    expect(annotator.locator(".label-button[data-hotkey='k']")).to_contain_text("assertion")
    first, _ = annotator.evaluate(PHRASE_BOXES, ["Geneva", 0])
    annotator.mouse.dblclick(first["x"] + 3, first["y"] + first["height"] / 2)
    annotator.keyboard.press("k")
    expect(annotator.locator("#span-list .span-item")).to_have_count(1)
    # The page paints the span before the server stores it.
    wait_until_saved(annotator)
    span = Span.objects.get(annotator=accounts["ann1"])
    document = Document.objects.get(title="Summit 🎉 ends")
    assert (document.text[span.start : span.end], span.label_id) == ("Geneva", claim.pk)
    assert Membership.objects.filter(user=accounts["ann1"]).count() == 1
    context.close()

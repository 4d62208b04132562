"""The annotate page in a real browser: mouse, keyboard, htmx swaps, offsets.

Offsets asserted here are Python code points (``str.find``); the page works in
UTF-16 and must convert, which the emoji article tests.
"""

import base64
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page, expect

from annotator.models import Document, Label, Membership, Project, Role, Span

pytestmark = [pytest.mark.browser]

# Bounding boxes of the first and last character of a phrase, found by the
# browser itself over the document text's text nodes (UTF-16 offsets).
PHRASE_BOXES = """
([phrase, occurrence]) => {
  const container = document.getElementById("document-text");
  const text = container.textContent;
  let index = -1;
  for (let seen = 0; seen <= occurrence; seen += 1) {
    index = text.indexOf(phrase, index + 1);
  }
  if (index < 0) { throw new Error("phrase not found: " + phrase); }
  const locate = (offset) => {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      if (offset < node.length) { return [node, offset]; }
      offset -= node.length;
    }
    throw new Error("offset out of range");
  };
  const box = (offset) => {
    const [node, inner] = locate(offset);
    const range = document.createRange();
    range.setStart(node, inner);
    range.setEnd(node, inner + 1);
    const rect = range.getBoundingClientRect();
    return {x: rect.x, y: rect.y, width: rect.width, height: rect.height};
  };
  window.scrollBy(0, box(index).y - window.innerHeight / 2);
  return [box(index), box(index + phrase.length - 1)];
}
"""


@pytest.fixture
def annotator(demo) -> User:
    user = User.objects.create_user("ann", password="password")
    for project in Project.objects.all():
        Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
    return user


def document_titled(prefix: str) -> Document:
    return Document.objects.get(title__startswith=prefix)


def open_document(page: Page, document: Document) -> None:
    page.goto(f"/projects/{document.project.slug}/documents/{document.pk}/")
    expect(page.locator("#document-text")).to_be_visible()


def drag_over(page: Page, phrase: str, occurrence: int = 0) -> None:
    """Press the mouse inside the first character and release inside the last."""
    first, last = page.evaluate(PHRASE_BOXES, [phrase, occurrence])
    page.mouse.move(first["x"] + 1, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2, steps=8)
    page.mouse.move(last["x"] + last["width"] - 1, last["y"] + last["height"] / 2, steps=2)
    page.mouse.up()


def wait_for_span_count(page: Page, count: int) -> None:
    expect(page.locator("#span-list .span-item")).to_have_count(count)


def wait_until_saved(page: Page) -> None:
    """Every write the page made has been answered (the page paints before that)."""
    expect(page.locator("#annotate")).to_have_attribute("data-writes", "0")


# (label name, text, UTF-16 start) of every range the page paints, from the
# CSS Custom Highlight registry itself.
PAINTED = """
() => {
  const names = new Map(Array.from(document.querySelectorAll(".label-button"),
    (button) => ["label-" + button.dataset.label, button.dataset.name]));
  const painted = [];
  for (const [name, highlight] of CSS.highlights) {
    if (!names.has(name)) { continue; }
    for (const range of highlight) {
      painted.push([names.get(name), range.startContainer.data.slice(range.startOffset,
        range.endOffset), range.startOffset, range.endOffset]);
    }
  }
  return painted.sort((a, b) => a[2] - b[2] || b[3] - a[3]);
}
"""


def painted(page: Page) -> list[tuple[str, str]]:
    return [(label, text) for label, text, _, _ in page.evaluate(PAINTED)]


def click_on(page: Page, phrase: str, occurrence: int = 0) -> None:
    first, _ = page.evaluate(PHRASE_BOXES, [phrase, occurrence])
    page.mouse.click(first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)


def test_drag_and_hotkey_store_exact_offsets_of_sergey_lavrov(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)

    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")
    wait_for_span_count(page, 1)
    wait_until_saved(page)
    page.reload()

    expect(page.locator("#span-list .span-item")).to_have_count(1)
    assert painted(page) == [("actor", "Sergey Lavrov")]
    span = Span.objects.get(document=seed, annotator=annotator)
    start = seed.text.find("Sergey Lavrov")
    assert (span.start, span.end) == (start, start + len("Sergey Lavrov"))
    assert span.label.name == "actor"


def test_span_after_emoji_is_stored_in_code_points(page_as, annotator):
    article = document_titled("Harbour summit")
    page = page_as(annotator)
    open_document(page, article)

    drag_over(page, "Aino Virtanen")
    page.keyboard.press("4")
    wait_for_span_count(page, 1)
    wait_until_saved(page)

    assert painted(page) == [("actor", "Aino Virtanen")]
    span = Span.objects.get(document=article, annotator=annotator)
    start = article.text.find("Aino Virtanen")
    assert len(article.text[:start].encode("utf-16-le")) // 2 > start, "emoji before the span"
    assert (span.start, span.end) == (start, start + len("Aino Virtanen"))
    assert article.text[span.start : span.end] == "Aino Virtanen"


def test_click_on_label_button_creates_span_and_nesting_is_visible(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)

    drag_over(page, "Russian Foreign Minister Sergey Lavrov announced Wednesday")
    page.get_by_role("button", name="1 claim").click()
    wait_for_span_count(page, 1)
    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")
    wait_for_span_count(page, 2)
    wait_until_saved(page)

    # Both painted, the actor inside the claim: each label keeps its own highlight.
    (claim, claim_start, claim_end), (actor, actor_start, actor_end) = [
        (text, start, end) for _, text, start, end in page.evaluate(PAINTED)
    ]
    assert actor == "Sergey Lavrov"
    assert claim.startswith("Russian Foreign Minister Sergey Lavrov")
    assert claim_start < actor_start < actor_end < claim_end
    labels = set(Span.objects.filter(annotator=annotator).values_list("label__name", flat=True))
    assert labels == {"claim", "actor"}


def test_double_click_selects_a_word(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)

    first, _ = page.evaluate(PHRASE_BOXES, ["Kremlin", 0])
    page.mouse.dblclick(first["x"] + 3, first["y"] + first["height"] / 2)
    page.keyboard.press("4")
    wait_for_span_count(page, 1)
    wait_until_saved(page)

    span = Span.objects.get(annotator=annotator)
    assert seed.text[span.start : span.end] == "Kremlin"


def test_selection_snaps_to_words_unless_turned_off(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)

    drag_over(page, "ergey Lavr")
    page.keyboard.press("4")
    wait_for_span_count(page, 1)
    page.locator("#snap-words").uncheck()
    drag_over(page, "Kremli")
    page.keyboard.press("1")
    wait_for_span_count(page, 2)
    wait_until_saved(page)

    quoted = {seed.text[span.start : span.end] for span in Span.objects.filter(annotator=annotator)}
    assert quoted == {"Sergey Lavrov", "Kremli"}


def test_delete_by_keyboard_then_undo_restores_the_span(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    label = Label.objects.get(project=seed.project, name="actor")
    start = seed.text.find("NATO")
    Span.objects.create(document=seed, annotator=annotator, label=label, start=start, end=start + 4)
    page = page_as(annotator)
    open_document(page, seed)

    click_on(page, "NATO")
    page.keyboard.press("Delete")
    wait_for_span_count(page, 0)
    wait_until_saved(page)
    assert not Span.objects.filter(annotator=annotator).exists()

    page.keyboard.press("Control+z")
    wait_for_span_count(page, 1)
    wait_until_saved(page)
    restored = Span.objects.get(annotator=annotator)
    assert (restored.start, restored.end, restored.label_id) == (start, start + 4, label.pk)


def test_undo_removes_the_last_created_span_and_reverts_a_relabel(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)

    drag_over(page, "Karen Donfried")
    page.keyboard.press("4")
    wait_for_span_count(page, 1)
    click_on(page, "Karen Donfried")
    page.keyboard.press("1")
    expect(page.locator("#span-list .span-label")).to_have_text(["claim"])
    wait_until_saved(page)
    assert Span.objects.get(annotator=annotator).label.name == "claim"

    page.keyboard.press("Control+z")
    expect(page.locator("#span-list .span-label")).to_have_text(["actor"])
    wait_until_saved(page)
    assert Span.objects.get(annotator=annotator).label.name == "actor"
    page.keyboard.press("Control+z")
    wait_for_span_count(page, 0)
    wait_until_saved(page)
    assert not Span.objects.filter(annotator=annotator).exists()


def test_escape_clears_selection_and_n_opens_the_next_document(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)

    drag_over(page, "Kremlin")
    page.keyboard.press("Escape")
    page.keyboard.press("4")
    page.keyboard.press("n")

    expect(page).to_have_url(re.compile(rf"/documents/{seed.pk + 1}/$"))
    assert not Span.objects.filter(annotator=annotator).exists()


def test_markup_article_shows_script_as_text_and_opens_no_dialog(page_as, annotator, dialogs):
    article = document_titled("Markup in the text")
    page = page_as(annotator)
    open_document(page, article)

    drag_over(page, "<script>alert(1)</script>", occurrence=1)
    page.keyboard.press("1")
    wait_for_span_count(page, 1)
    wait_until_saved(page)
    page.reload()

    expect(page.locator("h1")).to_have_text(article.title)
    assert page.locator("#document-text").text_content() == article.text
    expect(page.locator("#span-list q")).to_have_text("<script>alert(1)</script>")
    assert "&amp;" in page.locator("#document-text").text_content()
    assert dialogs == []


def test_failed_save_is_marked_unsaved_then_saved_on_retry(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)
    answered = []

    def fail_once(route):
        if not answered:
            answered.append(503)
            route.fulfill(status=503, body="Service Unavailable")
        else:
            route.continue_()

    page.route(re.compile(r".*/documents/\d+/spans/$"), fail_once)
    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")

    expect(page.locator(".notice.unsaved")).to_contain_text("Not saved")
    expect(page.locator(".notice.unsaved")).to_contain_text("503")
    wait_for_span_count(page, 1)
    expect(page.locator(".notice")).to_have_count(0)
    assert Span.objects.filter(annotator=annotator).count() == 1


def test_refused_span_is_shown_with_the_servers_reason(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    label = Label.objects.get(project=seed.project, name="actor")
    start = seed.text.find("Sergey Lavrov")
    Span.objects.create(
        document=seed, annotator=annotator, label=label, start=start, end=start + 13
    )
    page = page_as(annotator)
    open_document(page, seed)

    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")

    expect(page.locator(".notice.refused")).to_contain_text("You already have")
    assert Span.objects.filter(annotator=annotator).count() == 1


# ---- races: what the person meant is what is stored -------------------------------------
# Requests are held with page.route and released by the test, so "while a save is
# pending" is exact rather than timed. The page sends one write at a time, in order.

CREATE = re.compile(r".*/documents/\d+/spans/$")
DELETE = re.compile(r".*/spans/\d+/delete/$")

# Every layout shift from the start, read back by the tests.
WATCH_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) { window.__shifts.push(entry.value); }
}).observe({ type: "layout-shift", buffered: true });
"""


def hold(page: Page, pattern: re.Pattern) -> list:
    """Keep matching requests waiting until :func:`release`; later ones pass."""
    held: list = []
    page.route(pattern, lambda route: route.continue_() if None in held else held.append(route))
    return held


def wait_for_held(page: Page, held: list, count: int) -> None:
    for _ in range(100):
        if len([route for route in held if route is not None]) >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{count} requests expected, {len(held)} held")


def release(page: Page, pattern: re.Pattern, held: list) -> None:
    waiting = list(held)
    held.append(None)  # from now on requests pass
    for route in waiting:
        route.continue_()


def stored(document: Document, annotator: User) -> set[tuple[str, str]]:
    return {
        (span.label.name, document.text[span.start : span.end])
        for span in Span.objects.filter(document=document, annotator=annotator)
    }


def test_selection_made_while_a_save_is_pending_survives_the_answer(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    page.add_init_script(WATCH_SHIFTS)
    open_document(page, seed)
    held = hold(page, CREATE)

    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")
    wait_for_held(page, held, 1)
    drag_over(page, "Karen Donfried")
    before, _ = page.evaluate(PHRASE_BOXES, ["Karen Donfried", 0])
    release(page, CREATE, held)
    expect(page.locator("#annotate")).to_have_attribute("data-writes", "0")

    assert page.evaluate("() => window.getSelection().toString()") == "Karen Donfried"
    after, _ = page.evaluate(PHRASE_BOXES, ["Karen Donfried", 0])
    assert (after["x"], after["y"]) == (before["x"], before["y"]), "the text moved"
    page.keyboard.press("4")
    wait_until_saved(page)
    assert stored(seed, annotator) == {("actor", "Sergey Lavrov"), ("actor", "Karen Donfried")}
    assert page.evaluate("() => window.__shifts.reduce((sum, value) => sum + value, 0)") == 0


def test_drag_that_starts_before_and_ends_after_a_save_lands(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)
    held = hold(page, CREATE)
    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")
    wait_for_held(page, held, 1)

    first, last = page.evaluate(PHRASE_BOXES, ["The Biden administration", 0])
    page.mouse.move(first["x"] + 1, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(first["x"] + 40, first["y"] + first["height"] / 2, steps=4)
    release(page, CREATE, held)
    wait_until_saved(page)
    page.mouse.move(last["x"] + last["width"] - 1, last["y"] + last["height"] / 2, steps=6)
    page.mouse.up()
    page.keyboard.press("4")
    wait_until_saved(page)

    assert stored(seed, annotator) == {
        ("actor", "Sergey Lavrov"),
        ("actor", "The Biden administration"),
    }


def test_undo_during_a_pending_delete_restores_that_span_and_nothing_else(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    actor = Label.objects.get(project=seed.project, name="actor")
    nato = seed.text.find("NATO")
    Span.objects.create(document=seed, annotator=annotator, label=actor, start=nato, end=nato + 4)
    page = page_as(annotator)
    open_document(page, seed)
    drag_over(page, "Karen Donfried")
    page.keyboard.press("4")
    wait_until_saved(page)
    held = hold(page, DELETE)

    click_on(page, "NATO")
    page.keyboard.press("Delete")
    wait_for_held(page, held, 1)
    page.keyboard.press("Control+z")
    wait_for_span_count(page, 2)
    release(page, DELETE, held)
    wait_until_saved(page)

    assert stored(seed, annotator) == {("actor", "NATO"), ("actor", "Karen Donfried")}
    page.reload()
    wait_for_span_count(page, 2)


def test_undo_names_the_last_action_whatever_order_the_answers_come_in(page_as, annotator):
    """The first create's answer is held back while two more actions are made; Ctrl+Z
    undoes the latest action (the second create), not the one answered last."""
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)
    held = hold(page, CREATE)

    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")
    wait_for_held(page, held, 1)
    drag_over(page, "Karen Donfried")
    page.keyboard.press("4")
    click_on(page, "Sergey Lavrov")
    page.keyboard.press("1")
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(page.locator("#span-list .span-label")).to_have_text(["actor"])
    release(page, CREATE, held)
    wait_until_saved(page)

    assert stored(seed, annotator) == {("actor", "Sergey Lavrov")}


def test_refused_create_is_unpainted_and_leaves_no_leave_page_prompt(page_as, annotator, dialogs):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)
    # Stored behind the page's back: only the server knows it is a duplicate.
    actor = Label.objects.get(project=seed.project, name="actor")
    start = seed.text.find("Sergey Lavrov")
    Span.objects.create(
        document=seed, annotator=annotator, label=actor, start=start, end=start + 13
    )

    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")
    expect(page.locator(".notice.refused")).to_contain_text("Not saved: actor “Sergey Lavrov”.")
    wait_until_saved(page)
    wait_for_span_count(page, 0)
    assert painted(page) == []
    page.reload()
    assert dialogs == []
    wait_for_span_count(page, 1)


# ---- keyboard only ------------------------------------------------------------------------


def test_keyboard_only_selects_by_word_and_character_and_labels(page_as, annotator):
    article = document_titled("Harbour summit")
    page = page_as(annotator)
    open_document(page, article)
    for _ in range(60):
        if page.evaluate("() => document.activeElement.id") == "document-text":
            break
        page.keyboard.press("Tab")
    start = article.text.find("Aino Virtanen")
    words_before = len(re.findall(r"\w+", article.text[:start]))

    for _ in range(words_before):
        page.keyboard.press("Control+ArrowRight")  # to the end of "Minister"
    page.keyboard.press("ArrowRight")  # over the space
    page.keyboard.press("Shift+Control+ArrowRight")
    page.keyboard.press("Shift+Control+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")  # by character: out and back
    assert page.evaluate("() => window.getSelection().toString()") == "Aino Virtanen"
    page.keyboard.press("4")
    wait_until_saved(page)

    span = Span.objects.get(document=article, annotator=annotator)
    assert (span.start, span.end) == (start, start + len("Aino Virtanen"))


def test_span_list_rows_are_operable_by_keyboard(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    actor = Label.objects.get(project=seed.project, name="actor")
    for phrase in ("Sergey Lavrov", "NATO"):
        start = seed.text.find(phrase)
        Span.objects.create(
            document=seed, annotator=annotator, label=actor, start=start, end=start + len(phrase)
        )
    page = page_as(annotator)
    open_document(page, seed)

    page.locator("#span-list .span-select").first.focus()
    expect(page.locator("#span-list .span-select:focus")).to_contain_text("NATO")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#span-list .span-select:focus")).to_contain_text("Sergey Lavrov")
    page.keyboard.press("1")
    wait_until_saved(page)
    assert stored(seed, annotator) == {("claim", "Sergey Lavrov"), ("actor", "NATO")}
    page.keyboard.press("Delete")
    wait_until_saved(page)
    assert stored(seed, annotator) == {("actor", "NATO")}
    expect(page.locator("#span-list .span-select:focus")).to_contain_text("NATO")


# ---- narrow screens, no JavaScript, accessibility, colour -----------------------------------


def test_at_390_px_the_bar_fits_and_submit_and_the_span_panel_are_reachable(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    page.set_viewport_size({"width": 390, "height": 844})
    open_document(page, seed)
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(200)

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for target in [*page.locator(".label-button").all(), page.locator("#submit-document")]:
        box = target.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    expect(page.locator("#span-list")).not_to_be_in_viewport()
    page.locator("#panel-toggle").click()
    expect(page.locator("#span-panel h2", has_text="My spans")).to_be_in_viewport()


def test_without_javascript_the_marks_and_plain_forms_work(browser, live_server, annotator):
    seed = document_titled("Russia & US Agree")
    actor = Label.objects.get(project=seed.project, name="actor")
    start = seed.text.find("NATO")
    Span.objects.create(document=seed, annotator=annotator, label=actor, start=start, end=start + 4)
    client = Client()
    client.force_login(annotator)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"/projects/{seed.project.slug}/documents/{seed.pk}/")

    expect(page.locator("#document-text")).to_be_hidden()
    expect(page.locator("mark[data-span]")).to_have_text("NATO")
    page.get_by_role("button", name="Delete actor span").click()
    expect(page.locator("mark[data-span]")).to_have_count(0)
    assert not Span.objects.filter(annotator=annotator).exists()
    context.close()


AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2 A/AA rules over the page, as 'rule: target' lines."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => (await axe.run(document, {
             runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
           })).violations.flatMap((violation) =>
             violation.nodes.map((node) => violation.id + ": " + node.target.join(" ")))"""
    )
    return found


def test_annotate_page_has_no_axe_violations(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)
    drag_over(page, "Sergey Lavrov")
    page.keyboard.press("4")
    wait_until_saved(page)
    click_on(page, "Sergey Lavrov")

    assert axe_violations(page) == []


# The four demo labels painted side by side, then seen through Chromium's own
# simulation of colour blindness and of greyscale (achromatopsia).
SAMPLE = """
([labels]) => {
  const host = document.getElementById("document-text");
  const node = host.firstChild;
  const boxes = [];
  for (const [index, label] of labels.entries()) {
    const range = document.createRange();
    range.setStart(node, index * 20);
    range.setEnd(node, index * 20 + 12);
    const name = "label-" + label;
    if (!CSS.highlights.has(name)) { CSS.highlights.set(name, new Highlight()); }
    CSS.highlights.get(name).add(new StaticRange({
      startContainer: node, startOffset: index * 20, endContainer: node, endOffset: index * 20 + 12,
    }));
    const rect = range.getClientRects()[0];
    boxes.push({ x: rect.x, y: rect.y, width: rect.width, height: rect.height + 16 });
  }
  return boxes;
}
"""


# Of each pair of samples in a screenshot, the share of pixels whose grey levels
# differ by more than 24 of 255 (decoded by the browser, PNG through a canvas).
DIFFERENCES = """
async ([png, boxes]) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const greys = boxes.map((box) => {
    const pixels = context.getImageData(Math.round(box.x), Math.round(box.y),
      Math.round(boxes[0].width), Math.round(boxes[0].height)).data;
    const grey = [];
    for (let index = 0; index < pixels.length; index += 4) {
      grey.push(0.2126 * pixels[index] + 0.7152 * pixels[index + 1] + 0.0722 * pixels[index + 2]);
    }
    return grey;
  });
  const shares = [];
  for (let a = 0; a < greys.length; a += 1) {
    for (let b = a + 1; b < greys.length; b += 1) {
      const differing = greys[a].filter((value, index) => Math.abs(value - greys[b][index]) > 24);
      shares.push(differing.length / greys[a].length);
    }
  }
  return shares;
}
"""


def test_the_four_label_styles_stay_apart_in_greyscale_and_for_colour_blindness(page_as, annotator):
    seed = document_titled("Russia & US Agree")
    labels = list(Label.objects.filter(project=seed.project).order_by("hotkey"))
    assert [label.name for label in labels] == ["claim", "threat", "proposal", "actor"]
    page = page_as(annotator)
    page.set_viewport_size({"width": 1600, "height": 900})
    open_document(page, seed)
    page.evaluate(
        """() => { const text = document.getElementById("document-text");
                   text.textContent = "MMMMMMMMMMMM        ".repeat(4); }"""
    )
    page.evaluate("() => window.scrollTo(0, 0)")
    boxes = page.evaluate(SAMPLE, [[label.pk for label in labels]])
    session = page.context.new_cdp_session(page)

    for deficiency in ("achromatopsia", "deuteranopia", "protanopia", "tritanopia"):
        session.send("Emulation.setEmulatedVisionDeficiency", {"type": deficiency})
        png = base64.b64encode(page.screenshot()).decode()
        shares = page.evaluate(DIFFERENCES, [png, boxes])
        assert len(shares) == 6
        assert min(shares) > 0.05, (deficiency, shares)

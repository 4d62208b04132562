"""The annotate page in a real browser: mouse, keyboard, htmx swaps, offsets.

Offsets asserted here are Python code points (``str.find``); the page works in
UTF-16 and must convert, which the emoji article tests.
"""

import re

import pytest
from django.contrib.auth.models import User
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

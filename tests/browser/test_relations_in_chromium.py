"""Relations and attributes on the annotate page in Chromium, by keyboard (issue 14).

On the seed article an annotator marks a threat and an actor, links them as
``claimant`` by picking the target with the keyboard, sets the threat's stance,
deletes the relation and undoes that, and deletes the actor, whose relation goes
with it. A pair the relation type does not allow is refused with the reason.
"""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from test_annotate_in_chromium import (
    PHRASE_BOXES,
    annotator,  # noqa: F401 - a fixture
    axe_violations,
    document_titled,
    open_document,
    wait_for_span_count,
    wait_until_saved,
)

from annotator.models import Document, Label, Relation, Span, SpanAttribute

pytestmark = [pytest.mark.browser]

ACTOR = "Sergey Lavrov"
THREAT = "negotiations between Moscow and the US and NATO"


def focus_text(page: Page) -> None:
    for _ in range(60):
        if page.evaluate("() => document.activeElement.id") == "document-text":
            return
        page.keyboard.press("Tab")
    raise AssertionError("Tab never reached the text")


def tab_to(page: Page, selector: str) -> None:
    for _ in range(80):
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def select_by_keyboard(page: Page, text: str, caret: int, phrase: str) -> int:
    """From the caret at code point ``caret``, select ``phrase`` (one space before it)
    with Ctrl+arrows; returns where it ends."""
    start = text.index(phrase, caret)
    for _ in range(len(re.findall(r"\w+", text[caret:start]))):
        page.keyboard.press("Control+ArrowRight")
    page.keyboard.press("ArrowRight")
    for _ in range(len(re.findall(r"\w+", phrase))):
        page.keyboard.press("Shift+Control+ArrowRight")
    assert page.evaluate("() => window.getSelection().toString()") == phrase
    return start + len(phrase)


def _span(document: Document, user: User, label: str, phrase: str) -> Span:
    start = document.text.index(phrase)
    return Span.objects.create(
        document=document,
        annotator=user,
        label=Label.objects.get(project=document.project, name=label),
        start=start,
        end=start + len(phrase),
    )


def test_keyboard_links_sets_stance_deletes_and_undoes(page_as, annotator):  # noqa: F811
    seed = document_titled("Russia & US Agree")
    page = page_as(annotator)
    open_document(page, seed)
    focus_text(page)

    caret = select_by_keyboard(page, seed.text, 0, ACTOR)
    page.keyboard.press("4")  # actor
    caret = select_by_keyboard(page, seed.text, caret, THREAT)
    page.keyboard.press("2")  # threat
    wait_for_span_count(page, 2)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")  # selects the threat at the caret
    page.keyboard.press("c")  # claimant: pick its target
    expect(page.locator("#annotate")).to_have_attribute("data-picking", "claimant")
    expect(page.locator(".overlay .tag-pick")).to_contain_text("claimant target 1 of 1")
    page.keyboard.press("Enter")
    wait_until_saved(page)

    relation = Relation.objects.get(document=seed, annotator=annotator)
    assert (relation.type.name, relation.source.label.name, relation.target.label.name) == (
        "claimant",
        "threat",
        "actor",
    )
    row = page.locator("#relation-list .relation-select")
    expect(row).to_have_text(f"claimant: “{THREAT}” → “{ACTOR}”")
    # The selected threat shows its relation: both ends outlined.
    expect(page.locator(".overlay .link-source")).not_to_have_count(0)
    expect(page.locator(".overlay .link-target")).not_to_have_count(0)

    page.keyboard.press("Alt+2")  # the stance's second value
    wait_until_saved(page)
    assert SpanAttribute.objects.get(span=relation.source).value == "oppose"
    expect(page.locator("#attributes input:checked + kbd + span")).to_have_text("oppose")
    page.keyboard.press("Alt+3")  # neutral, then undone: oppose again
    wait_until_saved(page)
    assert SpanAttribute.objects.get(span=relation.source).value == "neutral"
    page.keyboard.press("Control+z")
    wait_until_saved(page)
    assert SpanAttribute.objects.get(span=relation.source).value == "oppose"
    expect(page.locator("#attributes input:checked + kbd + span")).to_have_text("oppose")

    tab_to(page, ".relation-select")
    page.keyboard.press("Delete")
    wait_until_saved(page)
    expect(page.locator("#relation-list .relation-select")).to_have_count(0)
    assert not Relation.objects.filter(document=seed).exists()
    page.keyboard.press("Control+z")
    wait_until_saved(page)
    expect(page.locator("#relation-list .relation-select")).to_have_count(1)
    assert Relation.objects.filter(document=seed, annotator=annotator).count() == 1

    page.keyboard.press("Escape")
    page.keyboard.press("]")  # the first span: the actor
    page.keyboard.press("Delete")
    wait_until_saved(page)
    wait_for_span_count(page, 1)
    expect(page.locator("#relation-list .relation-select")).to_have_count(0)
    assert not Relation.objects.filter(document=seed).exists()
    page.keyboard.press("Control+z")  # the actor, and its relation, come back
    wait_until_saved(page)
    wait_for_span_count(page, 2)
    expect(page.locator("#relation-list .relation-select")).to_have_count(1)
    assert Relation.objects.filter(document=seed, annotator=annotator).count() == 1

    page.reload()
    expect(page.locator("#relation-list .relation-select")).to_have_text(
        f"claimant: “{THREAT}” → “{ACTOR}”"
    )


def test_a_pair_the_type_does_not_allow_is_refused_with_the_reason(page_as, annotator):  # noqa: F811
    seed = document_titled("Russia & US Agree")
    _span(seed, annotator, "actor", ACTOR)
    _span(seed, annotator, "threat", THREAT)
    _span(seed, annotator, "claim", "The Kremlin is seeking legally binding guarantees")
    page = page_as(annotator)
    open_document(page, seed)

    page.keyboard.press("]")  # the actor: a claimant starts at a statement
    page.keyboard.press("c")
    expect(page.locator(".notice.refused")).to_contain_text(
        "A claimant relation starts at a claim, threat or proposal span, "
        "not at the actor span “Sergey Lavrov”."
    )

    page.keyboard.press("]")  # the threat; a click on the claim picks a wrong target
    page.keyboard.press("c")
    expect(page.locator("#annotate")).to_have_attribute("data-picking", "claimant")
    claim = page.evaluate(
        """() => {
          const text = document.getElementById("document-text");
          const offset = text.textContent.indexOf("The Kremlin is seeking");
          const range = document.createRange();
          range.setStart(text.firstChild, offset + 2);
          range.setEnd(text.firstChild, offset + 3);
          const rect = range.getBoundingClientRect();
          return {x: rect.x + rect.width / 2, y: rect.y + rect.height / 2};
        }"""
    )
    page.mouse.click(claim["x"], claim["y"])
    wait_until_saved(page)
    expect(page.locator(".notice.refused").last).to_contain_text(
        "A claimant relation ends at an actor span, not at the claim span"
    )
    expect(page.locator("#relation-list .relation-select")).to_have_count(0)
    assert not Relation.objects.exists()


def test_relations_shown_have_no_axe_violations(page_as, annotator):  # noqa: F811
    seed = document_titled("Russia & US Agree")
    actor = _span(seed, annotator, "actor", ACTOR)
    threat = _span(seed, annotator, "threat", THREAT)
    Relation.objects.create(
        type=seed.project.relation_types.get(name="claimant"),
        document=seed,
        annotator=annotator,
        source=threat,
        target=actor,
    )
    page = page_as(annotator)
    open_document(page, seed)
    first, _ = page.evaluate(PHRASE_BOXES, [ACTOR, 0])
    page.mouse.move(first["x"] + 2, first["y"] + first["height"] / 2)  # pointing at the actor
    expect(page.locator(".overlay .link-source")).not_to_have_count(0)
    expect(page.locator(".overlay .tag-link")).to_have_text("← claimant")
    page.mouse.move(1, 1)
    expect(page.locator(".overlay .link-end")).to_have_count(0)
    page.keyboard.press("]")
    page.keyboard.press("]")  # the threat: its attributes and relation shown
    expect(page.locator("#attributes")).to_be_visible()
    page.locator("#relation-list .relation-select").focus()
    expect(page.locator(".overlay .link-end")).not_to_have_count(0)

    assert axe_violations(page) == []

"""Suggestions on the annotate page in Chromium, by keyboard only (issue 16's "Done when").

An annotator who labelled two other documents opens the seed article: the
actors they labelled are proposed there (string match), drawn apart from their
own spans; another annotator's phrases are not (blind annotation). They accept
the actors with one key each, reject one with x, undo an acceptance and a
rejection, accept one with another label's key and accept every suggestion of a
label at once.
"""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from test_annotate_in_chromium import (
    PAINTED,
    annotator,  # noqa: F401 - a fixture
    axe_violations,
    document_titled,
    drag_over,
    open_document,
    wait_for_span_count,
    wait_until_saved,
)

from annotator.annotation.assignments import assignment_create, assignment_submit
from annotator.annotation.spans import span_create
from annotator.models import (
    Document,
    Label,
    Membership,
    Role,
    Span,
    SuggestionDecision,
    SuggestionStatus,
)

pytestmark = [pytest.mark.browser]

# The texts of the ranges painted as suggestions, in reading order.
SUGGESTED = """
() => {
  const highlight = CSS.highlights.get("suggested");
  if (!highlight) { return []; }
  return Array.from(highlight, (range) => [range.startOffset,
    range.startContainer.data.slice(range.startOffset, range.endOffset)])
    .sort((a, b) => a[0] - b[0]).map(([, text]) => text);
}
"""


def _mark(user: User, document: Document, label: Label, phrase: str) -> None:
    start = document.text.index(phrase)
    span_create(
        document=document, annotator=user, label=label, start=start, end=start + len(phrase)
    )


def _labelled_two_documents(seed: Document, user: User) -> dict[str, Label]:
    """The annotator's actors and NATO as a threat in two documents; bob, another
    annotator, labelled Moscow and Donfried, which must never be proposed to them."""
    project = seed.project
    labels = {label.name: label for label in project.labels.all()}
    before = Document.objects.create(
        project=project,
        title="Before",
        text="Sergey Lavrov met Karen Donfried while The Kremlin listened.",
    )
    after = Document.objects.create(
        project=project, title="After", text="Reuters says Moscow and NATO talk again."
    )
    for phrase in ("Sergey Lavrov", "Karen Donfried", "The Kremlin"):
        _mark(user, before, labels["actor"], phrase)
    _mark(user, after, labels["actor"], "Reuters")
    _mark(user, after, labels["threat"], "NATO")
    bob = User.objects.create_user("bob", password="password")
    Membership.objects.create(project=project, user=bob, role=Role.ANNOTATOR)
    _mark(bob, after, labels["proposal"], "Moscow")
    _mark(bob, seed, labels["proposal"], "Donfried")
    return labels


def selected_tag(page: Page):
    return page.locator(".overlay .tag-selected")


def select_next(page: Page, label: str) -> None:
    """Press s until a suggestion of ``label`` is selected."""
    for _ in range(12):
        page.keyboard.press("s")
        if selected_tag(page).text_content().startswith(f"{label} (suggested"):
            return
    raise AssertionError(f"no {label} suggestion reached with s")


def suggestion_count(page: Page, count: int) -> None:
    expect(page.locator("#annotate")).to_have_attribute("data-suggestion-count", str(count))


def own(seed: Document, user: User) -> set[tuple[str, str, str]]:
    return {
        (span.label.name, seed.text[span.start : span.end], span.origin)
        for span in Span.objects.filter(document=seed, annotator=user).select_related("label")
    }


def test_accept_reject_undo_and_accept_all_suggestions_by_keyboard(page_as, annotator):  # noqa: F811
    seed = document_titled("Russia & US Agree")
    _labelled_two_documents(seed, annotator)
    page = page_as(annotator)
    # The page paints only what is in the viewport: one tall enough for the whole
    # article, so that every suggestion is painted.
    page.set_viewport_size({"width": 1280, "height": 6000})
    open_document(page, seed)
    expect(page.locator("#annotate")).to_have_attribute("data-suggestions", "ready")

    # Proposed: the four actors and the six NATOs; never bob's phrases.
    suggested = page.evaluate(SUGGESTED)
    assert sorted(set(suggested)) == [
        "Karen Donfried",
        "NATO",
        "Reuters",
        "Sergey Lavrov",
        "The Kremlin",
    ]
    assert len(suggested) == 10
    assert "Moscow" not in suggested and "Donfried" not in suggested
    # Drawn apart: none is painted as a span of the annotator's own.
    assert page.evaluate(PAINTED) == []
    suggestion_count(page, 10)
    expect(page.locator("#suggestions .accept-all-button")).to_have_text(
        ["Accept all threat (6)", "Accept all actor (4)"]
    )

    # Each actor: reached with s, accepted with Enter; its source is in the tag.
    for accepted in range(1, 5):
        select_next(page, "actor")
        expect(selected_tag(page)).to_have_text("actor (suggested by string match)")
        page.keyboard.press("Enter")
        wait_for_span_count(page, accepted)
    suggestion_count(page, 6)
    wait_until_saved(page)
    actors = {"Sergey Lavrov", "Karen Donfried", "The Kremlin", "Reuters"}
    assert own(seed, annotator) == {("actor", text, "string-match") for text in actors}

    # Reject one NATO with x.
    select_next(page, "threat")
    page.keyboard.press("x")
    suggestion_count(page, 5)
    wait_until_saved(page)
    [rejected] = SuggestionDecision.objects.filter(status=SuggestionStatus.REJECTED)
    assert seed.text[rejected.suggestion.start : rejected.suggestion.end] == "NATO"

    # Undo the rejection, then the last acceptance: both suggestions are back.
    page.keyboard.press("Control+z")
    suggestion_count(page, 6)
    wait_until_saved(page)
    assert not SuggestionDecision.objects.filter(status=SuggestionStatus.REJECTED).exists()
    page.keyboard.press("Control+z")
    suggestion_count(page, 7)
    wait_for_span_count(page, 3)
    wait_until_saved(page)
    assert len(own(seed, annotator)) == 3
    # The suggestion that came back is selected: a label key accepts it with that label.
    expect(selected_tag(page)).to_have_text("actor (suggested by string match)")
    page.keyboard.press("1")
    wait_for_span_count(page, 4)
    suggestion_count(page, 6)

    # Every NATO at once: Shift+A on a selected one.
    select_next(page, "threat")
    page.keyboard.press("Shift+A")
    suggestion_count(page, 0)
    wait_for_span_count(page, 10)
    expect(page.locator("#suggestions")).to_be_hidden()
    wait_until_saved(page)
    spans = own(seed, annotator)
    assert Span.objects.filter(document=seed, annotator=annotator).count() == 10
    assert {text for label, text, _ in spans if label == "threat"} == {"NATO"}
    assert {text for label, text, _ in spans if label == "claim"} <= actors
    assert {origin for _, _, origin in spans} == {"string-match"}


def test_accept_all_button_is_reachable_by_tab_and_undo_brings_every_suggestion_back(
    page_as,
    annotator,  # noqa: F811
):
    seed = document_titled("Russia & US Agree")
    _labelled_two_documents(seed, annotator)
    page = page_as(annotator)
    open_document(page, seed)
    expect(page.locator("#annotate")).to_have_attribute("data-suggestions", "ready")

    assert axe_violations(page) == []
    button = page.locator("#suggestions .accept-all-button", has_text="threat")
    button.focus()
    page.keyboard.press("Enter")
    suggestion_count(page, 4)
    wait_for_span_count(page, 6)
    wait_until_saved(page)
    assert Span.objects.filter(document=seed, annotator=annotator).count() == 6

    page.keyboard.press("Control+z")
    suggestion_count(page, 10)
    wait_for_span_count(page, 0)
    wait_until_saved(page)
    assert not Span.objects.filter(document=seed, annotator=annotator).exists()
    assert not SuggestionDecision.objects.exists()


def test_a_refused_acceptance_brings_the_suggestion_back_and_says_why(page_as, annotator):  # noqa: F811
    seed = document_titled("Russia & US Agree")
    _labelled_two_documents(seed, annotator)
    page = page_as(annotator)
    open_document(page, seed)
    expect(page.locator("#annotate")).to_have_attribute("data-suggestions", "ready")
    # Meanwhile (another tab) the annotator hands the document in.
    assignment_create(document=seed, annotator=annotator)
    assignment_submit(document=seed, annotator=annotator)

    select_next(page, "actor")
    page.keyboard.press("Enter")

    expect(page.locator("#notices .notice.refused")).to_contain_text("Not accepted: actor")
    suggestion_count(page, 10)
    wait_for_span_count(page, 0)
    wait_until_saved(page)
    assert not Span.objects.filter(document=seed, annotator=annotator).exists()


def test_marking_a_suggested_phrase_by_hand_takes_the_suggestion_away_until_undone(
    page_as,
    annotator,  # noqa: F811
):
    seed = document_titled("Russia & US Agree")
    _labelled_two_documents(seed, annotator)
    page = page_as(annotator)
    page.set_viewport_size({"width": 1280, "height": 6000})
    open_document(page, seed)
    expect(page.locator("#annotate")).to_have_attribute("data-suggestions", "ready")
    suggestion_count(page, 10)

    # Reuters, proposed as an actor, marked as an actor with the mouse and key 4.
    drag_over(page, "Reuters")
    page.keyboard.press("4")
    wait_for_span_count(page, 1)
    suggestion_count(page, 9)
    assert "Reuters" not in page.evaluate(SUGGESTED)
    wait_until_saved(page)
    assert own(seed, annotator) == {("actor", "Reuters", None)}

    # Undone, the span goes and the suggestion is offered again.
    page.keyboard.press("Control+z")
    wait_for_span_count(page, 0)
    suggestion_count(page, 10)
    assert "Reuters" in page.evaluate(SUGGESTED)
    wait_until_saved(page)
    assert own(seed, annotator) == set()

    # Marked with another label, the actor suggestion stays.
    drag_over(page, "Reuters")
    page.keyboard.press("1")
    wait_for_span_count(page, 1)
    suggestion_count(page, 10)

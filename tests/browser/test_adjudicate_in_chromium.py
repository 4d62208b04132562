"""Adjudication in a real browser: pre-merge, accept, settle disagreements by keyboard, mark gold.

fixtures/demo_agreement.json: ada and ben submitted the seed article; they agree
on three spans and differ on "The Kremlin is seeking ..." (claim against threat),
on "The Biden administration" (boundaries), and on "Kremlin" (ada only, inside
the claim: one region with the first disagreement).
"""

import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect
from test_annotate_in_chromium import axe_violations, drag_over

from annotator.models import Document, GoldOrigin, GoldSpan, GoldSpanStatus, GoldStatus, Span

pytestmark = [pytest.mark.browser]

KREMLIN_CLAIM = (
    "The Kremlin is seeking legally binding guarantees that NATO would halt all eastward expansion"
)


def wait_until_saved(page) -> None:
    expect(page.locator("#adjudicate")).to_have_attribute("data-writes", "0")


@pytest.fixture
def disagreement(demo) -> Document:
    call_command("loaddata", "fixtures/demo_agreement.json", verbosity=0)
    return Document.objects.get(title__startswith="Russia & US Agree")


def test_curator_premerges_accepts_settles_by_keyboard_and_marks_gold(page_as, disagreement):
    curator = User.objects.get(username="cleo")
    page = page_as(curator)
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    # Two regions of disagreement, in two paragraphs, each with the annotators' lanes.
    expect(page.locator("#disagreement-count")).to_have_text("2")
    expect(page.locator("#document-text .paragraph.unsettled")).to_have_count(2)
    expect(page.locator("#document-text .paragraph.unsettled .lane")).to_have_count(4)

    page.locator("#premerge").click()
    expect(page.locator("#gold-list .gold-item.proposed")).to_have_count(3)
    page.locator("#accept-all").click()
    expect(page.locator("#gold-list .gold-item.accepted")).to_have_count(3)

    drag_over(page, KREMLIN_CLAIM)
    page.keyboard.press("1")
    expect(page.locator("#gold-list .gold-item")).to_have_count(4)
    expect(page.locator("#disagreement-count")).to_have_text("1")
    page.locator("#mark-gold").click()
    expect(page.locator(".notice")).to_contain_text(
        "1 region of disagreement has no gold span yet. Mark gold anyway?"
    )
    page.locator("#confirm-gold").click()
    expect(page.locator("#gold-status")).to_have_text("Gold")
    expect(page.locator("#adjudicate")).to_have_attribute("data-writes", "0")

    disagreement.refresh_from_db()
    assert disagreement.gold_status == GoldStatus.GOLD
    gold = {
        (g.label.name, disagreement.text[g.start : g.end]): g
        for g in GoldSpan.objects.filter(document=disagreement)
    }
    assert set(gold) == {
        ("actor", "Sergey Lavrov"),
        ("actor", "Karen Donfried"),
        (
            "proposal",
            "negotiations between Moscow and the US and NATO are expected to begin in January",
        ),
        ("claim", KREMLIN_CLAIM),
    }
    assert all(g.status == GoldSpanStatus.ACCEPTED and g.curator == curator for g in gold.values())
    assert all(g.guidelines_version == 1 for g in gold.values())
    lavrov = gold[("actor", "Sergey Lavrov")]
    assert lavrov.origin == GoldOrigin.MERGE
    assert lavrov.merge_rule == "exact match by at least 2 of 2 annotators"
    assert sorted(lavrov.source_spans.values_list("annotator__username", flat=True)) == [
        "ada",
        "ben",
    ]
    settled = gold[("claim", KREMLIN_CLAIM)]
    assert settled.origin == GoldOrigin.CURATOR
    assert list(settled.source_spans.all()) == [
        Span.objects.get(document=disagreement, annotator__username="ada", label__name="claim")
    ]


def test_keyboard_relabels_and_rejects_a_gold_span_and_undo_restores_the_proposal(
    page_as, disagreement
):
    page = page_as(User.objects.get(username="cleo"))
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    page.locator("#premerge").click()
    expect(page.locator("#gold-list .gold-item")).to_have_count(3)
    wait_until_saved(page)
    donfried = GoldSpan.objects.get(
        document=disagreement, label__name="actor", start=disagreement.text.index("Karen Donfried")
    )
    sources = set(donfried.source_spans.all())

    page.locator("#gold-list .span-select", has_text="Sergey Lavrov").click()
    page.keyboard.press("2")
    expect(page.locator("#gold-list .gold-item", has_text="Sergey Lavrov")).to_contain_text(
        "threat"
    )
    page.locator("#gold-list .span-select", has_text="Karen Donfried").click()
    page.keyboard.press("Delete")
    expect(page.locator("#gold-list .gold-item")).to_have_count(2)
    wait_until_saved(page)
    assert not GoldSpan.objects.filter(pk=donfried.pk).exists()
    page.keyboard.press("Control+z")
    expect(page.locator("#gold-list .gold-item")).to_have_count(3)
    wait_until_saved(page)

    labels = dict(
        (disagreement.text[g.start : g.end], (g.label.name, g.status))
        for g in GoldSpan.objects.filter(document=disagreement)
    )
    assert labels["Sergey Lavrov"] == ("threat", GoldSpanStatus.ACCEPTED)
    # The rejected proposal is back as it was: proposed, from the pre-merge, same sources.
    restored = GoldSpan.objects.get(pk=donfried.pk)
    assert (restored.label.name, restored.status, restored.curator) == ("actor", "proposed", None)
    assert (restored.origin, restored.merge_rule) == (GoldOrigin.MERGE, donfried.merge_rule)
    assert set(restored.source_spans.all()) == sources
    row = page.locator("#gold-list .gold-item", has_text="Karen Donfried")
    expect(row).to_have_class(re.compile(r"\bproposed\b"))
    expect(row).to_contain_text("pre-merge: exact match by at least 2 of 2 annotators")


def test_keyboard_accepts_one_proposal_then_all(page_as, disagreement):
    page = page_as(User.objects.get(username="cleo"))
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    page.locator("#premerge").click()
    expect(page.locator("#gold-list .gold-item.proposed")).to_have_count(3)

    page.keyboard.press("a")  # nothing selected: nothing accepted
    page.locator("#gold-list .span-select", has_text="Sergey Lavrov").click()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator("#gold-list .gold-item.accepted")).to_have_count(0)
    page.locator("#gold-list .span-select", has_text="Sergey Lavrov").click()
    page.keyboard.press("a")
    expect(page.locator("#gold-list .gold-item.accepted")).to_have_count(1)
    expect(page.locator("#gold-list .gold-item.accepted")).to_contain_text("Sergey Lavrov")
    page.keyboard.press("Shift+A")
    expect(page.locator("#gold-list .gold-item.accepted")).to_have_count(3)
    wait_until_saved(page)

    statuses = set(GoldSpan.objects.filter(document=disagreement).values_list("status", flat=True))
    assert statuses == {GoldSpanStatus.ACCEPTED}


def test_use_accept_move_and_premerge_are_undone_exactly(page_as, disagreement):
    page = page_as(User.objects.get(username="cleo"))
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    page.locator("#premerge-minimum").fill("1")
    page.locator("#premerge").click()
    wait_until_saved(page)
    proposed = GoldSpan.objects.filter(document=disagreement).count()
    assert proposed > 3
    expect(page.locator("#premerge-minimum")).to_have_value("1")
    page.keyboard.press("Control+z")  # the pre-merge
    wait_until_saved(page)
    assert not GoldSpan.objects.filter(document=disagreement).exists()

    page.locator("#premerge").click()
    wait_until_saved(page)
    page.locator("#gold-list .span-select", has_text="Sergey Lavrov").click()
    page.keyboard.press("a")
    page.keyboard.press("Shift+A")
    page.keyboard.press("Control+z")  # accept all
    page.keyboard.press("Control+z")  # accept
    wait_until_saved(page)
    statuses = set(GoldSpan.objects.filter(document=disagreement).values_list("status", flat=True))
    assert statuses == {GoldSpanStatus.PROPOSED}

    # An annotator's span, used from its lane with the keyboard, then undone.
    page.keyboard.press("Escape")
    page.keyboard.press(".")
    page.keyboard.press("u")
    wait_until_saved(page)
    assert GoldSpan.objects.filter(document=disagreement, status="accepted").count() == 1
    page.keyboard.press("Control+z")
    wait_until_saved(page)
    assert not GoldSpan.objects.filter(document=disagreement, status="accepted").exists()
    assert GoldSpan.objects.filter(document=disagreement).count() == proposed


def test_undoing_a_premerge_after_another_curator_accepted_keeps_every_span(page_as, disagreement):
    from annotator.curation.gold import gold_span_accept

    curator = User.objects.get(username="cleo")
    page = page_as(curator)
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    page.locator("#premerge").click()
    expect(page.locator("#gold-list .gold-item.proposed")).to_have_count(3)
    wait_until_saved(page)
    lavrov = GoldSpan.objects.get(document=disagreement, start=disagreement.text.index("Sergey"))
    # Someone else, in another tab, accepts one of the proposals.
    gold_span_accept(gold_span=lavrov, curator=curator)
    before = sorted(GoldSpan.objects.values_list("pk", "status"))

    page.keyboard.press("Control+z")

    expect(page.locator(".notice.refused")).to_contain_text(
        "An actor span on “Sergey Lavrov” was accepted since: reload the page"
    )
    expect(page.locator("#gold-list .gold-item")).to_have_count(3)
    wait_until_saved(page)
    assert sorted(GoldSpan.objects.values_list("pk", "status")) == before


def test_adjudicate_page_has_no_axe_violations(page_as, disagreement):
    page = page_as(User.objects.get(username="cleo"))
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    page.locator("#premerge").click()
    wait_until_saved(page)
    page.locator("#gold-list .span-select", has_text="Sergey Lavrov").click()

    assert axe_violations(page) == []


def test_gold_relations_panel_adds_sets_and_follows_a_rejected_span(page_as, disagreement):
    from annotator.curation.gold import gold_span_create
    from annotator.models import GoldRelation, GoldSpanAttribute

    curator = User.objects.get(username="cleo")
    labels = {label.name: label for label in disagreement.project.labels.all()}
    proposal_text = (
        "negotiations between Moscow and the US and NATO are expected to begin in January"
    )

    def gold(label: str, quote: str) -> GoldSpan:
        start = disagreement.text.index(quote)
        return gold_span_create(
            document=disagreement,
            label=labels[label],
            start=start,
            end=start + len(quote),
            curator=curator,
        )

    proposal, lavrov = gold("proposal", proposal_text), gold("actor", "Sergey Lavrov")
    page = page_as(curator)
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")

    form = page.locator("#gold-relation-form")
    form.locator("select[name=type]").select_option(label="claimant")
    form.locator("select[name=source]").select_option(str(proposal.pk))
    form.locator("select[name=target]").select_option(str(lavrov.pk))
    form.get_by_role("button", name="Add relation").click()
    row = page.locator("#gold-relations [data-gold-relation]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("claimant")
    expect(row).to_contain_text("added by curator; decided by cleo")
    page.locator("#gold-attributes summary").click()
    attribute = page.locator(f'#gold-attributes [data-gold-span="{proposal.pk}"]')
    attribute.locator("select[name=value]").select_option("oppose")
    attribute.get_by_role("button", name="Set").click()
    expect(page.locator("#gold-relations-title")).to_be_visible()
    assert GoldSpanAttribute.objects.get().value == "oppose"

    page.locator("#gold-list .span-select", has_text="negotiations").click()
    page.keyboard.press("Delete")
    expect(page.locator("#gold-relations [data-gold-relation]")).to_have_count(0)
    expect(page.locator(f'#gold-attributes [data-gold-span="{proposal.pk}"]')).to_have_count(0)
    wait_until_saved(page)
    assert not GoldRelation.objects.exists() and not GoldSpanAttribute.objects.exists()


def test_relations_panel_follows_keyboard_writes_and_their_undo(page_as, disagreement):
    from annotator.models import GoldRelation

    page = page_as(User.objects.get(username="cleo"))
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    expect(page.locator("#gold-relation-form")).to_have_count(0)

    # Pre-merge and accept all (by script and key) give the panel's form gold spans to
    # relate, without a reload.
    page.locator("#premerge").click()
    expect(page.locator("#gold-list .gold-item.proposed")).to_have_count(3)
    page.keyboard.press("Shift+A")
    form = page.locator("#gold-relation-form")
    expect(form.locator("select[name=source] option")).to_have_count(3)
    wait_until_saved(page)
    expect(page.locator("#adjudicate")).to_have_attribute("data-panel", "fresh")
    lavrov = GoldSpan.objects.get(
        document=disagreement, start=disagreement.text.index("Sergey Lavrov")
    )
    negotiations = GoldSpan.objects.get(document=disagreement, label__name="proposal")
    form.locator("select[name=type]").select_option(label="claimant")
    form.locator("select[name=source]").select_option(str(negotiations.pk))
    form.locator("select[name=target]").select_option(str(lavrov.pk))
    form.get_by_role("button", name="Add relation").click()
    row = page.locator("#gold-relations [data-gold-relation]")
    expect(row).to_have_count(1)
    relation = GoldRelation.objects.get()

    # Rejecting by key takes the relation along; the undo brings both back.
    page.locator("#gold-list .span-select", has_text="Sergey Lavrov").click()
    page.keyboard.press("Delete")
    expect(row).to_have_count(0)
    expect(form.locator("select[name=source] option")).to_have_count(2)
    wait_until_saved(page)
    assert not GoldRelation.objects.exists()
    page.keyboard.press("Control+z")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("claimant")
    expect(row).to_contain_text("added by curator; decided by cleo")
    expect(form.locator("select[name=source] option")).to_have_count(3)
    wait_until_saved(page)
    assert GoldRelation.objects.get().pk == relation.pk


def test_keyboard_caret_goes_into_the_lanes_and_uses_an_annotators_span(page_as, disagreement):
    page = page_as(User.objects.get(username="cleo"))
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    expect(page.locator("#adjudicate")).to_have_attribute("data-ready", "true")
    announcer = page.locator("#announcer")
    caret_lane = page.locator("#document-text .lane.lane-caret")
    page.locator("#document-text").focus()

    # Down passes paragraphs where everyone agrees, then enters the first lane.
    for _ in range(20):
        page.keyboard.press("ArrowDown")
        if caret_lane.count():
            break
    expect(caret_lane.locator(".lane-name")).to_have_text("ada")
    expect(announcer).to_contain_text("ada's claim “The Kremlin is seeking")
    page.keyboard.press("ArrowRight")
    expect(announcer).to_contain_text("ada's actor “Kremlin”")
    page.keyboard.press("ArrowDown")
    expect(caret_lane.locator(".lane-name")).to_have_text("ben")
    expect(announcer).to_contain_text("ben's threat “The Kremlin is seeking")
    # Right goes on to ben's next span, in the next paragraph that shows lanes.
    page.keyboard.press("ArrowRight")
    expect(announcer).to_contain_text("ben's actor “Biden administration”")
    assert axe_violations(page) == []
    page.keyboard.press("u")
    wait_until_saved(page)

    gold = GoldSpan.objects.get(document=disagreement)
    ben = Span.objects.get(document=disagreement, annotator__username="ben", start=703)
    assert (gold.label, gold.start, gold.end) == (ben.label, 703, 723)
    assert list(gold.source_spans.all()) == [ben]
    page.keyboard.press("ArrowUp")
    expect(caret_lane.locator(".lane-name")).to_have_text("ada")
    page.keyboard.press("ArrowUp")
    expect(caret_lane).to_have_count(0)
    expect(announcer).to_contain_text("Gold text")


def test_at_390_px_the_bar_fits_and_the_keys_actions_and_panel_are_reachable(page_as, disagreement):
    page = page_as(User.objects.get(username="cleo"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")
    expect(page.locator("#adjudicate")).to_have_attribute("data-ready", "true")
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(200)

    def inside(target, *, across_only: bool = False) -> None:
        box = target.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert across_only or (box["y"] >= 0 and box["y"] + box["height"] <= 844), box

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for target in [
        *page.locator(".label-button").all(),
        page.locator("#panel-toggle"),
        page.locator(".help summary"),
    ]:
        inside(target)
    for lane in page.locator("#document-text .paragraph.unsettled .lane").all():
        inside(lane, across_only=True)
    page.locator(".help summary").click()
    inside(page.locator(".help-body"))
    page.locator(".help summary").click()

    expect(page.locator("#premerge")).not_to_be_in_viewport()
    page.locator("#panel-toggle").click()
    for action in ("#premerge", "#accept-all", "#mark-gold"):
        expect(page.locator(action)).to_be_in_viewport()
    page.locator("#premerge").click()
    expect(page.locator("#gold-list .gold-item.proposed")).to_have_count(3)
    expect(page.locator("#accept-all")).to_be_enabled()


def test_undoing_a_premerge_removes_its_relations_over_older_gold_spans(page_as, disagreement):
    from annotator.curation.gold import gold_span_create
    from annotator.models import GoldRelation, Relation, RelationType

    curator = User.objects.get(username="cleo")
    claimant = RelationType.objects.get(project=disagreement.project, name="claimant")
    lavrov_at = disagreement.text.index("Sergey Lavrov")
    negotiations_at = disagreement.text.index("negotiations between Moscow")
    older = set()
    for start, end in ((lavrov_at, lavrov_at + 13), (negotiations_at, 216)):
        source = Span.objects.filter(document=disagreement, start=start, end=end).first()
        older.add(
            gold_span_create(
                document=disagreement, label=source.label, start=start, end=end, curator=curator
            ).pk
        )
    # What ada and ben submitted (the fixture has no relations): the claimant relation.
    for annotator in ("ada", "ben"):
        spans = Span.objects.filter(document=disagreement, annotator__username=annotator)
        Relation.objects.create(
            type=claimant,
            document=disagreement,
            annotator=spans.first().annotator,
            source=spans.get(start=negotiations_at),
            target=spans.get(start=lavrov_at),
            client_id=uuid.uuid4(),
        )
    page = page_as(curator)
    page.goto(f"/projects/security-talks/documents/{disagreement.pk}/adjudicate/")

    page.locator("#premerge").click()
    expect(page.locator("#gold-list .gold-item.proposed")).to_have_count(1)
    expect(page.locator("#gold-relations [data-gold-relation]")).to_have_count(1)
    wait_until_saved(page)
    assert GoldRelation.objects.get().origin == GoldOrigin.MERGE
    page.keyboard.press("Control+z")
    expect(page.locator("#gold-list .gold-item")).to_have_count(2)
    expect(page.locator("#gold-relations [data-gold-relation]")).to_have_count(0)
    wait_until_saved(page)

    assert set(GoldSpan.objects.values_list("pk", flat=True)) == older
    assert not GoldRelation.objects.exists()

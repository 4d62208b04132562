"""Adjudication: pre-merge K of N, curator decisions with provenance, gold status, roles."""

import json

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create
from annotator.curation.adjudication import SourceSpan, align, premerge
from annotator.curation.gold import GoldError, gold_premerge, gold_span_create, gold_status_set
from annotator.models import (
    Assignment,
    AssignmentStatus,
    Document,
    GoldOrigin,
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Label,
    Membership,
    Project,
    Role,
    Span,
)

HTMX = {"HX-Request": "true"}

# pure functions


def test_premerge_takes_what_k_of_n_agree_on_exactly():
    spans = [
        SourceSpan(1, 10, 4, 0, 5),
        SourceSpan(2, 20, 4, 0, 5),
        SourceSpan(3, 30, 4, 0, 5),
        SourceSpan(4, 10, 1, 6, 9),
        SourceSpan(5, 20, 1, 6, 9),
        SourceSpan(6, 30, 1, 6, 10),
    ]

    everyone = premerge(spans, [10, 20, 30], 3)
    two = premerge(spans, [10, 20, 30], 2)

    assert [(p.label, p.start, p.end, p.sources) for p in everyone] == [(4, 0, 5, (1, 2, 3))]
    assert [(p.label, p.start, p.end, p.annotators) for p in two] == [
        (4, 0, 5, (10, 20, 30)),
        (1, 6, 9, (10, 20)),
    ]
    with pytest.raises(ValueError):
        premerge(spans, [10, 20, 30], 4)


def test_align_marks_regions_and_spans_not_everyone_has():
    spans = [
        SourceSpan(1, 10, 4, 0, 5),
        SourceSpan(2, 20, 4, 0, 5),
        SourceSpan(3, 10, 1, 10, 20),
        SourceSpan(4, 20, 2, 10, 20),
        SourceSpan(5, 20, 4, 12, 15),
    ]

    regions, disputed = align(spans, [10, 20])

    assert [(r.start, r.end, r.differs) for r in regions] == [(0, 5, False), (10, 20, True)]
    assert disputed == {3, 4, 5}


# services on a document two annotators submitted


@pytest.fixture
def curator(project) -> User:
    user = User.objects.create_user("cleo")
    Membership.objects.create(project=project, user=user, role=Role.CURATOR)
    return user


def _span(document, annotator, label, phrase) -> Span:
    start = document.text.find(phrase)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(phrase)
    )
    return span


@pytest.fixture
def submitted(document, alice, bob, labels) -> dict[str, Span]:
    """Alice and Bob agree on Sergey Lavrov and differ on NATO's label."""
    spans = {
        "alice_lavrov": _span(document, alice, labels["actor"], "Sergey Lavrov"),
        "bob_lavrov": _span(document, bob, labels["actor"], "Sergey Lavrov"),
        "alice_nato": _span(document, alice, labels["actor"], "NATO"),
        "bob_nato": _span(document, bob, labels["claim"], "NATO"),
    }
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    return spans


def test_premerge_proposes_spans_all_annotators_agree_on_with_provenance(
    document, submitted, project
):
    project.guidelines_version = 3
    project.save()

    created = gold_premerge(document=document, curator=None)

    assert len(created) == 1
    gold = GoldSpan.objects.get()
    assert (gold.start, gold.end, gold.label.name) == (18, 31, "actor")
    assert gold.status == GoldSpanStatus.PROPOSED
    assert gold.origin == GoldOrigin.MERGE
    assert gold.merge_rule == "exact match by at least 2 of 2 annotators"
    assert set(gold.source_spans.all()) == {submitted["alice_lavrov"], submitted["bob_lavrov"]}
    assert gold.guidelines_version == 3
    document.refresh_from_db()
    assert document.gold_status == GoldStatus.IN_PROGRESS
    assert gold_premerge(document=document, curator=None) == []


def test_premerge_with_k_of_one_proposes_both_sides_of_a_disagreement(document, submitted):
    gold_premerge(document=document, minimum=1, curator=None)

    nato = document.text.find("NATO")
    proposed = sorted(GoldSpan.objects.values_list("label__name", "start", "merge_rule"))
    rule = "exact match by at least 1 of 2 annotators"
    assert proposed == [("actor", 18, rule), ("actor", nato, rule), ("claim", nato, rule)]


def test_premerge_without_submissions_is_refused(document, alice_span):
    with pytest.raises(GoldError, match="No annotator has submitted"):
        gold_premerge(document=document, curator=None)

    assert not GoldSpan.objects.exists()


def test_curator_span_links_matching_sources_and_mark_gold_needs_decisions(
    document, submitted, curator, labels
):
    gold_premerge(document=document, curator=None)
    start = document.text.find("NATO")
    gold = gold_span_create(
        document=document, label=labels["claim"], start=start, end=start + 4, curator=curator
    )

    assert gold.origin == GoldOrigin.CURATOR
    assert gold.curator == curator
    assert list(gold.source_spans.all()) == [submitted["bob_nato"]]
    with pytest.raises(GoldError, match="Accept or reject"):
        gold_status_set(document=document, status=GoldStatus.GOLD)
    GoldSpan.objects.update(status=GoldSpanStatus.ACCEPTED)
    gold_status_set(document=document, status=GoldStatus.GOLD)
    with pytest.raises(GoldError, match="reopen it"):
        gold_span_create(
            document=document, label=labels["actor"], start=start, end=start + 4, curator=curator
        )
    assert GoldSpan.objects.count() == 2


def test_gold_span_invariants_are_held_by_the_database(document, labels):
    other = Project.objects.create(name="Else", slug="else")
    foreign = Label.objects.create(project=other, name="x", colour="#000000", hotkey="1")
    common = {"document": document, "origin": GoldOrigin.CURATOR, "guidelines_version": 1}
    for values in (
        {"label": labels["actor"], "start": 5, "end": 5},
        {"label": labels["actor"], "start": 0, "end": len(document.text) + 1},
        {"label": foreign, "start": 0, "end": 4},
        {"label": labels["actor"], "start": 0, "end": 4, "origin": GoldOrigin.MERGE},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            GoldSpan.objects.create(**{**common, **values})
    GoldSpan.objects.create(**common, label=labels["actor"], start=0, end=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        GoldSpan.objects.create(**common, label=labels["actor"], start=0, end=4)


def test_document_text_is_frozen_by_gold_spans(document, labels):
    GoldSpan.objects.create(
        document=document,
        label=labels["actor"],
        start=0,
        end=4,
        origin=GoldOrigin.CURATOR,
        guidelines_version=1,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(text="Other text entirely")


# views


def _adjudicate_url(document) -> str:
    return reverse("adjudicate", args=[document.project.slug, document.pk])


def test_curator_sees_every_annotator_aligned(client, document, submitted, curator):
    client.force_login(curator)

    response = client.get(_adjudicate_url(document))

    assert response.status_code == 200
    assert "<th>alice</th>" in response.text and "<th>bob</th>" in response.text
    assert response.text.count('class="differs"') == 1
    assert response.text.count('class="source-span disputed"') == 2


def test_proposals_are_marked_in_the_gold_text(client, document, submitted, curator):
    gold_premerge(document=document, curator=None)
    proposal = GoldSpan.objects.get()
    client.force_login(curator)

    response = client.get(_adjudicate_url(document))

    expected = f'<mark class="span proposed label-{proposal.label_id}" data-span="{proposal.pk}">'
    assert expected in response.text


def test_premerge_accept_settle_and_mark_gold_through_the_views(
    client, document, submitted, curator, labels
):
    client.force_login(curator)
    slug = document.project.slug

    client.post(reverse("gold-premerge", args=[slug, document.pk]), {"minimum": "2"})
    accepted = client.post(reverse("gold-accept-all", args=[slug, document.pk]), headers=HTMX)
    adopted = client.post(reverse("gold-span-adopt", args=[slug, submitted["bob_nato"].pk]))
    gold = client.post(reverse("gold-status", args=[slug, document.pk]), {"status": "gold"})

    assert accepted.status_code == 200
    assert json.loads(accepted["HX-Trigger"]) == {"goldAccepted": 1}
    assert "<html" not in accepted.text
    assert (adopted.status_code, gold.status_code) == (302, 302)
    document.refresh_from_db()
    assert document.gold_status == GoldStatus.GOLD
    rows = set(GoldSpan.objects.values_list("label__name", "status", "origin", "curator"))
    assert rows == {
        ("actor", "accepted", "merge", curator.pk),
        ("claim", "accepted", "curator", curator.pk),
    }


def test_refused_gold_write_is_a_400_and_changes_nothing(client, document, submitted, curator):
    client.force_login(curator)
    url = reverse("gold-span-create", args=[document.project.slug, document.pk])

    page = client.post(url, {"label": "999", "start": "0", "end": "4"})
    fragment = client.post(url, {"label": "", "start": "0", "end": "4"}, headers=HTMX)
    not_a_number = client.post(url, {"label": "abc", "start": "0", "end": "4"})

    assert (page.status_code, fragment.status_code, not_a_number.status_code) == (400, 400, 400)
    assert fragment["Content-Type"].startswith("text/plain")
    back = reverse("adjudicate", args=[document.project.slug, document.pk])
    assert f'href="{back}"' in page.text
    assert "Choose a label of this project." in not_a_number.text
    assert not GoldSpan.objects.exists()


def test_curator_reopens_a_submitted_assignment(client, document, submitted, curator, alice):
    client.force_login(curator)
    assignment = Assignment.objects.get(document=document, annotator=alice)

    response = client.post(
        reverse("assignment-reopen", args=[document.project.slug, assignment.pk])
    )

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("url_name", "method", "manager_status"),
    [
        ("adjudicate", "get", 200),
        ("gold-premerge", "post", 302),
        ("gold-accept-all", "post", 302),
        ("gold-status", "post", 400),  # no status given
    ],
)
def test_adjudication_by_role(
    client, document, submitted, alice, manager, charlie, url_name, method, manager_status
):
    url = reverse(url_name, args=[document.project.slug, document.pk])
    responses = {}
    for name, user in (("annotator", alice), ("outsider", charlie)):
        client.force_login(user)
        responses[name] = getattr(client, method)(url).status_code
    client.logout()
    responses["anonymous"] = getattr(client, method)(url).status_code
    assert not GoldSpan.objects.exists()
    client.force_login(manager)
    responses["manager"] = getattr(client, method)(url).status_code

    assert responses == {
        "annotator": 403,
        "outsider": 404,
        "anonymous": 302,
        "manager": manager_status,
    }


def test_htmx_get_of_the_adjudication_page_is_the_workspace(client, document, submitted, curator):
    client.force_login(curator)

    response = client.get(_adjudicate_url(document), headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="workspace"')


def test_adjudication_page_loads_no_htmx_and_keeps_its_plain_forms(
    client, document, submitted, curator
):
    client.force_login(curator)

    response = client.get(_adjudicate_url(document))

    assert response.status_code == 200
    assert "htmx-2" not in response.text and "htmx.min.js" not in response.text
    # The body's hx-headers carries the CSRF token the page script reads; nothing else is htmx.
    assert response.text.count(" hx-") == 1
    assert f'action="{reverse("gold-premerge", args=[document.project.slug, document.pk])}"' in (
        response.text
    )


def test_gold_span_of_another_project_is_404(client, document, submitted, curator):
    gold_premerge(document=document, curator=None)
    gold = GoldSpan.objects.get()
    other = Project.objects.create(name="Mine", slug="mine")
    Membership.objects.create(project=other, user=curator, role=Role.CURATOR)
    client.force_login(curator)

    response = client.post(reverse("gold-span-delete", args=["mine", gold.pk]))

    assert response.status_code == 404
    assert GoldSpan.objects.count() == 1


def test_adjudication_escapes_names_titles_and_text(client, project, curator, labels):
    evil = "<script>alert(1)</script>"
    document = Document.objects.create(project=project, title=evil, text=f"{evil} said NATO.")
    annotator = User.objects.create_user(evil)
    Membership.objects.create(project=project, user=annotator, role=Role.ANNOTATOR)
    _span(document, annotator, labels["actor"], "NATO")
    assignment_submit(document=document, annotator=annotator)
    client.force_login(curator)

    response = client.get(_adjudicate_url(document))

    assert response.status_code == 200
    assert evil not in response.text
    assert "&lt;script&gt;" in response.text


# query counts


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _annotated_document(project, annotators, labels, count: int) -> Document:
    words = " ".join(f"word{i:03d}" for i in range(250))
    document = Document.objects.create(project=project, title=f"{count} spans", text=words)
    label_cycle = list(labels.values())
    for offset, annotator in enumerate(annotators):
        Span.objects.bulk_create(
            Span(
                document=document,
                annotator=annotator,
                label=label_cycle[(i + offset) % len(label_cycle)],
                start=i * 8,
                end=i * 8 + 7,
            )
            for i in range(count)
        )
        Assignment.objects.create(
            document=document, annotator=annotator, status=AssignmentStatus.SUBMITTED
        )
    gold_premerge(document=document, minimum=1, curator=None)
    return document


def test_adjudication_page_queries_do_not_grow_with_spans(
    client, project, alice, bob, curator, labels
):
    few = _annotated_document(project, [alice, bob], labels, 2)
    many = _annotated_document(project, [alice, bob], labels, 150)
    client.force_login(curator)

    assert _queries(client, _adjudicate_url(few)) == _queries(client, _adjudicate_url(many))
    assert GoldSpan.objects.filter(document=many).count() == 300


@pytest.fixture
def proposal(document, submitted) -> GoldSpan:
    gold_premerge(document=document, curator=None)
    return GoldSpan.objects.get()


@pytest.mark.parametrize(
    "url_name", ["gold-span-accept", "gold-span-delete", "gold-span-relabel", "gold-span-resize"]
)
def test_gold_span_writes_by_role(client, proposal, alice, charlie, labels, url_name):
    url = reverse(url_name, args=[proposal.document.project.slug, proposal.pk])
    form = {"label": labels["claim"].pk, "start": 0, "end": 5}
    responses = {}
    for name, user in (("annotator", alice), ("outsider", charlie)):
        client.force_login(user)
        responses[name] = client.post(url, form).status_code
    client.logout()
    responses["anonymous"] = client.post(url, form).status_code

    assert responses == {"annotator": 403, "outsider": 404, "anonymous": 302}
    proposal.refresh_from_db()
    assert (proposal.status, proposal.label, proposal.start) == (
        GoldSpanStatus.PROPOSED,
        labels["actor"],
        18,
    )


def test_adopting_a_span_by_role(client, submitted, alice, charlie):
    url = reverse("gold-span-adopt", args=["talks", submitted["bob_nato"].pk])
    responses = {}
    for name, user in (("annotator", alice), ("outsider", charlie)):
        client.force_login(user)
        responses[name] = client.post(url).status_code

    assert responses == {"annotator": 403, "outsider": 404}
    assert not GoldSpan.objects.exists()


def test_curator_relabels_and_resizes_a_proposal_which_accepts_it(
    client, proposal, curator, labels
):
    client.force_login(curator)
    slug = proposal.document.project.slug

    relabeled = client.post(
        reverse("gold-span-relabel", args=[slug, proposal.pk]),
        {"label": labels["claim"].pk},
        headers=HTMX,
    )
    resized = client.post(
        reverse("gold-span-resize", args=[slug, proposal.pk]),
        {"start": 18, "end": 24, "text": "Sergey"},
    )

    assert relabeled.status_code == 200
    assert json.loads(relabeled["HX-Trigger"])["goldRelabeled"]["previous"] == labels["actor"].pk
    assert resized.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.label, proposal.start, proposal.end) == (labels["claim"], 18, 24)
    assert (proposal.status, proposal.curator) == (GoldSpanStatus.ACCEPTED, curator)
    assert proposal.origin == GoldOrigin.MERGE  # provenance kept: it came from the pre-merge
    assert proposal.source_spans.count() == 2


def test_resize_with_text_that_does_not_match_is_refused(client, proposal, curator):
    client.force_login(curator)

    response = client.post(
        reverse("gold-span-resize", args=["talks", proposal.pk]),
        {"start": 18, "end": 24, "text": "Lavrov"},
        headers=HTMX,
    )

    assert response.status_code == 400
    assert "does not match" in response.text
    proposal.refresh_from_db()
    assert (proposal.start, proposal.end, proposal.status) == (18, 31, GoldSpanStatus.PROPOSED)


def test_reopening_a_gold_document_allows_changes_again(client, proposal, curator):
    document = proposal.document
    client.force_login(curator)
    slug = document.project.slug
    client.post(reverse("gold-span-accept", args=[slug, proposal.pk]))
    # NATO stays disputed: marking gold anyway takes the confirmation.
    gold_status_set(document=document, status=GoldStatus.GOLD, confirm=True)

    refused = client.post(reverse("gold-span-delete", args=[slug, proposal.pk]), headers=HTMX)
    reopened = client.post(
        reverse("gold-status", args=[slug, document.pk]), {"status": "in_progress"}
    )
    deleted = client.post(reverse("gold-span-delete", args=[slug, proposal.pk]))

    assert refused.status_code == 400
    assert (reopened.status_code, deleted.status_code) == (302, 302)
    assert not GoldSpan.objects.exists()
    document.refresh_from_db()
    assert document.gold_status == GoldStatus.IN_PROGRESS

"""What the annotate and adjudicate page scripts get back: one span's JSON, never the page;
the page data they start from; undo of a submission; the adjudication page's revert."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator.annotation.assignments import SUBMIT_UNDO_WINDOW, assignment_submit
from annotator.annotation.spans import span_create
from annotator.curation.gold import gold_premerge
from annotator.models import Assignment, AssignmentStatus, AuditEvent, GoldSpan, GoldSpanStatus

JSON = {"Accept": "application/json"}
EMOJI_TEXT = "Harbour 🎉 summit: Aino Virtanen 👍🏽 spoke."


def _annotate_url(document) -> str:
    return reverse("annotate", args=[document.project.slug, document.pk])


def _page_data(response, name: str) -> dict:
    html = response.content.decode()
    marker = f'<script id="{name}" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_create_answers_the_span_as_json_in_code_points(client, alice, document, labels):
    document.text = EMOJI_TEXT
    document.save()
    client.force_login(alice)
    start = EMOJI_TEXT.find("Aino Virtanen")
    form = {"label": labels["actor"].pk, "start": start, "end": start + 13, "text": "Aino Virtanen"}

    response = client.post(
        reverse("span-create", args=[document.project.slug, document.pk]), form, headers=JSON
    )

    assert response.status_code == 200
    span = document.spans.get()
    assert response.json() == {
        "span": {"id": span.pk, "label": labels["actor"].pk, "start": start, "end": start + 13},
        "created": True,
    }
    page = client.get(_annotate_url(document))
    assert _page_data(page, "annotate-data")["spans"] == [
        [span.pk, labels["actor"].pk, start, start + 13]
    ]


def test_refusal_is_json_with_the_reason_and_changes_nothing(client, alice, document, labels):
    client.force_login(alice)
    form = {"label": labels["actor"].pk, "start": 0, "end": 4, "text": "OTAN"}

    response = client.post(
        reverse("span-create", args=[document.project.slug, document.pk]), form, headers=JSON
    )

    assert response.status_code == 400
    assert "does not match" in response.json()["error"]
    assert not document.spans.exists()


def test_relabel_and_delete_answer_json(client, alice, alice_span, labels):
    client.force_login(alice)

    relabeled = client.post(
        reverse("span-relabel", args=[alice_span.pk]), {"label": labels["claim"].pk}, headers=JSON
    )
    deleted = client.post(reverse("span-delete", args=[alice_span.pk]), headers=JSON)

    assert relabeled.json()["span"]["label"] == labels["claim"].pk
    assert relabeled.json()["previous"] == labels["actor"].pk
    assert deleted.json()["spanDeleted"]["id"] == alice_span.pk
    assert not alice_span.document.spans.exists()


def test_submit_can_be_undone_within_the_window_only(client, alice, alice_span, document):
    client.force_login(alice)
    url = reverse("document-status", args=[document.project.slug, document.pk])
    client.post(url, {"status": "submitted"})
    page = client.get(_annotate_url(document))
    assert 'id="undo-submit"' in page.text
    assert "disabled" in page.text.split('class="label-button', 1)[1].split(">", 1)[0]

    undone = client.post(url, {"undo": "submit"})

    assert undone.status_code == 302
    assignment = Assignment.objects.get(annotator=alice)
    assert (assignment.status, assignment.submitted) == (AssignmentStatus.IN_PROGRESS, None)

    assignment_submit(document=document, annotator=alice)
    Assignment.objects.filter(annotator=alice).update(
        submitted=timezone.now() - SUBMIT_UNDO_WINDOW - timedelta(seconds=1)
    )
    late = client.post(url, {"undo": "submit"})
    assert late.status_code == 400
    assert "ask a curator" in late.text
    assert Assignment.objects.get(annotator=alice).status == AssignmentStatus.SUBMITTED
    assert 'id="undo-submit"' not in client.get(_annotate_url(document)).text


def test_undo_of_a_submission_nobody_made_is_refused(client, alice, alice_span, document):
    client.force_login(alice)
    url = reverse("document-status", args=[document.project.slug, document.pk])

    response = client.post(url, {"undo": "submit"})

    assert response.status_code == 400
    assert Assignment.objects.get(annotator=alice).status == AssignmentStatus.IN_PROGRESS


@pytest.fixture
def submitted(document, alice, bob, labels):
    """Alice and Bob agree on NATO's offsets and differ on its label."""
    start = document.text.find("NATO")
    for user, label in ((alice, "actor"), (bob, "actor"), (alice, "claim")):
        span_create(
            document=document, annotator=user, label=labels[label], start=start, end=start + 4
        )
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)


def test_revert_proposes_again_and_removes_and_is_audited(client, document, submitted, curator):
    proposals = gold_premerge(document=document, minimum=1, curator=curator)
    assert len(proposals) == 2
    client.force_login(curator)
    accept = reverse("gold-span-accept", args=[document.project.slug, proposals[0].pk])
    answer = client.post(accept, headers=JSON).json()
    assert [item["status"] for item in answer["gold"]] == ["accepted"]
    events = AuditEvent.objects.count()

    response = client.post(
        reverse("gold-revert", args=[document.project.slug, document.pk]),
        {"propose": [proposals[0].pk], "delete": [proposals[1].pk]},
        headers=JSON,
    )

    assert response.status_code == 200
    assert response.json()["deleted"] == [proposals[1].pk]
    assert list(GoldSpan.objects.values_list("pk", "status", "curator")) == [
        (proposals[0].pk, GoldSpanStatus.PROPOSED, None)
    ]
    assert AuditEvent.objects.count() == events + 2


def test_undoing_a_premerge_keeps_a_proposal_accepted_since_and_changes_nothing(
    client, document, submitted, curator
):
    proposals = gold_premerge(document=document, minimum=1, curator=curator)
    actor = next(proposal for proposal in proposals if proposal.label.name == "actor")
    client.force_login(curator)
    # Another curator, in another tab, accepts one of the proposals.
    client.post(reverse("gold-span-accept", args=[document.project.slug, actor.pk]), headers=JSON)
    before = sorted(GoldSpan.objects.values_list("pk", "status"))
    events = AuditEvent.objects.count()

    response = client.post(
        reverse("gold-revert", args=[document.project.slug, document.pk]),
        {"delete": [proposal.pk for proposal in proposals]},
        headers=JSON,
    )

    assert response.status_code == 400
    assert response.json()["error"] == (
        "An actor span on “NATO” was accepted since: reload the page, then reject what should go."
    )
    assert sorted(GoldSpan.objects.values_list("pk", "status")) == before
    assert AuditEvent.objects.count() == events


def test_revert_of_a_span_that_is_gone_changes_nothing(client, document, submitted, curator):
    (proposal, _) = gold_premerge(document=document, minimum=1, curator=curator)
    client.force_login(curator)

    response = client.post(
        reverse("gold-revert", args=[document.project.slug, document.pk]),
        {"propose": [proposal.pk], "delete": [proposal.pk + 1000]},
        headers=JSON,
    )

    assert response.status_code == 400
    assert "gone already" in response.json()["error"]
    assert GoldSpan.objects.count() == 2


def test_adjudication_page_data_and_the_k_kept_after_premerge(client, document, submitted, curator):
    client.force_login(curator)
    premerge = reverse("gold-premerge", args=[document.project.slug, document.pk])

    response = client.post(premerge, {"minimum": "1"})
    page = client.get(response.url)

    assert 'name="minimum" min="1" max="2" value="1"' in page.text
    data = _page_data(page, "adjudicate-data")
    assert data["text"] == document.text
    assert [name for _, name in data["annotators"]] == ["alice", "bob"]
    assert len(data["sources"]) == 3
    assert [region[2] for region in data["regions"]] == [True]
    assert {item["status"] for item in data["gold"]} == {"proposed"}
    # A region of disagreement is settled once it has an accepted gold span.
    assert 'id="disagreement-count">1<' in page.text
    assert 'name="confirm" value="1" required' in page.text
    client.post(reverse("gold-accept-all", args=[document.project.slug, document.pk]))
    settled = client.get(reverse("adjudicate", args=[document.project.slug, document.pk]))
    assert 'id="disagreement-count">0<' in settled.text
    assert 'name="confirm"' not in settled.text

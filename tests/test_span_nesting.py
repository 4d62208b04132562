"""Spans of different labels may nest, cross and share a range."""

from annotator.annotation.spans import span_create
from annotator.models import Assignment, Span


def test_actor_inside_a_claim_crossing_a_threat_and_same_range_proposal(alice, document, labels):
    text = document.text
    claim_start = text.find("Sergey Lavrov said")
    claim_end = text.find("January.\n", claim_start) + len("January.")
    actor_start = text.find("NATO")
    wanted = [
        ("claim", claim_start, claim_end),
        ("actor", actor_start, actor_start + 4),  # nested inside the claim
        ("proposal", actor_start, actor_start + 4),  # same range, another label
        ("threat", 0, claim_start + len("Sergey")),  # crosses the claim's start
    ]

    for name, start, end in wanted:
        _, created = span_create(
            document=document, annotator=alice, label=labels[name], start=start, end=end
        )
        assert created is True

    stored = sorted((s.label.name, s.start, s.end) for s in Span.objects.select_related("label"))
    assert stored == sorted(wanted)
    assert Assignment.objects.get(document=document, annotator=alice).span_count == 4
    assert text[actor_start : actor_start + 4] == "NATO"

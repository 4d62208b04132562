"""The audit log: one event per span and gold-span write, append-only, a manager-only page."""

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create, span_delete, span_relabel
from annotator.curation.gold import (
    gold_accept_all,
    gold_premerge,
    gold_span_accept,
    gold_span_adopt,
    gold_span_create,
    gold_span_delete,
    gold_span_relabel,
    gold_span_resize,
)
from annotator.models import (
    AuditEvent,
    Document,
    GoldSpan,
    Label,
    Membership,
    Project,
    Role,
    Span,
)


def _offsets(document: Document, phrase: str) -> tuple[int, int]:
    start = document.text.find(phrase)
    return start, start + len(phrase)


def _only_new_event(before_ids: set[int]) -> AuditEvent:
    new = list(AuditEvent.objects.exclude(pk__in=before_ids))
    assert len(new) == 1, new
    return new[0]


def _ids() -> set[int]:
    return set(AuditEvent.objects.values_list("pk", flat=True))


# spans


def test_span_create_records_one_created_event(alice, document, labels):
    start, end = _offsets(document, "NATO")

    span, _ = span_create(
        document=document, annotator=alice, label=labels["actor"], start=start, end=end
    )

    event = AuditEvent.objects.get()
    assert (event.subject, event.subject_id, event.action) == ("span", span.pk, "created")
    assert (event.actor_id, event.actor_name) == (alice.pk, "alice")
    assert (event.project_id, event.document_id) == (document.project_id, document.pk)
    assert event.before is None
    assert event.after == {"label": labels["actor"].pk, "start": start, "end": end}


def test_span_create_retried_with_the_same_client_id_records_nothing_more(alice, document, labels):
    start, end = _offsets(document, "NATO")
    first, _ = span_create(
        document=document, annotator=alice, label=labels["actor"], start=start, end=end
    )

    span_create(
        document=document,
        annotator=alice,
        label=labels["actor"],
        start=start,
        end=end,
        client_id=first.client_id,
    )

    assert AuditEvent.objects.count() == 1


def test_refused_span_create_records_nothing(alice, document, labels):
    with pytest.raises(Exception, match="whitespace"):
        span_create(document=document, annotator=alice, label=labels["actor"], start=16, end=18)

    assert not AuditEvent.objects.exists()


def test_span_relabel_records_before_and_after(alice_span, labels):
    known = _ids()
    before = {"label": labels["actor"].pk, "start": alice_span.start, "end": alice_span.end}

    span_relabel(span=alice_span, label=labels["claim"])

    event = _only_new_event(known)
    assert (event.subject_id, event.action, event.actor_name) == (alice_span.pk, "updated", "alice")
    assert event.before == before
    assert event.after == {**before, "label": labels["claim"].pk}


def test_span_delete_records_the_deleted_state(alice_span, labels):
    known = _ids()
    span_id, state = (
        alice_span.pk,
        {
            "label": labels["actor"].pk,
            "start": alice_span.start,
            "end": alice_span.end,
        },
    )

    span_delete(span=alice_span)

    event = _only_new_event(known)
    assert (event.subject, event.subject_id, event.action) == ("span", span_id, "deleted")
    assert (event.before, event.after) == (state, None)
    assert not Span.objects.filter(pk=span_id).exists()


# gold spans


@pytest.fixture
def submitted(alice, bob, document, labels) -> Document:
    """Alice and bob both marked "Sergey Lavrov" as an actor and submitted."""
    start, end = _offsets(document, "Sergey Lavrov")
    for user in (alice, bob):
        span_create(document=document, annotator=user, label=labels["actor"], start=start, end=end)
        assignment_submit(document=document, annotator=user)
    return document


def test_premerge_records_one_created_event_per_proposal(submitted, curator, labels):
    known = _ids()

    created = gold_premerge(document=submitted, curator=curator)

    event = _only_new_event(known)
    start, end = _offsets(submitted, "Sergey Lavrov")
    assert (event.subject, event.subject_id, event.action) == (
        "gold_span",
        created[0].pk,
        "created",
    )
    assert (event.actor_id, event.actor_name) == (curator.pk, "cora")
    assert event.after == {
        "label": labels["actor"].pk,
        "start": start,
        "end": end,
        "status": "proposed",
    }


def test_accept_records_the_status_change(submitted, curator):
    [proposal] = gold_premerge(document=submitted, curator=curator)
    known = _ids()

    gold_span_accept(gold_span=proposal, curator=curator)

    event = _only_new_event(known)
    assert event.action == "updated"
    assert (event.before["status"], event.after["status"]) == ("proposed", "accepted")


def test_accept_all_records_one_event_per_accepted_proposal(submitted, curator):
    [proposal] = gold_premerge(document=submitted, curator=curator)
    known = _ids()

    assert gold_accept_all(document=submitted, curator=curator) == 1

    event = _only_new_event(known)
    assert (event.subject_id, event.action) == (proposal.pk, "updated")
    assert (event.before["status"], event.after["status"]) == ("proposed", "accepted")
    assert GoldSpan.objects.get(pk=proposal.pk).status == "accepted"


def test_gold_create_relabel_resize_delete_each_record_one_event(document, curator, labels):
    start, end = _offsets(document, "NATO")
    known = _ids()
    gold_span = gold_span_create(
        document=document, label=labels["actor"], start=start, end=end, curator=curator
    )
    created = _only_new_event(known)
    assert (created.action, created.before) == ("created", None)
    assert created.after == {
        "label": labels["actor"].pk,
        "start": start,
        "end": end,
        "status": "accepted",
    }

    known = _ids()
    gold_span_relabel(gold_span=gold_span, label=labels["claim"], curator=curator)
    relabeled = _only_new_event(known)
    assert (relabeled.before["label"], relabeled.after["label"]) == (
        labels["actor"].pk,
        labels["claim"].pk,
    )

    known = _ids()
    wider_start, wider_end = _offsets(document, "NATO will")
    gold_span_resize(gold_span=gold_span, start=wider_start, end=wider_end, curator=curator)
    resized = _only_new_event(known)
    assert (resized.before["end"], resized.after["end"]) == (end, wider_end)

    known = _ids()
    gold_id = gold_span.pk
    gold_span_delete(gold_span=gold_span, curator=curator)
    deleted = _only_new_event(known)
    assert (deleted.subject_id, deleted.action, deleted.after) == (gold_id, "deleted", None)
    assert deleted.before == {
        "label": labels["claim"].pk,
        "start": wider_start,
        "end": wider_end,
        "status": "accepted",
    }


def test_adopt_records_one_created_event(alice_span, curator):
    known = _ids()

    gold_span = gold_span_adopt(span=alice_span, curator=curator)

    event = _only_new_event(known)
    assert (event.subject, event.subject_id, event.action) == ("gold_span", gold_span.pk, "created")
    assert event.after["start"] == alice_span.start


# append-only


def test_an_audit_event_cannot_be_updated(alice_span):
    event = AuditEvent.objects.get()

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="mallory")

    assert AuditEvent.objects.get().actor_name == "alice"


def test_an_audit_event_cannot_be_deleted_on_postgresql(alice_span):
    """SQLite cannot refuse a DELETE without breaking test teardown; PostgreSQL does."""
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.count() == 1
    else:
        assert connection.vendor == "sqlite"


# the page


def _many_events(document: Document, alice: User, bob: User, labels, count: int) -> None:
    """``count`` events alternating between alice and bob, by creating and deleting spans."""
    start, end = _offsets(document, "Sergey Lavrov")
    for number in range(count):
        annotator = alice if number % 2 == 0 else bob
        if number % 4 < 2:
            span_create(
                document=document, annotator=annotator, label=labels["actor"], start=start, end=end
            )
        else:
            span_delete(span=Span.objects.get(document=document, annotator=annotator))


def test_page_lists_events_newest_first_and_pages_by_keyset(
    client, manager, alice, bob, document, labels
):
    _many_events(document, alice, bob, labels, 60)
    newest_first = list(AuditEvent.objects.order_by("-id").values_list("pk", flat=True))
    client.force_login(manager)
    url = reverse("audit-log", args=[document.project.slug])

    first = client.get(url)
    second = client.get(first.context["older_url"] and url + first.context["older_url"])

    assert first.status_code == second.status_code == 200
    assert [event.pk for event in first.context["events"]] == newest_first[:50]
    assert [event.pk for event in second.context["events"]] == newest_first[50:]
    assert second.context["older_url"] == ""
    assert "Talks in January" in first.content.decode()


def test_page_filters_by_user_and_by_document(client, manager, alice, bob, document, labels):
    _many_events(document, alice, bob, labels, 8)
    other = Document.objects.create(project=document.project, title="Other", text="NATO met.")
    span_create(document=other, annotator=bob, label=labels["actor"], start=0, end=4)
    client.force_login(manager)
    url = reverse("audit-log", args=[document.project.slug])

    by_alice = client.get(url, {"user": alice.pk}).context["events"]
    in_other = client.get(url, {"document": other.pk}).context["events"]
    bob_in_other = client.get(url, {"user": bob.pk, "document": other.pk}).context["events"]

    assert {event.actor_name for event in by_alice} == {"alice"} and len(by_alice) == 4
    assert [event.document_id for event in in_other] == [other.pk]
    assert [event.actor_name for event in bob_in_other] == ["bob"]


def test_page_shows_no_event_of_another_project(client, manager, alice, document, labels):
    other = Project.objects.create(name="Other", slug="other")
    outsider = User.objects.create_user("olga", password="password")
    Membership.objects.create(project=other, user=outsider, role=Role.ANNOTATOR)
    label = Label.objects.create(project=other, name="actor", colour="#bfdbfe", hotkey="1")
    foreign = Document.objects.create(project=other, title="Elsewhere", text="NATO met.")
    span_create(document=foreign, annotator=outsider, label=label, start=0, end=4)
    client.force_login(manager)

    response = client.get(
        reverse("audit-log", args=[document.project.slug]), {"document": foreign.pk}
    )

    assert response.status_code == 200
    assert list(response.context["events"]) == []
    assert "Elsewhere" not in response.content.decode()


def test_page_escapes_usernames(client, manager, document, labels):
    hostile = User.objects.create_user("<img src=x onerror=alert(1)>", password="password")
    Membership.objects.create(project=document.project, user=hostile, role=Role.ANNOTATOR)
    span_create(document=document, annotator=hostile, label=labels["actor"], start=0, end=5)
    client.force_login(manager)

    html = client.get(reverse("audit-log", args=[document.project.slug])).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_page_query_count_does_not_grow_with_events(client, manager, alice, bob, document, labels):
    client.force_login(manager)
    url = reverse("audit-log", args=[document.project.slug])
    _many_events(document, alice, bob, labels, 4)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _many_events(document, alice, bob, labels, 80)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.context["events"]) == 50
    assert len(many.captured_queries) == len(few.captured_queries)

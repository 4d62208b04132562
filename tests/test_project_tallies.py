"""The dashboard's counts are kept by database triggers on every write path."""

import json
import tempfile
from collections import Counter

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count

from annotator.models import (
    Assignment,
    AssignmentStatus,
    Document,
    GoldStatus,
    Project,
    ProjectTally,
    Span,
    TallyKind,
)


def tallies(project: Project) -> dict[tuple[str, str], int]:
    return {
        (kind, key): total
        for kind, key, total in ProjectTally.objects.filter(project_id=project.pk).values_list(
            "kind", "key", "total"
        )
        if total
    }


def counted(project: Project) -> dict[tuple[str, str], int]:
    """The same counts, grouped from the tables themselves."""
    result: Counter = Counter()
    for annotator, label, total in (
        Span.objects.filter(document__project=project)
        .values_list("annotator_id", "label_id")
        .annotate(total=Count("id"))
    ):
        result[(TallyKind.SPANS, f"{annotator}:{label}")] = total
    for status, total in (
        Assignment.objects.filter(document__project=project)
        .values_list("status")
        .annotate(total=Count("id"))
    ):
        result[(TallyKind.ASSIGNMENT_STATUS, status)] = total
    for status, total in project.documents.values_list("gold_status").annotate(total=Count("id")):
        result[(TallyKind.GOLD_STATUS, status)] = total
    return dict(result)


def test_bulk_writes_updates_and_deletes_keep_the_tallies(project, labels, document, alice, bob):
    others = Document.objects.bulk_create(
        Document(project=project, title=f"D{number}", text=f"Some text {number} here")
        for number in range(5)
    )
    documents = [document, *Document.objects.filter(pk__in=[d.pk for d in others])]
    Span.objects.bulk_create(
        Span(document=d, annotator=user, label=labels[name], start=0, end=4)
        for d in documents
        for user in (alice, bob)
        for name in ("claim", "actor")
    )
    Assignment.objects.bulk_create(
        Assignment(document=d, annotator=user) for d in documents for user in (alice, bob)
    )
    assert tallies(project) == counted(project)

    Span.objects.filter(annotator=bob, label=labels["claim"]).update(label=labels["threat"])
    Assignment.objects.filter(annotator=alice).update(status=AssignmentStatus.SUBMITTED)
    Document.objects.filter(pk=document.pk).update(gold_status=GoldStatus.GOLD)
    Span.objects.filter(annotator=alice, label=labels["actor"]).delete()
    assert tallies(project) == counted(project)

    documents[1].delete()
    assert tallies(project) == counted(project)
    assert tallies(project)[(TallyKind.SPANS, f"{bob.pk}:{labels['threat'].pk}")] == 5


def test_deleting_a_project_removes_its_tallies(project, labels, document, alice):
    Span.objects.create(document=document, annotator=alice, label=labels["actor"], start=0, end=5)
    assert ProjectTally.objects.filter(project_id=project.pk).exists()

    Span.objects.filter(document__project=project).delete()
    project.delete()

    assert not ProjectTally.objects.filter(project_id=project.pk).exists()


def test_tallies_of_one_project_do_not_mix_with_another(project, labels, document, alice):
    other = Project.objects.create(name="Other", slug="other-tally")
    other_label = other.labels.create(name="actor", colour="#bfdbfe", hotkey="4")
    other_document = Document.objects.create(project=other, title="O", text="Other text")
    Span.objects.create(document=document, annotator=alice, label=labels["actor"], start=0, end=5)
    Span.objects.create(document=other_document, annotator=alice, label=other_label, start=0, end=5)

    assert tallies(project) == counted(project)
    assert tallies(other) == counted(other)
    assert User.objects.count() == 1


def test_saving_a_stale_project_keeps_the_document_count(project):
    stale = Project.objects.get(pk=project.pk)
    Document.objects.create(project=project, title="New", text="New text")

    stale.guidelines_version += 1
    stale.save()

    project.refresh_from_db()
    assert (project.document_count, project.guidelines_version) == (1, 2)
    assert project.documents.count() == 1


def test_loading_fixtures_again_keeps_the_document_count(db):
    call_command("loaddata", "fixtures/demo.json", verbosity=0)
    call_command("loaddata", "fixtures/demo.json", verbosity=0)
    empty = {
        "model": "annotator.project",
        "pk": 99,
        "fields": {"name": "E", "slug": "e", "created": "2026-11-27T00:00:00Z"},
    }

    with tempfile.NamedTemporaryFile("w", suffix=".json") as fixture:
        json.dump([empty], fixture)
        fixture.flush()
        call_command("loaddata", fixture.name, verbosity=0)

    counts = dict(Project.objects.values_list("slug", "document_count"))
    assert counts == {"security-talks": 7, "e": 0}

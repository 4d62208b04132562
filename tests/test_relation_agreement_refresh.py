"""Relation and attribute agreement stored on submit and reopen, like span agreement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.annotation.assignments import assignment_reopen, assignment_submit
from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.curation.agreement import STATISTICS_FORMAT
from annotator.curation.agreement_refresh import agreement_refresh, project_agreement_refresh
from annotator.models import (
    Assignment,
    AssignmentStatus,
    Document,
    DocumentAgreement,
    LabelAttribute,
    ProjectAgreement,
    Relation,
    RelationType,
    Span,
    SpanAttribute,
)
from annotator.projects.setup import add_default_relations

CLAIM = "NATO will meet in January"


@pytest.fixture
def defaults(project):
    add_default_relations(project)
    return project


def _span(document, annotator, label, phrase) -> Span:
    start = document.text.find(phrase)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(phrase)
    )
    return span


def _code(document, annotator, labels, *, stance, addressee=False) -> None:
    """Mark the claim and its claimant; give the claim a stance, maybe an addressee."""
    claim = _span(document, annotator, labels["claim"], CLAIM)
    lavrov = _span(document, annotator, labels["actor"], "Sergey Lavrov")
    types = {t.name: t for t in document.project.relation_types.all()}
    relation_create(
        relation_type=types["claimant"], source=claim, target=lavrov, annotator=annotator
    )
    if addressee:
        nato = _span(document, annotator, labels["actor"], "NATO")
        relation_create(
            relation_type=types["addressee"], source=claim, target=nato, annotator=annotator
        )
    attribute = LabelAttribute.objects.get(label=labels["claim"], name="stance")
    span_attribute_set(span=claim, attribute=attribute, value=stance)


def _second_document(project, document):
    return Document.objects.create(project=project, title="Again", text=document.text)


def test_submitting_stores_relation_f1_and_attribute_agreement(
    defaults, document, alice, bob, labels
):
    _code(document, alice, labels, stance="oppose", addressee=True)
    _code(document, bob, labels, stance="oppose")
    again = _second_document(defaults, document)
    _code(again, alice, labels, stance="support")
    _code(again, bob, labels, stance="support")

    for annotated in (document, again):
        assignment_submit(document=annotated, annotator=alice)
        assignment_submit(document=annotated, annotator=bob)

    summary = ProjectAgreement.objects.get().summary
    relation_f1 = summary["relation_f1"]["exact"]["overall"]["labels"]
    # claimant: both drew it on both documents; addressee: only alice, once.
    assert (relation_f1["claimant"]["value"], relation_f1["claimant"]["tp"]) == (1.0, 2)
    assert {k: relation_f1["addressee"][k] for k in ("value", "tp", "fp", "fn")} == {
        "value": 0.0,
        "tp": 0,
        "fp": 0,
        "fn": 1,
    }
    stance = summary["attributes"]["claim"]["stance"]
    # Per document both gave one and the same value (undefined); together they vary.
    assert stance["cohen_kappa"]["mean"]["value"] == 1.0
    assert (stance["krippendorff_alpha"]["value"], stance["krippendorff_alpha"]["values"]) == (
        1.0,
        4,
    )
    first = DocumentAgreement.objects.get(document=document).statistics
    assert first["format"] == STATISTICS_FORMAT
    assert first["relation_types"] == {"claimant": True, "addressee": True}
    assert first["attributes"] == {
        "claim": ["stance"],
        "threat": ["stance"],
        "proposal": ["stance"],
    }


def test_reopening_takes_the_documents_relations_out_again(defaults, document, alice, bob, labels):
    _code(document, alice, labels, stance="oppose")
    _code(document, bob, labels, stance="oppose")
    again = _second_document(defaults, document)
    _code(again, alice, labels, stance="support")
    _code(again, bob, labels, stance="oppose")
    for annotated in (document, again):
        assignment_submit(document=annotated, annotator=alice)
        assignment_submit(document=annotated, annotator=bob)
    before = ProjectAgreement.objects.get().summary["attributes"]["claim"]["stance"]
    assert before["krippendorff_alpha"]["values"] == 4

    assignment_reopen(assignment=Assignment.objects.get(document=again, annotator=alice))

    after = ProjectAgreement.objects.get().summary["attributes"]["claim"]["stance"]
    assert after["krippendorff_alpha"]["values"] == 2
    assert after["krippendorff_alpha"]["reason"] == "no variation: every value given is the same"


def test_rows_computed_before_a_relation_type_was_added_are_recomputed(
    defaults, document, alice, bob, labels
):
    _code(document, alice, labels, stance="oppose")
    _code(document, bob, labels, stance="oppose")
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)

    RelationType.objects.create(project=defaults, name="ally", key="y", directed=False)
    project_agreement_refresh(project=defaults)

    stored = DocumentAgreement.objects.get().statistics
    assert stored["relation_types"] == {"claimant": True, "addressee": True, "ally": False}
    summary = ProjectAgreement.objects.get().summary
    assert summary["relation_f1"]["overlap"]["overall"]["labels"]["ally"]["reason"] == (
        "no relations from either side"
    )


def test_rows_of_the_format_before_relations_are_recomputed(defaults, document, alice, bob, labels):
    _code(document, alice, labels, stance="oppose")
    _code(document, bob, labels, stance="oppose")
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    row = DocumentAgreement.objects.get()
    old = {
        key: value
        for key, value in row.statistics.items()
        if key not in ("relation_types", "attributes", "relations", "attribute_values")
    }
    DocumentAgreement.objects.filter(pk=row.pk).update(statistics=old | {"format": 1})

    project_agreement_refresh(project=defaults)

    assert DocumentAgreement.objects.get().statistics == row.statistics
    summary = ProjectAgreement.objects.get().summary
    assert summary["relation_f1"]["exact"]["overall"]["labels"]["claimant"]["value"] == 1.0


def _many_relations(document, annotator, labels, types, count: int) -> None:
    """``count`` claims, each with a claimant and a stance, on one document."""
    stance = LabelAttribute.objects.get(label=labels["claim"], name="stance")
    actor = Span.objects.create(
        document=document, annotator=annotator, label=labels["actor"], start=0, end=2
    )
    claims = Span.objects.bulk_create(
        Span(document=document, annotator=annotator, label=labels["claim"], start=i, end=i + 3)
        for i in range(3, 3 + count)
    )
    Relation.objects.bulk_create(
        Relation(
            type=types["claimant"],
            document=document,
            annotator=annotator,
            source=claim,
            target=actor,
        )
        for claim in claims
    )
    SpanAttribute.objects.bulk_create(
        SpanAttribute(span=claim, attribute=stance, value="support") for claim in claims
    )


def _refresh_queries(document) -> int:
    with CaptureQueriesContext(connection) as captured:
        agreement_refresh(document=document)
    return len(captured)


def test_refresh_reads_a_documents_relations_and_values_in_a_fixed_number_of_queries(
    defaults, alice, bob, labels, django_assert_max_num_queries
):
    types = {t.name: t for t in defaults.relation_types.all()}
    text = "x" * 200
    small = Document.objects.create(project=defaults, title="Small", text=text)
    large = Document.objects.create(project=defaults, title="Large", text=text)
    for annotator in (alice, bob):
        _many_relations(small, annotator, labels, types, 1)
        _many_relations(large, annotator, labels, types, 150)
        for annotated in (small, large):
            Assignment.objects.create(
                document=annotated, annotator=annotator, status=AssignmentStatus.SUBMITTED
            )

    agreement_refresh(document=small)
    agreement_refresh(document=large)
    assert _refresh_queries(small) == _refresh_queries(large)
    # The scheme (3); the document's assignments, spans, relations and values (4); its row
    # and the project's read and written (4); the project locked and its rows read (2);
    # four savepoints, each set and released (8).
    with django_assert_max_num_queries(21):
        agreement_refresh(document=large)
    figures = ProjectAgreement.objects.get().summary
    assert figures["relation_f1"]["exact"]["overall"]["labels"]["claimant"]["tp"] == 151
    assert figures["attributes"]["claim"]["stance"]["krippendorff_alpha"]["values"] == 302


def test_the_api_gives_the_relation_and_attribute_figures(
    defaults, document, alice, bob, manager, labels
):
    _code(document, alice, labels, stance="oppose", addressee=True)
    _code(document, bob, labels, stance="support")
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    client = APIClient()
    client.force_authenticate(manager)

    summary = client.get(reverse("api-agreement", args=[defaults.slug])).json()["summary"]

    claimant = summary["relation_f1"]["overlap"]["overall"]["labels"]["claimant"]
    assert (claimant["value"], claimant["tp"]) == (1.0, 1)
    stance = summary["attributes"]["claim"]["stance"]
    # One claim, "oppose" against "support": kappa and alpha are both 0.
    first, second = sorted((str(alice.pk), str(bob.pk)))  # pairs are keyed in string order
    assert stance["cohen_kappa"]["pairs"][first][second]["value"] == 0.0
    assert stance["krippendorff_alpha"]["value"] == 0.0

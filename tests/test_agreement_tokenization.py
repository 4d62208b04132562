"""Token-level agreement counts the tokens the exports write, and follows their rule.

Stored statistics name the tokenisation rule they were computed under; a change
of rule makes them stale, and the next refresh recomputes them.
"""

import pytest
from django.core.management import call_command

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create
from annotator.annotation.tokenization import TOKENIZATION_RULE
from annotator.curation import agreement
from annotator.curation.agreement_refresh import project_agreement_refresh
from annotator.models import Document, DocumentAgreement, ProjectAgreement

TEXT = "नरेन्द्र मोदी said مُحَمَّد 🇳🇴 👨\u200d👩\u200d👧\u200d👦."


def test_token_figures_count_whole_words_in_every_script() -> None:
    statistics = agreement.document_statistics(
        TEXT,
        [("a", "actor", 0, 13), ("b", "actor", 0, 8)],
        layers={"actor": ["actor"]},
        labels=["actor"],
    )
    # नरेन्द्र, मोदी, said, مُحَمَّد, the flag, the family, the full stop.
    assert statistics["token"]["actor"]["fleiss"]["items"] == 7
    assert statistics["token"]["actor"]["cohen"]["a"]["b"] == {
        "actor": {"actor": 1, "O": 1},
        "O": {"O": 5},
    }
    assert statistics["tokenization"] == TOKENIZATION_RULE


def test_statistics_of_two_rules_do_not_merge() -> None:
    statistics = agreement.document_statistics("a b", [("a", "claim", 0, 1)], annotators=["a", "b"])
    older = {**statistics, "tokenization": "an older rule"}
    with pytest.raises(ValueError, match="tokenisation"):
        agreement.merge_statistics([statistics, older])


@pytest.fixture
def submitted(project, alice, bob, labels) -> Document:
    document = Document.objects.create(project=project, title="Names", text=TEXT)
    for annotator, end in ((alice, 13), (bob, 8)):
        span_create(document=document, annotator=annotator, label=labels["actor"], start=0, end=end)
        assignment_submit(document=document, annotator=annotator)
    return document


def _age(document: Document) -> dict:
    """Make the stored row look computed under another rule, over other tokens."""
    row = DocumentAgreement.objects.get(document=document)
    current = row.statistics
    stale = {**current, "tokenization": "an older rule"}
    stale["token"] = {**current["token"], "actor": {**current["token"]["actor"], "fleiss": {}}}
    DocumentAgreement.objects.filter(pk=row.pk).update(statistics=stale)
    return current


def test_a_refresh_recomputes_statistics_of_another_rule(submitted) -> None:
    current = _age(submitted)

    project_agreement_refresh(project=submitted.project)

    assert DocumentAgreement.objects.get(document=submitted).statistics == current
    assert ProjectAgreement.objects.get().statistics["tokenization"] == TOKENIZATION_RULE


def test_the_refresh_command_recomputes_them_too(submitted) -> None:
    current = _age(submitted)

    call_command("refresh_agreement", submitted.project.slug, stdout=None)

    assert DocumentAgreement.objects.get(document=submitted).statistics == current

"""The dashboard's relation F1 and attribute agreement tables."""

import re

import pytest
from django.urls import reverse

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.relations import relation_create, span_attribute_set
from annotator.annotation.spans import span_create
from annotator.models import LabelAttribute, RelationType
from annotator.projects.setup import add_default_relations

CLAIM = "NATO will meet in January"
DASH = "\N{EN DASH}"  # what the dashboard shows for an undefined figure


@pytest.fixture
def defaults(project):
    add_default_relations(project)
    return project


def _span(document, annotator, label, phrase):
    start = document.text.find(phrase)
    span, _ = span_create(
        document=document, annotator=annotator, label=label, start=start, end=start + len(phrase)
    )
    return span


def _code(document, annotator, labels, *, addressee: str, stance: str) -> None:
    claim = _span(document, annotator, labels["claim"], CLAIM)
    types = {t.name: t for t in document.project.relation_types.all()}
    relation_create(
        relation_type=types["claimant"],
        source=claim,
        target=_span(document, annotator, labels["actor"], "Sergey Lavrov"),
        annotator=annotator,
    )
    relation_create(
        relation_type=types["addressee"],
        source=claim,
        target=_span(document, annotator, labels["actor"], addressee),
        annotator=annotator,
    )
    attribute = LabelAttribute.objects.get(label=labels["claim"], name="stance")
    span_attribute_set(span=claim, attribute=attribute, value=stance)


def _table(html: str, table_id: str) -> str:
    match = re.search(rf'<table class="figures" id="{table_id}">(.*?)</table>', html, re.S)
    assert match, f"no table {table_id}"
    return match.group(1)


def _rows(table: str) -> list[str]:
    """Each row's text, tags dropped and blanks squeezed."""
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_the_dashboard_shows_relation_f1_per_type_and_attribute_agreement(
    client, defaults, document, alice, bob, manager, labels
):
    # alice's addressee is "NATO", bob's "NATO will": only overlap matches it.
    _code(document, alice, labels, addressee="NATO", stance="oppose")
    _code(document, bob, labels, addressee="NATO will", stance="oppose")
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    client.force_login(manager)

    response = client.get(reverse("dashboard", args=[defaults.slug]))

    assert response.status_code == 200
    relations = _rows(_table(response.text, "relation-agreement"))
    assert relations[1:] == [
        "claimant 1.000 1.000",
        "addressee 0.000 1.000",
        "All types (micro) 0.500 1.000",
    ]
    attributes = _rows(_table(response.text, "attribute-agreement"))
    # One pair whose kappa is undefined (both said "oppose"), hence no mean.
    assert attributes[1] == (
        f"claim: stance {DASH} undefined for every annotator pair "
        f"{DASH} no variation: every value given is the same 2"
    )
    assert attributes[2] == (
        f"threat: stance {DASH} undefined for every annotator pair {DASH} "
        "no span marked alike and given a value by two or more annotators 0"
    )
    assert 'aria-label="claimant exact F1"' in response.text


def test_before_any_agreement_the_tables_say_so(client, defaults, manager):
    client.force_login(manager)

    response = client.get(reverse("dashboard", args=[defaults.slug]))

    relations = _rows(_table(response.text, "relation-agreement"))
    assert relations[1] == f"claimant {DASH} not computed yet {DASH} not computed yet"
    assert _rows(_table(response.text, "attribute-agreement"))[1] == (
        f"claim: stance {DASH} not computed yet {DASH} not computed yet {DASH}"
    )


def test_a_project_without_relation_types_or_attributes_has_no_such_section(
    client, project, manager
):
    client.force_login(manager)

    response = client.get(reverse("dashboard", args=[project.slug]))

    assert response.status_code == 200
    assert "Agreement on relations and attributes" not in response.text


def test_relation_type_and_attribute_names_are_escaped(client, project, manager, labels):
    RelationType.objects.create(project=project, name="<i>ally</i>", key="y", directed=False)
    LabelAttribute.objects.create(
        label=labels["claim"], name='<script>alert("x")</script>', allowed_values=["a"]
    )
    client.force_login(manager)

    response = client.get(reverse("dashboard", args=[project.slug]))

    assert "<i>ally</i>" not in response.text
    assert '&lt;i&gt;ally&lt;/i&gt; <span class="muted">(undirected)</span>' in response.text
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in response.text


def test_only_curators_and_managers_see_the_figures(client, defaults, alice, charlie, manager):
    url = reverse("dashboard", args=[defaults.slug])
    statuses = []
    for user in (alice, charlie, None):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        response = client.get(url)
        statuses.append(response.status_code)
        assert "relation-agreement" not in response.text
    client.force_login(manager)

    assert statuses == [403, 404, 302]
    assert "relation-agreement" in client.get(url).text

"""The stored agreement of the fixture project, checked against independent implementations.

fixtures/demo_agreement.json has two annotators (ada, ben) who submitted the seed
article: they agree on three spans, differ on a label, on a boundary, and on one
span only ada marked. Token tags come from our documented tagging rule
(``agreement.tag_tokens``); the kappas and alpha over those tags come from
scikit-learn, statsmodels and the krippendorff package.
"""

import io
import warnings

import krippendorff
import numpy as np
import pytest
from django.core.management import call_command
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from annotator.annotation.tokenization import tokenize
from annotator.curation.agreement import tag_tokens
from annotator.curation.agreement_refresh import layers_for, project_labels
from annotator.models import Document, ProjectAgreement, Span


@pytest.fixture
def fixture_project(db):
    call_command("loaddata", "fixtures/demo.json", "fixtures/demo_agreement.json", verbosity=0)
    call_command("refresh_agreement", "security-talks", stdout=io.StringIO())
    return ProjectAgreement.objects.get(project__slug="security-talks")


def _oracles(document: Document, labels: list[str]) -> dict[str, dict[str, float]]:
    tokens = tokenize(document.text)
    spans_of = {}
    for name, label, start, end in Span.objects.filter(document=document).values_list(
        "annotator__username", "label__name", "start", "end"
    ):
        spans_of.setdefault(name, []).append((name, label, start, end))
    results = {}
    for layer, layer_labels in layers_for(labels).items():
        ada, ben = (tag_tokens(tokens, spans_of[name], layer_labels) for name in ("ada", "ben"))
        categories = sorted(set(ada) | set(ben))
        codes = np.array(
            [[categories.index(tag) for tag in ada], [categories.index(tag) for tag in ben]]
        )
        table, _ = aggregate_raters(codes.T)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results[layer] = {
                "cohen": cohen_kappa_score(ada, ben),
                "fleiss": fleiss_kappa(table, method="fleiss"),
                "alpha": krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal"),
            }
    return results


def test_fixture_figures_match_the_oracles(fixture_project):
    document = Document.objects.get(pk=1)
    summary = fixture_project.summary
    oracles = _oracles(document, project_labels(document.project))

    assert fixture_project.documents == 1
    for layer, expected in oracles.items():
        figures = summary["token"][layer]
        ours = {
            "cohen": figures["cohen_kappa"]["mean"]["value"],
            "fleiss": figures["fleiss_kappa"]["value"],
            "alpha": figures["krippendorff_alpha"]["value"],
        }
        print(f"\n{layer}: ours {ours}\n{layer}: oracle {expected}")
        for name, value in expected.items():
            assert ours[name] == pytest.approx(value, abs=1e-9), (layer, name)
    exact = summary["span_f1"]["exact"]["overall"]["micro"]
    overlap = summary["span_f1"]["overlap"]["overall"]["micro"]
    print(f"span F1 exact {exact['value']}, overlap {overlap['value']}")
    print(f"alpha-U {summary['unitized_alpha']['overall']['value']}")
    # ada has 6 spans, ben 5; 3 agree exactly (5 unmatched); with overlap the
    # boundary disagreement matches too (3 unmatched).
    assert (exact["tp"], exact["fp"] + exact["fn"]) == (3, 5)
    assert exact["value"] == pytest.approx(6 / 11)
    assert (overlap["tp"], overlap["fp"] + overlap["fn"]) == (4, 3)
    assert overlap["value"] == pytest.approx(8 / 11)

"""What the dashboard shows, read from stored rows in a fixed number of queries.

Agreement figures come from :class:`ProjectAgreement` and
:class:`DocumentAgreement`, written when assignments are submitted (see
:mod:`annotator.curation.agreement_refresh`); counts come from :class:`ProjectTally`,
kept by database triggers. Nothing is recomputed or grouped per request. The
charts are laid out here, in SVG user units, and drawn by the template.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F

from ..models import (
    AssignmentStatus,
    DocumentAgreement,
    GoldStatus,
    Label,
    LabelAttribute,
    Project,
    ProjectAgreement,
    ProjectTally,
    RelationType,
    TallyKind,
)
from .suggestion_figures import suggestion_figures

BAR_WIDTH = 240
LOWEST_DOCUMENTS = 10
HEAT_CELL = 44


@dataclass
class Bar:
    name: str
    count: int
    width: int
    y: int


@dataclass
class Score:
    name: str
    value: float | None
    reason: str | None
    width: int


def _bars(counts: dict[str, int], names: list[tuple[str, str]], row: int = 24) -> list[Bar]:
    largest = max(counts.values(), default=0) or 1
    return [
        Bar(label, counts.get(value, 0), round(BAR_WIDTH * counts.get(value, 0) / largest), i * row)
        for i, (value, label) in enumerate(names)
    ]


def _score(name: str, figure: dict | None) -> Score:
    value = figure["value"] if figure else None
    reason = figure["reason"] if figure else "not computed yet"
    width = round(BAR_WIDTH * max(value, 0.0)) if value is not None else 0
    return Score(name, value, reason, width)


def _heat_class(value: float | None) -> str:
    if value is None:
        return "heat-none"
    return f"heat-{max(0, min(10, round(value * 10)))}"


def _relation_scores(project: Project, summary: dict | None) -> list[dict]:
    """Exact and overlap relation F1 of each relation type of the project."""
    relation_f1 = (summary or {}).get("relation_f1")
    rows = []
    for relation_type in RelationType.objects.filter(project=project).order_by("key"):
        figures = {}
        if relation_f1:
            figures = {
                mode: relation_f1[mode]["overall"]["labels"].get(relation_type.name)
                for mode in ("exact", "overlap")
            }
        rows.append(
            {
                "relation_type": relation_type,
                "scores": [
                    _score("exact F1", figures.get("exact")),
                    _score("overlap F1", figures.get("overlap")),
                ],
            }
        )
    return rows


def _attribute_scores(project: Project, summary: dict | None) -> list[dict]:
    """Cohen's kappa (mean of pairs) and Krippendorff's alpha of each label attribute."""
    attributes = (summary or {}).get("attributes")
    rows = []
    for attribute in (
        LabelAttribute.objects.filter(label__project=project)
        .select_related("label")
        .order_by("label__hotkey", "name")
    ):
        figures = {}
        if attributes:
            figures = attributes.get(attribute.label.name, {}).get(attribute.name, {})
        alpha = figures.get("krippendorff_alpha")
        rows.append(
            {
                "attribute": attribute,
                "scores": [
                    _score("Cohen's kappa", figures.get("cohen_kappa", {}).get("mean")),
                    _score("Krippendorff's alpha", alpha),
                ],
                "values": alpha["values"] if alpha else None,
            }
        )
    return rows


def dashboard_context(project: Project) -> dict:
    labels = list(Label.objects.filter(project=project).order_by("hotkey"))
    tallies: dict[str, dict[str, int]] = {kind: {} for kind in TallyKind.values}
    for kind, key, total in ProjectTally.objects.filter(
        project_id=project.pk, total__gt=0
    ).values_list("kind", "key", "total"):
        tallies[kind][key] = total
    assignment_counts = tallies[TallyKind.ASSIGNMENT_STATUS]
    gold_counts = tallies[TallyKind.GOLD_STATUS]
    stored = ProjectAgreement.objects.filter(project=project).first()
    summary = stored.summary if stored else None

    label_scores = []
    for label in labels:
        figures = {}
        if summary:
            figures = {
                "exact": summary["span_f1"]["exact"]["overall"]["labels"].get(label.name),
                "overlap": summary["span_f1"]["overlap"]["overall"]["labels"].get(label.name),
                "alpha_u": summary["unitized_alpha"]["labels"].get(label.name),
            }
        label_scores.append(
            {
                "label": label,
                "scores": [
                    _score("exact F1", figures.get("exact")),
                    _score("overlap F1", figures.get("overlap")),
                    _score("alpha-U", figures.get("alpha_u")),
                ],
            }
        )

    user_ids = [int(name) for name in summary["annotators"]] if summary else []
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    heat = []
    if summary:
        pairs = summary["span_f1"]["exact"]["pairs"]
        for row, first in enumerate(summary["annotators"]):
            for column, second in enumerate(summary["annotators"]):
                if first == second:
                    continue
                a, b = sorted((first, second))
                figure = pairs.get(a, {}).get(b, {}).get("micro")
                value = figure["value"] if figure else None
                heat.append(
                    {
                        "x": (column + 1) * HEAT_CELL + 80,
                        "y": (row + 1) * HEAT_CELL,
                        "value": value,
                        "css": _heat_class(value),
                        "title": f"{names.get(int(first))} / {names.get(int(second))}",
                    }
                )
    heat_annotators = [
        {"name": names.get(user_id, str(user_id)), "offset": (i + 1) * HEAT_CELL}
        for i, user_id in enumerate(user_ids)
    ]

    by_annotator: dict[int, dict[int, int]] = {}
    for key, total in tallies[TallyKind.SPANS].items():
        annotator_id, label_id = (int(part) for part in key.split(":"))
        by_annotator.setdefault(annotator_id, {})[label_id] = total
    usernames = dict(
        get_user_model().objects.filter(pk__in=by_annotator).values_list("pk", "username")
    )
    per_annotator = {
        usernames[annotator_id]: by_annotator[annotator_id]
        for annotator_id in sorted(by_annotator, key=lambda annotator_id: usernames[annotator_id])
    }
    largest = max((sum(row.values()) for row in per_annotator.values()), default=0) or 1
    label_counts = []
    for i, (username, row) in enumerate(per_annotator.items()):
        x = 0
        segments = []
        for label in labels:
            count = row.get(label.pk, 0)
            width = round(BAR_WIDTH * count / largest)
            segments.append({"label": label, "count": count, "x": x, "width": width})
            x += width
        label_counts.append(
            {"username": username, "y": i * 28, "segments": segments, "total": sum(row.values())}
        )

    lowest = (
        DocumentAgreement.objects.filter(project=project)
        .select_related("document")
        .only("score", "annotators", "document__id", "document__title", "document__gold_status")
        .order_by(F("score").asc(nulls_last=True), "document_id")[:LOWEST_DOCUMENTS]
    )
    return {
        "project": project,
        "labels": labels,
        "agreement": stored,
        "summary": summary,
        "assignment_bars": _bars(assignment_counts, AssignmentStatus.choices),
        "gold_bars": _bars(gold_counts, GoldStatus.choices),
        "document_total": sum(gold_counts.values()),
        "label_scores": label_scores,
        "relation_scores": _relation_scores(project, summary),
        "attribute_scores": _attribute_scores(project, summary),
        "heat": heat,
        "heat_annotators": heat_annotators,
        "heat_size": (len(user_ids) + 1) * HEAT_CELL + 80,
        "label_counts": label_counts,
        "label_counts_height": max(len(label_counts), 1) * 28,
        "lowest": list(lowest),
        "suggestions": suggestion_figures(project),
    }

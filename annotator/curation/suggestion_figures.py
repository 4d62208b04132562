"""How much the machine helps: suggestions decided per source, pseudo-annotators against gold,
and the trained models' validation scores, for the dashboard.

- Per source (``string-match``, ``model:<name>@<version>``, ``import:<name>``): how
  many suggestions exist, how many decisions accepted and rejected them, and the
  share accepted among the decided. Pending ones are not a decision.
- Per pseudo-annotator (:class:`annotator.models.PseudoAnnotator`) and label:
  exact-span precision, recall and F1 of its spans against the accepted gold
  spans, over the gold documents it annotated (those it has an assignment on).
  A figure with nothing to divide by is None, with the reason.

A fixed number of grouped queries, whatever the number of sources or pseudo-annotators.
"""

from django.db.models import Count, Exists, OuterRef

from ..models import (
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Label,
    Project,
    PseudoAnnotator,
    Span,
    Suggestion,
    SuggestionDecision,
    SuggestionStatus,
    TrainedModel,
)

MODELS_SHOWN = 10


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def exact_f1(matched: int, predicted: int, gold: int) -> dict:
    """Precision, recall and F1 of exact matches, None where undefined, with the reason."""
    precision = _ratio(matched, predicted)
    recall = _ratio(matched, gold)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    reason = None
    if f1 is None:
        reason = (
            "no span and no gold span"
            if not predicted and not gold
            else ("no span" if not predicted else "no gold span")
        )
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "reason": reason,
        "matched": matched,
        "predicted": predicted,
        "gold": gold,
    }


def source_shares(project: Project) -> list[dict]:
    offered = dict(
        Suggestion.objects.filter(document__project=project)
        .values("source")
        .annotate(total=Count("id"))
        .values_list("source", "total")
        .order_by()
    )
    decided: dict[str, dict[str, int]] = {}
    for source, status, total in (
        SuggestionDecision.objects.filter(suggestion__document__project=project)
        .values("suggestion__source", "status")
        .annotate(total=Count("id"))
        .values_list("suggestion__source", "status", "total")
        .order_by()
    ):
        decided.setdefault(source, {})[status] = total
    rows = []
    for source in sorted(set(offered) | set(decided)):
        accepted = decided.get(source, {}).get(SuggestionStatus.ACCEPTED, 0)
        rejected = decided.get(source, {}).get(SuggestionStatus.REJECTED, 0)
        rows.append(
            {
                "source": source,
                "offered": offered.get(source, 0),
                "accepted": accepted,
                "rejected": rejected,
                "accepted_share": _ratio(accepted, accepted + rejected),
            }
        )
    return rows


def pseudo_annotator_scores(project: Project) -> list[dict]:
    """Each pseudo-annotator of the project against gold, per label and overall (micro)."""
    pseudo = dict(
        PseudoAnnotator.objects.filter(user__memberships__project=project).values_list(
            "user_id", "user__username"
        )
    )
    if not pseudo:
        return []
    labels = list(Label.objects.filter(project=project).order_by("hotkey"))
    spans = Span.objects.filter(
        annotator_id__in=pseudo,
        document__project=project,
        document__gold_status=GoldStatus.GOLD,
    )
    gold_match = GoldSpan.objects.filter(
        document_id=OuterRef("document_id"),
        label_id=OuterRef("label_id"),
        start=OuterRef("start"),
        end=OuterRef("end"),
        status=GoldSpanStatus.ACCEPTED,
    )
    predicted = _grouped(spans, "annotator_id")
    matched = _grouped(spans.filter(Exists(gold_match)), "annotator_id")
    gold = _grouped(
        GoldSpan.objects.filter(
            status=GoldSpanStatus.ACCEPTED,
            document__project=project,
            document__gold_status=GoldStatus.GOLD,
            document__assignments__annotator_id__in=pseudo,
        ),
        "document__assignments__annotator_id",
    )
    rows = []
    for user_id, username in sorted(pseudo.items(), key=lambda item: item[1]):
        per_label = []
        for label in labels:
            key = (user_id, label.pk)
            per_label.append(
                {
                    "label": label,
                    **exact_f1(matched.get(key, 0), predicted.get(key, 0), gold.get(key, 0)),
                }
            )
        overall = exact_f1(
            sum(row["matched"] for row in per_label),
            sum(row["predicted"] for row in per_label),
            sum(row["gold"] for row in per_label),
        )
        rows.append({"username": username, "labels": per_label, "overall": overall})
    return rows


def _grouped(queryset, annotator_field: str) -> dict[tuple[int, int], int]:
    return {
        (annotator_id, label_id): total
        for annotator_id, label_id, total in queryset.values(annotator_field, "label_id")
        .annotate(total=Count("id"))
        .values_list(annotator_field, "label_id", "total")
        .order_by()
    }


def model_rows(project: Project) -> list[dict]:
    """The latest trained models, with their validation figures per label in label order."""
    labels = list(Label.objects.filter(project=project).order_by("hotkey"))
    rows = []
    for model in (
        TrainedModel.objects.filter(project=project)
        .select_related("requested_by")
        .order_by("-created", "-pk")[:MODELS_SHOWN]
    ):
        metrics = model.metrics or {}
        per_label = metrics.get("labels", {})
        rows.append(
            {
                "model": model,
                "overall": metrics.get("overall"),
                "reason": metrics.get("reason"),
                "labels": [{"label": label, **per_label.get(label.name, {})} for label in labels],
            }
        )
    return rows


def suggestion_figures(project: Project) -> dict:
    return {
        "sources": source_shares(project),
        "pseudo_annotators": pseudo_annotator_scores(project),
        "models": model_rows(project),
    }

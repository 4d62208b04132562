"""Training a span categorizer from gold in the train worker: end to end on a tiny corpus."""

import io
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.annotation.suggestions import pending_suggestions
from annotator.annotation.training import (
    TrainingError,
    claim_next_training,
    load_model,
    request_training,
    run_training,
)
from annotator.api_tokens import token_create
from annotator.exports.splits import SplitRatios, assign_split
from annotator.models import (
    Document,
    GoldOrigin,
    GoldSpan,
    GoldSpanStatus,
    GoldStatus,
    Suggestion,
    TrainedModel,
    TrainingStatus,
)

ACTORS = ["NATO", "Moscow", "the Kremlin", "Sergey Lavrov", "Brussels", "the envoy"]


def _gold_document(project, labels, number: int) -> Document:
    first, second = ACTORS[number % len(ACTORS)], ACTORS[(number + 1) % len(ACTORS)]
    text = f"Talks {number}: {first} met {second} and said nothing new."
    document = Document.objects.create(
        project=project, title=f"Gold {number}", text=text, gold_status=GoldStatus.GOLD
    )
    for actor in (first, second):
        start = text.index(actor)
        GoldSpan.objects.create(
            document=document,
            label=labels["actor"],
            start=start,
            end=start + len(actor),
            status=GoldSpanStatus.ACCEPTED,
            origin=GoldOrigin.CURATOR,
            guidelines_version=1,
        )
    return document


@pytest.fixture
def corpus(project, labels, settings, tmp_path) -> list[Document]:
    settings.MEDIA_ROOT = tmp_path
    return [_gold_document(project, labels, number) for number in range(24)]


def test_training_scores_on_validation_and_proposes_on_documents_not_yet_gold(
    project, corpus, curator, alice
):
    todo = Document.objects.create(
        project=project, title="Todo", text="Later, NATO met Moscow in Brussels."
    )
    requested = request_training(project=project, requested_by=curator, epochs=8)
    assert (requested.version, requested.status) == (1, TrainingStatus.QUEUED)

    model = run_training(claim_next_training())

    assert model.status == TrainingStatus.DONE, model.message
    ratios = SplitRatios()
    splits = [assign_split(d.pk, "0", ratios) for d in corpus]
    assert model.counts["train"]["documents"] == splits.count("train")
    assert model.counts["validation"]["documents"] == splits.count("validation")
    assert model.counts["train"]["spans"] == 2 * splits.count("train")
    overall = model.metrics["overall"]
    assert 0 <= overall["precision"] <= 1 and 0 <= overall["f1"] <= 1
    assert model.metrics["documents"] == splits.count("validation")
    assert set(model.metrics["labels"]) == {"claim", "threat", "proposal", "actor"}
    # Predictions become suggestions on the document that is not gold, for everyone.
    suggested = Suggestion.objects.filter(document=todo)
    assert suggested.exists() and model.suggestions_made == suggested.count()
    assert {s.source for s in suggested} == {"model:spancat@1"}
    assert all(0.5 <= s.score <= 1 for s in suggested)
    assert not Suggestion.objects.filter(document__gold_status=GoldStatus.GOLD).exists()
    assert set(pending_suggestions(todo, alice)) == set(suggested)
    # The stored model loads and predicts as it did.
    doc = load_model(model)(todo.text)
    assert [span.text for span in doc.spans["sc"]] == [
        todo.text[s.start : s.end] for s in suggested.order_by("start", "end")
    ]


def test_a_new_version_replaces_the_undecided_suggestions_of_the_last(
    project, corpus, curator, alice
):
    Document.objects.create(project=project, title="Todo", text="NATO met Moscow in Brussels.")
    request_training(project=project, requested_by=curator, epochs=4)
    run_training(claim_next_training())
    request_training(project=project, requested_by=curator, epochs=4)

    second = run_training(claim_next_training())

    assert second.version == 2
    assert set(Suggestion.objects.values_list("source", flat=True)) == {"model:spancat@2"}


def test_no_validation_document_means_no_score_rather_than_a_score_on_training_data(
    project, corpus, curator
):
    request_training(
        project=project,
        requested_by=curator,
        epochs=2,
        ratios=SplitRatios(train=1.0, validation=0.0, test=0.0),
    )

    model = run_training(claim_next_training())

    assert model.status == TrainingStatus.DONE
    assert model.metrics == {"reason": "no gold document fell in the validation split"}


def test_training_needs_gold_in_the_train_split(project, curator, labels):
    with pytest.raises(TrainingError, match="No gold document falls in the train split"):
        request_training(project=project, requested_by=curator)
    assert not TrainedModel.objects.exists()


@pytest.mark.parametrize(("epochs", "name"), [(0, "spancat"), (5, "bad name!")])
def test_bad_requests_are_refused(project, corpus, curator, epochs, name):
    with pytest.raises(TrainingError):
        request_training(project=project, requested_by=curator, epochs=epochs, name=name)
    assert not TrainedModel.objects.exists()


def test_a_stale_training_is_queued_again_then_failed(project, corpus, curator, settings):
    settings.TRAINING_JOB_STALE_MINUTES = 1
    request_training(project=project, requested_by=curator, epochs=1)
    for attempt in range(1, 4):
        claimed = claim_next_training()
        assert claimed.attempts == attempt
        TrainedModel.objects.update(heartbeat=timezone.now() - timezone.timedelta(minutes=5))

    assert claim_next_training() is None
    failed = TrainedModel.objects.get()
    assert failed.status == TrainingStatus.FAILED and "stopped 3 times" in failed.message


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_trains_what_is_queued(project, corpus, curator):
    """A transactional test: the worker closes stale connections, as between requests."""
    request_training(project=project, requested_by=curator, epochs=2)
    out = io.StringIO()

    call_command("train_worker", "--once", stdout=out)

    assert "model:spancat@1 of talks: done" in out.getvalue()
    assert TrainedModel.objects.get().status == TrainingStatus.DONE


def test_curators_queue_from_the_dashboard_and_the_api_and_see_the_figures(
    client, project, corpus, curator
):
    client.force_login(curator)
    response = client.post(
        reverse("model-train", args=[project.slug]), {"name": "ner", "epochs": "2"}
    )
    assert response.status_code == 302
    run_training(claim_next_training())
    page = client.get(reverse("dashboard", args=[project.slug])).content.decode()
    assert "model:ner@1" in page and "Done" in page

    api = APIClient()
    _, token = token_create(user=curator, name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    queued = api.post(reverse("api-models", args=[project.slug]), {"epochs": 1}, format="json")
    assert queued.status_code == 202 and queued.json()["source"] == "model:spancat@1"
    listed = api.get(reverse("api-models", args=[project.slug])).json()["results"]
    assert [row["source"] for row in listed] == ["model:spancat@1", "model:ner@1"]
    assert listed[1]["metrics"]["overall"]["f1"] is not None


def test_the_app_starts_without_loading_spacy():
    code = (
        "import django, sys; django.setup(); "
        "import project.urls, annotator.web.urls, annotator.api.urls, annotator.admin; "
        "from django.urls import get_resolver; get_resolver().url_patterns; "
        "print('spacy' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "project.settings", "PATH": ""},
    )
    assert result.stdout.strip() == "False"

"""Asking for a trained model (curators), from the dashboard's suggestions section.

The training itself runs in the train worker (:mod:`annotator.annotation.training`);
this only queues it and returns to the dashboard, which lists the models with
their status and validation figures.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..annotation.training import TrainingError, request_training
from ..permissions import Access, declares, project_for
from .forms import posted_int


@declares(Access.CURATOR)
@login_required
@require_POST
def model_train_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, slug, Access.CURATOR)
    epochs = posted_int(request, "epochs")
    try:
        if not isinstance(epochs, int):
            raise TrainingError("Epochs must be a whole number.")
        model = request_training(
            project=project,
            requested_by=request.user,
            name=request.POST.get("name") or "spancat",
            epochs=epochs,
        )
    except TrainingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{model.source} is queued: the train worker trains it in the background."
        )
    return redirect("dashboard", project.slug)

"""Production refuses the development secret key and warns on ALLOWED_HOSTS=*; the API is strict.

The start-up refusal is tried in a fresh interpreter, as a deployment would
load the settings; the system checks (annotator/deployment/checks.py) in this process with
the settings overridden, and through ``manage.py check --deploy``.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import checks
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.models import Span

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "annotator.example"}


def _run(arguments: list[str], **overrides: str) -> subprocess.CompletedProcess:
    inherited = ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", *PRODUCTION)
    env = {name: value for name, value in os.environ.items() if name not in inherited}
    env.update(PRODUCTION, **overrides)
    return subprocess.run(  # noqa: S603 - this interpreter, with arguments of these tests
        [sys.executable, *arguments],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_with_the_development_key():
    result = _run(["-c", "import project.settings"], SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is the development key" in result.stderr


def test_the_deploy_check_fails_on_the_development_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY

    found = checks.run_checks(include_deployment_checks=True)

    errors = [message for message in found if message.id == "annotator.E001"]
    assert len(errors) == 1
    assert errors[0].level == checks.ERROR
    assert "development" in errors[0].msg


def test_the_deploy_check_passes_a_key_of_ones_own(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "k" * 60

    found = checks.run_checks(include_deployment_checks=True)

    assert not [message for message in found if message.id.startswith("annotator.")]


def test_allowed_hosts_star_with_debug_off_is_a_warning():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], ALLOWED_HOSTS="*")

    assert result.returncode != 0
    assert "annotator.W001" in result.stderr + result.stdout
    assert "ALLOWED_HOSTS" in result.stderr + result.stdout


def test_allowed_hosts_star_with_debug_on_is_left_alone(settings):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]

    found = checks.run_checks(include_deployment_checks=True)

    assert "annotator.W001" not in {message.id for message in found}


# --------------------------------------------------------------------------- strict API


def test_unknown_query_parameters_on_the_release_list_are_a_400(project, curator):
    client = APIClient()
    client.force_authenticate(curator)

    response = client.get(reverse("api-releases", args=[project.slug]), {"version": "1"})

    assert response.status_code == 400
    assert "Unknown query parameter 'version'" in response.json()["detail"]


@pytest.mark.parametrize("field", ["annotator", "document"])
def test_a_span_relabel_may_not_name_annotator_or_document(
    document, labels, alice, bob, alice_span, field
):
    client = APIClient()
    client.force_authenticate(alice)
    body = {"label": labels["claim"].pk, field: bob.pk if field == "annotator" else document.pk}

    response = client.patch(reverse("api-span", args=[alice_span.pk]), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Span.objects.get().label == labels["actor"]

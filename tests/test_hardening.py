"""Production settings, the Content-Security-Policy, login and API throttling."""

import os
import secrets
import subprocess
import sys

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle


def test_deploy_check_is_clean_with_production_settings():
    # The browser tests lift Django's async guard for this process; a deployment must not.
    # One process on one machine (annotator/deployment/checks.py), whatever this shell says.
    inherited = (
        "DATABASE_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "WEB_CONCURRENCY",
        "GUNICORN_CMD_ARGS",
        "STORAGE_BACKEND",
    )
    env = {name: value for name, value in os.environ.items() if name not in inherited}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="annotator.example.org",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_an_enforced_policy_without_inline_scripts(client, alice, document):
    client.force_login(alice)

    response = client.get(reverse("annotate", args=[document.project.slug, document.pk]))

    policy = response.headers["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response.headers
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy
    nonce = directives["style-src"].split("'nonce-")[1].rstrip("'")
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_repeated_failed_logins_lock_the_account_out(client, db):
    User.objects.create_user("victim", password="the-right-password")
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "victim", "password": "wrong"})

    response = client.post(login, {"username": "victim", "password": "the-right-password"})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_api_requests_past_the_rate_are_throttled(alice, document, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "3/minute")
    cache.clear()
    client = APIClient()
    client.force_authenticate(alice)
    url = reverse("api-spans", args=[document.pk])

    statuses = [client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    cache.clear()

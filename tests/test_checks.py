"""The project's ``check --deploy`` checks: a per-process cache where several processes
are expected is a warning, because every process would count the API throttles alone."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.checks import run_checks

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://10.0.0.5:6379/0",
    }
}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def production(settings, monkeypatch):
    """DEBUG off, a per-process cache, the file system, and nothing said about processes."""
    settings.DEBUG = False
    settings.CACHES = LOCMEM
    settings.STORAGE_BACKEND = "filesystem"
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    return settings


def shared_cache_warnings(*, deploy: bool = True) -> list:
    return [
        message
        for message in run_checks(include_deployment_checks=deploy)
        if message.id == "annotator.W150"
    ]


def test_several_gunicorn_workers_with_a_per_process_cache_are_warned_about(
    production, monkeypatch
):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")

    [warning] = shared_cache_warnings()

    assert "WEB_CONCURRENCY is 4" in warning.msg
    assert "counts the API throttles on its own" in warning.msg
    assert "REDIS_URL" in warning.hint


def test_workers_in_gunicorn_cmd_args_win_over_web_concurrency(production, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--bind 0.0.0.0:8000 -w 3 --threads 4")

    [warning] = shared_cache_warnings()

    assert "GUNICORN_CMD_ARGS asks for 3 workers" in warning.msg


@pytest.mark.parametrize(
    ("concurrency", "command_line"),
    [(None, None), ("1", None), ("4", "--workers=1"), ("many", None)],
)
def test_one_process_needs_no_shared_cache(production, monkeypatch, concurrency, command_line):
    for variable, value in (("WEB_CONCURRENCY", concurrency), ("GUNICORN_CMD_ARGS", command_line)):
        if value is not None:
            monkeypatch.setenv(variable, value)

    assert shared_cache_warnings() == []


def test_object_storage_means_several_machines(production):
    production.STORAGE_BACKEND = "s3"

    [warning] = shared_cache_warnings()

    assert "STORAGE_BACKEND is s3" in warning.msg


def test_login_lockouts_are_named_when_axes_keeps_them_in_the_cache(production, monkeypatch):
    production.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
    monkeypatch.setenv("WEB_CONCURRENCY", "2")

    [warning] = shared_cache_warnings()

    assert "the API throttles and the login lockouts" in warning.msg


def test_a_shared_cache_is_not_warned_about(production, monkeypatch):
    production.CACHES = REDIS
    monkeypatch.setenv("WEB_CONCURRENCY", "8")

    assert shared_cache_warnings() == []


def test_development_is_not_warned_about(production, monkeypatch):
    production.DEBUG = True
    monkeypatch.setenv("WEB_CONCURRENCY", "8")

    assert shared_cache_warnings() == []


def test_the_check_runs_with_deploy_only(production, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "8")

    assert shared_cache_warnings(deploy=False) == []


def test_manage_py_check_deploy_shows_the_warning():
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL")
    }
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="annotator.example.org",
        WEB_CONCURRENCY="3",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "(annotator.W150) The cache is kept in each process's memory" in result.stderr

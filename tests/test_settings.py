"""With DEBUG off the settings refuse to load without SECRET_KEY and ALLOWED_HOSTS."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "annotator.example"}


def _import_settings(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(PRODUCTION)
    for name, value in overrides.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-c", "import project.settings"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_load_when_everything_is_given():
    result = _import_settings()

    assert result.returncode == 0, result.stderr


def test_missing_secret_key_is_refused():
    result = _import_settings(SECRET_KEY=None)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_empty_secret_key_is_refused():
    result = _import_settings(SECRET_KEY="")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_missing_allowed_hosts_is_refused():
    result = _import_settings(ALLOWED_HOSTS=None)

    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


def test_blank_allowed_hosts_is_refused():
    result = _import_settings(ALLOWED_HOSTS=" , ")

    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must be set" in result.stderr


def test_debug_must_be_a_boolean():
    result = _import_settings(DEBUG="maybe")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be true or false" in result.stderr

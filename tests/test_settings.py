"""With DEBUG off the settings refuse to load without SECRET_KEY and ALLOWED_HOSTS; the
storage backend and the other knobs read from the environment are checked as they load."""

import json
import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "annotator.example"}


def _import_settings(
    code: str = "import project.settings", **overrides: str | None
) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(PRODUCTION)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(  # noqa: S603 - this interpreter, code written in the tests
        [sys.executable, "-c", code],
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


def _loaded(expression: str, **overrides: str | None) -> object:
    """``expression`` evaluated on the settings (``s``) loaded with ``overrides``, as JSON."""
    result = _import_settings(
        f"import json, project.settings as s; print(json.dumps({expression}))", **overrides
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_stored_files_default_to_the_file_system_without_boto3():
    result = _import_settings(
        "import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'project.settings'; "
        "django.setup(); import project.urls; from django.conf import settings; "
        "print(settings.STORAGES['default']['BACKEND'], 'boto3' in sys.modules)",
        STORAGE_BACKEND=None,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.core.files.storage.FileSystemStorage", "False"]


def test_s3_storage_is_configured_from_the_environment():
    loaded = _loaded(
        "[s.STORAGES['default']['BACKEND'], {k: v for k, v in s.STORAGES['default']['OPTIONS']"
        ".items() if k != 'client_config'}, s.STORAGES['default']['OPTIONS']['client_config']"
        ".s3]",
        STORAGE_BACKEND="s3",
        S3_BUCKET="annotator-releases",
        S3_ENDPOINT_URL="https://s3.example.net",
        S3_REGION="eu-west-3",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
        S3_PREFIX="annotator",
        S3_ADDRESSING_STYLE="path",
    )

    assert loaded == [
        "storages.backends.s3.S3Storage",
        {
            "bucket_name": "annotator-releases",
            "endpoint_url": "https://s3.example.net",
            "region_name": "eu-west-3",
            "access_key": "key",
            "secret_key": "secret",
            "location": "annotator",
            "default_acl": None,
            "file_overwrite": False,
        },
        {"addressing_style": "path"},
    ]


def test_s3_storage_without_a_bucket_is_refused():
    result = _import_settings(STORAGE_BACKEND="s3", S3_BUCKET=None)

    assert result.returncode != 0
    assert "ImproperlyConfigured: S3_BUCKET must be set when STORAGE_BACKEND is s3" in (
        result.stderr
    )


def test_an_unknown_storage_backend_is_refused():
    result = _import_settings(STORAGE_BACKEND="ftp")

    assert result.returncode != 0
    assert "ImproperlyConfigured: STORAGE_BACKEND must be filesystem or s3, not 'ftp'" in (
        result.stderr
    )


def test_release_job_stale_minutes_takes_fractions():
    assert _loaded("s.RELEASE_JOB_STALE_MINUTES", RELEASE_JOB_STALE_MINUTES="0.1") == 0.1


def test_release_job_stale_minutes_must_be_a_number():
    result = _import_settings(RELEASE_JOB_STALE_MINUTES="soon")

    assert result.returncode != 0
    assert "ImproperlyConfigured: RELEASE_JOB_STALE_MINUTES must be a number" in result.stderr


def test_redis_url_makes_the_cache_shared_with_timeouts():
    assert _loaded("s.CACHES['default']", REDIS_URL="redis://10.0.0.5:6379/0") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://10.0.0.5:6379/0",
        "OPTIONS": {"socket_connect_timeout": 2.0, "socket_timeout": 2.0},
    }

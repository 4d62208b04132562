"""The project's own ``manage.py check`` checks, registered when the app is ready (``apps.py``).

All run with ``--deploy``; the settings already refuse to load with DEBUG off and
no SECRET_KEY or ALLOWED_HOSTS, so these catch what loads but must not be deployed:

- :func:`development_secret_key`: the key printed in settings.py (an error).
- :func:`allowed_hosts_wildcard`: ``*`` in ALLOWED_HOSTS with DEBUG off.
- :func:`check_cache_is_shared`: the API throttles (and the login lockouts with
  django-axes' cache handler) count in the cache, so a cache kept in each
  process's memory lets every process count its own, as many times the limit as
  there are processes. Warned about when DEBUG is off and more than one process
  is expected, which :func:`expected_web_processes` reads from the deployment's
  settings.
"""

import argparse
import os
import shlex

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

#: Cache backends whose entries no other process sees.
PER_PROCESS_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)
AXES_CACHE_HANDLER = "axes.handlers.cache.AxesCacheHandler"


def _gunicorn_workers(command_line: str) -> int | None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-w", "--workers", type=int)
    try:
        known, _ = parser.parse_known_args(shlex.split(command_line))
    except (SystemExit, ValueError):
        return None
    return known.workers


def expected_web_processes() -> tuple[int, str]:
    """How many processes serve requests, as far as this node's settings tell, and why.

    ``--workers`` in ``GUNICORN_CMD_ARGS`` wins over ``WEB_CONCURRENCY`` (gunicorn's own
    default for it), as in gunicorn. Object storage (``STORAGE_BACKEND=s3``) is there
    to share files between machines, so it counts as two processes at least.
    """
    workers = _gunicorn_workers(os.environ.get("GUNICORN_CMD_ARGS", ""))
    if workers is not None:
        count, reason = workers, f"GUNICORN_CMD_ARGS asks for {workers} workers"
    else:
        concurrency = os.environ.get("WEB_CONCURRENCY", "")
        count = int(concurrency) if concurrency.strip().isdigit() else 1
        reason = f"WEB_CONCURRENCY is {count}"
    if count < 2 and settings.STORAGE_BACKEND == "s3":
        return 2, "STORAGE_BACKEND is s3, for files shared between machines"
    return count, reason


@register(Tags.caches, deploy=True)
def check_cache_is_shared(app_configs=None, **kwargs) -> list[CheckMessage]:
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    processes, reason = expected_web_processes()
    if processes < 2:
        return []
    counted = "the API throttles"
    if settings.AXES_HANDLER == AXES_CACHE_HANDLER:
        counted += " and the login lockouts"
    return [
        CheckWarning(
            f"The cache is kept in each process's memory ({backend}), but more than one "
            f"process is expected ({reason}): every process counts {counted} on its own.",
            hint="Set REDIS_URL to a Redis that every web process and node shares.",
            id="annotator.W150",
        )
    ]


@register(Tags.security, deploy=True)
def development_secret_key(app_configs, **kwargs) -> list[CheckMessage]:
    """The key printed in settings.py signs every session of whoever reads the source."""
    if settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is the development key printed in project/settings.py.",
            hint="Set SECRET_KEY to a long random secret of your own, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(60))'`.",
            id="annotator.E001",
        )
    ]


@register(Tags.security, deploy=True)
def allowed_hosts_wildcard(app_configs, **kwargs) -> list[CheckMessage]:
    """With DEBUG off, ``*`` lets any Host header through, and with it poisoned absolute URLs."""
    if settings.DEBUG or "*" not in settings.ALLOWED_HOSTS:
        return []
    return [
        CheckWarning(
            "ALLOWED_HOSTS contains '*' with DEBUG off: any Host header is accepted, so "
            "absolute URLs the app builds (API links, release downloads) can name another site.",
            hint="List the host names the app is served under, comma-separated.",
            id="annotator.W001",
        )
    ]

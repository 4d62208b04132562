"""Whether this process can serve: the database, the stored files and the cache answer.

``/readyz`` (:mod:`annotator.web.health`) asks :func:`readiness`, which gives each
probe ``READYZ_TIMEOUT_SECONDS``. The storage and cache probes run on a small
thread pool and are waited for at most that long: a hung call is abandoned to
its client's own timeout (``S3``'s connect and read timeouts, ``REDIS_TIMEOUT_SECONDS``).
The database probe runs on the calling thread, because a Django connection belongs
to its thread and the request's own connection is the one worth probing; on
PostgreSQL its statement is bounded by ``statement_timeout`` and a new
connection by ``connect_timeout`` (``DB_CONNECT_TIMEOUT``).

A failed probe is logged with its error; the caller only learns which failed.
"""

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ProbeTimeout

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, transaction

from annotator.deployment.storage import storage_reachable

logger = logging.getLogger(__name__)

PROBE_NAMES = ("database", "storage", "cache")
# One probe of each kind at a time per process, plus one for a hung probe to hold.
_probe_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def database_answers(timeout: float) -> bool:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true)", [f"{round(timeout * 1000)}"]
            )
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def storage_answers() -> bool:
    return storage_reachable(default_storage)


def cache_answers() -> bool:
    # A key of its own for each probe: concurrent probes (threads, processes, nodes)
    # must not read each other's token. It expires by itself.
    token = uuid.uuid4().hex
    cache.set(f"readyz:{token}", token, timeout=10)
    return cache.get(f"readyz:{token}") == token


def readiness() -> dict[str, bool]:
    """Each probe's outcome, by name (:data:`PROBE_NAMES`): True if it answered in time."""
    timeout = settings.READYZ_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    pending = {
        "storage": _probe_threads.submit(storage_answers),
        "cache": _probe_threads.submit(cache_answers),
    }
    outcomes = {"database": _outcome("database", lambda: database_answers(timeout))}
    for name, future in pending.items():
        outcomes[name] = _outcome(
            name, lambda future=future: future.result(max(0.0, deadline - time.monotonic()))
        )
    return {name: outcomes[name] for name in PROBE_NAMES}


def _outcome(name: str, probe: Callable[[], bool]) -> bool:
    try:
        answered = probe()
    except ProbeTimeout:
        logger.warning("Readiness: the %s did not answer in time.", name)
        return False
    except Exception:
        logger.warning("Readiness: the %s probe failed.", name, exc_info=True)
        return False
    if not answered:
        logger.warning("Readiness: the %s answered, but not as expected.", name)
    return bool(answered)

"""``/healthz`` and ``/readyz``: public, cheap, and saying nothing but whether each probe
passed. Failures are real ones where they can be: a Redis port nobody listens on, a
server that accepts and never answers, a bucket that does not exist, a storage
folder that cannot be made."""

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from annotator.deployment import health

READY = {"status": "ready", "checks": {"database": "ok", "storage": "ok", "cache": "ok"}}


def unavailable(*failing: str) -> dict:
    return {
        "status": "unavailable",
        "checks": {
            name: "failing" if name in failing else "ok"
            for name in ("database", "storage", "cache")
        },
    }


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def patient_probes(settings) -> None:
    """On a busy machine a first probe (importing redis, starting boto3) may take seconds:
    outcomes here are decided by the answers, except where a test sets a short timeout."""
    settings.READYZ_TIMEOUT_SECONDS = 30


def redis_cache(settings, port: int, *, timeout: float = 2.0) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port whose server accepts connections and never answers; its number."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_healthz_answers_anyone_without_touching_the_database(client):
    # Without the django_db mark, any database access would raise.
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_readyz_is_ready_when_database_storage_and_cache_answer(client):
    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    assert response.json() == READY
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["healthz", "readyz"])
def test_probes_answer_head_and_refuse_writes(client, name):
    assert client.head(reverse(name)).status_code == 200
    assert client.post(reverse(name)).status_code == 405


@pytest.mark.django_db
def test_probes_are_not_redirected_to_https(client, settings):
    """A load balancer probes its nodes over plain HTTP."""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("project-list")).status_code == 301
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("readyz")).status_code == 200


@pytest.mark.django_db
def test_an_unreachable_cache_makes_readyz_unavailable_without_saying_why(
    client, settings, closed_port, caplog
):
    redis_cache(settings, closed_port)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == unavailable("cache")
    assert "Readiness: the cache probe failed." in caplog.text
    assert "Connection refused" in caplog.text


@pytest.mark.django_db
def test_a_cache_that_never_answers_is_given_up_after_the_timeout(
    client, settings, silent_server, caplog
):
    settings.READYZ_TIMEOUT_SECONDS = 0.3
    redis_cache(settings, silent_server, timeout=5)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == unavailable("cache")
    assert "Readiness: the cache did not answer in time." in caplog.text


@pytest.mark.django_db
def test_a_storage_folder_that_cannot_be_made_makes_readyz_unavailable(client, settings, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    settings.MEDIA_ROOT = tmp_path / "a-file" / "media"

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == unavailable("storage")


@pytest.mark.django_db
def test_a_missing_storage_folder_whose_parent_is_writable_is_ready(client, settings, tmp_path):
    """MEDIA_ROOT is made by the first release stored; a new install is ready before that."""
    settings.MEDIA_ROOT = tmp_path / "not-yet" / "media"

    assert client.get(reverse("readyz")).json() == READY


@pytest.mark.django_db
def test_readyz_with_a_bucket_that_answers(client, s3_bucket):
    assert client.get(reverse("readyz")).json() == READY


@pytest.mark.django_db
def test_a_missing_bucket_makes_readyz_unavailable(client, s3_server, use_s3_storage):
    use_s3_storage(s3_server, "no-such-bucket")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == unavailable("storage")


@pytest.mark.django_db
def test_a_bucket_server_that_never_answers_is_given_up_after_the_timeout(
    client, settings, silent_server, use_s3_storage, caplog
):
    use_s3_storage(f"http://127.0.0.1:{silent_server}", "releases")
    settings.READYZ_TIMEOUT_SECONDS = 0.3

    with caplog.at_level(logging.WARNING, logger="annotator.deployment.health"):
        response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == unavailable("storage")
    assert "Readiness: the storage did not answer in time." in caplog.text


@pytest.mark.django_db
def test_a_database_error_makes_readyz_unavailable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server failed")

    monkeypatch.setattr(health, "database_answers", refuse)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json() == unavailable("database")
    assert b"connection to server" not in response.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")
@pytest.mark.django_db(transaction=True)
def test_the_database_probe_bounds_its_statement_and_leaves_the_connection_as_it_was():
    def slow_database(execute, sql, params, many, context):
        if sql == "SELECT 1":
            sql = "SELECT 1 FROM pg_sleep(2)"
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()

    with (
        connection.execute_wrapper(slow_database),
        pytest.raises(OperationalError, match="statement timeout"),
    ):
        health.database_answers(0.2)

    assert health.database_answers(0.2)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == before

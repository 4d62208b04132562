"""The OpenAPI schema: valid, complete, served with Swagger UI under the CSP, and kept by the API.

schemathesis generates requests from the schema (a bounded number per operation)
and sends them, with a manager's Bearer token, to the WSGI application: no answer
may be a 5xx, and every documented answer must match its schema.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from annotator.annotation.assignments import assignment_submit
from annotator.annotation.spans import span_create
from annotator.api_tokens import token_create
from annotator.curation.gold import gold_span_create
from project.wsgi import application


def test_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    assert "/api/v1/documents/{document_id}/spans/" in (tmp_path / "schema.yml").read_text()


def test_schema_describes_bearer_tokens_and_paginated_lists(client, db):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    body = schema.json()
    assert body["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    documents = body["paths"]["/api/v1/projects/{slug}/documents/"]["get"]
    parameters = {parameter["name"] for parameter in documents["parameters"]}
    assert {"limit", "offset", "ordering", "gold_status", "title"} <= parameters
    assert "annotator__password" not in parameters


def test_swagger_ui_is_served_locally_under_the_csp(client, db):
    page = client.get(reverse("api-docs"))

    html = page.content.decode()
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in html.replace(" ", "")
    assert "cdn" not in html.lower()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "?script=" in html
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.fixture
def manager_token(project, document, labels, alice, bob, manager) -> str:
    """A manager's token, on a project with spans, a submitted document and a gold span."""
    span_create(document=document, annotator=alice, label=labels["actor"], start=18, end=31)
    span_create(document=document, annotator=bob, label=labels["actor"], start=18, end=31)
    assignment_submit(document=document, annotator=alice)
    assignment_submit(document=document, annotator=bob)
    gold_span_create(document=document, label=labels["claim"], start=39, end=43, curator=manager)
    _, token = token_create(user=manager, name="schemathesis")
    return token


@pytest.fixture
def connection_kept_open() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's test client does.

    schemathesis calls the real WSGI handler, whose request signals would close the
    connection (and with it the test transaction) after every request.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded at collection, through the application itself (generating it reads no table).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_its_schema(db, connection_kept_open, case, manager_token):
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {manager_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    # A manager of the project is never refused: a 401 or 403 would mean the token was ignored.
    assert response.status_code not in (401, 403)

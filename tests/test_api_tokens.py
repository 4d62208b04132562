"""Personal API tokens: shown once, stored hashed, revocable, and scoped like the session."""

import hashlib

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from annotator.api_tokens import token_create, token_revoke
from annotator.models import ApiToken


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _database_contains(needle: str) -> bool:
    """Whether any text column of any table holds ``needle``."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            description = connection.introspection.get_table_description(cursor, table)
            for column in description:
                quoted_table = connection.ops.quote_name(table)
                quoted_column = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT 1 FROM {quoted_table} "  # noqa: S608 - names come from introspection
                    f"WHERE CAST({quoted_column} AS TEXT) LIKE %s",
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    return True
    return False


def test_created_token_is_stored_only_as_its_digest(alice):
    api_token, token = token_create(user=alice, name="  my script ")

    assert token.startswith(f"ann_{api_token.prefix}_")
    assert api_token.name == "my script"
    assert api_token.digest == hashlib.sha256(token.encode()).hexdigest()
    assert api_token.revoked is None and api_token.last_used is None
    # The secret is URL-safe base64, which may itself hold "_": split on the prefix.
    secret = token.removeprefix(f"ann_{api_token.prefix}_")
    assert len(secret) >= 40
    assert not _database_contains(secret)
    assert _database_contains(api_token.digest)


def test_blank_name_is_refused(alice):
    with pytest.raises(ValueError, match="name"):
        token_create(user=alice, name="   ")

    assert not ApiToken.objects.exists()


def test_token_works_as_bearer_and_records_its_use(alice, project):
    api_token, token = token_create(user=alice, name="script")

    response = _bearer(token).get(reverse("api-projects"))

    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == [project.slug]
    assert response.json()["results"][0]["role"] == "annotator"
    api_token.refresh_from_db()
    assert api_token.last_used is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ann_00000000_not-a-real-token",
        "Bearer",
        "Bearer two parts",
        "Bearer ann_é",
    ],
    ids=["unknown", "empty", "three-parts", "non-ascii"],
)
def test_bad_bearer_header_is_401(alice, header):
    client = APIClient()

    response = client.get(reverse("api-projects"), HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoked_token_is_401(alice):
    api_token, token = token_create(user=alice, name="script")
    token_revoke(api_token=api_token)

    response = _bearer(token).get(reverse("api-projects"))

    assert response.status_code == 401
    api_token.refresh_from_db()
    assert api_token.revoked is not None


def test_token_of_an_inactive_user_is_401(alice):
    _, token = token_create(user=alice, name="script")
    alice.is_active = False
    alice.save()

    assert _bearer(token).get(reverse("api-projects")).status_code == 401


def test_anonymous_is_401_with_a_bearer_challenge(db):
    response = APIClient().get(reverse("api-projects"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_of_an_outsider_gets_404_on_project_objects(charlie, project, document, alice_span):
    _, token = token_create(user=charlie, name="script")
    client = _bearer(token)

    responses = [
        client.get(reverse("api-project", args=[project.slug])),
        client.get(reverse("api-documents", args=[project.slug])),
        client.get(reverse("api-document", args=[document.pk])),
        client.get(reverse("api-spans", args=[document.pk])),
        client.get(reverse("api-span", args=[alice_span.pk])),
    ]

    assert [response.status_code for response in responses] == [404] * 5
    assert client.get(reverse("api-projects")).json()["results"][0]["slug"] == "other"


# --------------------------------------------------------------------------- settings page


def test_settings_page_creates_a_token_and_shows_it_once(client, alice):
    client.force_login(alice)

    created = client.post(reverse("tokens"), {"name": "notebook"})

    assert created.status_code == 200
    token = created.context["created_token"]
    api_token = ApiToken.objects.get(user=alice)
    assert api_token.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    listed = client.get(reverse("tokens"))
    assert token not in listed.content.decode()
    assert "notebook" in listed.content.decode()
    assert f"ann_{api_token.prefix}_" in listed.content.decode()


def test_settings_page_refuses_a_blank_name(client, alice):
    client.force_login(alice)

    response = client.post(reverse("tokens"), {"name": "   "})

    assert response.status_code == 200
    assert response.context["created_token"] is None
    assert not ApiToken.objects.exists()


def test_settings_page_escapes_the_token_name(client, alice):
    token_create(user=alice, name='<img src=x onerror="alert(1)">')
    client.force_login(alice)

    body = client.get(reverse("tokens")).content.decode()

    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body


def test_owner_revokes_her_token_with_a_post(client, alice):
    api_token, token = token_create(user=alice, name="script")
    client.force_login(alice)
    url = reverse("token-revoke", args=[api_token.pk])

    refused_get = client.get(url)
    revoked = client.post(url)

    assert refused_get.status_code == 405
    assert revoked.status_code == 302
    api_token.refresh_from_db()
    assert api_token.revoked is not None
    assert _bearer(token).get(reverse("api-projects")).status_code == 401


def test_another_user_cannot_revoke_or_see_the_token(client, alice, bob):
    api_token, _ = token_create(user=alice, name="alice's script")
    client.force_login(bob)

    revoke = client.post(reverse("token-revoke", args=[api_token.pk]))
    page = client.get(reverse("tokens"))

    assert revoke.status_code == 404
    assert "alice&#x27;s script" not in page.content.decode()
    api_token.refresh_from_db()
    assert api_token.revoked is None


def test_anonymous_is_sent_to_log_in(client, alice):
    api_token, _ = token_create(user=alice, name="script")

    page = client.get(reverse("tokens"))
    revoke = client.post(reverse("token-revoke", args=[api_token.pk]))

    assert page.status_code == revoke.status_code == 302
    assert page["Location"].startswith(reverse("login"))
    api_token.refresh_from_db()
    assert api_token.revoked is None
    assert not ApiToken.objects.exclude(pk=api_token.pk).exists()


def test_there_is_no_sign_up_page(client, db):
    for path in ("/accounts/signup/", "/accounts/register/", "/signup/", "/register/"):
        assert client.get(path).status_code == 404

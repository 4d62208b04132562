"""Personal API tokens: created and revoked by their owner, stored as a SHA-256 only.

A token reads ``ann_<prefix>_<secret>``. The prefix is stored in clear so the
settings page can tell tokens apart; the whole token is shown once, when it is
created, and only its digest is kept, so a database leak reveals no usable token.
Scripts send it as ``Authorization: Bearer <token>``, which
:mod:`annotator.api.authentication` checks; such requests need no CSRF token
because no browser attaches the header on its own.
"""

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .models import ApiToken

TOKEN_PREFIX = "ann"  # noqa: S105 - the visible start of every token, not a secret


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the stored row and the token, which is never stored."""
    name = name.strip()
    if not name:
        raise ValueError("Give the token a name.")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, digest=token_digest(token)
    )
    return api_token, token


def token_revoke(*, api_token: ApiToken) -> ApiToken:
    """Revoke the token for good; revoking twice keeps the first date."""
    if api_token.revoked is None:
        api_token.revoked = timezone.now()
        api_token.save(update_fields=["revoked"])
    return api_token

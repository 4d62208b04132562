"""Personal API tokens: created and revoked by their owner, stored as a SHA-256 only.

A token reads ``ann_<prefix>_<secret>``. The prefix is stored in clear so the
settings page can tell tokens apart; the whole token is shown once, when it is
created, and only its digest is kept, so a database leak reveals no usable token.
Scripts send it as ``Authorization: Bearer <token>``; such requests need no CSRF
token because no browser attaches the header on its own.
"""

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .models import ApiToken

TOKEN_PREFIX = "ann"  # noqa: S105 - the visible start of every token, not a secret
# The last use is written at most this often, so a busy script does not write on every request.
LAST_USED_RESOLUTION_SECONDS = 60


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


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer ann_…``; without the header the next class (session) is tried."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the header as 'Authorization: Bearer <token>'.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), revoked__isnull=True)
            .first()
        )
        if api_token is None or not api_token.user.is_active:
            raise AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if (
            api_token.last_used is None
            or (now - api_token.last_used).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        ):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used=now)
            api_token.last_used = now
        return api_token.user, api_token

    def authenticate_header(self, request: Request) -> str:
        # A WWW-Authenticate header makes DRF answer 401 rather than 403 to anonymous requests.
        return "Bearer"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token to drf-spectacular (imported by annotator.api to register it)."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106 - the scheme's name, not a secret
        )

"""``Authorization: Bearer ann_…``: the API's token authentication (before the session).

Tokens are created and revoked by :mod:`annotator.api_tokens`, which stores
only their digest; this module looks a token up by that digest.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from ..api_tokens import token_digest
from ..models import ApiToken

# The last use is written at most this often, so a busy script does not write on every request.
LAST_USED_RESOLUTION_SECONDS = 60


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
    """Describes the token to drf-spectacular (registered when this module is imported)."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106 - the scheme's name, not a secret
        )

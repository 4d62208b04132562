"""System checks of a deployment's settings, run by ``manage.py check --deploy``.

Registered in :meth:`annotator.apps.AnnotatorConfig.ready`. The settings
already refuse to load with DEBUG off and no SECRET_KEY or ALLOWED_HOSTS; these
checks catch what loads but must not be deployed.
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


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
        Warning(
            "ALLOWED_HOSTS contains '*' with DEBUG off: any Host header is accepted, so "
            "absolute URLs the app builds (API links, release downloads) can name another site.",
            hint="List the host names the app is served under, comma-separated.",
            id="annotator.W001",
        )
    ]

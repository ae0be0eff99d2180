"""Checks made when the web server or a Celery worker starts, before it serves anything."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_start() -> None:
    """Refuse to serve on the public development key outside development and the demo.

    Sessions, CSRF tokens and password-reset links are signed with SECRET_KEY; the development
    key is in the repository, so anyone could forge them.
    """
    if settings.DEBUG or getattr(settings, "OVERSIGHT_DEMO", False):
        return
    if not settings.SECRET_KEY or settings.SECRET_KEY == settings.INSECURE_DEVELOPMENT_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DJANGO_DEBUG is off: refusing to start on the public "
            "development key. Set SECRET_KEY (or SECRET_KEY_FILE, a file holding it) to a long "
            "random value, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. "
            "For a local demo set OVERSIGHT_DEMO=1; for development DJANGO_DEBUG=1."
        )

"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from .force import force_details
from .roles import roles_of


def roles(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {"user_roles": roles_of(user) if user is not None else frozenset()}


def force(request: HttpRequest) -> dict[str, object]:
    return {"force": force_details()}


def demo(request: HttpRequest) -> dict[str, object]:
    """Whether this is the demo (two factors off), for the banner on every page."""
    from django.conf import settings

    return {"is_demo": getattr(settings, "OVERSIGHT_DEMO", False)}

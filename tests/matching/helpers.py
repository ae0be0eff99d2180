"""Small helpers the matching app's view tests share."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def as_(client: Any, user: Any) -> Any:
    """The test client, logged in as ``user`` (left anonymous when ``user`` is None)."""
    if user is not None:
        client.force_login(user)
    return client


def console_url(deployment: Any) -> str:
    return reverse("staff:console", args=[deployment.reference])

"""Rate limits kept in the database, so they hold whether or not Redis is up.

Counted in the same transaction as the action they guard: the action and its hit are saved
together, and a limit never depends on a service the action itself does not need. Who is
counted is stored as a keyed hash (HMAC-SHA256 with the secret key), never as an address.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import RateLimitHit


def _key(scope: str, who: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{scope}|{who}".encode(), hashlib.sha256
    ).hexdigest()[:64]


def rate_limit_hit(*, scope: str, who: str, limit: int, window: timedelta) -> int | None:
    """Count an attempt by `who`. None if it is within `limit` per `window`; otherwise the
    seconds until the oldest counted attempt leaves the window (the attempt is not counted)."""
    now = timezone.now()
    key = _key(scope, who)
    recent = RateLimitHit.objects.filter(scope=scope, key=key, at__gt=now - window)
    times = list(recent.order_by("at").values_list("at", flat=True)[:limit])
    if len(times) >= limit:
        return max(1, int((times[0] + window - now).total_seconds()) + 1)
    RateLimitHit.objects.create(scope=scope, key=key)
    return None

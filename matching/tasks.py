"""Celery tasks of the engine. Thin: they load by id and call one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task
def enrol_entry(entry_id: int) -> str:
    """Encode one watchlist entry's image (queued on commit by `watchlist_entry_add`)."""
    # Imported here so a prefork worker loads dlib in the child, not in the parent (DESIGN.md).
    from .models import WatchlistEntry
    from .services import watchlist_enrol

    entry = WatchlistEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        return "gone"
    return watchlist_enrol(entry=entry).status


@shared_task
def purge_expired() -> dict[str, Any]:
    """Beat task (hourly): delete watchlist images, encodings and alert crops that are due."""
    from .services import retention_purge

    report = retention_purge()
    return {
        "watchlists": report.watchlists,
        "images": report.images,
        "encodings": report.encodings,
        "crops": report.crops,
    }

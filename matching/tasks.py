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


@shared_task(acks_late=False, ignore_result=True)
def ingest_camera(run_id: int) -> str:
    """Read one running stream camera until its run stops (on the ingest queue).

    Acknowledged on receipt, not late: it runs for hours, and a redelivery while it runs would
    start a second reader. A worker that dies is replaced through the run's lease instead
    (`ingest_resume`).
    """
    from .services.ingest import ingest_run

    return ingest_run(run_id)


@shared_task
def ingest_resume() -> int:
    """Beat task: hand running stream runs whose ingest has gone quiet to a worker."""
    from .services.ingest import ingest_resume as resume

    return len(resume())


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def match_batch(run_id: int, seq: int, frames: list[dict[str, Any]]) -> str:
    """Match one batch of face crops (on the matching queue, any number of workers).

    Acknowledged late, and handed back if the worker dies: another worker redoes the batch,
    and `run_match_crops` writes a batch once, so nothing is lost and nothing is doubled. The
    return value (logged) says only what happened, never anything about a face.
    """
    from datetime import datetime

    from django.conf import settings

    from . import engine
    from .services.runs import CropFrame, run_match_crops

    limit = settings.OVERSIGHT_MAX_IMAGE_PIXELS
    decoded = [
        CropFrame(
            seen_at=datetime.fromisoformat(frame["seen_at"]),
            faces=[engine.crop_from_wire(face, max_pixels=limit) for face in frame["faces"]],
        )
        for frame in frames
    ]
    try:
        return run_match_crops(run_id=run_id, seq=seq, frames=decoded)
    finally:
        for frame in decoded:
            for face in frame.faces:
                face.pixels.fill(0)

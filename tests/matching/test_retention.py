"""Retention (Celery beat): watchlist images and encodings, then alert crops, deleted on time,
each purge audited, and running it twice (or after a failure) harmless."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditEvent
from deployments import services as ds
from matching import engine, services, tasks
from matching.models import Alert, Watchlist, WatchlistEntry
from oversight.celery import app
from tests import factories

pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def files(settings: Any) -> set[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def purges() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=["watchlist.purged", "alerts.crops_purged"]))


def raise_alerts(deployment: Any, operator: Any, sample_faces: Path, *names: str) -> list[Alert]:
    run = services.run_start(deployment=deployment, operator=operator, source_label="Cam").run
    frames = [
        services.Frame(image=engine.load_image(sample_faces / n, **LIMITS), label=n) for n in names
    ]
    return services.run_process_batch(run=run, frames=frames).alerts


def test_watchlist_images_and_encodings_go_the_set_time_after_the_deployment_ends(live, settings):
    settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS = 24
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    image = Path(entry.image.path)
    assert image.is_file()

    early = services.retention_purge(at=live.ends_at + timedelta(hours=23, minutes=59))
    assert early.is_empty and image.is_file() and purges() == []

    report = services.retention_purge(at=live.ends_at + timedelta(hours=24))
    assert report.watchlists == [live.reference]
    assert (report.images, report.encodings) == (1, 1)
    entry.refresh_from_db()
    assert entry.encoding is None and not entry.image and not image.exists()
    assert entry.purged_at == live.ends_at + timedelta(hours=24)
    # The record of who was on it stays, without any biometric data.
    assert entry.subject_reference == "W-OBAMA-1" and entry.status == "enrolled"
    assert Watchlist.objects.get(deployment=live).purged_at is not None
    (event,) = purges()
    assert event.action == "watchlist.purged" and event.actor_label == "retention"
    assert event.details == {"images": 1, "encodings": 1, "retention_hours": 24}
    assert event.object_id == str(live.pk)


def test_the_watchlist_retention_period_is_a_setting(live, settings):
    settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS = 1
    assert services.retention_purge(at=live.ends_at + timedelta(minutes=59)).is_empty
    assert services.retention_purge(at=live.ends_at + timedelta(hours=1)).watchlists


def test_purging_twice_is_harmless(live, actors, sample_faces, settings):
    raise_alerts(live, actors.operator, sample_faces, "obama2.jpg")
    later = live.ends_at + timedelta(days=40)
    first = services.retention_purge(at=later)
    assert first.watchlists and first.crops == 1
    events = len(purges())
    second = services.retention_purge(at=later)
    assert second.is_empty
    assert len(purges()) == events
    assert files(settings) == set()


def test_alert_crops_go_after_the_set_period_unless_kept_as_evidence(
    live, actors, sample_faces, settings
):
    settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS = 31
    kept, gone = raise_alerts(live, actors.operator, sample_faces, "obama2.jpg", "obama3.jpg")
    services.alert_adjudicate(
        alert=kept,
        by=actors.operator,
        verdict="true",
        confirmation="confirmed",
        outcome="arrest",
        is_evidence=True,
        evidence_reason="Exhibit SC/1 in the prosecution file.",
    )
    seen = gone.seen_at
    assert services.retention_purge(at=seen + timedelta(days=30, hours=23)).crops == 0
    report = services.retention_purge(at=seen + timedelta(days=31))
    assert report.crops == 1
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert kept.crop and Path(kept.crop.path).is_file() and kept.crop_purged_at is None
    assert not gone.crop and gone.crop_purged_at == seen + timedelta(days=31)
    event = AuditEvent.objects.get(action="alerts.crops_purged")
    assert event.details == {"alerts": [gone.pk], "retention_days": 31}
    # The alert's record (entry, distance, adjudication) stays for the outcome.
    assert gone.distance > 0 and gone.entry_id == kept.entry_id


def test_a_withdrawn_deployments_watchlist_goes_the_set_time_after_withdrawal(
    actors, draft, settings
):
    factories.give_watchlist(draft)
    ds.deployment_withdraw(deployment=draft, by=actors.planner, reason="No longer needed.")
    draft.refresh_from_db()
    assert services.retention_purge(at=draft.updated_at + timedelta(hours=23)).is_empty
    report = services.retention_purge(at=draft.updated_at + timedelta(hours=24))
    assert report.watchlists == [draft.reference] and report.encodings == 1


def test_a_purge_that_failed_half_way_is_finished_by_the_next(live, monkeypatch, settings):
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    image = Path(entry.image.path)
    real = services.retention.audit_record

    def failing(**kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.retention, "audit_record", failing)
    with pytest.raises(RuntimeError):
        services.retention_purge(at=live.ends_at + timedelta(days=2))
    # The file went first; the row still names it, so the next run finds the job unfinished.
    entry.refresh_from_db()
    assert not image.exists() and entry.encoding is not None
    monkeypatch.setattr(services.retention, "audit_record", real)
    report = services.retention_purge(at=live.ends_at + timedelta(days=2))
    assert report.watchlists == [live.reference]
    entry.refresh_from_db()
    assert entry.encoding is None and not entry.image
    assert files(settings) == set()


def test_the_beat_schedule_runs_the_purge_task_hourly(live, settings):
    schedule = {v["task"] for v in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "matching.tasks.purge_expired" in schedule
    assert "matching.tasks.purge_expired" in app.tasks
    # Nothing is due yet: the deployment is live.
    assert tasks.purge_expired.delay().get() == {
        "watchlists": [],
        "images": 0,
        "encodings": 0,
        "crops": 0,
    }


def test_a_purged_watchlist_is_not_reported_as_changed_since_approval(live, client, actors):
    from django.urls import reverse

    services.retention_purge(at=live.ends_at + timedelta(days=2))
    client.force_login(actors.planner)
    html = client.get(reverse("staff:watchlist", args=[live.reference])).content.decode()
    assert "Changed since approval" not in html
    assert "Image and encoding deleted" in html and ">Remove<" not in html

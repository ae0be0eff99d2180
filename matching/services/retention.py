"""Retention: deleting watchlist images, encodings and alert crops when they are due."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from deployments.models import Deployment, State
from matching.models import Alert, Watchlist, WatchlistEntry

from ._common import (
    _delete_file,
)
from .runs import _forget_matchers

logger = logging.getLogger(__name__)


# --- retention ----------------------------------------------------------------------------------
@dataclass
class PurgeReport:
    watchlists: list[str] = field(default_factory=list)
    images: int = 0
    encodings: int = 0
    crops: int = 0
    orphans: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.watchlists or self.images or self.encodings or self.crops)


def retention_purge(*, at: datetime | None = None) -> PurgeReport:
    """Delete what the retention rules say is due; each purge audited, each safe to repeat.

    Watchlist images and encodings go `OVERSIGHT_WATCHLIST_RETENTION_HOURS` after the
    deployment ends (or after it was rejected or withdrawn); alert crops go after
    `OVERSIGHT_ALERT_CROP_RETENTION_DAYS` unless kept as evidence. Files are deleted inside
    the transaction that clears their rows: if the transaction fails, the rows still name
    files that are already gone and the next run finishes the job; the reverse order could
    leave a file no row names, which nothing would ever delete.
    """
    at = at or timezone.now()
    report = PurgeReport()
    cutoff = at - timedelta(hours=settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS)
    due = Watchlist.objects.filter(purged_at__isnull=True).filter(
        Q(deployment__ends_at__lte=cutoff)
        | Q(
            deployment__state__in=(State.REJECTED, State.WITHDRAWN),
            deployment__updated_at__lte=cutoff,
        )
    )
    for pk in due.values_list("pk", flat=True):
        _purge_watchlist(pk, at, report)
    crop_cutoff = at - timedelta(days=settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS)
    due_alerts = (
        Alert.objects.filter(
            crop_purged_at__isnull=True, is_evidence=False, seen_at__lte=crop_cutoff
        )
        .exclude(crop="")
        .values_list("run__deployment", flat=True)
        .distinct()
    )
    for deployment_pk in list(due_alerts):
        _purge_crops(deployment_pk, crop_cutoff, at, report)
    _purge_orphan_images(at, report)
    if report.watchlists or report.crops:
        _forget_matchers()
    return report


# An upload's transaction is open for seconds; a file older than this that no entry names was
# left by a transaction that rolled back (the row is gone, the file on disk is not).
ORPHAN_GRACE = timedelta(hours=1)


def _purge_orphan_images(at: datetime, report: PurgeReport) -> None:
    """Delete watchlist images that no entry names: the image is kept only while its entry is."""
    storage = WatchlistEntry._meta.get_field("image").storage  # type: ignore[attr-defined]
    named = set(WatchlistEntry.objects.exclude(image="").values_list("image", flat=True))
    folders = ["watchlist"]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        folders.extend(f"{folder}/{sub}" for sub in subfolders)
        for name in (f"{folder}/{file}" for file in files):
            if name in named or storage.get_modified_time(name) > at - ORPHAN_GRACE:
                continue
            storage.delete(name)
            report.orphans += 1
    if report.orphans:
        logger.info("Retention deleted %s watchlist image(s) that no entry named.", report.orphans)


def watchlist_biometrics_delete(watchlist: Watchlist, at: datetime) -> tuple[int, int]:
    """Delete a locked watchlist's images (files) and encodings, inside the caller's
    transaction, and mark it purged; (images, encodings) deleted. The caller audits."""
    images = encodings = 0
    entries = WatchlistEntry.objects.select_for_update().filter(watchlist=watchlist)
    for entry in entries.filter(~Q(image="") | Q(encoding__isnull=False)):
        if entry.image:
            _delete_file(entry.image)
            images += 1
        if entry.encoding is not None:
            encodings += 1
        entry.image = ""
        entry.encoding = None
        entry.face_box = None
        entry.purged_at = at
        entry.save(update_fields=["image", "encoding", "face_box", "purged_at"])
    watchlist.purged_at = at
    watchlist.save(update_fields=["purged_at"])
    return images, encodings


def _purge_watchlist(pk: int, at: datetime, report: PurgeReport) -> None:
    with transaction.atomic():
        watchlist = Watchlist.objects.select_for_update().select_related("deployment").get(pk=pk)
        if watchlist.purged_at is not None:
            return
        images, encodings = watchlist_biometrics_delete(watchlist, at)
        audit_record(
            actor="retention",
            action="watchlist.purged",
            obj=watchlist.deployment,
            details={
                "images": images,
                "encodings": encodings,
                "retention_hours": settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS,
            },
        )
    report.watchlists.append(watchlist.deployment.reference)
    report.images += images
    report.encodings += encodings


def _purge_crops(deployment_pk: int, cutoff: datetime, at: datetime, report: PurgeReport) -> None:
    with transaction.atomic():
        deployment = Deployment.objects.get(pk=deployment_pk)
        alerts = list(
            Alert.objects.select_for_update()
            .filter(
                run__deployment=deployment,
                crop_purged_at__isnull=True,
                is_evidence=False,
                seen_at__lte=cutoff,
            )
            .exclude(crop="")
        )
        for alert in alerts:
            _delete_file(alert.crop)
            alert.crop = ""
            alert.crop_purged_at = at
            alert.save(update_fields=["crop", "crop_purged_at"])
        if not alerts:
            return
        audit_record(
            actor="retention",
            action="alerts.crops_purged",
            obj=deployment,
            details={
                "alerts": [a.pk for a in alerts],
                "retention_days": settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS,
            },
        )
    report.crops += len(alerts)

"""Reads of the engine's records: the watchlist's fingerprint, the pages' lists, who sees what.

Query counts do not grow with the number of entries, runs or alerts shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from core import outbox
from core.roles import Role, has_role
from core.types import User
from deployments.models import Deployment, DeploymentUserObjectPermission, State

from .models import Alert, Camera, Run, WatchlistEntry

_FINGERPRINT_VERSION = b"oversight-watchlist-v1\n"


def watchlist_fingerprint(*, deployment: Deployment) -> str:
    """SHA-256 over the watchlist's active entries (enrolling or enrolled) and their encodings.

    Any entry added, removed, re-categorised or re-encoded, and any encoding purged, changes
    it. The chair's sign-off pins it on the deployment and the gate compares it before every
    batch. Each field is length-prefixed, so no two different watchlists hash the same bytes.
    """
    digest = hashlib.sha256(_FINGERPRINT_VERSION)
    rows = (
        WatchlistEntry.objects.filter(
            watchlist__deployment=deployment, status__in=WatchlistEntry.ACTIVE
        )
        .order_by("pk")
        .values_list("pk", "subject_reference", "category", "status", "encoding")
    )
    for pk, reference, category, status, encoding in rows:
        for part in (str(pk).encode(), reference.encode(), category.encode(), status.encode()):
            digest.update(len(part).to_bytes(4, "big") + part)
        data = bytes(encoding) if encoding else b""
        digest.update(len(data).to_bytes(4, "big") + data)
    return digest.hexdigest()


_CAMERA_FINGERPRINT_FIELDS = ("pk", "label", "position", "kind", "stream_url", "frames_per_second")


def _cameras_digest(rows: Iterable[Iterable[Any]]) -> str:
    digest = hashlib.sha256(b"oversight-cameras-v1")
    for row in rows:
        for value in row:
            part = str(value).encode()
            digest.update(len(part).to_bytes(4, "big") + part)
    return digest.hexdigest()


def cameras_fingerprint(*, deployment: Deployment) -> str:
    """SHA-256 over the deployment's cameras: label, position, kind, stream and frame rate.

    Pinned at sign-off beside the watchlist's; the gate compares it before every batch, so a
    camera added, moved or pointed at another stream after sign-off is refused.
    """
    return _cameras_digest(
        Camera.objects.filter(deployment=deployment)
        .order_by("pk")
        .values_list(*_CAMERA_FINGERPRINT_FIELDS)
    )


# --- who may do what ---------------------------------------------------------------------------
def may_see_watchlist_images(deployment: Deployment, user: User) -> bool:
    """The planner who built the watchlist and the operators who adjudicate against it."""
    return deployment.is_planner(user) or deployment.is_operator(user)


# --- pages -------------------------------------------------------------------------------------
def watchlist_entries(deployment: Deployment) -> QuerySet[WatchlistEntry]:
    return (
        WatchlistEntry.objects.filter(watchlist__deployment=deployment)
        .select_related("added_by", "removed_by")
        .defer("encoding")
        .order_by("-added_at", "-pk")
    )


def enrolments_waiting(entries: Any) -> dict[int, Any]:
    """For each entry still enrolling, its unfinished outbox message (when it was queued, how
    often handed to the worker, the last error), so the page says why it is still waiting."""
    enrolling = [e.pk for e in entries if e.status == WatchlistEntry.Status.ENROLLING]
    found = outbox.waiting_for([f"watchlist_entry:{pk}" for pk in enrolling])
    return {int(about.split(":", 1)[1]): message for about, message in found.items()}


@dataclass
class WatchlistSummary:
    counts: dict[str, int] = field(default_factory=dict)
    active: int = 0
    cap: int | None = None
    pinned: str = ""
    current: str = ""
    purged_at: Any = None

    @property
    def is_changed_since_approval(self) -> bool:
        # Retention empties the encodings, and so changes the fingerprint, on purpose.
        return bool(self.pinned) and self.pinned != self.current and self.purged_at is None


def watchlist_summary(deployment: Deployment) -> WatchlistSummary:
    from django.conf import settings

    from .models import Watchlist

    counts = dict(
        WatchlistEntry.objects.filter(watchlist__deployment=deployment)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    watchlist = Watchlist.objects.filter(deployment=deployment).first()
    cap = min(
        deployment.watchlist_size_cap or settings.OVERSIGHT_MAX_WATCHLIST_SIZE,
        settings.OVERSIGHT_MAX_WATCHLIST_SIZE,
    )
    return WatchlistSummary(
        counts=counts,
        active=sum(counts.get(s, 0) for s in WatchlistEntry.ACTIVE),
        cap=cap,
        pinned=deployment.watchlist_fingerprint,
        current=watchlist_fingerprint(deployment=deployment),
        purged_at=watchlist.purged_at if watchlist else None,
    )


# --- cameras ------------------------------------------------------------------------------------
def cameras_are_open(deployment: Deployment) -> bool:
    """May the planner still add or remove cameras? Before the chair's sign-off only, and not
    once the deployment has been put to urgent use: that too pins them, and the engine may then
    read them before the panel decides. The watchlist follows the same rule for additions."""
    return deployment.state in WATCHLIST_OPEN_STATES and not deployment.is_urgent


watchlist_is_open = cameras_are_open


def may_see_stream_addresses(deployment: Deployment, user: User) -> bool:
    """The planner who set the cameras and the operators who run them."""
    return deployment.is_planner(user) or deployment.is_operator(user)


@dataclass
class CamerasSummary:
    """A deployment's cameras, in the order of their names, and whether they are still the ones
    pinned at sign-off. One query, whatever the number of cameras."""

    cameras: list[Camera] = field(default_factory=list)
    pinned: str = ""
    current: str = ""

    @property
    def is_pinned(self) -> bool:
        return bool(self.pinned)

    @property
    def is_changed_since_approval(self) -> bool:
        return bool(self.pinned) and self.pinned != self.current


def cameras_summary(deployment: Deployment) -> CamerasSummary:
    cameras = list(Camera.objects.filter(deployment=deployment).order_by("pk"))
    current = _cameras_digest(
        [getattr(camera, name) for name in _CAMERA_FINGERPRINT_FIELDS] for camera in cameras
    )
    cameras.sort(key=lambda camera: (camera.label.casefold(), camera.pk))
    return CamerasSummary(cameras=cameras, pinned=deployment.cameras_fingerprint, current=current)


def stream_address_shown(address: str) -> str:
    """A stream address with its password, if it has one, left out: the planner typed it once,
    and nobody needs to read it back from a page."""
    parts = urlsplit(address)
    if parts.password is None:
        return address
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:••••@{host}"))


@dataclass(frozen=True)
class PublicCameras:
    """What the public notice says of a trial's cameras: the name and place of each, and
    nothing else (their streams are restricted)."""

    places: list[dict[str, str]]
    is_changed_since_approval: bool


def public_cameras(deployment: Deployment) -> PublicCameras | None:
    """The cameras pinned at sign-off (or at the declaration of urgent use), for the notice.

    None when nothing was pinned (a deployment signed off before cameras were registered), or
    when none was registered and none has been since: the notice then says nothing about
    cameras rather than something it cannot vouch for. If the register's cameras no longer
    match what was pinned (only a change outside the services can do that), the notice shows
    none of them, since it cannot tell which were approved, and says that the gate refuses them.
    """
    if not deployment.cameras_fingerprint:
        return None
    summary = cameras_summary(deployment)
    if summary.is_changed_since_approval:
        return PublicCameras(places=[], is_changed_since_approval=True)
    if not summary.cameras:
        return None
    return PublicCameras(
        places=[{"label": c.label, "position": c.position} for c in summary.cameras],
        is_changed_since_approval=False,
    )


def runs_of(deployment: Deployment) -> QuerySet[Run]:
    return (
        Run.objects.filter(deployment=deployment)
        .select_related("operator")
        .annotate(
            alert_count=Count("alerts"),
            pending_count=Count("alerts", filter=Q(alerts__verdict="")),
        )
        .order_by("-started_at", "-pk")
    )


def alerts_of(deployment: Deployment, *, pending: bool | None = None) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(run__deployment=deployment).select_related(
        "entry", "run", "adjudicated_by"
    )
    if pending is True:
        alerts = alerts.filter(verdict="")
    elif pending is False:
        alerts = alerts.exclude(verdict="")
    # Newest first, pending or not: the person of the newest alert may still be in front of the
    # camera, and alerts pushed to an open console arrive at the top of its list.
    return alerts.order_by("-seen_at", "-pk")


@dataclass(frozen=True)
class AlertsSince:
    """What an open console needs each time it asks: which alerts wait, and the new ones."""

    waiting: list[int]
    new: list[Alert]

    @property
    def latest(self) -> int:
        return max(self.waiting, default=0)


def alerts_waiting_since(deployment: Deployment, *, after: int) -> AlertsSince:
    """The ids of every alert waiting for adjudication, and the rows of those after `after`.

    Asked every second by each open console, so it does no gate work and reads an index: one
    query for the ids (a deployment has few alerts waiting: faces that match no one leave
    none), a second only when one is new. Every waiting id is returned, not just the newest, so
    the console also finds an alert whose id is lower than one it has shown: two matching
    workers may commit their batches in the other order from the one their ids were drawn.
    """
    waiting = sorted(
        Alert.objects.filter(run__deployment=deployment, verdict="").values_list("pk", flat=True)
    )
    fresh = [pk for pk in waiting if pk > after]
    new = list(alerts_of(deployment, pending=True).filter(pk__in=fresh)) if fresh else []
    return AlertsSince(waiting=waiting, new=new)


@dataclass(frozen=True)
class CameraState:
    """One approved camera in the console: its running run, or the one that ran last."""

    camera: Camera
    run: Run | None
    is_silent: bool = False

    @property
    def is_running(self) -> bool:
        return self.run is not None and self.run.is_running


def console_cameras(deployment: Deployment, *, at: datetime) -> list[CameraState]:
    """The deployment's cameras with each one's latest run, in two queries however many."""
    latest = (
        Run.objects.filter(camera=OuterRef("pk")).order_by("-started_at", "-pk").values("pk")[:1]
    )
    cameras = list(
        Camera.objects.filter(deployment=deployment)
        .annotate(latest_run=Subquery(latest))
        .order_by("label", "pk")
    )
    runs = Run.objects.select_related("operator").in_bulk(
        [c.latest_run for c in cameras if c.latest_run]  # type: ignore[attr-defined]
    )
    states = []
    for camera in cameras:
        run = runs.get(camera.latest_run)  # type: ignore[attr-defined]
        if run is not None:
            run.camera = camera  # the row is at hand: no query per camera
        states.append(CameraState(camera=camera, run=run, is_silent=is_ingest_silent(run, at=at)))
    return states


def is_ingest_silent(run: Run | None, *, at: datetime) -> bool:
    """A running stream camera's run whose ingest worker has not been heard from lately (or at
    all, some time after the start): the operator should look at the camera or its stream."""
    if run is None or not run.is_running or run.camera is None:
        return False
    if run.camera.kind != Camera.Kind.STREAM:
        return False
    # The ingest's own rule for a worker it takes to be lost (and hands the run to another).
    from .services.ingest import HEARTBEAT_STALE

    heard = run.ingest_seen_at or run.started_at
    return at - heard > HEARTBEAT_STALE


def cameras_are_approved(deployment: Deployment, cameras: list[CameraState]) -> bool:
    """Whether the chair's sign-off approved these cameras (it pins them, as the watchlist)."""
    return bool(cameras and deployment.cameras_fingerprint and deployment.approved_at)


def operated_deployments(user: User) -> QuerySet[Deployment]:
    """Deployments this operator holds the permission to run, with their pending alerts."""
    if not has_role(user, Role.OPERATOR):
        return Deployment.objects.none()
    held = DeploymentUserObjectPermission.objects.filter(
        user=user, permission__codename="operate_deployment"
    ).values("content_object")
    return (
        Deployment.objects.filter(pk__in=held)
        .select_related("site", "use_case")
        .annotate(
            pending_alerts=Count("runs__alerts", filter=Q(runs__alerts__verdict="")),
        )
        .order_by("-starts_at")
    )


def alert_for(user: User, pk: int) -> Alert | None:
    """The alert, if this person operates its deployment; None otherwise (shown as 404)."""
    alert = (
        Alert.objects.select_related("entry", "run__deployment", "run__operator")
        .filter(pk=pk)
        .first()
    )
    if alert is None or not alert.run.deployment.is_operator(user):
        return None
    return alert


def engine_panel(deployment: Deployment, user: User) -> dict[str, Any]:
    """What the deployment page shows of the engine, by who is looking."""
    planner = deployment.is_planner(user)
    operator = deployment.is_operator(user)
    context: dict[str, Any] = {
        "deployment": deployment,
        "is_planner": planner,
        "is_operator": operator,
        "summary": watchlist_summary(deployment),
        # Counts only, for everyone who sees the deployment: the oversight needs no faces.
        "activity": Run.objects.filter(deployment=deployment).aggregate(
            runs=Count("pk", distinct=True),
            frames=Sum("frames"),
            faces=Sum("faces_seen"),
        )
        | Alert.objects.filter(run__deployment=deployment).aggregate(
            alerts=Count("pk"), waiting=Count("pk", filter=Q(verdict=""))
        ),
    }
    if operator:
        context["runs"] = list(runs_of(deployment)[:5])
        context["pending"] = alerts_of(deployment, pending=True).count()
        context["is_live"] = deployment.is_live(timezone.now())
    context["watchlist_open"] = watchlist_is_open(deployment)
    # Names and places only (public once signed off); the streams are on the cameras page.
    context["cameras"] = cameras_summary(deployment)
    context["cameras_open"] = cameras_are_open(deployment)
    return context


# States in which the planner may still add entries: before the chair's sign-off.
WATCHLIST_OPEN_STATES = (State.DRAFT, State.RETURNED, State.SUBMITTED, State.AUTHORISED)


def pending_alert_count(user: User) -> int:
    """Alerts waiting for adjudication on the deployments this operator runs."""
    if not has_role(user, Role.OPERATOR):
        return 0
    held = DeploymentUserObjectPermission.objects.filter(
        user=user, permission__codename="operate_deployment"
    ).values("content_object")
    return Alert.objects.filter(run__deployment__in=held, verdict="").count()


# --- the public explanation -------------------------------------------------------------------
@dataclass(frozen=True)
class GateCondition:
    code: str
    words: str


def gate_conditions() -> list[GateCondition]:
    """What stops the engine, one line each, from the gate's own list of reasons, in its order.

    The placeholders in the gate's words are filled from the settings in force, so the public
    page says the numbers the gate enforces.
    """
    from django.conf import settings

    from .gate import REASONS  # the gate imports this module: read its list when asked

    values = {
        "notice_lead_time": _hours(settings.OVERSIGHT_NOTICE_LEAD_HOURS),
        "max_match_threshold": settings.OVERSIGHT_MAX_MATCH_THRESHOLD,
        "urgent_max_hours": _hours(settings.OVERSIGHT_URGENT_MAX_HOURS),
        "urgent_decision_hours": _hours(settings.OVERSIGHT_URGENT_DECISION_HOURS),
    }
    return [GateCondition(code, words.format_map(values)) for code, words in REASONS.items()]


def _hours(hours: int) -> str:
    return f"{hours} hour{'s' if hours != 1 else ''}"

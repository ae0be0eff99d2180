"""Runs: starting and stopping, the frames API token, and matching batches of frames.

Privacy: faces that match no one stay inside `engine.process_frame`. Nothing here logs,
stores or returns anything about them beyond the count of faces seen; alerts (and their
crops) are written only for matches.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, cast

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record
from core.errors import PreconditionsFailed, TransitionNotAllowed
from deployments.models import Deployment
from matching import engine
from matching.gate import URGENT_REFUSED, WATCHLIST_CHANGED, GateClosed, Permit, gate_check
from matching.models import Alert, Batch, Camera, HourlyCount, Run, WatchlistEntry
from matching.selectors import (
    watchlist_fingerprint,
)

from ._common import (
    _ENGINE_LOCK,
    RunNotRunning,
    TokenExpired,
    TokenInvalid,
    User,
    check_operate,
)

# --- runs ---------------------------------------------------------------------------------------

# Matchers keyed by the fingerprint of the rows they were built from. The fingerprint is a
# hash of the content, so a cached matcher is exactly the watchlist the gate just compared.
_MATCHERS: OrderedDict[str, engine.Matcher] = OrderedDict()
_MATCHERS_LOCK = threading.Lock()
_MATCHERS_KEPT = 4
# Which deployment each cached matcher belongs to, so a closed gate drops its matchers.
_MATCHER_DEPLOYMENT: dict[str, int] = {}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class RunStart:
    run: Run
    # Shown to the operator once; only its hash is stored.
    token: str


def run_start(
    *,
    deployment: Deployment,
    operator: User,
    source_label: str = "",
    camera: Camera | None = None,
    at: datetime | None = None,
    start_reading: bool = True,
) -> RunStart:
    """Start a run for one camera (or, from `manage.py watch`, one source of files), if the gate
    lets the deployment run now.

    A stream camera's run is read by an ingest worker, queued once this commits (unless
    `start_reading` is off: then `ingest_resume` hands it to one); a box camera sends frames
    to the frames API with the token returned here.
    """
    at = at or timezone.now()
    check_operate(deployment, operator)
    if camera is not None:
        if camera.deployment_id != deployment.pk:
            raise PreconditionsFailed({"camera": ["Choose one of this deployment's cameras."]})
        label = camera.label
    else:
        label = (source_label or "").strip()
    if not label:
        raise PreconditionsFailed({"source_label": ["Name the camera or source."]})
    gate_check(deployment=deployment, at=at, actor=operator, camera=camera)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
        assert deployment.ends_at is not None  # the gate refuses a deployment without a window
        if camera is not None and Run.objects.filter(camera=camera, stopped_at=None).exists():
            raise TransitionNotAllowed(
                f"{camera} is already running. Stop its run before starting another."
            )
        expires = min(at + timedelta(hours=settings.OVERSIGHT_RUN_TOKEN_HOURS), deployment.ends_at)
        if deployment.is_urgent_pending and deployment.urgent_run_until is not None:
            expires = min(expires, deployment.urgent_run_until)
        run = Run.objects.create(
            deployment=deployment,
            operator=operator,
            source_label=label[:120],
            camera=camera,
            threshold=deployment.match_threshold or Decimal("0"),
            started_at=at,
            token_hash=_hash_token(token),
            token_expires_at=expires,
        )
        audit_record(
            actor=operator,
            action="run.started",
            obj=deployment,
            details={
                "run": run.pk,
                "source": run.source_label,
                "camera": camera.pk if camera else None,
                "threshold": run.threshold,
            },
        )
        if camera is not None and camera.kind == Camera.Kind.STREAM and start_reading:
            from .ingest import ingest_dispatch

            transaction.on_commit(partial(ingest_dispatch, run.pk))
    return RunStart(run=run, token=token)


def run_stop(*, run: Run, by: User | str, code: str, reason: str) -> Run:
    """Stop a run, once; stopping a stopped run changes nothing.

    `by` is the operator, or "gate" when the gate closed under a running run.
    """
    with transaction.atomic():
        locked = Run.objects.select_for_update().select_related("deployment").get(pk=run.pk)
        if not isinstance(by, str):
            check_operate(locked.deployment, by)
        if locked.stopped_at is not None:
            return locked
        locked.stopped_at = timezone.now()
        locked.stop_code = code
        locked.stop_reason = reason
        locked.save(update_fields=["stopped_at", "stop_code", "stop_reason"])
        audit_record(
            actor=by,
            action="run.stopped",
            obj=locked.deployment,
            details={
                "run": locked.pk,
                "reason_code": code,
                "reason": reason,
                "frames": locked.frames,
                "faces_seen": locked.faces_seen,
                "alerts": locked.alerts.count(),
            },
        )
    return locked


def run_authenticate(*, run_id: int, token: str, at: datetime | None = None) -> Run:
    """The run this bearer token belongs to, if it may still send frames."""
    at = at or timezone.now()
    run = Run.objects.select_related("deployment", "operator").filter(pk=run_id).first()
    # Compared in constant time, and the same answer for a wrong run and a wrong token.
    expected = run.token_hash if run is not None and run.token_hash else "!" * 64
    if not token or not hmac.compare_digest(expected, _hash_token(token)) or run is None:
        raise TokenInvalid("The bearer token is not this run's token.")
    if run.stopped_at is not None:
        raise TokenExpired(
            f"Run {run.pk} was stopped ({run.stop_reason or run.stop_code}). Start a new run "
            "from the operator console for a new token."
        )
    if run.token_expires_at is None or run.token_expires_at <= at:
        raise TokenExpired(
            f"The token of run {run.pk} has expired. Start a new run from the operator console."
        )
    if not run.deployment.is_operator(run.operator):
        raise TokenExpired(
            f"{run.operator} no longer operates {run.deployment}, so the run's token is void."
        )
    return run


@dataclass(frozen=True)
class Frame:
    """One decoded frame and where it came from (a file name, a video position)."""

    image: engine.RGBImage
    label: str = ""
    seen_at: datetime | None = None


@dataclass
class BatchResult:
    frames: int = 0
    faces_seen: int = 0
    alerts: list[Alert] = field(default_factory=list)
    # For each alert, the label of the frame it came from.
    labels: list[str] = field(default_factory=list)


def _matcher_for(deployment: Deployment, permit: Permit, actor: Any) -> engine.Matcher:
    with _MATCHERS_LOCK:
        cached = _MATCHERS.get(permit.watchlist_fingerprint)
        if cached is not None:
            _MATCHERS.move_to_end(permit.watchlist_fingerprint)
            return cached
    rows = list(
        WatchlistEntry.objects.filter(
            watchlist__deployment=deployment, status__in=WatchlistEntry.ACTIVE
        )
        .order_by("pk")
        .values_list("pk", "encoding")
    )
    # The rows read here, not the ones the gate read a moment ago, must be the approved ones.
    if watchlist_fingerprint(deployment=deployment) != permit.watchlist_fingerprint or any(
        not encoding for _, encoding in rows
    ):
        message = f"The watchlist of {deployment} changed while the run was loading it."
        audit_record(
            actor=actor,
            action="gate.refused",
            obj=deployment,
            details={"reason_code": WATCHLIST_CHANGED, "reason": message},
        )
        raise GateClosed(WATCHLIST_CHANGED, message)
    matrix = np.frombuffer(b"".join(bytes(e or b"") for _, e in rows), dtype="<f8").reshape(
        -1, engine.ENCODING_SIZE
    )
    matcher = engine.Matcher(matrix, entry_ids=[pk for pk, _ in rows])
    with _MATCHERS_LOCK:
        # A watchlist the deployment no longer has (its fingerprint changed) is dropped.
        for key in [k for k, d in _MATCHER_DEPLOYMENT.items() if d == deployment.pk]:
            _MATCHERS.pop(key, None)
            _MATCHER_DEPLOYMENT.pop(key, None)
        _MATCHERS[permit.watchlist_fingerprint] = matcher
        _MATCHER_DEPLOYMENT[permit.watchlist_fingerprint] = deployment.pk
        while len(_MATCHERS) > _MATCHERS_KEPT:
            gone, _ = _MATCHERS.popitem(last=False)
            _MATCHER_DEPLOYMENT.pop(gone, None)
    return matcher


def frame_discard(frame: Frame | engine.RGBImage) -> None:
    """Blank a frame's pixels once it has been matched, where numpy lets us write to them."""
    image = frame.image if isinstance(frame, Frame) else frame
    if image.flags.writeable:
        image.fill(0)


def _forget_matchers() -> None:
    with _MATCHERS_LOCK:
        _MATCHERS.clear()
        _MATCHER_DEPLOYMENT.clear()


def _drop_matchers(deployment: Deployment) -> None:
    """Forget the watchlists cached for a deployment whose gate has just closed."""
    with _MATCHERS_LOCK:
        for key in [k for k, m in _MATCHERS.items() if _MATCHER_DEPLOYMENT.get(k) == deployment.pk]:
            _MATCHERS.pop(key, None)
            _MATCHER_DEPLOYMENT.pop(key, None)


def _permit_for(run: Run, at: datetime) -> tuple[Permit, engine.Matcher]:
    """The gate's permit and the approved watchlist for one batch of `run`, or stop the run."""
    try:
        permit = gate_check(deployment=run.deployment, at=at, actor="gate", camera=run.camera)
        return permit, _matcher_for(run.deployment, permit, "gate")
    except GateClosed as closed:
        _drop_matchers(run.deployment)
        run_stop(run=run, by="gate", code=closed.reason_code, reason=closed.message)
        raise


@dataclass
class _Pending:
    """One match waiting to be saved: the alert row, its crop and the frame's label."""

    alert: Alert
    crop: bytes
    label: str


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _count_hours(run: Run, hours: dict[datetime, list[int]]) -> None:
    """Add frames and faces to the run's hourly counts, in the caller's transaction."""
    for hour, (frames, faces) in hours.items():
        updated = HourlyCount.objects.filter(run=run, hour=hour).update(
            frames=F("frames") + frames, faces_seen=F("faces_seen") + faces
        )
        if not updated:
            try:
                with transaction.atomic():
                    HourlyCount.objects.create(run=run, hour=hour, frames=frames, faces_seen=faces)
            except IntegrityError:
                # Another worker created the hour a moment ago: add to it instead.
                HourlyCount.objects.filter(run=run, hour=hour).update(
                    frames=F("frames") + frames, faces_seen=F("faces_seen") + faces
                )


def _save_batch(
    run: Run,
    result: BatchResult,
    pending: list[_Pending],
    hours: dict[datetime, list[int]],
    *,
    seq: int | None = None,
) -> bool:
    """Write a batch's counts and alerts at once; False if batch `seq` was already written."""
    saved: list[str] = []
    try:
        with transaction.atomic():
            if seq is not None:
                try:
                    with transaction.atomic():
                        Batch.objects.create(run=run, seq=seq)
                except IntegrityError:
                    return False
            if run.deployment.is_urgent:
                # A refusal of urgent use deletes its alerts under this row's lock: an alert
                # from a batch that passed the gate just before must not be saved after it.
                locked = Deployment.objects.select_for_update().get(pk=run.deployment_id)
                if locked.urgent_data_was_deleted:
                    raise GateClosed(
                        URGENT_REFUSED,
                        f"The urgent use of {locked} was refused while this batch was being "
                        "matched; its alerts are not kept.",
                    )
            Run.objects.filter(pk=run.pk).update(
                frames=F("frames") + result.frames, faces_seen=F("faces_seen") + result.faces_seen
            )
            _count_hours(run, hours)
            for item in pending:
                item.alert.crop.save("crop.jpg", ContentFile(item.crop), save=False)
                saved.append(item.alert.crop.name or "")
                item.alert.raised_at = timezone.now()
                item.alert.save()
                result.alerts.append(item.alert)
                result.labels.append(item.label)
    except BaseException:
        # The rows were rolled back; their crops must not outlive them.
        storage = Alert._meta.get_field("crop").storage  # type: ignore[attr-defined]
        for name in saved:
            storage.delete(name)
        result.alerts.clear()
        result.labels.clear()
        raise
    if pending:
        audit_record(
            actor="engine",
            action="alerts.raised",
            obj=run.deployment,
            details={"run": run.pk, "alerts": [a.pk for a in result.alerts]},
        )
    return True


def run_process_batch(
    *, run: Run, frames: Sequence[Frame], at: datetime | None = None
) -> BatchResult:
    """Ask the gate, then match every face in the frames; store alerts for matches only.

    A closed gate stops the run (audited with the reason) and raises `GateClosed`: the caller
    stops sending. The frames themselves are never stored.
    """
    at = at or timezone.now()
    run = Run.objects.select_related("deployment", "camera").get(pk=run.pk)
    if run.stopped_at is not None:
        raise RunNotRunning(
            f"Run {run.pk} was stopped ({run.stop_reason or run.stop_code}); start a new run."
        )
    permit, matcher = _permit_for(run, at)
    result = BatchResult(frames=len(frames))
    pending: list[_Pending] = []
    hours: dict[datetime, list[int]] = {}
    for frame in frames:
        with _ENGINE_LOCK:
            found = engine.process_frame(
                frame.image,
                matcher,
                threshold=permit.threshold,
                upsample=settings.OVERSIGHT_DETECTION_UPSAMPLE,
                scale=settings.OVERSIGHT_DETECTION_SCALE,
            )
        result.faces_seen += found.faces_seen
        counts = hours.setdefault(_hour(frame.seen_at or at), [0, 0])
        counts[0] += 1
        counts[1] += found.faces_seen
        for match in found.matches:
            alert = Alert(
                run=run,
                entry_id=cast(int, match.entry_id),
                distance=match.distance,
                seen_at=frame.seen_at or at,
            )
            pending.append(
                _Pending(alert, engine.crop_face(frame.image, match.location), frame.label)
            )
    _save_batch(run, result, pending, hours)
    return result


@dataclass(frozen=True)
class CropFrame:
    """A frame as the ingest worker sends it: when it was seen, and only its faces' crops."""

    seen_at: datetime
    faces: Sequence[engine.FaceCrop]


def run_match_crops(
    *, run_id: int, seq: int, frames: Sequence[CropFrame], at: datetime | None = None
) -> str:
    """A matching worker's batch: ask the gate, encode and match the crops, save once.

    Returns what happened ("matched", "duplicate", "stopped", "gate_closed"), never anything
    about a face. Batch `seq` is written once however often the queue delivers it (a worker
    that dies before acknowledging it has it redone by another), so no face is counted twice
    and no alert is raised twice. Encodings are blanked once matched.
    """
    at = at or timezone.now()
    run = Run.objects.select_related("deployment", "camera").filter(pk=run_id).first()
    if run is None or run.stopped_at is not None:
        return "stopped"
    if Batch.objects.filter(run=run, seq=seq).exists():
        return "duplicate"
    try:
        permit, matcher = _permit_for(run, at)
    except GateClosed:
        return "gate_closed"
    result = BatchResult(frames=len(frames))
    pending: list[_Pending] = []
    hours: dict[datetime, list[int]] = {}
    face_number = 0  # each face's place in the batch: one alert per face per batch
    for frame in frames:
        counts = hours.setdefault(_hour(frame.seen_at), [0, 0])
        counts[0] += 1
        counts[1] += len(frame.faces)
        result.faces_seen += len(frame.faces)
        if not frame.faces:
            continue
        with _ENGINE_LOCK:
            encodings = engine.encode_crops(frame.faces)
        try:
            found = matcher.match(encodings, threshold=permit.threshold)
        finally:
            encodings.fill(0.0)
        for face, match in zip(frame.faces, found, strict=True):
            face_number += 1
            if match is None:
                continue
            alert = Alert(
                run=run,
                entry_id=cast(int, match.entry_id),
                distance=match.distance,
                seen_at=frame.seen_at,
                batch_seq=seq,
                face_index=face_number,
            )
            pending.append(_Pending(alert, engine.crop_face(face.pixels, face.location), ""))
    try:
        written = _save_batch(run, result, pending, hours, seq=seq)
    except GateClosed as closed:
        run_stop(run=run, by="gate", code=closed.reason_code, reason=closed.message)
        return "gate_closed"
    return "matched" if written else "duplicate"

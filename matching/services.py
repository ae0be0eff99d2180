"""Every change the engine makes: watchlists and enrolment, runs and frames, alerts, retention.

Services lock what they change, check who may act, write the audit trail and raise domain
errors. The gate is asked outside the services' own transactions (see gate.py), so that a
refusal's audit event is never rolled back with the work it refused.

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
from typing import IO, Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from audit.services import audit_record
from deployments.models import Deployment, Outcome, State
from deployments import services as deployment_services
from legal.models import WatchlistCategory
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed

from . import engine
from .gate import WATCHLIST_CHANGED, GateClosed, Permit, gate_check
from .models import Alert, Run, Watchlist, WatchlistEntry, subject_reference_validator
from .selectors import (
    WATCHLIST_OPEN_STATES,
    is_operator_of,
    is_planner_of,
    watchlist_fingerprint,
)

__all__ = [
    "BatchResult",
    "Frame",
    "GateClosed",
    "RunNotRunning",
    "RunStart",
    "TokenExpired",
    "TokenInvalid",
    "alert_adjudicate",
    "frame_discard",
    "outcome_fill_from_runs",
    "retention_purge",
    "run_authenticate",
    "run_process_batch",
    "run_start",
    "run_stop",
    "watchlist_enrol",
    "watchlist_entry_add",
    "watchlist_entry_remove",
    "watchlist_fingerprint",
    "watchlist_pin_at_sign_off",
]

User = Any  # an authenticated user; typed loosely to keep services free of the user model


class RunNotRunning(TransitionNotAllowed):
    """The run has been stopped; a new one must be started."""

    code = "run_stopped"


class TokenInvalid(NotPermitted):
    """No token, or not this run's token (the API answers 401)."""

    code = "token_invalid"


class TokenExpired(NotPermitted):
    """This run's token, but no longer valid (the API answers 403)."""

    code = "token_expired"


# --- permissions --------------------------------------------------------------------------------
def check_manage_watchlist(deployment: Deployment, user: User) -> None:
    if not is_planner_of(deployment, user):
        raise NotPermitted("Only the planner who filed this deployment can change its watchlist.")


def check_operate(deployment: Deployment, user: User) -> None:
    if not is_operator_of(deployment, user):
        raise NotPermitted(
            f"You are not an operator of {deployment}. An authorising officer or the panel "
            "chair can assign you."
        )


def _watchlist_cap(deployment: Deployment) -> int:
    ceiling = settings.OVERSIGHT_MAX_WATCHLIST_SIZE
    return min(deployment.watchlist_size_cap or ceiling, ceiling)


def _locked_watchlist(deployment: Deployment) -> Watchlist:
    # get_or_create then lock: two first entries racing may both try to create it; the unique
    # one-to-one lets one win and the other read it.
    Watchlist.objects.get_or_create(deployment=deployment)
    return Watchlist.objects.select_for_update().get(deployment=deployment)


def _delete_file(storage_file: Any) -> None:
    name = storage_file.name
    if name:
        storage_file.storage.delete(name)


# --- watchlist ----------------------------------------------------------------------------------
@transaction.atomic
def watchlist_entry_add(
    *,
    deployment: Deployment,
    by: User,
    subject_reference: str,
    category: str,
    image_provenance: str,
    legal_basis: str,
    image: File[Any] | IO[bytes],
) -> WatchlistEntry:
    """Add a person to the watchlist; the image is encoded by a task once this commits.

    Allowed until the chair's sign-off, which pins the watchlist: after that an addition would
    be a watchlist the panel never saw, and the gate would refuse every batch.
    """
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    check_manage_watchlist(deployment, by)
    if deployment.state not in WATCHLIST_OPEN_STATES:
        state = deployment.get_state_display().lower()
        if deployment.approved_at is None:
            raise TransitionNotAllowed(f"{deployment} is {state}: no one can be added to it.")
        raise TransitionNotAllowed(
            f"{deployment} is {state}: its watchlist was fixed when the panel chair signed it "
            "off, so no one can be added. A different watchlist needs a new deployment request."
        )
    watchlist = _locked_watchlist(deployment)
    problems: dict[str, list[str]] = {}
    reference = (subject_reference or "").strip()
    try:
        subject_reference_validator(reference)
    except ValidationError as error:
        problems["subject_reference"] = list(error.messages)
    if (
        reference
        and watchlist.entries.filter(
            subject_reference=reference, status__in=WatchlistEntry.ACTIVE
        ).exists()
    ):
        problems.setdefault("subject_reference", []).append(
            f"{reference} is already on this watchlist."
        )
    allowed = deployment.use_case.allowed_categories if deployment.use_case else []
    if category not in WatchlistCategory.values:
        problems["category"] = ["Choose the watchlist category this person is in."]
    elif category not in allowed:
        clause = deployment.use_case.clause if deployment.use_case else "(none chosen)"
        problems["category"] = [
            f"Use case {clause} does not allow “{WatchlistCategory(category).label}”. "
            "Only people in a category the use case allows can be on the watchlist."
        ]
    elif deployment.watchlist_categories and category not in deployment.watchlist_categories:
        named = ", ".join(deployment.watchlist_category_labels())
        problems["category"] = [
            f"The request names other categories ({named}); choose one of those. A new "
            "category needs a new request."
        ]
    if not (image_provenance or "").strip():
        problems["image_provenance"] = ["Say where the image comes from."]
    if not (legal_basis or "").strip():
        problems["legal_basis"] = ["Give the legal basis for holding the image."]
    active = watchlist.entries.filter(status__in=WatchlistEntry.ACTIVE).count()
    cap = _watchlist_cap(deployment)
    if active >= cap:
        problems.setdefault("", []).append(
            f"The watchlist is full: it has {active:,} people and the size cap is {cap:,}. "
            "Remove someone first, or ask for a larger cap in a new request."
        )
    if problems:
        raise PreconditionsFailed(problems)

    entry = WatchlistEntry(
        watchlist=watchlist,
        subject_reference=reference,
        category=category,
        image_provenance=image_provenance.strip(),
        legal_basis=legal_basis.strip(),
        added_by=by,
    )
    size = getattr(image, "size", None)
    if size is None:
        image.seek(0, 2)
        size = image.tell()
        image.seek(0)
    limit = settings.OVERSIGHT_MAX_IMAGE_BYTES
    if size > limit:
        # Refused at once and never stored: there is nothing for enrolment to try.
        entry.status = WatchlistEntry.Status.REFUSED
        entry.refusal_code = "too_large"
        entry.refusal_reason = (
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(limit)}. "
            "Upload a smaller image."
        )
        entry.save()
    else:
        entry.save()
        entry.image.save("upload", image if isinstance(image, File) else File(image), save=True)
    audit_record(
        actor=by,
        action="watchlist.entry_added",
        obj=deployment,
        details={"entry": entry.pk, "category": category, "status": entry.status},
    )
    if entry.status == WatchlistEntry.Status.ENROLLING:
        from .tasks import enrol_entry

        # On commit: the worker must find the row and the stored image.
        transaction.on_commit(partial(enrol_entry.delay, entry.pk))
    return entry


@dataclass(frozen=True)
class _Encoded:
    encoding: npt.NDArray[np.float64] | None = None
    location: tuple[int, int, int, int] | None = None
    code: str = ""
    reason: str = ""


def _encode_for_enrolment(entry: WatchlistEntry) -> _Encoded:
    try:
        with entry.image.open("rb") as stored:
            image = engine.load_image(
                cast(BinaryIO, stored),
                max_bytes=settings.OVERSIGHT_MAX_IMAGE_BYTES,
                max_pixels=settings.OVERSIGHT_MAX_IMAGE_PIXELS,
            )
    except engine.ImageRejected as rejected:
        return _Encoded(code=rejected.reason_code, reason=rejected.message)
    except (FileNotFoundError, ValueError):
        return _Encoded(
            code="missing", reason="The stored image could not be found. Upload it again."
        )
    with _ENGINE_LOCK:
        locations = engine.detect_faces(image, upsample=settings.OVERSIGHT_ENROL_UPSAMPLE)
        if len(locations) == 1:
            encoding = engine.encode_faces(image, locations)[0].copy()
    if not locations:
        return _Encoded(
            code="no_face",
            reason="No face was found in the image. Upload a clear, front-facing photograph "
            "in which the person's whole face is visible.",
        )
    if len(locations) > 1:
        return _Encoded(
            code="several_faces",
            reason=f"{len(locations)} faces were found in the image, so the engine cannot tell "
            "which is the person. Upload an image of the person alone, or crop it to their face.",
        )
    return _Encoded(encoding=encoding, location=locations[0])


def watchlist_enrol(*, entry: WatchlistEntry) -> WatchlistEntry:
    """Encode an entry's image: enrolled with its encoding, or refused with the reason.

    The work is done before the row is locked (encoding takes a second or two); the result is
    written only if the entry is still waiting for it. A refused image is deleted: it may show
    someone else, and the planner needs only the reason.
    """
    entry = WatchlistEntry.objects.get(pk=entry.pk)
    if entry.status != WatchlistEntry.Status.ENROLLING:
        return entry
    result = _encode_for_enrolment(entry)
    with transaction.atomic():
        locked = (
            WatchlistEntry.objects.select_for_update()
            .select_related("watchlist__deployment")
            .get(pk=entry.pk)
        )
        if (
            locked.status != WatchlistEntry.Status.ENROLLING
            or locked.image.name != entry.image.name
        ):
            return locked
        deployment = locked.watchlist.deployment
        if result.encoding is not None:
            locked.encoding = result.encoding.astype("<f8").tobytes()
            locked.face_box = list(result.location) if result.location else None
            locked.status = WatchlistEntry.Status.ENROLLED
            locked.enrolled_at = timezone.now()
            locked.save(update_fields=["encoding", "face_box", "status", "enrolled_at"])
            audit_record(
                actor="enrolment",
                action="watchlist.entry_enrolled",
                obj=deployment,
                details={"entry": locked.pk},
            )
        else:
            _delete_file(locked.image)
            locked.image = ""
            locked.status = WatchlistEntry.Status.REFUSED
            locked.refusal_code = result.code
            locked.refusal_reason = result.reason
            locked.save(update_fields=["image", "status", "refusal_code", "refusal_reason"])
            audit_record(
                actor="enrolment",
                action="watchlist.entry_refused",
                obj=deployment,
                details={"entry": locked.pk, "reason_code": result.code, "reason": result.reason},
            )
    if result.encoding is not None:
        result.encoding.fill(0.0)
    return locked


@transaction.atomic
def watchlist_entry_remove(*, entry: WatchlistEntry, by: User, reason: str) -> WatchlistEntry:
    """Take a person off the watchlist and delete their image and encoding at once.

    Allowed at any time (the legal basis for holding an image can lapse), but after sign-off
    the watchlist is no longer the one approved, so the gate refuses every later batch.
    """
    # The watchlist row first, as sign-off takes it: a removal and a sign-off run one after
    # the other, so the pinned fingerprint never includes a half-removed entry.
    Watchlist.objects.select_for_update().get(pk=entry.watchlist_id)
    locked = (
        WatchlistEntry.objects.select_for_update()
        .select_related("watchlist__deployment")
        .get(pk=entry.pk)
    )
    deployment = locked.watchlist.deployment
    check_manage_watchlist(deployment, by)
    if not (reason or "").strip():
        raise PreconditionsFailed({"reason": ["Say why the person is being removed."]})
    if locked.status == WatchlistEntry.Status.REMOVED:
        return locked
    was_pinned = bool(deployment.watchlist_fingerprint)
    _delete_file(locked.image)
    locked.image = ""
    locked.encoding = None
    locked.face_box = None
    locked.status = WatchlistEntry.Status.REMOVED
    locked.removed_at = timezone.now()
    locked.removed_by = by
    locked.removal_reason = reason.strip()
    locked.save()
    audit_record(
        actor=by,
        action="watchlist.entry_removed",
        obj=deployment,
        details={
            "entry": locked.pk,
            "reason": reason.strip(),
            "after_approval": was_pinned,
        },
    )
    return locked


def watchlist_pin_at_sign_off(*, deployment: Deployment, by: User) -> dict[str, str]:
    """What sign-off pins of the watchlist, inside the chair's sign-off transaction.

    Refuses an empty watchlist, one still enrolling, one over its cap or holding a category the
    use case does not allow; otherwise gives its fingerprint, which the sign-off service pins
    on the deployment with the approval.
    """
    watchlist = _locked_watchlist(deployment)
    active = watchlist.entries.filter(status__in=WatchlistEntry.ACTIVE)
    counts = dict(active.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    enrolled = counts.get(WatchlistEntry.Status.ENROLLED, 0)
    enrolling = counts.get(WatchlistEntry.Status.ENROLLING, 0)
    if enrolling:
        raise TransitionNotAllowed(
            f"{enrolling} watchlist {'entry is' if enrolling == 1 else 'entries are'} still "
            "being enrolled. Sign off once enrolment has finished; the deployment page shows "
            "its progress."
        )
    if not enrolled:
        raise TransitionNotAllowed(
            f"The watchlist of {deployment} is empty. The planner must enrol at least one "
            "person before the deployment can be signed off: an engine with nobody to look "
            "for would scan faces for no purpose."
        )
    cap = _watchlist_cap(deployment)
    if enrolled > cap:
        raise TransitionNotAllowed(
            f"The watchlist has {enrolled:,} people, more than its size cap of {cap:,}. The "
            "planner must remove people before sign-off."
        )
    allowed = set(deployment.use_case.allowed_categories if deployment.use_case else [])
    outside = sorted(set(active.values_list("category", flat=True)) - allowed)
    if outside:
        labels = ", ".join(str(WatchlistCategory(c).label) for c in outside)
        raise TransitionNotAllowed(
            f"The watchlist holds people in categories the use case does not allow ({labels}). "
            "The planner must remove them before sign-off."
        )
    return {"watchlist_fingerprint": watchlist_fingerprint(deployment=deployment)}


# --- runs ---------------------------------------------------------------------------------------
# dlib's detector and shape predictor are process-wide objects; the threaded web server could
# call them from two requests at once. One frame at a time per process is also what one core
# can do (DESIGN.md: one process per core is how the engine scales).
_ENGINE_LOCK = threading.Lock()

# Matchers keyed by the fingerprint of the rows they were built from. The fingerprint is a
# hash of the content, so a cached matcher is exactly the watchlist the gate just compared.
_MATCHERS: OrderedDict[str, engine.Matcher] = OrderedDict()
_MATCHERS_LOCK = threading.Lock()
_MATCHERS_KEPT = 4


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class RunStart:
    run: Run
    # Shown to the operator once; only its hash is stored.
    token: str


def run_start(
    *, deployment: Deployment, operator: User, source_label: str, at: datetime | None = None
) -> RunStart:
    """Start a run for one source, if the gate lets the deployment run now."""
    at = at or timezone.now()
    check_operate(deployment, operator)
    label = (source_label or "").strip()
    if not label:
        raise PreconditionsFailed({"source_label": ["Name the camera or source."]})
    gate_check(deployment=deployment, at=at, actor=operator)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
        assert deployment.ends_at is not None  # the gate refuses a deployment without a window
        expires = min(at + timedelta(hours=settings.OVERSIGHT_RUN_TOKEN_HOURS), deployment.ends_at)
        run = Run.objects.create(
            deployment=deployment,
            operator=operator,
            source_label=label[:120],
            threshold=deployment.match_threshold or Decimal("0"),
            started_at=at,
            token_hash=_hash_token(token),
            token_expires_at=expires,
        )
        audit_record(
            actor=operator,
            action="run.started",
            obj=deployment,
            details={"run": run.pk, "source": run.source_label, "threshold": run.threshold},
        )
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
    if not is_operator_of(run.deployment, run.operator):
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
        _MATCHERS[permit.watchlist_fingerprint] = matcher
        while len(_MATCHERS) > _MATCHERS_KEPT:
            _MATCHERS.popitem(last=False)
    return matcher


def frame_discard(frame: Frame | engine.RGBImage) -> None:
    """Blank a frame's pixels once it has been matched, where numpy lets us write to them."""
    image = frame.image if isinstance(frame, Frame) else frame
    if image.flags.writeable:
        image.fill(0)


def _forget_matchers() -> None:
    with _MATCHERS_LOCK:
        _MATCHERS.clear()


def run_process_batch(
    *, run: Run, frames: Sequence[Frame], at: datetime | None = None
) -> BatchResult:
    """Ask the gate, then match every face in the frames; store alerts for matches only.

    A closed gate stops the run (audited with the reason) and raises `GateClosed`: the caller
    stops sending. The frames themselves are never stored.
    """
    at = at or timezone.now()
    run = Run.objects.select_related("deployment").get(pk=run.pk)
    if run.stopped_at is not None:
        raise RunNotRunning(
            f"Run {run.pk} was stopped ({run.stop_reason or run.stop_code}); start a new run."
        )
    try:
        permit = gate_check(deployment=run.deployment, at=at, actor="gate")
        matcher = _matcher_for(run.deployment, permit, "gate")
    except GateClosed as closed:
        run_stop(run=run, by="gate", code=closed.reason_code, reason=closed.message)
        raise
    result = BatchResult(frames=len(frames))
    pending: list[tuple[Alert, bytes, str]] = []
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
        for match in found.matches:
            crop = engine.crop_face(frame.image, match.location)
            alert = Alert(
                run=run,
                entry_id=cast(int, match.entry_id),
                distance=match.distance,
                seen_at=frame.seen_at or at,
            )
            pending.append((alert, crop, frame.label))
    saved: list[str] = []
    try:
        with transaction.atomic():
            Run.objects.filter(pk=run.pk).update(
                frames=F("frames") + result.frames, faces_seen=F("faces_seen") + result.faces_seen
            )
            for alert, crop, label in pending:
                alert.crop.save("crop.jpg", ContentFile(crop), save=False)
                saved.append(alert.crop.name or "")
                alert.save()
                result.alerts.append(alert)
                result.labels.append(label)
    except BaseException:
        # The rows were rolled back; their crops must not outlive them.
        storage = Alert._meta.get_field("crop").storage  # type: ignore[attr-defined]
        for name in saved:
            storage.delete(name)
        raise
    if pending:
        alerts = [a.pk for a in result.alerts]
        audit_record(
            actor="engine",
            action="alerts.raised",
            obj=run.deployment,
            details={"run": run.pk, "alerts": alerts},
        )
    return result


# --- alerts and the outcome ---------------------------------------------------------------------
ADJUDICATION_FIELDS = ("verdict", "confirmation", "outcome")


@transaction.atomic
def alert_adjudicate(
    *,
    alert: Alert,
    by: User,
    verdict: str,
    confirmation: str,
    outcome: str,
    notes: str = "",
    is_evidence: bool = False,
    evidence_reason: str = "",
) -> Alert:
    """Record the operator's decision on an alert. A later correction is audited as such."""
    locked = Alert.objects.select_for_update().select_related("run__deployment").get(pk=alert.pk)
    deployment = locked.run.deployment
    check_operate(deployment, by)
    if deployment.state == State.REPORT_PUBLISHED:
        raise TransitionNotAllowed(
            f"The results of {deployment} are published; its alerts can no longer be changed."
        )
    problems: dict[str, list[str]] = {}
    if verdict not in Alert.Verdict.values:
        problems["verdict"] = ["Say whether the alert was true or false."]
    if confirmation not in Alert.Confirmation.values:
        problems["confirmation"] = ["Say whether the identity was confirmed."]
    if outcome not in Alert.Outcome.values:
        problems["outcome"] = ["Record the outcome: arrest, other, or no action."]
    if is_evidence and not (evidence_reason or "").strip():
        problems["evidence_reason"] = ["Say why the crop must be kept as evidence."]
    if is_evidence and not locked.crop:
        problems["is_evidence"] = ["The crop has already been deleted under the retention rule."]
    if problems:
        raise PreconditionsFailed(problems)
    previous = {f: getattr(locked, f) for f in ADJUDICATION_FIELDS}
    locked.verdict, locked.confirmation, locked.outcome = verdict, confirmation, outcome
    locked.notes = (notes or "").strip()
    locked.is_evidence = bool(is_evidence)
    locked.evidence_reason = (evidence_reason or "").strip() if is_evidence else ""
    locked.adjudicated_by = by
    locked.adjudicated_at = timezone.now()
    locked.save()
    audit_record(
        actor=by,
        action="alert.readjudicated" if previous["verdict"] else "alert.adjudicated",
        obj=deployment,
        details={
            "alert": locked.pk,
            "verdict": verdict,
            "confirmation": confirmation,
            "outcome": outcome,
            "is_evidence": locked.is_evidence,
            **({"previous": previous} if previous["verdict"] else {}),
        },
    )
    outcome_fill_from_runs(deployment=deployment)
    return locked


def _engine_counts(deployment: Deployment) -> dict[str, int]:
    alerts = Alert.objects.filter(run__deployment=deployment)
    counts = alerts.aggregate(
        true_alerts_confirmed=Count("pk", filter=Q(verdict="true", confirmation="confirmed")),
        true_alerts_unconfirmed=Count("pk", filter=Q(verdict="true", confirmation="unconfirmed")),
        false_alerts_confirmed=Count("pk", filter=Q(verdict="false", confirmation="confirmed")),
        false_alerts_unconfirmed=Count("pk", filter=Q(verdict="false", confirmation="unconfirmed")),
        arrests=Count("pk", filter=Q(outcome="arrest")),
        other_outcomes=Count("pk", filter=Q(outcome="other")),
        no_action=Count("pk", filter=Q(outcome="no_action")),
    )
    faces = Run.objects.filter(deployment=deployment).aggregate(n=Sum("faces_seen"))["n"]
    return {"faces_seen": faces or 0, **counts}


def outcome_fill_from_runs(*, deployment: Deployment) -> Outcome | None:
    """Give a completed deployment the engine's counts, through the register's service.

    Only for a deployment the engine ran for; the register decides whether the outcome may
    still change (`outcome_fill_from_engine`).
    """
    if not Run.objects.filter(deployment=deployment).exists():
        return None
    pending = Alert.objects.filter(run__deployment=deployment, verdict="").count()
    return deployment_services.outcome_fill_from_engine(
        deployment=deployment,
        counts=_engine_counts(deployment),
        details={"alerts_not_adjudicated": pending},
    )


# --- retention ----------------------------------------------------------------------------------
@dataclass
class PurgeReport:
    watchlists: list[str] = field(default_factory=list)
    images: int = 0
    encodings: int = 0
    crops: int = 0

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
    if report.watchlists or report.crops:
        _forget_matchers()
    return report


def _purge_watchlist(pk: int, at: datetime, report: PurgeReport) -> None:
    with transaction.atomic():
        watchlist = Watchlist.objects.select_for_update().select_related("deployment").get(pk=pk)
        if watchlist.purged_at is not None:
            return
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

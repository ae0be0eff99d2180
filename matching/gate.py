"""The gate: whether the register lets this deployment's engine run now.

`gate_check` is called before a run starts and before every batch of frames, so no face is
matched unless every answer below is yes at that moment. A refusal raises `GateClosed` with a
code for programs and a message for people, and is written to the audit trail. The permits
are not audited one by one (one per batch would drown the trail); runs record their start
and stop instead.

The audit event of a refusal is written in the caller's transaction: callers check the gate
outside their own `transaction.atomic` blocks, so that the refusal they raise does not roll
its own audit event back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.utils import timezone

from audit.services import audit_record
from core.errors import DomainError
from deployments.models import Deployment, State, UrgentOutcome
from legal.models import DocumentVersion

from .selectors import cameras_fingerprint, watchlist_fingerprint

if TYPE_CHECKING:
    from .models import Camera


class GateClosed(DomainError):
    """The register does not let this deployment's engine run now; `code` says why."""

    code = "gate_closed"

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message, code=reason_code)
        self.reason_code = reason_code


# The reason codes.
NOT_APPROVED = "not_approved"
SUSPENDED = "suspended"
OUTSIDE_WINDOW = "outside_window"
NOTICE_TOO_RECENT = "notice_too_recent"
DOCUMENT_NOT_CURRENT = "document_not_current"
WATCHLIST_CHANGED = "watchlist_changed"
THRESHOLD_LOOSENED = "threshold_loosened"
CAMERA_NOT_APPROVED = "camera_not_approved"
URGENT_REFUSED = "urgent_refused"
URGENT_DECISION_OVERDUE = "urgent_decision_overdue"
URGENT_OUTSIDE_WINDOW = "urgent_outside_window"

# The gate's list of reasons, in the order it asks its questions: each code with what stops
# the engine, in plain words for the public. `_decide` refuses only with a code listed here,
# and /how-it-works/ prints this list (through `matching.selectors.gate_conditions`), so a
# condition added to the gate appears on the public page. `{placeholders}` are filled from the
# settings in force there.
REASONS: dict[str, str] = {
    SUSPENDED: "The trial has been suspended by the ethics panel's chair or an authorising "
    "officer.",
    URGENT_REFUSED: "The trial was put to urgent use before the ethics panel's decision, and the "
    "panel refused it or did not decide in time: the cameras stopped at once and every alert, "
    "face image and encoding from the urgent use was deleted.",
    URGENT_DECISION_OVERDUE: "The trial is in urgent use and the ethics panel's decision, due "
    "within {urgent_decision_hours} of the urgency, has not been recorded.",
    NOT_APPROVED: "The trial has not been signed off by the chair of the ethics panel, or it has "
    "been closed.",
    OUTSIDE_WINDOW: "It is before the start or after the end of the trial's approved time window.",
    URGENT_OUTSIDE_WINDOW: "The trial is in urgent use before the ethics panel's decision, and it "
    "is outside the urgent window an authorising officer allowed (at most {urgent_max_hours}, "
    "inside the trial's own time window).",
    NOTICE_TOO_RECENT: "The trial's public notice has been published for less than "
    "{notice_lead_time}.",
    DOCUMENT_NOT_CURRENT: "A legal document the approval relied on has since been withdrawn or "
    "replaced by a newer version.",
    WATCHLIST_CHANGED: "The watchlist has changed since the panel approved it: someone was added, "
    "removed or changed.",
    CAMERA_NOT_APPROVED: "The camera is not one of those fixed in the register when the trial was "
    "signed off or put to urgent use, or the trial's cameras have changed since: one was added, "
    "removed, moved or pointed at another stream.",
    THRESHOLD_LOOSENED: "The match threshold is looser than the one the panel approved, or looser "
    "than the policy's limit of {max_match_threshold}.",
}


@dataclass(frozen=True)
class Permit:
    """The gate's yes: valid for one batch, at the threshold and watchlist approved."""

    deployment_id: int
    at: datetime
    threshold: float
    watchlist_fingerprint: str


class _Refusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def _refuse(code: str, message: str) -> NoReturn:
    if code not in REASONS:
        # Every refusal must be one the public can read about (REASONS, on /how-it-works/).
        raise ValueError(f"{code!r} is not in the gate's list of reasons (REASONS)")
    raise _Refusal(code, message)


def gate_check(
    *, deployment: Deployment, at: datetime, actor: Any = "gate", camera: Camera | None = None
) -> Permit:
    """Return a permit to match faces for `deployment` at `at`, or raise `GateClosed`.

    Reads the deployment afresh, so a suspension committed a moment ago is seen. A refusal is
    written to the audit trail with `actor` (the operator starting a run, or "gate"). With a
    `camera`, the permit is for that camera's frames only, and only if the panel approved it.
    """
    deployment = Deployment.objects.get(pk=deployment.pk)
    try:
        return _decide(deployment, at, camera)
    except _Refusal as refusal:
        audit_record(
            actor=actor,
            action="gate.refused",
            obj=deployment,
            details={"reason_code": refusal.code, "reason": refusal.message, "at": at.isoformat()},
        )
        raise GateClosed(refusal.code, refusal.message) from None


def gate_preview(
    *, deployment: Deployment, at: datetime, camera: Camera | None = None
) -> GateClosed | None:
    """What the gate would answer now, for the operator console; not audited, and no permit.

    Nothing may match faces on the strength of a preview: only `gate_check` gives a permit.
    """
    try:
        _decide(Deployment.objects.get(pk=deployment.pk), at, camera)
    except _Refusal as refusal:
        return GateClosed(refusal.code, refusal.message)
    return None


def _decide(deployment: Deployment, at: datetime, camera: Camera | None = None) -> Permit:
    ref = deployment.reference
    if deployment.state == State.SUSPENDED:
        _refuse(
            SUSPENDED,
            f"{ref} is suspended: {deployment.suspension_reason} The engine may not run until "
            "the panel chair lifts the suspension.",
        )
    # Urgent use before the panel's decision (EU AI Act, Article 5(3)): refused, or no decision
    # by the deadline, stops it at once. The deadline is checked here, not only by the beat
    # task that records the lapse, so the gate is closed at the deadline even if the beat is late.
    if deployment.urgent_data_was_deleted:
        how = (
            "the ethics panel refused it"
            if deployment.urgent_outcome == UrgentOutcome.REFUSED
            else "the ethics panel did not decide in time"
        )
        _refuse(
            URGENT_REFUSED,
            f"{ref} was put to urgent use and {how}: the engine may not run again, and every "
            "alert, face image and encoding from the urgent use has been deleted.",
        )
    if deployment.is_urgent_overdue(at):
        assert deployment.urgent_decision_due_at is not None
        _refuse(
            URGENT_DECISION_OVERDUE,
            f"The panel's decision on the urgent use of {ref} was due by "
            f"{_when(deployment.urgent_decision_due_at)} and none was recorded: the urgent use "
            "has stopped and its data are being deleted.",
        )
    urgent = deployment.is_urgent_pending and deployment.state == State.AUTHORISED
    if urgent:
        start, end = deployment.urgent_run_from, deployment.urgent_run_until
        if start is None or end is None or not start <= at < end:
            window = f"from {_when(start)} to {_when(end)}" if start and end else "with no window"
            _refuse(
                URGENT_OUTSIDE_WINDOW,
                f"{ref} is in urgent use before the panel's decision, allowed {window}; the "
                "engine may not run outside that window until the chair signs it off.",
            )
    if deployment.state != State.APPROVED and not urgent:
        _refuse(
            NOT_APPROVED,
            f"{ref} is not approved (it is {deployment.get_state_display().lower()}): the "
            "engine runs only for a deployment the ethics panel chair has signed off, until it "
            "ends.",
        )
    if deployment.starts_at is None or deployment.ends_at is None:
        _refuse(OUTSIDE_WINDOW, f"{ref} has no authorised window.")
    # In urgent use the urgent window, inside the deployment's own, was checked above.
    if not urgent and at < deployment.starts_at:
        _refuse(
            OUTSIDE_WINDOW,
            f"{ref} has not started: its window opens at {_when(deployment.starts_at)}, and "
            "the engine may not run before then.",
        )
    if not urgent and at >= deployment.ends_at:
        _refuse(
            OUTSIDE_WINDOW,
            f"{ref} has ended: its window closed at {_when(deployment.ends_at)}, and the engine "
            "may not run after it.",
        )
    lead = timedelta(hours=settings.OVERSIGHT_NOTICE_LEAD_HOURS)
    published = deployment.notice_published_at
    # Urgent use runs under a notice published at the urgency, without the lead time (the
    # urgency is the justification); signed off in time, it continues under that notice.
    lead_waived = urgent or deployment.urgent_outcome == UrgentOutcome.SIGNED_OFF
    if published is None or (at < published + lead and not lead_waived):
        since = (
            "has not been published" if published is None else f"was published {_when(published)}"
        )
        _refuse(
            NOTICE_TOO_RECENT,
            f"The public notice of {ref} {since}; the policy requires it to be public for "
            f"{settings.OVERSIGHT_NOTICE_LEAD_HOURS} hours before the engine runs.",
        )
    stale = [
        v
        for v in deployment.pinned_documents.select_related("document")
        if v.status != DocumentVersion.Status.PUBLISHED
    ]
    if stale:
        names = "; ".join(f"{v} is {v.get_status_display().lower()}" for v in stale)
        _refuse(
            DOCUMENT_NOT_CURRENT,
            f"A legal document {ref} was approved on is no longer current ({names}). The "
            "deployment needs a new request approved on the current documents.",
        )
    current = watchlist_fingerprint(deployment=deployment)
    if not deployment.watchlist_fingerprint or current != deployment.watchlist_fingerprint:
        _refuse(
            WATCHLIST_CHANGED,
            f"The watchlist of {ref} has changed since the panel approved it (an entry was "
            "added, removed or purged). The engine runs only against the approved watchlist.",
        )
    if camera is not None:
        pinned = deployment.cameras_fingerprint
        if (
            camera.deployment_id != deployment.pk
            or not pinned
            or pinned != cameras_fingerprint(deployment=deployment)
        ):
            _refuse(
                CAMERA_NOT_APPROVED,
                f"“{camera.label}” is not a camera the panel approved for {ref}, or the "
                "deployment's cameras have changed since sign-off. The engine reads only the "
                "approved cameras.",
            )
    threshold = deployment.match_threshold
    approved = deployment.approved_threshold
    ceiling = Decimal(str(settings.OVERSIGHT_MAX_MATCH_THRESHOLD))
    if threshold is None or approved is None or threshold > approved or threshold > ceiling:
        _refuse(
            THRESHOLD_LOOSENED,
            f"The match threshold of {ref} ({threshold}) is looser than the one approved "
            f"({approved}) or the policy's limit ({ceiling}). A looser threshold raises more "
            "false alerts; set it back before running.",
        )
    return Permit(
        deployment_id=deployment.pk,
        at=at,
        threshold=float(threshold),
        watchlist_fingerprint=current,
    )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M on %-d %B %Y")

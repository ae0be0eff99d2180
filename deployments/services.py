"""Every change to a deployment: its lifecycle transitions, reviews and outcome.

Each transition locks the deployment row (`select_for_update`), checks the person's role and
object permission and the state's preconditions, changes the row and writes an audit event, all
in one transaction. The `check_*` functions hold the rules and are also what the pages use to
decide which actions to offer, so a button is shown exactly when the service would accept it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from audit.services import audit_record
from core import public_changes
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from core.roles import Role, has_role
from core.types import User
from legal.models import Document
from legal.selectors import current_versions

from . import hooks
from .models import (
    Area,
    Authorisation,
    Deployment,
    EngagementMeeting,
    Outcome,
    ReferenceSequence,
    Review,
    ReviewAssignment,
    StaffProfile,
    State,
    Suspension,
    UrgentOutcome,
)
from .policy import submission_problems

EDITABLE_FIELDS = (
    "site",
    "starts_at",
    "ends_at",
    "use_case",
    "purpose",
    "necessity",
    "proportionality",
    "alternatives_considered",
    "intelligence_case",
    "watchlist_categories",
    "watchlist_criteria",
    "watchlist_size_cap",
    "match_threshold",
    "site_selection_rationale",
    "fairness_justification",
    "community_engagement_plan",
    "expected_faces",
)
# Fields the apps built on the register may fill at sign-off, through `hooks.sign_off_pins`.
PINNED_AT_SIGN_OFF = ("watchlist_fingerprint", "watchlist_size_at_sign_off", "cameras_fingerprint")
WITHDRAWABLE = (State.DRAFT, State.SUBMITTED, State.RETURNED, State.AUTHORISED)
SUSPENDABLE = (State.SUBMITTED, State.RETURNED, State.AUTHORISED, State.APPROVED)


# --- areas -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AreasUpserted:
    ids: dict[str, int]  # ONS code -> the area's id
    created: int
    updated: int


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def areas_upsert(*, areas: list[tuple[str, str, int]]) -> AreasUpserted:
    """Create or update areas by ONS code, with their names and populations (census figures).

    Areas are never deleted here: sites refer to them. Queries grow with the number of areas in
    chunks of 500, not one by one, so a national file of thousands of areas loads quickly.
    """
    codes = [code for code, _, _ in areas]
    existing: dict[str, Area] = {}
    for chunk in _chunks(codes):
        existing.update({a.code: a for a in Area.objects.filter(code__in=chunk)})
    to_create, to_update = [], []
    for code, name, population in areas:
        area = existing.get(code)
        if area is None:
            to_create.append(Area(code=code, name=name, population=population))
        else:
            area.name, area.population = name, population
            to_update.append(area)
    Area.objects.bulk_create(to_create, batch_size=500)
    Area.objects.bulk_update(to_update, ["name", "population"], batch_size=500)
    ids: dict[str, int] = {}
    for chunk in _chunks(codes):
        ids.update(Area.objects.filter(code__in=chunk).values_list("code", "id"))
    return AreasUpserted(ids=ids, created=len(to_create), updated=len(to_update))


# --- helpers ---------------------------------------------------------------------------------
def _lock(deployment: Deployment) -> Deployment:
    """Re-read the row under a lock: every rule below is checked against the locked copy."""
    return Deployment.objects.select_for_update().get(pk=deployment.pk)


def _require_state(deployment: Deployment, *states: State, doing: str) -> None:
    if deployment.state not in states:
        allowed = ", ".join(State(s).label.lower() for s in states)
        raise TransitionNotAllowed(
            f"{deployment} is {deployment.get_state_display().lower()}; it can only be {doing} "
            f"when it is {allowed}."
        )


def _require_role(user: User, *roles: Role, doing: str) -> None:
    if not any(has_role(user, r) for r in roles):
        names = " or ".join(r.label.lower() + "s" for r in roles)
        raise NotPermitted(f"Only {names} can {doing}.")


def _require_not_own(deployment: Deployment, user: User, *, doing: str) -> None:
    # The person who files a request never decides on it: whoever authorises, reviews or signs
    # off must be independent of the applicant (the register's rule; README, "Who does what").
    if deployment.is_filed_by(user):
        raise NotPermitted(f"You filed {deployment}, so you cannot {doing} it.")


def _require_text(value: str, field: str, message: str) -> None:
    if not (value or "").strip():
        raise PreconditionsFailed({field: [message]})


def _changed(deployment: Deployment, action: str) -> None:
    """Tell the apps built on the register, inside the transaction (they queue on commit)."""
    for listener in hooks.after_change:
        listener(deployment, action)


def _next_reference(year: int) -> str:
    for _attempt in range(2):
        try:
            with transaction.atomic():
                seq, _ = ReferenceSequence.objects.select_for_update().get_or_create(year=year)
                seq.last += 1
                seq.save(update_fields=["last"])
                return f"LFR-{year}-{seq.last:04d}"
        except IntegrityError:
            # Two first requests of a new year raced to create the counter; the loser retries.
            continue
    raise TransitionNotAllowed("Could not issue a reference; try again.")


# --- checks (shared by services and pages) ---------------------------------------------------
def check_edit(deployment: Deployment, user: User) -> None:
    if not deployment.is_planner(user):
        raise NotPermitted("Only the planner who filed this request can edit it.")
    if not deployment.is_editable:
        raise TransitionNotAllowed(
            f"{deployment} is {deployment.get_state_display().lower()} and cannot be edited."
        )


def check_submit(deployment: Deployment, user: User) -> None:
    check_edit(deployment, user)


def check_withdraw(deployment: Deployment, user: User) -> None:
    if not deployment.is_planner(user):
        raise NotPermitted("Only the planner who filed this request can withdraw it.")
    _require_state(deployment, *WITHDRAWABLE, doing="withdrawn")


def check_authorise(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.AUTHORISING_OFFICER, doing="authorise a deployment")
    _require_not_own(deployment, user, doing="authorise")
    _require_state(deployment, State.SUBMITTED, doing="authorised")


def check_return(deployment: Deployment, user: User) -> None:
    _require_role(
        user, Role.AUTHORISING_OFFICER, Role.PANEL_CHAIR, doing="return a request for changes"
    )
    _require_not_own(deployment, user, doing="return")
    _require_state(deployment, State.SUBMITTED, State.AUTHORISED, doing="returned")
    if deployment.state == State.SUBMITTED and not has_role(user, Role.AUTHORISING_OFFICER):
        raise NotPermitted("Before authorisation, only an authorising officer can return it.")
    if deployment.is_urgent_pending:
        # Article 5(3) EU AI Act: urgent use needs a decision, not a request for changes.
        raise TransitionNotAllowed(
            f"{deployment} is in urgent use: the panel's chair must sign it off or reject it."
        )


def check_reject(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.AUTHORISING_OFFICER, Role.PANEL_CHAIR, doing="reject a request")
    _require_not_own(deployment, user, doing="reject")
    _require_state(deployment, State.SUBMITTED, State.AUTHORISED, doing="rejected")
    if deployment.state == State.SUBMITTED and not has_role(user, Role.AUTHORISING_OFFICER):
        raise NotPermitted("Before authorisation, only an authorising officer can reject it.")
    if deployment.state == State.AUTHORISED and not has_role(user, Role.PANEL_CHAIR):
        raise NotPermitted("Once authorised, only the panel chair can reject it.")


def check_assign_reviewer(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.PANEL_CHAIR, doing="assign reviewers")
    _require_state(deployment, State.SUBMITTED, State.AUTHORISED, doing="given reviewers")


def check_review(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.PANEL_MEMBER, doing="review a deployment")
    _require_not_own(deployment, user, doing="review")
    if not deployment.is_reviewer(user):
        raise NotPermitted(f"You are not assigned to review {deployment}.")
    _require_state(deployment, State.AUTHORISED, doing="reviewed")
    if Review.objects.filter(
        deployment=deployment, reviewer=user, revision=deployment.revision
    ).exists():
        raise TransitionNotAllowed("You have already reviewed this version of the request.")


# A conflict can still change the panel only while its decision is open.
CONFLICT_DECLARABLE = (State.SUBMITTED, State.RETURNED, State.AUTHORISED)


def check_declare_conflict(deployment: Deployment, user: User) -> None:
    if not ReviewAssignment.objects.filter(
        deployment=deployment, reviewer=user, conflict_declared_at__isnull=True
    ).exists():
        raise NotPermitted(f"You are not an assigned reviewer of {deployment}.")
    # A decision, once signed off, stands on the panel that made it: a conflict declared
    # afterwards would silently take an approval out of a quorum that was met when the chair
    # signed (README, "Independent decisions"). It is raised with the chair instead.
    if deployment.approved_at is not None or deployment.state not in CONFLICT_DECLARABLE:
        when = (
            f"signed off on {timezone.localtime(deployment.approved_at):%-d %B %Y}"
            if deployment.approved_at is not None
            else deployment.get_state_display().lower()
        )
        raise TransitionNotAllowed(
            f"The panel's decision on {deployment} is already {when}, so a conflict declared "
            "now cannot change it. Tell the panel chair in writing; it changes no decision."
        )


def approvals_on_current_revision(deployment: Deployment, *, excluding: User | None = None) -> int:
    """Distinct approvals of this version by reviewers still assigned (no conflict declared).

    `excluding` leaves one person out: the quorum of a sign-off counts only reviewers other
    than the person who signs off, so nobody approves and then counts towards their own
    sign-off (README, "Independent decisions").
    """
    active = ReviewAssignment.objects.filter(
        deployment=deployment, conflict_declared_at__isnull=True
    ).values("reviewer")
    approvals = Review.objects.filter(
        deployment=deployment,
        revision=deployment.revision,
        decision__in=Review.APPROVING,
        reviewer__in=active,
    )
    if excluding is not None:
        approvals = approvals.exclude(reviewer=excluding)
    return approvals.values("reviewer").distinct().count()


def has_quorum(deployment: Deployment, *, signer: User) -> bool:
    """Has the panel the approvals for `signer` to sign off, not counting the signer's own?"""
    got = approvals_on_current_revision(deployment, excluding=signer)
    return got >= settings.OVERSIGHT_PANEL_QUORUM


def check_sign_off(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.PANEL_CHAIR, doing="sign off a deployment")
    _require_not_own(deployment, user, doing="sign off")
    _require_state(deployment, State.AUTHORISED, doing="signed off")
    if not has_quorum(deployment, signer=user):
        got = approvals_on_current_revision(deployment, excluding=user)
        need = settings.OVERSIGHT_PANEL_QUORUM
        own = approvals_on_current_revision(deployment) - got
        raise TransitionNotAllowed(
            f"The panel needs {need} approvals of this version before sign-off; it has {got}"
            + (" from reviewers other than you (your own review does not count)" if own else "")
            + "."
        )
    if deployment.ends_at is not None and deployment.ends_at <= timezone.now():
        raise TransitionNotAllowed(
            "The deployment window has already ended; it cannot be approved."
        )
    if deployment.is_urgent_overdue(timezone.now()):
        assert deployment.urgent_decision_due_at is not None
        raise TransitionNotAllowed(
            f"The panel's decision on the urgent use of {deployment} was due by "
            f"{_when(deployment.urgent_decision_due_at)}: the urgent use has lapsed and its "
            "data are deleted. The deployment needs a new request."
        )


def check_declare_urgent(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.AUTHORISING_OFFICER, doing="allow urgent use before sign-off")
    _require_not_own(deployment, user, doing="allow urgent use of")
    _require_state(deployment, State.AUTHORISED, doing="put to urgent use")
    if deployment.is_urgent:
        raise TransitionNotAllowed(f"{deployment} has already been put to urgent use once.")
    if deployment.ends_at is not None and deployment.ends_at <= timezone.now():
        raise TransitionNotAllowed("The deployment window has already ended.")


def check_engagement(deployment: Deployment, user: User) -> None:
    """The planner records engagement before the panel's sign-off; after it, the record the
    panel saw and the notice published stands."""
    if not deployment.is_planner(user):
        raise NotPermitted("Only the planner of this deployment can change its engagement record.")
    _require_state(
        deployment,
        State.DRAFT,
        State.SUBMITTED,
        State.RETURNED,
        State.AUTHORISED,
        doing="given engagement meetings",
    )


def check_suspend(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.PANEL_CHAIR, Role.AUTHORISING_OFFICER, doing="suspend a deployment")
    _require_state(deployment, *SUSPENDABLE, doing="suspended")


def check_lift_suspension(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.PANEL_CHAIR, doing="lift a suspension")
    _require_state(deployment, State.SUSPENDED, doing="reinstated")


def check_assign_operator(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.AUTHORISING_OFFICER, Role.PANEL_CHAIR, doing="assign operators")
    _require_state(deployment, State.AUTHORISED, State.APPROVED, doing="given operators")


def check_record_outcome(deployment: Deployment, user: User) -> None:
    if not (deployment.is_planner(user) or has_role(user, Role.PANEL_CHAIR)):
        raise NotPermitted(
            "Only the planner who filed it or the panel chair can record the outcome."
        )
    _require_state(deployment, State.COMPLETED, doing="given an outcome")


def check_publish_report(deployment: Deployment, user: User) -> None:
    _require_role(user, Role.MODERATOR, Role.PANEL_CHAIR, doing="publish a results report")
    _require_state(deployment, State.COMPLETED, doing="reported on")


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M on %-d %B %Y")


# --- services --------------------------------------------------------------------------------
def _apply(deployment: Deployment, data: dict[str, Any]) -> list[str]:
    changed = []
    for field, value in data.items():
        if field not in EDITABLE_FIELDS:
            raise ValueError(f"{field} is not an editable field of a deployment request")
        if getattr(deployment, field) != value:
            setattr(deployment, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def deployment_create(*, by: User, data: dict[str, Any]) -> Deployment:
    _require_role(by, Role.PLANNER, doing="file deployment requests")
    deployment = Deployment(created_by=by)
    _apply(deployment, data)
    deployment.reference = _next_reference(timezone.localdate().year)
    deployment.full_clean(exclude=["reference"])
    deployment.save()
    # The planner's right to edit is an object permission: nobody else holds it.
    assign_perm("deployments.change_deployment", by, deployment)
    assign_perm("deployments.view_deployment", by, deployment)
    audit_record(actor=by, action="deployment.created", obj=deployment)
    return deployment


@transaction.atomic
def deployment_update(*, deployment: Deployment, by: User, data: dict[str, Any]) -> Deployment:
    deployment = _lock(deployment)
    check_edit(deployment, by)
    changed = _apply(deployment, data)
    if changed:
        deployment.full_clean(exclude=["reference"])
        deployment.save()
        audit_record(
            actor=by, action="deployment.updated", obj=deployment, details={"fields": changed}
        )
    return deployment


@transaction.atomic
def deployment_submit(*, deployment: Deployment, by: User) -> Deployment:
    deployment = _lock(deployment)
    check_submit(deployment, by)
    now = timezone.now()
    problems = submission_problems(deployment, at=now)
    if problems:
        grouped: dict[str, list[str]] = {}
        for field, message in problems:
            grouped.setdefault(field, []).append(message)
        raise PreconditionsFailed(grouped)
    resubmission = deployment.state == State.RETURNED
    deployment.state = State.SUBMITTED
    deployment.revision += 1
    deployment.submitted_at = now
    deployment.save()
    audit_record(
        actor=by,
        action="deployment.resubmitted" if resubmission else "deployment.submitted",
        obj=deployment,
        details={"revision": deployment.revision},
    )
    return deployment


@transaction.atomic
def deployment_withdraw(*, deployment: Deployment, by: User, reason: str) -> Deployment:
    deployment = _lock(deployment)
    check_withdraw(deployment, by)
    _require_text(reason, "reason", "Say why the request is being withdrawn.")
    urgent = deployment.is_urgent_pending
    if urgent:
        # Urgent use withdrawn before the decision: stopped and deleted as if refused.
        _urgent_close(deployment, outcome=UrgentOutcome.REFUSED, actor=by)
    deployment.state = State.WITHDRAWN
    deployment.closed_reason = reason.strip()
    deployment.save()
    audit_record(
        actor=by, action="deployment.withdrawn", obj=deployment, details={"reason": reason}
    )
    if urgent:
        _changed(deployment, "urgent_refused")
    return deployment


@transaction.atomic
def deployment_authorise(*, deployment: Deployment, by: User, statement: str) -> Authorisation:
    deployment = _lock(deployment)
    check_authorise(deployment, by)
    _require_text(statement, "statement", "Give your statement of necessity and proportionality.")
    authorisation = Authorisation.objects.create(
        deployment=deployment, officer=by, revision=deployment.revision, statement=statement.strip()
    )
    deployment.state = State.AUTHORISED
    deployment.save()
    audit_record(
        actor=by,
        action="deployment.authorised",
        obj=deployment,
        details={"revision": deployment.revision},
    )
    return authorisation


@transaction.atomic
def deployment_return(*, deployment: Deployment, by: User, reasons: str) -> Deployment:
    """Send a request back to its planner. Reviews stay, marked as on an earlier version."""
    deployment = _lock(deployment)
    check_return(deployment, by)
    _require_text(reasons, "reasons", "Say what needs to change.")
    deployment.state = State.RETURNED
    deployment.save()
    audit_record(
        actor=by,
        action="deployment.returned",
        obj=deployment,
        details={"reasons": reasons.strip(), "revision": deployment.revision},
    )
    return deployment


@transaction.atomic
def deployment_reject(*, deployment: Deployment, by: User, reasons: str) -> Deployment:
    deployment = _lock(deployment)
    check_reject(deployment, by)
    _require_text(reasons, "reasons", "Give the reasons for rejecting the request.")
    urgent = deployment.is_urgent_pending
    if urgent:
        # The panel refused the urgent use: the gate closes with this commit and everything
        # the use produced is deleted (EU AI Act, Article 5(3)).
        _urgent_close(deployment, outcome=UrgentOutcome.REFUSED, actor=by)
    deployment.state = State.REJECTED
    deployment.closed_reason = reasons.strip()
    deployment.save()
    audit_record(
        actor=by, action="deployment.rejected", obj=deployment, details={"reasons": reasons}
    )
    if urgent:
        _changed(deployment, "urgent_refused")
    return deployment


@transaction.atomic
def review_assign(*, deployment: Deployment, reviewer: User, by: User) -> ReviewAssignment:
    deployment = _lock(deployment)
    check_assign_reviewer(deployment, by)
    if not has_role(reviewer, Role.PANEL_MEMBER):
        raise PreconditionsFailed({"reviewer": [f"{reviewer} is not an ethics panel member."]})
    if deployment.is_filed_by(reviewer):
        raise PreconditionsFailed({"reviewer": [f"{reviewer} filed this request."]})
    existing = ReviewAssignment.objects.filter(deployment=deployment, reviewer=reviewer).first()
    if existing is not None:
        why = "declared a conflict of interest" if not existing.is_active else "is already assigned"
        raise PreconditionsFailed({"reviewer": [f"{reviewer} {why} on {deployment}."]})
    assignment = ReviewAssignment.objects.create(
        deployment=deployment, reviewer=reviewer, assigned_by=by
    )
    assign_perm("deployments.review_deployment", reviewer, deployment)
    assign_perm("deployments.view_deployment", reviewer, deployment)
    audit_record(
        actor=by,
        action="review.assigned",
        obj=deployment,
        details={"reviewer": reviewer.get_username()},
    )
    return assignment


@transaction.atomic
def review_declare_conflict(*, deployment: Deployment, reviewer: User, details: str) -> None:
    """A declared conflict of interest removes the reviewer from the deployment."""
    deployment = _lock(deployment)
    check_declare_conflict(deployment, reviewer)
    _require_text(details, "details", "Describe the interest you are declaring.")
    assignment = ReviewAssignment.objects.select_for_update().get(
        deployment=deployment, reviewer=reviewer
    )
    assignment.conflict_declared_at = timezone.now()
    assignment.conflict_details = details.strip()
    assignment.save()
    remove_perm("deployments.review_deployment", reviewer, deployment)
    audit_record(
        actor=reviewer,
        action="review.conflict_declared",
        obj=deployment,
        details={"reviewer": reviewer.get_username()},
    )


@transaction.atomic
def review_record(
    *,
    deployment: Deployment,
    reviewer: User,
    decision: str,
    reasons: str,
    conditions: str = "",
    conflicts_declared: str = "",
    private_notes: str = "",
    threshold_justification: str = "",
) -> Review:
    deployment = _lock(deployment)
    check_review(deployment, reviewer)
    if decision not in Review.Decision.values:
        raise PreconditionsFailed({"decision": ["Choose a decision."]})
    _require_text(reasons, "reasons", "Give the reasons for your decision; they are published.")
    if decision == Review.Decision.APPROVE_WITH_CONDITIONS and not conditions.strip():
        raise PreconditionsFailed({"conditions": ["State the conditions of your approval."]})
    if decision in Review.APPROVING:
        # Fields the apps built on the register require of an approval, such as a justification
        # of a threshold looser than the engine evaluation's parity threshold.
        given = {"threshold_justification": threshold_justification, "conditions": conditions}
        missing = {
            field: [message]
            for field, message in hooks.approval_requirements_for(deployment).items()
            if not (given.get(field) or "").strip()
        }
        if missing:
            raise PreconditionsFailed(missing)
    review = Review.objects.create(
        deployment=deployment,
        reviewer=reviewer,
        revision=deployment.revision,
        decision=decision,
        reasons=reasons.strip(),
        conditions=conditions.strip(),
        conflicts_declared=conflicts_declared.strip(),
        private_notes=private_notes.strip(),
        threshold_justification=threshold_justification.strip(),
    )
    audit_record(
        actor=reviewer,
        action="review.recorded",
        obj=deployment,
        details={"decision": decision, "revision": deployment.revision},
    )
    return review


@transaction.atomic
def deployment_sign_off(
    *, deployment: Deployment, by: User, statement: str, conditions: str = ""
) -> Deployment:
    """The chair's final sign-off: approves the deployment and publishes its notice."""
    deployment = _lock(deployment)
    check_sign_off(deployment, by)
    _require_text(statement, "statement", "Give the panel's decision statement; it is published.")
    current = _pin_for_running(deployment, by)
    now = timezone.now()
    urgent = deployment.is_urgent_pending
    deployment.state = State.APPROVED
    deployment.approved_at = now
    deployment.approved_by = by
    deployment.panel_statement = statement.strip()
    deployment.panel_conditions = conditions.strip()
    if urgent:
        # Signed off in time: the urgent use continues as an approved deployment, under the
        # notice published when it began.
        deployment.urgent_outcome = UrgentOutcome.SIGNED_OFF
        deployment.urgent_closed_at = now
    else:
        deployment.notice_published_at = now
    deployment.save()
    deployment.pinned_documents.set(list(current.values()))
    audit_record(
        actor=by,
        action="deployment.approved",
        obj=deployment,
        details={
            "revision": deployment.revision,
            # The quorum it was given on: approvals by reviewers other than the signer.
            "approvals": approvals_on_current_revision(deployment, excluding=by),
            "pinned": {k: [v.number, v.sha256] for k, v in sorted(current.items())},
            "watchlist_fingerprint": deployment.watchlist_fingerprint,
            "cameras_fingerprint": deployment.cameras_fingerprint,
            "urgent_use_signed_off": urgent,
        },
    )
    _changed(deployment, "approved")
    return deployment


def _pin_for_running(deployment: Deployment, by: User) -> dict[str, Any]:
    """Pin what the gate compares with (the current legal documents, the watchlist, the
    threshold) on the locked deployment; returns the document versions to pin once saved."""
    current = current_versions()
    missing = [
        label
        for kind, label in Document.Kind.choices
        if kind in Document.REQUIRED_FOR_SUBMISSION and kind not in current
    ]
    if missing:
        raise TransitionNotAllowed(
            "These documents have no published version, so nothing can be pinned: "
            + ", ".join(missing)
            + ". A legal officer must publish them first."
        )
    # The apps built on the register give what sign-off pins (the engine: the watchlist's
    # fingerprint), or refuse, for example while the watchlist is still enrolling.
    for pin in hooks.sign_off_pins:
        for name, value in pin(deployment, by).items():
            if name not in PINNED_AT_SIGN_OFF:
                raise ValueError(f"{name} is not a field that sign-off pins")
            setattr(deployment, name, value)
    deployment.approved_threshold = deployment.match_threshold
    return current


# --- urgent use (EU AI Act, Article 5(3)) ----------------------------------------------------
@transaction.atomic
def deployment_declare_urgent(
    *, deployment: Deployment, by: User, reason: str, hours: int
) -> Deployment:
    """Let an authorised deployment run before the panel's sign-off, for a capped window.

    Article 5(3) of the EU AI Act allows real-time remote biometric identification before
    authorisation "in a duly justified situation of urgency", if authorisation is requested
    at the latest within 24 hours. The notice is published at once saying it is urgent and
    why; the chair's decision is due `OVERSIGHT_URGENT_DECISION_HOURS` from now.
    """
    deployment = _lock(deployment)
    check_declare_urgent(deployment, by)
    _require_text(reason, "reason", "Say why this is urgent; it is published on the notice.")
    cap = settings.OVERSIGHT_URGENT_MAX_HOURS
    if not isinstance(hours, int) or not 1 <= hours <= cap:
        raise PreconditionsFailed(
            {"hours": [f"Urgent use may last from 1 to {cap} hours; give a number in that range."]}
        )
    current = _pin_for_running(deployment, by)
    now = timezone.now()
    deployment.urgent_declared_at = now
    deployment.urgent_declared_by = by
    deployment.urgent_reason = reason.strip()
    deployment.urgent_ends_at = now + timedelta(hours=hours)
    deployment.urgent_decision_due_at = now + timedelta(
        hours=settings.OVERSIGHT_URGENT_DECISION_HOURS
    )
    deployment.notice_published_at = now
    deployment.save()
    deployment.pinned_documents.set(list(current.values()))
    audit_record(
        actor=by,
        action="deployment.urgent_use_declared",
        obj=deployment,
        details={
            "reason": deployment.urgent_reason,
            "hours": hours,
            "urgent_ends_at": deployment.urgent_ends_at.isoformat(),
            "decision_due_at": deployment.urgent_decision_due_at.isoformat(),
            "watchlist_fingerprint": deployment.watchlist_fingerprint,
            "cameras_fingerprint": deployment.cameras_fingerprint,
        },
    )
    _changed(deployment, "urgent_declared")
    return deployment


def _urgent_close(deployment: Deployment, *, outcome: UrgentOutcome, actor: Any) -> None:
    """End an urgent use the panel refused or did not decide on in time, on the locked row:
    the apps built on the register delete what it produced, and the counts are kept and
    published. The caller saves the row."""
    now = timezone.now()
    counts: dict[str, int] = {}
    for discard in hooks.urgent_discards:
        for name, value in discard(deployment).items():
            counts[name] = counts.get(name, 0) + value
    deployment.urgent_outcome = outcome
    deployment.urgent_closed_at = now
    deployment.urgent_data_deleted_at = now
    deployment.urgent_data_deleted = counts
    audit_record(
        actor=actor,
        action=f"deployment.urgent_use_{outcome}",
        obj=deployment,
        details={"deleted": counts},
    )


@transaction.atomic
def urgent_use_lapse(*, deployment: Deployment, at: datetime | None = None) -> bool:
    """Close an urgent use whose decision is overdue: the request is rejected by the register
    (no authorisation within the time, Article 5(3)) and the data are deleted. Returns False
    when there is nothing to do, so running it twice is harmless."""
    at = at or timezone.now()
    deployment = _lock(deployment)
    if not deployment.is_urgent_overdue(at):
        return False
    _urgent_close(deployment, outcome=UrgentOutcome.LAPSED, actor="system")
    deployment.state = State.REJECTED
    deployment.state_before_suspension = ""
    deployment.closed_reason = (
        f"The panel's decision on the urgent use was due within "
        f"{settings.OVERSIGHT_URGENT_DECISION_HOURS} hours and none was recorded."
    )
    deployment.save()
    _changed(deployment, "urgent_lapsed")
    return True


def urgent_use_lapse_overdue(*, at: datetime | None = None) -> list[str]:
    """Lapse every urgent use whose decision is overdue; each in its own transaction."""
    at = at or timezone.now()
    candidates = Deployment.objects.filter(
        urgent_declared_at__isnull=False, urgent_outcome="", urgent_decision_due_at__lte=at
    ).values_list("pk", flat=True)
    done = []
    for pk in candidates:
        deployment = Deployment.objects.get(pk=pk)
        if urgent_use_lapse(deployment=deployment, at=at):
            done.append(deployment.reference)
    return done


# --- the engagement record -------------------------------------------------------------------
ENGAGEMENT_FIELDS = ("held_on", "kind", "group_name", "raised", "changed")


@transaction.atomic
def engagement_add(*, deployment: Deployment, by: User, data: dict[str, Any]) -> EngagementMeeting:
    """Record a meeting held with Londoners before the deployment."""
    deployment = _lock(deployment)
    check_engagement(deployment, by)
    unknown = set(data) - set(ENGAGEMENT_FIELDS)
    if unknown:
        raise ValueError(f"not engagement fields: {', '.join(sorted(unknown))}")
    held_on = data.get("held_on")
    if isinstance(held_on, date) and held_on > timezone.localdate():
        raise PreconditionsFailed(
            {"held_on": ["The meeting must already have taken place: record it afterwards."]}
        )
    if (
        isinstance(held_on, date)
        and deployment.starts_at is not None
        and held_on > timezone.localdate(deployment.starts_at)
    ):
        raise PreconditionsFailed(
            {
                "held_on": [
                    "The record is of engagement before the deployment: this date is after "
                    "its start."
                ]
            }
        )
    meeting = EngagementMeeting(deployment=deployment, recorded_by=by, **data)
    meeting.full_clean()
    meeting.save()
    audit_record(
        actor=by,
        action="engagement.recorded",
        obj=deployment,
        details={"meeting": meeting.pk, "kind": meeting.kind, "held_on": str(meeting.held_on)},
    )
    _changed(deployment, "engagement_recorded")
    return meeting


@transaction.atomic
def engagement_remove(*, deployment: Deployment, meeting_id: int, by: User) -> None:
    deployment = _lock(deployment)
    check_engagement(deployment, by)
    meeting = EngagementMeeting.objects.filter(deployment=deployment, pk=meeting_id).first()
    if meeting is None:
        raise TransitionNotAllowed("That meeting is not in this deployment's engagement record.")
    details = {"meeting": meeting.pk, "kind": meeting.kind, "held_on": str(meeting.held_on)}
    meeting.delete()
    audit_record(actor=by, action="engagement.removed", obj=deployment, details=details)
    _changed(deployment, "engagement_removed")


@transaction.atomic
def deployment_suspend(*, deployment: Deployment, by: User, reason: str) -> Deployment:
    """An emergency stop. The gate refuses every batch of frames from now on."""
    deployment = _lock(deployment)
    check_suspend(deployment, by)
    _require_text(reason, "reason", "Give the reason for the suspension; it is published.")
    Suspension.objects.create(deployment=deployment, suspended_by=by, reason=reason.strip())
    deployment.state_before_suspension = deployment.state
    deployment.state = State.SUSPENDED
    deployment.suspended_at = timezone.now()
    deployment.suspension_reason = reason.strip()
    deployment.save()
    audit_record(
        actor=by, action="deployment.suspended", obj=deployment, details={"reason": reason}
    )
    _changed(deployment, "suspended")
    return deployment


@transaction.atomic
def deployment_lift_suspension(*, deployment: Deployment, by: User, reason: str) -> Deployment:
    deployment = _lock(deployment)
    check_lift_suspension(deployment, by)
    _require_text(reason, "reason", "Say why the suspension can be lifted.")
    suspension = deployment.suspensions.filter(lifted_at__isnull=True).last()
    if suspension is not None:
        suspension.lifted_by, suspension.lifted_at = by, timezone.now()
        suspension.lift_reason = reason.strip()
        suspension.save()
    deployment.state = deployment.state_before_suspension or State.APPROVED
    deployment.state_before_suspension = ""
    deployment.save()
    audit_record(
        actor=by, action="deployment.suspension_lifted", obj=deployment, details={"reason": reason}
    )
    _changed(deployment, "suspension_lifted")
    return deployment


@transaction.atomic
def operator_assign(*, deployment: Deployment, operator: User, by: User) -> None:
    deployment = _lock(deployment)
    check_assign_operator(deployment, by)
    if not has_role(operator, Role.OPERATOR):
        raise PreconditionsFailed({"operator": [f"{operator} is not an operator."]})
    assign_perm("deployments.operate_deployment", operator, deployment)
    assign_perm("deployments.view_deployment", operator, deployment)
    audit_record(
        actor=by,
        action="operator.assigned",
        obj=deployment,
        details={"operator": operator.get_username()},
    )


@transaction.atomic
def deployment_complete(*, deployment: Deployment, at: datetime | None = None) -> bool:
    """Close a deployment whose window has passed. Returns False when there is nothing to do."""
    at = at or timezone.now()
    deployment = _lock(deployment)
    if deployment.state not in (State.APPROVED, State.SUSPENDED) or deployment.ends_at is None:
        return False
    if deployment.ends_at > at:
        return False
    deployment.state = State.COMPLETED
    deployment.completed_at = at
    deployment.save()
    Outcome.objects.get_or_create(deployment=deployment)
    audit_record(actor="system", action="deployment.completed", obj=deployment)
    _changed(deployment, "completed")
    return True


def deployments_complete_ended(*, at: datetime | None = None) -> list[str]:
    """Complete every deployment whose end has passed; each in its own transaction."""
    at = at or timezone.now()
    candidates = Deployment.objects.filter(
        state__in=(State.APPROVED, State.SUSPENDED), ends_at__lte=at
    ).values_list("pk", flat=True)
    done = []
    for pk in candidates:
        deployment = Deployment.objects.get(pk=pk)
        if deployment_complete(deployment=deployment, at=at):
            done.append(deployment.reference)
    return done


OUTCOME_FIELDS = (*Outcome.ENGINE_FIELDS, "complaints", "summary")


@transaction.atomic
def outcome_record(*, deployment: Deployment, by: User, data: dict[str, Any]) -> Outcome:
    deployment = _lock(deployment)
    check_record_outcome(deployment, by)
    outcome, _ = Outcome.objects.select_for_update().get_or_create(deployment=deployment)
    unknown = set(data) - set(OUTCOME_FIELDS)
    if unknown:
        raise ValueError(f"not outcome fields: {', '.join(sorted(unknown))}")
    if outcome.is_counted_by_engine:
        # The published record must be the engine's own count, not a number typed afterwards.
        retyped = [f for f in Outcome.ENGINE_FIELDS if f in data and data[f] != getattr(outcome, f)]
        if retyped:
            raise PreconditionsFailed(
                {
                    f: ["The engine counted this from its runs and the operators' adjudications."]
                    for f in retyped
                }
            )
    for field, value in data.items():
        setattr(outcome, field, value)
    outcome.updated_by = by
    outcome.full_clean()
    outcome.save()
    audit_record(actor=by, action="outcome.recorded", obj=deployment, details=outcome.as_counts())
    _changed(deployment, "outcome_recorded")
    return outcome


@transaction.atomic
def outcome_fill_from_engine(
    *,
    deployment: Deployment,
    counts: dict[str, int],
    details: dict[str, Any] | None = None,
    faces_hourly: list[tuple[datetime, int]] | None = None,
) -> Outcome | None:
    """Fill a completed deployment's outcome with the engine's own counts.

    Only while the deployment is completed: before that there is no outcome yet, and once the
    results are published the public record stands. Complaints and the summary are the
    planner's and are left alone. From then on nobody may type over the engine's counts.
    `faces_hourly` (faces seen per clock hour) is kept only if it adds up to faces_seen, so the
    public chart never disagrees with the total beside it.
    """
    deployment = _lock(deployment)
    if deployment.state != State.COMPLETED:
        return None
    unknown = set(counts) - set(Outcome.ENGINE_FIELDS)
    if unknown:
        raise ValueError(f"not engine counts: {', '.join(sorted(unknown))}")
    ordered = sorted(faces_hourly or [])
    hourly: list[list[str | int]] = [[hour.isoformat(), n] for hour, n in ordered]
    if sum(n for _, n in ordered) != counts.get("faces_seen", -1):
        hourly = []
    outcome, _ = Outcome.objects.select_for_update().get_or_create(deployment=deployment)
    if (
        outcome.is_counted_by_engine
        and all(getattr(outcome, name) == value for name, value in counts.items())
        and outcome.faces_hourly == hourly
    ):
        return outcome
    for name, value in counts.items():
        setattr(outcome, name, value)
    outcome.faces_hourly = hourly
    outcome.engine_counted_at = timezone.now()
    outcome.save()
    audit_record(
        actor="engine",
        action="outcome.filled_from_engine",
        obj=deployment,
        details={**counts, **(details or {})},
    )
    _changed(deployment, "outcome_filled")
    return outcome


@transaction.atomic
def deployment_publish_report(*, deployment: Deployment, by: User) -> Deployment:
    deployment = _lock(deployment)
    check_publish_report(deployment, by)
    if not Outcome.objects.filter(deployment=deployment).exists():
        raise TransitionNotAllowed("Record the outcome before publishing the results report.")
    deployment.state = State.REPORT_PUBLISHED
    deployment.report_published_at = timezone.now()
    deployment.save()
    audit_record(actor=by, action="deployment.report_published", obj=deployment)
    _changed(deployment, "report_published")
    return deployment


# --- what the public record may say of the people who decide ----------------------------------
PROFILE_FIELDS = ("rank", "listed_publicly", "declared_interests")


@transaction.atomic
def staff_profile_update(*, person: User, data: dict[str, Any]) -> StaffProfile:
    """A member of staff's own rank, and for panel members their public listing and declared
    interests. Only the person changes their own; each change is audited."""
    if not (has_role(person, Role.PANEL_MEMBER) or has_role(person, Role.PANEL_CHAIR)):
        data = {**data, "listed_publicly": False, "declared_interests": ""}
    if data.get("listed_publicly") and not str(data.get("declared_interests", "")).strip():
        raise PreconditionsFailed(
            {
                "declared_interests": [
                    'To be listed, declare your interests, or write "None" if you have none.'
                ]
            }
        )
    profile, _ = StaffProfile.objects.select_for_update().get_or_create(user=person)
    before = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    for name in PROFILE_FIELDS:
        value = data.get(name, before[name])
        setattr(profile, name, value.strip() if isinstance(value, str) else value)
    profile.save()
    after = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    if after != before:
        # The ethics panel's page, and the notices that name this person as their
        # authorising officer, change with this transaction.
        authorised = Authorisation.objects.filter(officer=person).values_list(
            "deployment__reference", flat=True
        )
        public_changes.announce(
            public_changes.PEOPLE, *(public_changes.notice_scope(r) for r in set(authorised))
        )
        audit_record(
            actor=person,
            action="staff_profile.changed",
            obj=profile,
            details={"changed": sorted(k for k in PROFILE_FIELDS if after[k] != before[k])},
        )
    return profile

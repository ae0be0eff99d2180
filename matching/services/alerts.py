"""Alerts: the operator's adjudication of each match."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import PreconditionsFailed, TransitionNotAllowed
from deployments.models import State
from matching.models import Alert

from ._common import (
    User,
    check_operate,
)
from .outcome import outcome_fill_from_runs

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

"""The policy guard on the engine's threshold.

A threshold looser than the latest engine evaluation's parity threshold (the loosest at which
the groups' false match rates were within ``OVERSIGHT_PARITY_RATIO_LIMIT`` of each other, the
way NIST reports demographic effects) needs a recorded justification before a panel member may
approve the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from deployments.models import Deployment
from legal.models import EngineEvaluation


@dataclass(frozen=True)
class ThresholdGuard:
    """The latest engine evaluation, as it bears on this deployment's threshold."""

    evaluation: EngineEvaluation | None
    threshold: Decimal | None
    parity_threshold: Decimal | None
    # The evaluation's figures at exactly this threshold, when it was evaluated.
    row: dict[str, Any] | None
    is_flagged: bool
    message: str


def latest_evaluation() -> EngineEvaluation | None:
    return EngineEvaluation.objects.order_by("-created_at", "-pk").first()


def threshold_guard(deployment: Deployment) -> ThresholdGuard:
    evaluation = latest_evaluation()
    threshold = deployment.match_threshold
    if evaluation is None:
        return ThresholdGuard(
            None,
            threshold,
            None,
            None,
            False,
            "The engine has not been evaluated by demographic group: no evaluation report "
            "exists. Ask for one (manage.py evaluate_engine) before relying on the threshold.",
        )
    parity = evaluation.parity_threshold
    row = None
    if threshold is not None:
        for candidate in (evaluation.results or {}).get("by_threshold", []):
            if Decimal(str(candidate.get("threshold"))).quantize(Decimal("0.001")) == Decimal(
                threshold
            ).quantize(Decimal("0.001")):
                row = candidate
    if threshold is None:
        return ThresholdGuard(evaluation, None, parity, None, False, "No threshold is set yet.")
    if parity is None:
        return ThresholdGuard(
            evaluation,
            threshold,
            None,
            row,
            True,
            "The latest engine evaluation showed no threshold at which the groups' false match "
            "rates were within the parity limit. Approving at any threshold needs a recorded "
            "justification.",
        )
    if Decimal(threshold) > Decimal(parity):
        return ThresholdGuard(
            evaluation,
            threshold,
            parity,
            row,
            True,
            f"The threshold {threshold} is looser than {parity}, the loosest threshold at which "
            "the latest engine evaluation showed parity between groups. Approving needs a "
            "recorded justification.",
        )
    return ThresholdGuard(
        evaluation,
        threshold,
        parity,
        row,
        False,
        f"The threshold {threshold} is no looser than {parity}, where the latest engine "
        "evaluation showed parity between groups.",
    )


def approval_requirement(deployment: Deployment) -> dict[str, str]:
    """An approval of a flagged threshold must record why it is justified."""
    guard = threshold_guard(deployment)
    if not guard.is_flagged:
        return {}
    return {
        "threshold_justification": guard.message
        + " Record why approving at this threshold is justified, or request changes."
    }

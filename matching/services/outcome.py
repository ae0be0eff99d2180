"""The outcome: the engine's counts, given to the register through its service."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from deployments import services as deployment_services
from deployments.models import Deployment, Outcome
from matching.models import Alert, HourlyCount, Run


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
    hourly = (
        HourlyCount.objects.filter(run__deployment=deployment)
        .values("hour")
        .annotate(n=Sum("faces_seen"))
        .order_by("hour")
        .values_list("hour", "n")
    )
    return deployment_services.outcome_fill_from_engine(
        deployment=deployment,
        counts=_engine_counts(deployment),
        details={"alerts_not_adjudicated": pending},
        faces_hourly=list(hourly),
    )

"""Reads of the register filtered by who is asking, built so query counts do not grow with rows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from audit.models import AuditEvent
from core.roles import Role, roles_of
from core.types import User

from .models import (
    PUBLIC_STATES,
    Deployment,
    DeploymentUserObjectPermission,
    Review,
    ReviewAssignment,
    State,
)
from .policy import need_to_know


def _holds(user: User, codename: str) -> Exists:
    return Exists(
        DeploymentUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user=user, permission__codename=codename
        )
    )


def deployments_visible_to(user: User) -> QuerySet[Deployment]:
    """What a member of staff may open: the deployments they need to know (policy.need_to_know)
    and those the public record shows. Anything else is a 404 to them, as to the public."""
    base = Deployment.objects.select_related("site__area", "use_case", "created_by")
    if not roles_of(user):
        return base.none()
    public = Q(notice_published_at__isnull=False, state__in=PUBLIC_STATES)
    return base.filter(need_to_know(user) | public)


def deployments_known_to(user: User) -> QuerySet[Deployment]:
    """The deployments whose restricted fields this person may see (policy.need_to_know)."""
    base = Deployment.objects.select_related("site__area", "use_case", "created_by")
    if not roles_of(user):
        return base.none()
    return base.filter(need_to_know(user))


def dashboard_for(user: User) -> dict[str, Any]:
    """What waits for this person, by role."""
    roles = roles_of(user)
    visible = deployments_visible_to(user)
    now = timezone.now()
    sections: dict[str, Any] = {}
    if Role.PLANNER in roles:
        mine = visible.filter(created_by=user)
        sections["my_drafts"] = mine.filter(state__in=(State.DRAFT, State.RETURNED))
        sections["my_in_progress"] = mine.filter(state__in=(State.SUBMITTED, State.AUTHORISED))
        sections["my_outcomes_due"] = mine.filter(state=State.COMPLETED)
    if Role.AUTHORISING_OFFICER in roles:
        sections["to_authorise"] = visible.filter(state=State.SUBMITTED).exclude(created_by=user)
    if Role.PANEL_MEMBER in roles:
        reviewed = Review.objects.filter(
            deployment=OuterRef("pk"), reviewer=user, revision=OuterRef("revision")
        )
        sections["to_review"] = (
            visible.filter(_holds(user, "review_deployment"), state=State.AUTHORISED)
            .annotate(_done=Exists(reviewed))
            .filter(_done=False)
        )
    if Role.PANEL_CHAIR in roles:
        authorised = visible.filter(state=State.AUTHORISED)
        sections["to_sign_off"] = authorised
        sections["needs_reviewers"] = authorised.exclude(
            Exists(
                ReviewAssignment.objects.filter(
                    deployment=OuterRef("pk"), conflict_declared_at__isnull=True
                )
            )
        )
    if roles & {Role.PANEL_CHAIR, Role.MODERATOR}:
        sections["reports_to_publish"] = visible.filter(state=State.COMPLETED)
    if roles & {Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.AUTHORISING_OFFICER, Role.PLANNER}:
        # Urgent use running before the panel's decision: the decision is due by a deadline.
        sections["urgent_pending"] = visible.filter(
            urgent_declared_at__isnull=False, urgent_outcome=""
        ).order_by("urgent_decision_due_at")
    if Role.OPERATOR in roles:
        # Approved, or in urgent use before the panel's decision (the gate decides when).
        sections["to_operate"] = visible.filter(
            Q(state=State.APPROVED)
            | Q(state=State.AUTHORISED, urgent_declared_at__isnull=False, urgent_outcome=""),
            _holds(user, "operate_deployment"),
            ends_at__gt=now,
        ).order_by("starts_at")
    sections["live_now"] = visible.filter(state=State.APPROVED, starts_at__lte=now, ends_at__gt=now)
    sections["quorum"] = settings.OVERSIGHT_PANEL_QUORUM
    return sections


def deployment_timeline(deployment: Deployment) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_object(deployment).select_related(None).order_by("id")


def deployment_reviews(deployment: Deployment) -> QuerySet[Review]:
    return deployment.reviews.select_related("reviewer").order_by("revision", "signed_at")


def visible_deployment_or_404(user: User, reference: str) -> Deployment:
    # Not visible and not existing look the same: a 404 does not confirm a draft exists.
    return get_object_or_404(deployments_visible_to(user), reference=reference)


def known_deployment_or_404(user: User, reference: str) -> Deployment:
    """For pages that show only restricted things (the watchlist, the console): a 404 to anyone
    who does not need to know, whether or not the deployment is public."""
    return get_object_or_404(deployments_known_to(user), reference=reference)

"""Fairness's part in the register (see `deployments.hooks`): the exposure flag at submission,
the threshold guard at review, and the panels the planner and the panel read them from."""

from __future__ import annotations

from core.types import User
from deployments import hooks
from deployments.hooks import Panel
from deployments.models import Deployment

from . import exposure, guard, views

hooks.submission_checks.register(exposure.exposure_flag_check)
hooks.approval_requirements.register(guard.approval_requirement)


@hooks.panels["deployment_form"].register
def form_exposure(deployment: Deployment | None, user: User) -> Panel | None:
    """The request form's sidebar: the exposure before and after, the flag, fairer sites."""
    if deployment is None:
        return None
    return Panel(
        "fairness/includes/form_exposure.html",
        {"exposure": exposure.exposure_analysis(deployment)},
    )


@hooks.panels["deployment_detail"].register
def detail_exposure(deployment: Deployment | None, user: User) -> Panel | None:
    """The deployment page the panel reviews from: exposure by group and its chart."""
    if deployment is None:
        return None
    return Panel("fairness/includes/deployment_exposure.html", views.detail_context(deployment))


@hooks.panels["deployment_detail"].register
@hooks.panels["review_form"].register
def threshold_guard(deployment: Deployment | None, user: User) -> Panel | None:
    """The latest engine evaluation as it bears on the threshold, beside the review form."""
    if deployment is None:
        return None
    return Panel(
        "evaluation/includes/threshold_guard.html",
        {"threshold_guard": guard.threshold_guard(deployment)},
    )

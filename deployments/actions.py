"""The actions on a deployment, one row each: who may (the service's check), the form, the
service it runs, its title and what the page says once it is done.

The deployment page offers exactly the actions whose check accepts this person now, and the
action page runs the same check before showing the form, so a button is shown exactly when
the service would accept it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms

from core.errors import NotPermitted, TransitionNotAllowed
from core.types import User

from . import services
from .forms import (
    AssignOperatorForm,
    AssignReviewerForm,
    ConflictForm,
    EmptyForm,
    OutcomeForm,
    ReasonForm,
    ReasonsForm,
    ReviewForm,
    SignOffForm,
    StatementForm,
    UrgentUseForm,
)
from .models import Deployment, Outcome


def _no_form_arguments(deployment: Deployment) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    check: Callable[[Deployment, User], None]
    form_class: type[forms.BaseForm] | None
    # Runs the service with the form's cleaned data; None for an action with a page of its own.
    run: Callable[[Deployment, User, dict[str, Any]], Any] | None
    done: str
    form_arguments: Callable[[Deployment], dict[str, Any]] = field(default=_no_form_arguments)


def _outcome_form(deployment: Deployment) -> dict[str, Any]:
    return {"instance": Outcome.objects.filter(deployment=deployment).first()}


def _review_form(deployment: Deployment) -> dict[str, Any]:
    return {"deployment": deployment}


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        # Editing has its own page (the request form), so no form or service here.
        Action("edit", "Edit the request", services.check_edit, None, None, ""),
        Action(
            "submit",
            "Submit for authorisation",
            services.check_submit,
            EmptyForm,
            lambda d, u, c: services.deployment_submit(deployment=d, by=u),
            "Submitted for authorisation.",
        ),
        Action(
            "withdraw",
            "Withdraw the request",
            services.check_withdraw,
            ReasonForm,
            lambda d, u, c: services.deployment_withdraw(deployment=d, by=u, reason=c["reason"]),
            "Withdrawn.",
        ),
        Action(
            "authorise",
            "Authorise",
            services.check_authorise,
            StatementForm,
            lambda d, u, c: services.deployment_authorise(
                deployment=d, by=u, statement=c["statement"]
            ),
            "Authorised and passed to the ethics panel.",
        ),
        Action(
            "declare_urgent",
            "Allow urgent use before sign-off",
            services.check_declare_urgent,
            UrgentUseForm,
            lambda d, u, c: services.deployment_declare_urgent(
                deployment=d, by=u, reason=c["reason"], hours=c["hours"]
            ),
            "Urgent use allowed: the notice is public and the chair's decision is due.",
        ),
        Action(
            "return",
            "Return for changes",
            services.check_return,
            ReasonsForm,
            lambda d, u, c: services.deployment_return(deployment=d, by=u, reasons=c["reasons"]),
            "Returned to the planner for changes.",
        ),
        Action(
            "reject",
            "Reject",
            services.check_reject,
            ReasonsForm,
            lambda d, u, c: services.deployment_reject(deployment=d, by=u, reasons=c["reasons"]),
            "Rejected.",
        ),
        Action(
            "assign_reviewer",
            "Assign a panel reviewer",
            services.check_assign_reviewer,
            AssignReviewerForm,
            lambda d, u, c: services.review_assign(deployment=d, reviewer=c["reviewer"], by=u),
            "Reviewer assigned.",
        ),
        Action(
            "declare_conflict",
            "Declare a conflict of interest",
            services.check_declare_conflict,
            ConflictForm,
            lambda d, u, c: services.review_declare_conflict(
                deployment=d, reviewer=u, details=c["details"]
            ),
            "Conflict declared: you are no longer a reviewer of this deployment.",
        ),
        Action(
            "review",
            "Record your review",
            services.check_review,
            ReviewForm,
            lambda d, u, c: services.review_record(deployment=d, reviewer=u, **c),
            "Review recorded.",
            _review_form,
        ),
        Action(
            "sign_off",
            "Sign off for the panel",
            services.check_sign_off,
            SignOffForm,
            lambda d, u, c: services.deployment_sign_off(deployment=d, by=u, **c),
            "Signed off: the deployment is approved and its notice is public.",
        ),
        Action(
            "suspend",
            "Suspend",
            services.check_suspend,
            ReasonForm,
            lambda d, u, c: services.deployment_suspend(deployment=d, by=u, reason=c["reason"]),
            "Suspended: the engine refuses every batch from now on.",
        ),
        Action(
            "lift_suspension",
            "Lift the suspension",
            services.check_lift_suspension,
            ReasonForm,
            lambda d, u, c: services.deployment_lift_suspension(
                deployment=d, by=u, reason=c["reason"]
            ),
            "Suspension lifted.",
        ),
        Action(
            "assign_operator",
            "Assign an operator",
            services.check_assign_operator,
            AssignOperatorForm,
            lambda d, u, c: services.operator_assign(deployment=d, operator=c["operator"], by=u),
            "Operator assigned.",
        ),
        Action(
            "record_outcome",
            "Record the outcome",
            services.check_record_outcome,
            OutcomeForm,
            lambda d, u, c: services.outcome_record(deployment=d, by=u, data=c),
            "Outcome recorded.",
            _outcome_form,
        ),
        Action(
            "publish_report",
            "Publish the results report",
            services.check_publish_report,
            EmptyForm,
            lambda d, u, c: services.deployment_publish_report(deployment=d, by=u),
            "Results report published.",
        ),
    )
}


def available_actions(deployment: Deployment, user: User) -> set[str]:
    """The actions this person may take on this deployment now."""
    allowed = set()
    for name, action in ACTIONS.items():
        try:
            action.check(deployment, user)
        except (NotPermitted, TransitionNotAllowed):
            continue
        allowed.add(name)
    return allowed

"""Staff pages of the deployment register. Thin: parse, check, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.errors import DomainError, NotPermitted, PreconditionsFailed
from core.roles import ROLE_DUTIES, Role, has_role, roles_of

from . import services
from .hooks import panels_for
from .forms import (
    AssignOperatorForm,
    AssignReviewerForm,
    ConflictForm,
    DeploymentForm,
    EmptyForm,
    OutcomeForm,
    ReasonForm,
    ReasonsForm,
    ReviewForm,
    SignOffForm,
    StatementForm,
    attach_problems,
)
from .models import Deployment, Outcome, State
from .policy import submission_problems
from .selectors import (
    dashboard_for,
    deployment_reviews,
    deployment_timeline,
    deployments_visible_to,
    visible_deployment_or_404,
)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    context = {
        "sections": dashboard_for(request.user),
        "duties": [(r.label, ROLE_DUTIES[r]) for r in Role if r in roles],
        "panels": panels_for("dashboard", deployment=None, user=request.user),
    }
    return render(request, "staff/dashboard.html", context)


@login_required
def deployment_list(request: HttpRequest) -> HttpResponse:
    deployments = deployments_visible_to(request.user)
    state = request.GET.get("state")
    if state:
        deployments = deployments.filter(state=state)
    return render(
        request,
        "staff/deployment_list.html",
        {"deployments": deployments, "state": state, "states": State.choices},
    )


def _render_form(
    request: HttpRequest, form: DeploymentForm, deployment: Deployment | None
) -> HttpResponse:
    checklist = []
    if deployment is not None:
        checklist = submission_problems(deployment, at=timezone.now())
    return render(
        request,
        "staff/deployment_form.html",
        {
            "form": form,
            "deployment": deployment,
            "checklist": checklist,
            "panels": panels_for("deployment_form", deployment=deployment, user=request.user),
        },
    )


@login_required
def deployment_create(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.PLANNER):
        raise NotPermitted("Only planners can file deployment requests.")
    form = DeploymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        deployment = services.deployment_create(by=request.user, data=form.changes())
        messages.success(request, f"Draft {deployment} saved. Complete the checklist to submit it.")
        return _after_save(request, deployment, form)
    return _render_form(request, form, None)


@login_required
def deployment_edit(request: HttpRequest, reference: str) -> HttpResponse:
    deployment = visible_deployment_or_404(request.user, reference)
    services.check_edit(deployment, request.user)
    form = DeploymentForm(request.POST or None, instance=deployment)
    if request.method == "POST" and form.is_valid():
        deployment = services.deployment_update(
            deployment=deployment, by=request.user, data=form.changes()
        )
        return _after_save(request, deployment, form)
    return _render_form(request, form, deployment)


def _after_save(request: HttpRequest, deployment: Deployment, form: DeploymentForm) -> HttpResponse:
    if "submit" not in request.POST:
        messages.success(request, f"Draft {deployment} saved.")
        return redirect("staff:deployment_edit", deployment.reference)
    try:
        services.deployment_submit(deployment=deployment, by=request.user)
    except PreconditionsFailed as error:
        attach_problems(form, error)
        messages.error(
            request, "Your changes are saved as a draft, but the request cannot be submitted yet."
        )
        return _render_form(request, form, deployment)
    messages.success(request, f"{deployment} submitted for authorisation.")
    return redirect(deployment)


@login_required
def deployment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    deployment = visible_deployment_or_404(request.user, reference)
    actions = services.available_actions(deployment, request.user)
    reviews = list(deployment_reviews(deployment))
    context = {
        "deployment": deployment,
        "actions": actions,
        "action_links": [(name, title) for name, title in ACTION_TITLES.items() if name in actions],
        "quorum": settings.OVERSIGHT_PANEL_QUORUM,
        "timeline": deployment_timeline(deployment),
        "reviews": reviews,
        "assignments": deployment.assignments.select_related("reviewer"),
        "authorisations": deployment.authorisations.select_related("officer"),
        "suspensions": deployment.suspensions.select_related("suspended_by", "lifted_by"),
        "approvals": services.approvals_on_current_revision(deployment),
        "checklist": submission_problems(deployment, at=timezone.now())
        if deployment.is_editable
        else [],
        "outcome": Outcome.objects.filter(deployment=deployment).first(),
        "pinned": deployment.pinned_documents.select_related("document"),
        "can_see_private": request.user.pk in {r.reviewer_id for r in reviews}
        or has_role(request.user, Role.PANEL_CHAIR),
        "panels": panels_for("deployment_detail", deployment=deployment, user=request.user),
    }
    return render(request, "staff/deployment_detail.html", context)


@dataclass(frozen=True)
class Action:
    form_class: type[forms.BaseForm]
    run: Callable[[Deployment, Any, dict[str, Any]], Any]
    done: str


ACTIONS: dict[str, Action] = {
    "submit": Action(
        EmptyForm,
        lambda d, u, c: services.deployment_submit(deployment=d, by=u),
        "Submitted for authorisation.",
    ),
    "withdraw": Action(
        ReasonForm,
        lambda d, u, c: services.deployment_withdraw(deployment=d, by=u, reason=c["reason"]),
        "Withdrawn.",
    ),
    "authorise": Action(
        StatementForm,
        lambda d, u, c: services.deployment_authorise(deployment=d, by=u, statement=c["statement"]),
        "Authorised and passed to the ethics panel.",
    ),
    "return": Action(
        ReasonsForm,
        lambda d, u, c: services.deployment_return(deployment=d, by=u, reasons=c["reasons"]),
        "Returned to the planner for changes.",
    ),
    "reject": Action(
        ReasonsForm,
        lambda d, u, c: services.deployment_reject(deployment=d, by=u, reasons=c["reasons"]),
        "Rejected.",
    ),
    "assign_reviewer": Action(
        AssignReviewerForm,
        lambda d, u, c: services.review_assign(deployment=d, reviewer=c["reviewer"], by=u),
        "Reviewer assigned.",
    ),
    "declare_conflict": Action(
        ConflictForm,
        lambda d, u, c: services.review_declare_conflict(
            deployment=d, reviewer=u, details=c["details"]
        ),
        "Conflict declared: you are no longer a reviewer of this deployment.",
    ),
    "review": Action(
        ReviewForm,
        lambda d, u, c: services.review_record(deployment=d, reviewer=u, **c),
        "Review recorded.",
    ),
    "sign_off": Action(
        SignOffForm,
        lambda d, u, c: services.deployment_sign_off(deployment=d, by=u, **c),
        "Signed off: the deployment is approved and its notice is public.",
    ),
    "suspend": Action(
        ReasonForm,
        lambda d, u, c: services.deployment_suspend(deployment=d, by=u, reason=c["reason"]),
        "Suspended: the engine refuses every batch from now on.",
    ),
    "lift_suspension": Action(
        ReasonForm,
        lambda d, u, c: services.deployment_lift_suspension(deployment=d, by=u, reason=c["reason"]),
        "Suspension lifted.",
    ),
    "assign_operator": Action(
        AssignOperatorForm,
        lambda d, u, c: services.operator_assign(deployment=d, operator=c["operator"], by=u),
        "Operator assigned.",
    ),
    "record_outcome": Action(
        OutcomeForm,
        lambda d, u, c: services.outcome_record(deployment=d, by=u, data=c),
        "Outcome recorded.",
    ),
    "publish_report": Action(
        EmptyForm,
        lambda d, u, c: services.deployment_publish_report(deployment=d, by=u),
        "Results report published.",
    ),
}


@login_required
def deployment_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """One action on a deployment: GET shows its form, POST runs its service."""
    deployment = visible_deployment_or_404(request.user, reference)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(f"There is no action called {action!r}.")
    # Refusals raise NotPermitted (403) or TransitionNotAllowed (409), each with its message.
    services.ACTION_CHECKS[action](deployment, request.user)
    kwargs: dict[str, Any] = {"prefix": action}
    if action == "record_outcome":
        kwargs["instance"] = Outcome.objects.filter(deployment=deployment).first()
    elif action == "review":
        kwargs["deployment"] = deployment
    if request.method != "POST":
        form = spec.form_class(**kwargs)
        return render(
            request, "staff/deployment_action.html", _action_context(deployment, form, action, request.user)
        )
    form = spec.form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            spec.run(deployment, request.user, dict(form.cleaned_data))
        except PreconditionsFailed as error:
            attach_problems(form, error)
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, spec.done)
            return redirect(deployment)
    return render(
        request,
        "staff/deployment_action.html",
        _action_context(deployment, form, action, request.user),
        status=400,
    )


def _action_context(
    deployment: Deployment, form: forms.BaseForm, action: str, user: Any
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "deployment": deployment,
        "form": form,
        "action": action,
        "title": ACTION_TITLES[action],
    }
    if action == "review":
        # The reviewer sees what bears on the decision (the threshold guard) beside the form.
        context["panels"] = panels_for("review_form", deployment=deployment, user=user)
    return context


ACTION_TITLES = {
    "submit": "Submit for authorisation",
    "withdraw": "Withdraw the request",
    "authorise": "Authorise",
    "return": "Return for changes",
    "reject": "Reject",
    "assign_reviewer": "Assign a panel reviewer",
    "declare_conflict": "Declare a conflict of interest",
    "review": "Record your review",
    "sign_off": "Sign off for the panel",
    "suspend": "Suspend",
    "lift_suspension": "Lift the suspension",
    "assign_operator": "Assign an operator",
    "record_outcome": "Record the outcome",
    "publish_report": "Publish the results report",
}

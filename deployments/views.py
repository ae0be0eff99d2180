"""Staff pages of the deployment register. Thin: parse, check, call one service, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import outbox
from core.errors import DomainError, NotPermitted, PreconditionsFailed
from core.forms import attach_problems
from core.roles import ROLE_DUTIES, Role, has_role, roles_of
from core.types import StaffRequest

from . import services
from .actions import ACTIONS, Action, available_actions
from .forms import (
    DeploymentForm,
    EngagementForm,
    StaffProfileForm,
)
from .hooks import panels_for
from .models import Deployment, EngagementMeeting, Outcome, StaffProfile, State
from .policy import may_see_private_notes, may_see_restricted, submission_problems
from .selectors import (
    dashboard_for,
    deployment_reviews,
    deployment_timeline,
    deployments_visible_to,
    visible_deployment_or_404,
)


@login_required
@require_GET
def dashboard(request: StaffRequest) -> HttpResponse:
    roles = roles_of(request.user)
    context = {
        "sections": dashboard_for(request.user),
        "duties": [(r.label, ROLE_DUTIES[r]) for r in Role if r in roles],
        "panels": panels_for("dashboard", deployment=None, user=request.user),
        # Work recorded in the outbox and not yet done (the broker or the worker is down).
        "waiting_work": outbox.waiting_summary() if roles else None,
    }
    return render(request, "staff/dashboard.html", context)


@login_required
@require_GET
def deployment_list(request: StaffRequest) -> HttpResponse:
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
    request: StaffRequest, form: DeploymentForm, deployment: Deployment | None
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
def deployment_create(request: StaffRequest) -> HttpResponse:
    if not has_role(request.user, Role.PLANNER):
        raise NotPermitted("Only planners can file deployment requests.")
    form = DeploymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        deployment = services.deployment_create(by=request.user, data=form.changes())
        messages.success(request, f"Draft {deployment} saved. Complete the checklist to submit it.")
        return _after_save(request, deployment, form)
    return _render_form(request, form, None)


@login_required
def deployment_edit(request: StaffRequest, reference: str) -> HttpResponse:
    deployment = visible_deployment_or_404(request.user, reference)
    services.check_edit(deployment, request.user)
    form = DeploymentForm(request.POST or None, instance=deployment)
    if request.method == "POST" and form.is_valid():
        deployment = services.deployment_update(
            deployment=deployment, by=request.user, data=form.changes()
        )
        return _after_save(request, deployment, form)
    return _render_form(request, form, deployment)


def _after_save(
    request: StaffRequest, deployment: Deployment, form: DeploymentForm
) -> HttpResponse:
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
@require_GET
def deployment_detail(request: StaffRequest, reference: str) -> HttpResponse:
    deployment = visible_deployment_or_404(request.user, reference)
    actions = available_actions(deployment, request.user)
    context: dict[str, Any] = {
        "deployment": deployment,
        "actions": actions,
        "action_links": [
            (name, spec.title)
            for name, spec in ACTIONS.items()
            if name in actions and spec.form_class is not None
        ],
        "quorum": settings.OVERSIGHT_PANEL_QUORUM,
        "pinned": deployment.pinned_documents.select_related("document"),
        "can_see_restricted": may_see_restricted(request.user, deployment),
    }
    if not context["can_see_restricted"]:
        # Not one of the people who work on it: what the public record shows, and the actions
        # the person's role allows (an authorising officer may suspend any deployment).
        return render(request, "staff/deployment_detail.html", context)
    context |= {
        "timeline": deployment_timeline(deployment),
        "reviews": list(deployment_reviews(deployment)),
        "assignments": deployment.assignments.select_related("reviewer"),
        "authorisations": deployment.authorisations.select_related("officer"),
        "suspensions": deployment.suspensions.select_related("suspended_by", "lifted_by"),
        "approvals": services.approvals_on_current_revision(deployment),
        "checklist": submission_problems(deployment, at=timezone.now())
        if deployment.is_editable
        else [],
        "outcome": Outcome.objects.filter(deployment=deployment).first(),
        "engagement": deployment.engagement_meetings.all(),
        "can_change_engagement": _may(services.check_engagement, deployment, request.user),
        "can_see_private": may_see_private_notes(request.user, deployment),
        "panels": panels_for("deployment_detail", deployment=deployment, user=request.user),
    }
    return render(request, "staff/deployment_detail.html", context)


def _may(check: Any, deployment: Deployment, user: Any) -> bool:
    try:
        check(deployment, user)
    except DomainError:
        return False
    return True


@login_required
def engagement_add(request: StaffRequest, reference: str) -> HttpResponse:
    """Record a meeting with Londoners: GET shows the form, POST records it."""
    deployment = visible_deployment_or_404(request.user, reference)
    services.check_engagement(deployment, request.user)
    form = EngagementForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.engagement_add(deployment=deployment, by=request.user, data=form.changes())
            except PreconditionsFailed as error:
                attach_problems(form, error)
            else:
                messages.success(request, "Meeting added to the engagement record.")
                return redirect(deployment.get_absolute_url() + "#engagement")
        return render(
            request,
            "staff/engagement_form.html",
            {"deployment": deployment, "form": form},
            status=400,
        )
    return render(request, "staff/engagement_form.html", {"deployment": deployment, "form": form})


@login_required
def engagement_remove(request: StaffRequest, reference: str, meeting_id: int) -> HttpResponse:
    """Take a meeting off the engagement record: GET asks to confirm, POST removes it."""
    deployment = visible_deployment_or_404(request.user, reference)
    services.check_engagement(deployment, request.user)
    meeting = get_object_or_404(EngagementMeeting, deployment=deployment, pk=meeting_id)
    if request.method == "POST":
        services.engagement_remove(deployment=deployment, meeting_id=meeting.pk, by=request.user)
        messages.success(request, "Meeting removed from the engagement record.")
        return redirect(deployment.get_absolute_url() + "#engagement")
    return render(
        request, "staff/engagement_remove.html", {"deployment": deployment, "meeting": meeting}
    )


@login_required
def deployment_action(request: StaffRequest, reference: str, action: str) -> HttpResponse:
    """One action on a deployment: GET shows its form, POST runs its service."""
    deployment = visible_deployment_or_404(request.user, reference)
    spec = ACTIONS.get(action)
    if spec is None or spec.form_class is None or spec.run is None:
        raise Http404(f"There is no action called {action!r}.")
    # Refusals raise NotPermitted (403) or TransitionNotAllowed (409), each with its message.
    spec.check(deployment, request.user)
    arguments = {"prefix": action, **spec.form_arguments(deployment)}
    if request.method != "POST":
        form = spec.form_class(**arguments)
        return render(
            request,
            "staff/deployment_action.html",
            _action_context(deployment, form, spec, request),
        )
    form = spec.form_class(request.POST, **arguments)
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
        _action_context(deployment, form, spec, request),
        status=400,
    )


def _action_context(
    deployment: Deployment, form: forms.BaseForm, spec: Action, request: StaffRequest
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "deployment": deployment,
        "form": form,
        "action": spec.name,
        "title": spec.title,
    }
    if spec.name == "review":
        # The reviewer sees what bears on the decision (the threshold guard) beside the form.
        context["panels"] = panels_for("review_form", deployment=deployment, user=request.user)
        # ... and how the force engaged with Londoners before it.
        context["engagement"] = deployment.engagement_meetings.all()
    return context


@login_required
def staff_profile(request: StaffRequest) -> HttpResponse:
    """Your own public details: your rank, and for panel members the public listing."""
    is_panel = has_role(request.user, Role.PANEL_MEMBER) or has_role(request.user, Role.PANEL_CHAIR)
    profile = StaffProfile.objects.filter(user=request.user).first() or StaffProfile(
        user=request.user
    )
    form = StaffProfileForm(request.POST or None, instance=profile, is_panel=is_panel)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_profile_update(person=request.user, data=form.cleaned_data)
        except PreconditionsFailed as error:
            attach_problems(form, error)
        else:
            messages.success(request, "Your public details are saved.")
            return redirect("staff:profile")
    return render(
        request,
        "staff/profile.html",
        {
            "form": form,
            "is_panel": is_panel,
            "publish_names": settings.OVERSIGHT_PUBLISH_DECIDER_NAMES,
        },
        status=400 if form.errors else 200,
    )

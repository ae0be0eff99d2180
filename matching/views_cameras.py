"""Staff pages of a deployment's cameras: the planner sets them before sign-off; the planner and
the operators see them, with their streams' addresses, afterwards.

Thin, like the watchlist's pages: parse, check, call one service or selector, render. A
deployment the person does not need to know (deployments.policy) is a 404; one they know but
may not see the cameras of is a 403 with the reason. After the chair's sign-off (or a
declaration of urgent use) the cameras are pinned and the pages are read-only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from core.errors import NotPermitted, PreconditionsFailed
from core.forms import attach_problems
from core.types import StaffRequest
from deployments.selectors import known_deployment_or_404

from . import services
from .forms import CameraForm
from .models import Camera
from .selectors import (
    cameras_are_open,
    cameras_summary,
    may_see_stream_addresses,
    stream_address_shown,
)


@login_required
@never_cache
def cameras(request: StaffRequest, reference: str) -> HttpResponse:
    deployment = known_deployment_or_404(request.user, reference)
    if not may_see_stream_addresses(deployment, request.user):
        raise NotPermitted(
            "Only the planner who filed this deployment and its operators can see its cameras' "
            "streams. Where the cameras stand is on the deployment's page."
        )
    is_planner = deployment.is_planner(request.user)
    is_open = cameras_are_open(deployment)
    posted = request.POST if request.method == "POST" else None
    form = CameraForm(posted) if is_planner and is_open else None
    if request.method == "POST":
        if form is None:
            # The same refusals as the service's, in the same order: who, then when.
            services.check_manage_cameras(deployment, request.user)
            services.check_cameras_open(deployment)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                camera = services.camera_add(
                    deployment=deployment,
                    by=request.user,
                    label=data["label"],
                    position=data["position"],
                    kind=data["kind"],
                    stream_url=data["stream_url"],
                    frames_per_second=data["frames_per_second"],
                )
            except PreconditionsFailed as error:
                attach_problems(form, error)
            else:
                messages.success(request, f"{camera} added.")
                return redirect("staff:cameras", deployment.reference)
    summary = cameras_summary(deployment)
    for camera in summary.cameras:
        camera.stream_shown = stream_address_shown(camera.stream_url)  # type: ignore[attr-defined]
    return render(
        request,
        "matching/cameras.html",
        {
            "deployment": deployment,
            "summary": summary,
            "form": form,
            "is_planner": is_planner,
            "is_open": is_open,
            "fixed_at": (
                "the chair's sign-off"
                if deployment.approved_at
                else "the declaration of urgent use"
                if deployment.is_urgent
                else ""
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def camera_remove(request: StaffRequest, reference: str, pk: int) -> HttpResponse:
    deployment = known_deployment_or_404(request.user, reference)
    services.check_manage_cameras(deployment, request.user)
    camera = get_object_or_404(Camera, pk=pk, deployment=deployment)
    # Pinned cameras cannot be removed: say so at once rather than after the confirmation.
    services.check_cameras_open(deployment)
    if request.method == "POST":
        services.camera_remove(camera=camera, by=request.user)
        messages.success(request, f"{camera} removed.")
        return redirect("staff:cameras", deployment.reference)
    return render(
        request, "matching/camera_remove.html", {"deployment": deployment, "camera": camera}
    )

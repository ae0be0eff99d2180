"""Staff pages of the engine: the planner's watchlist and the operator's console.

Thin: parse, check, call one service or selector, render. Watchlist images and alert crops are
served only by the permission-checked views here, never from a public URL, and are marked
not to be cached. A deployment the person does not need to know (deployments.policy) is a 404,
public or not; one they know but may not work on here is a 403 with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, NotPermitted, PreconditionsFailed, TransitionNotAllowed
from core.forms import attach_problems
from core.types import StaffRequest
from deployments.models import Deployment
from deployments.selectors import known_deployment_or_404

from . import engine, services
from .forms import AdjudicationForm, RemoveEntryForm, RunStartForm, WatchlistEntryForm
from .gate import GateClosed, gate_preview
from .models import Alert, Camera, Run, WatchlistEntry
from .selectors import (
    CameraState,
    alert_for,
    alerts_of,
    alerts_waiting_since,
    cameras_are_approved,
    console_cameras,
    enrolments_waiting,
    may_see_watchlist_images,
    operated_deployments,
    runs_of,
    watchlist_entries,
    watchlist_is_open,
    watchlist_summary,
)
from .services.ingest import HEARTBEAT_STALE


def _private_file(stored: FieldFile, content_type: str | None = None) -> FileResponse:
    if not stored:
        raise Http404("The image has been deleted under the retention rules.")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("The image file is missing.") from None
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    # Biometric images: never kept by a browser or a proxy.
    response["Cache-Control"] = "private, no-store, max-age=0"
    response["Content-Disposition"] = "inline"
    return response


def _sniff_type(stored: FieldFile) -> str:
    with stored.open("rb") as handle:
        head = handle.read(12)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:3] == b"GIF":
        return "image/gif"
    if head[:2] == b"BM":
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return "application/octet-stream"


# --- the planner's watchlist --------------------------------------------------------------------
@login_required
@never_cache
def watchlist(request: StaffRequest, reference: str) -> HttpResponse:
    deployment = known_deployment_or_404(request.user, reference)
    if not may_see_watchlist_images(deployment, request.user):
        raise NotPermitted(
            "Only the planner who filed this deployment and its operators can see its watchlist."
        )
    can_add = deployment.is_planner(request.user) and watchlist_is_open(deployment)
    form = None
    if can_add:
        form = WatchlistEntryForm(
            request.POST or None, request.FILES or None, deployment=deployment
        )
    if request.method == "POST":
        if form is None:
            services.check_manage_watchlist(deployment, request.user)
            raise TransitionNotAllowed(
                f"{deployment} is {deployment.get_state_display().lower()}: its watchlist was "
                "fixed at the chair's sign-off, so no one can be added."
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.watchlist_entry_add(
                    deployment=deployment,
                    by=request.user,
                    subject_reference=data["subject_reference"],
                    category=data["category"],
                    image_provenance=data["image_provenance"],
                    legal_basis=data["legal_basis"],
                    image=data["image"],
                )
            except PreconditionsFailed as error:
                attach_problems(form, error)
            else:
                if entry.status == WatchlistEntry.Status.REFUSED:
                    messages.error(request, f"{entry} was not enrolled: {entry.refusal_reason}")
                else:
                    messages.success(
                        request,
                        f"{entry} added. The image is being enrolled; this page shows the "
                        "result in a few seconds.",
                    )
                return redirect("staff:watchlist", deployment.reference)
    entries = list(watchlist_entries(deployment))
    waiting = enrolments_waiting(entries)
    for entry in entries:
        entry.enrolment_waiting = waiting.get(entry.pk)  # type: ignore[attr-defined]
    context = {
        "deployment": deployment,
        "entries": entries,
        "summary": watchlist_summary(deployment),
        "form": form,
        "is_planner": deployment.is_planner(request.user),
        "is_open": watchlist_is_open(deployment),
        "retention_hours": settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS,
    }
    return render(
        request,
        "matching/watchlist.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _entry(deployment: Deployment, pk: int) -> WatchlistEntry:
    return get_object_or_404(
        WatchlistEntry.objects.select_related("watchlist"), pk=pk, watchlist__deployment=deployment
    )


@login_required
@never_cache
def watchlist_entry_image(request: StaffRequest, reference: str, pk: int) -> HttpResponseBase:
    deployment = known_deployment_or_404(request.user, reference)
    if not may_see_watchlist_images(deployment, request.user):
        raise NotPermitted("Only the planner and the operators of this deployment see its images.")
    entry = _entry(deployment, pk)
    if not entry.image:
        raise Http404("There is no image: it was refused, removed or deleted under retention.")
    if request.GET.get("face") and entry.face_box:
        # Just the face, cut on the fly and never stored, to sit beside an alert's crop.
        with entry.image.open("rb") as stored:
            image = engine.load_image(
                cast(BinaryIO, stored),
                max_bytes=settings.OVERSIGHT_MAX_IMAGE_BYTES,
                max_pixels=settings.OVERSIGHT_MAX_IMAGE_PIXELS,
            )
        top, right, bottom, left = entry.face_box
        response = HttpResponse(
            engine.crop_face(image, (top, right, bottom, left)), content_type="image/jpeg"
        )
        response["Cache-Control"] = "private, no-store, max-age=0"
        return response
    return _private_file(entry.image, _sniff_type(entry.image))


@login_required
def watchlist_entry_remove(request: StaffRequest, reference: str, pk: int) -> HttpResponse:
    deployment = known_deployment_or_404(request.user, reference)
    services.check_manage_watchlist(deployment, request.user)
    entry = _entry(deployment, pk)
    form = RemoveEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.watchlist_entry_remove(
                entry=entry, by=request.user, reason=form.cleaned_data["reason"]
            )
        except PreconditionsFailed as error:
            attach_problems(form, error)
        else:
            messages.success(request, f"{entry} removed; the image and encoding are deleted.")
            return redirect("staff:watchlist", deployment.reference)
    return render(
        request,
        "matching/entry_remove.html",
        {
            "deployment": deployment,
            "entry": entry,
            "form": form,
            "pinned": bool(deployment.watchlist_fingerprint),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- the operator's console ---------------------------------------------------------------------
def _operated(request: StaffRequest, reference: str) -> Deployment:
    deployment = known_deployment_or_404(request.user, reference)
    services.check_operate(deployment, request.user)
    return deployment


@login_required
def console_index(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "matching/console_index.html",
        {"deployments": operated_deployments(request.user), "now": timezone.now()},
    )


@login_required
@never_cache
def console(request: StaffRequest, reference: str) -> HttpResponse:
    deployment = _operated(request, reference)
    if settings.OVERSIGHT_INGEST_IN_PROCESS:
        # Without a broker there is no beat: a camera whose reading thread ended with the web
        # server that ran it is read again when its console is opened.
        from .services.ingest import ingest_resume

        ingest_resume(deployment=deployment)
    return _render_console(request, deployment, RunStartForm())


def _render_console(
    request: StaffRequest,
    deployment: Deployment,
    start_form: RunStartForm,
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    now = timezone.now()
    pending = list(alerts_of(deployment, pending=True))
    cameras = console_cameras(deployment, at=now)
    context = {
        **_console_live(deployment, cameras, at=now),
        "runs": runs_of(deployment),
        "pending": [(alert, AdjudicationForm(prefix=f"a{alert.pk}")) for alert in pending],
        # The newest alert the page knows of: the console asks for those after it.
        "latest_alert": Alert.objects.filter(run__deployment=deployment)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0,
        "decided": alerts_of(deployment, pending=False)[:50],
        "start_form": start_form,
        "crop_days": settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS,
        **(extra or {}),
    }
    return render(request, "matching/console.html", context, status=status)


@login_required
@never_cache
@require_GET
def console_alerts(request: StaffRequest, reference: str) -> HttpResponse:
    """The alerts that arrived after `?after=<id>`, for the open console, which asks every second.

    The same markup as the console's own list, and what the page needs to say how many wait.
    """
    deployment = _operated(request, reference)
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    since = alerts_waiting_since(deployment, after=after)
    now = timezone.now()
    cameras = console_cameras(deployment, at=now)
    context: dict[str, Any] = {
        "deployment": deployment,
        "since": since,
        "pending": [(a, AdjudicationForm(prefix=f"a{a.pk}")) for a in since.new],
        "cameras": cameras,
    }
    if request.GET.get("state") != console_state(deployment, cameras, at=now):
        # Something the page shows has changed (a run started or stopped, a camera went quiet,
        # the deployment was suspended or its window ended): the gate and the cameras again.
        # Asked only then, as the gate's answer costs more than the rest of this answer.
        context |= _console_live(deployment, cameras, at=now)
    return render(request, "matching/console_alerts.html", context)


def console_state(deployment: Deployment, cameras: list[CameraState], *, at: datetime) -> str:
    """What the console's gate panel and camera rows depend on, but the figures, as one string.

    The open console sends it back with every poll; the answer carries those parts afresh only
    when it differs. The gate is asked again before every batch, so a gate that closes for a
    reason not named here (a pin that no longer matches, say) also stops each run at its next
    batch, and so changes it then.
    """
    if deployment.starts_at is None or deployment.ends_at is None or at < deployment.starts_at:
        window = "before"
    else:
        window = "during" if at < deployment.ends_at else "after"
    rows = [
        f"{state.camera.pk}:{state.run.pk if state.run else 0}"
        f":{int(state.is_running)}:{int(state.is_silent)}"
        for state in cameras
    ]
    return " ".join([deployment.state, window, *rows])


def _console_live(
    deployment: Deployment, cameras: list[CameraState], *, at: datetime
) -> dict[str, Any]:
    """The context of the console's gate panel and cameras (includes/console_*.html)."""
    return {
        "deployment": deployment,
        "gate": gate_preview(deployment=deployment, at=at),
        "cameras": cameras,
        "cameras_approved": cameras_are_approved(deployment, cameras),
        "silent_after": int(HEARTBEAT_STALE.total_seconds()),
        "console_state": console_state(deployment, cameras, at=at),
    }


@login_required
@never_cache
@require_POST
def run_start(request: StaffRequest, reference: str) -> HttpResponse:
    deployment = _operated(request, reference)
    form = RunStartForm(request.POST)
    if not form.is_valid():
        return _render_console(request, deployment, form, status=400)
    # Another deployment's camera is as unknown here as the deployment itself.
    camera = get_object_or_404(Camera, pk=form.cleaned_data["camera"], deployment=deployment)
    try:
        started = services.run_start(deployment=deployment, operator=request.user, camera=camera)
    except GateClosed as closed:
        form.add_error(None, f"The gate refused to start {camera}: {closed.message}")
        return _render_console(request, deployment, form, status=409)
    except NotPermitted:
        raise
    except DomainError as refused:
        form.add_error(None, refused.message)
        return _render_console(request, deployment, form, status=409)
    if camera.kind == Camera.Kind.STREAM:
        messages.success(
            request,
            f"{camera} started: the register is reading its stream. If no frame arrives within "
            f"{int(HEARTBEAT_STALE.total_seconds())} seconds, its row says “not sending”.",
        )
        return redirect("staff:console", deployment.reference)
    # An ingest box sends the frames: the token is shown on this response only, never in a
    # URL, a message or the session.
    return render(
        request,
        "matching/run_started.html",
        {
            "deployment": deployment,
            "run": started.run,
            "camera": camera,
            "token": started.token,
            "api_url": request.build_absolute_uri(f"/api/v1/runs/{started.run.pk}/frames"),
        },
    )


@login_required
@require_POST
def run_stop(request: StaffRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(Run.objects.select_related("deployment", "camera"), pk=pk)
    if not run.deployment.is_operator(request.user):
        raise Http404("No such run.")
    services.run_stop(
        run=run, by=request.user, code="stopped_by_operator", reason="Stopped by the operator."
    )
    if run.camera is not None:
        messages.success(request, f"{run.camera} stopped (run {run.pk}).")
    else:
        messages.success(request, f"Run {run.pk} stopped.")
    return redirect("staff:console", run.deployment.reference)


def _alert_or_404(request: StaffRequest, pk: int) -> Alert:
    alert = alert_for(request.user, pk)
    if alert is None:
        # Someone who does not operate the deployment learns nothing, not even that it exists.
        raise Http404("No such alert.")
    return alert


@login_required
@never_cache
def alert_detail(request: StaffRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)
    deployment = alert.run.deployment
    prefix = f"a{alert.pk}"
    if request.method == "POST":
        form = AdjudicationForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                services.alert_adjudicate(alert=alert, by=request.user, **form.cleaned_data)
            except PreconditionsFailed as error:
                attach_problems(form, error)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Alert {alert.pk} adjudicated.")
                target = request.POST.get("next", "")
                if target and url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}
                ):
                    return redirect(target)
                return redirect("staff:console", deployment.reference)
        status = 400
    else:
        initial = {
            "verdict": alert.verdict,
            "confirmation": alert.confirmation,
            "outcome": alert.outcome,
            "notes": alert.notes,
            "is_evidence": alert.is_evidence,
            "evidence_reason": alert.evidence_reason,
        }
        form = AdjudicationForm(initial=initial, prefix=prefix)
        status = 200
    return render(
        request,
        "matching/alert_detail.html",
        {"alert": alert, "deployment": deployment, "form": form},
        status=status,
    )


@login_required
@never_cache
def alert_crop(request: StaffRequest, pk: int) -> FileResponse:
    alert = _alert_or_404(request, pk)
    return _private_file(alert.crop, "image/jpeg")

"""Cameras: the planner sets them before sign-off, and the chair's sign-off pins them.

After sign-off the cameras are fixed like the watchlist: a camera added, moved or pointed at
another stream would be one the panel never saw, so the services refuse it, and the gate
refuses to match for a deployment whose cameras no longer hash to the pinned fingerprint.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record
from core.errors import PreconditionsFailed, TransitionNotAllowed
from deployments.models import Deployment
from matching.models import Camera, camera_stream_validator
from matching.selectors import cameras_are_open, cameras_fingerprint

from ._common import User, check_manage_cameras


def check_cameras_open(deployment: Deployment) -> None:
    """Refuse a change to the cameras once they are pinned (`cameras_are_open`)."""
    if cameras_are_open(deployment):
        return
    state = deployment.get_state_display().lower()
    if deployment.is_urgent and deployment.approved_at is None:
        raise TransitionNotAllowed(
            f"{deployment} was put to urgent use: its cameras were fixed then, and the engine "
            "may read only those. A different camera needs a new deployment request."
        )
    if deployment.approved_at is None:
        raise TransitionNotAllowed(f"{deployment} is {state}: its cameras cannot be changed.")
    raise TransitionNotAllowed(
        f"{deployment} is {state}: its cameras were fixed when the panel chair signed it off. "
        "A different camera needs a new deployment request."
    )


@transaction.atomic
def camera_add(
    *,
    deployment: Deployment,
    by: User,
    label: str,
    position: str,
    kind: str = Camera.Kind.STREAM,
    stream_url: str = "",
    frames_per_second: Decimal | str | None = None,
) -> Camera:
    """Add a camera to a deployment that has not been signed off (the planner only)."""
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    check_manage_cameras(deployment, by)
    check_cameras_open(deployment)
    problems: dict[str, list[str]] = {}
    label = (label or "").strip()
    position = (position or "").strip()
    stream_url = (stream_url or "").strip()
    if not label:
        problems["label"] = ["Give the camera a short name, for example “Camera 2, north exit”."]
    elif len(label) > 60:
        problems["label"] = ["The camera's name must be 60 characters or fewer."]
    elif Camera.objects.filter(deployment=deployment, label__iexact=label).exists():
        problems["label"] = [f"This deployment already has a camera called “{label}”."]
    if not position:
        problems["position"] = ["Say where the camera stands and what it looks at."]
    if kind not in Camera.Kind.values:
        problems["kind"] = ["Choose whether the register reads a stream or a box sends frames."]
    elif kind == Camera.Kind.STREAM:
        if not stream_url:
            problems["stream_url"] = ["Give the address of the camera's stream."]
        else:
            try:
                camera_stream_validator(stream_url)
            except ValidationError as error:
                problems["stream_url"] = list(error.messages)
    else:
        stream_url = ""
    try:
        rate = Decimal(str(frames_per_second if frames_per_second not in (None, "") else "2"))
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or not Decimal("0.5") <= rate <= Decimal("10"):
        problems["frames_per_second"] = ["Give a number of frames a second from 0.5 to 10."]
    if problems:
        raise PreconditionsFailed(problems)
    camera = Camera.objects.create(
        deployment=deployment,
        label=label,
        position=position,
        kind=kind,
        stream_url=stream_url,
        frames_per_second=rate.quantize(Decimal("0.1")),
        added_by=by,
    )
    # The stream address is restricted (it may hold a password): the trail says only its kind.
    audit_record(
        actor=by,
        action="camera.added",
        obj=deployment,
        details={
            "camera": camera.pk,
            "label": label,
            "kind": kind,
            "fps": camera.frames_per_second,
        },
    )
    return camera


@transaction.atomic
def camera_remove(*, camera: Camera, by: User) -> None:
    """Remove a camera before sign-off (the planner only). A camera that ran is kept."""
    deployment = Deployment.objects.select_for_update().get(pk=camera.deployment_id)
    check_manage_cameras(deployment, by)
    check_cameras_open(deployment)
    if camera.runs.exists():
        raise TransitionNotAllowed(
            f"{camera} has been used, so its record stays with the deployment's runs."
        )
    audit_record(
        actor=by,
        action="camera.removed",
        obj=deployment,
        details={"camera": camera.pk, "label": camera.label},
    )
    camera.delete()


def cameras_pin_at_sign_off(*, deployment: Deployment) -> dict[str, str]:
    """What sign-off pins of the cameras, inside the chair's sign-off transaction.

    A deployment with no camera may still be signed off: its engine then runs only on files
    (`manage.py watch`), and the gate refuses any camera.
    """
    list(Camera.objects.select_for_update().filter(deployment=deployment))
    return {"cameras_fingerprint": cameras_fingerprint(deployment=deployment)}

"""The engine's part of `manage.py seed_demo` (demo/seed.py calls these).

Watchlists are enrolled through the real services from the sample photographs of the
`face-recognition` 1.3.0 distribution (`make sample-faces`): obama.jpg as a person wanted on
warrant, under a pseudonymous reference. Without the photographs, an entry with a synthetic
encoding and no image stands in, so that the demo still signs its deployments off.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from deployments.models import Deployment, State
from matching.models import Run, Watchlist, WatchlistEntry
from matching.samples import sample_faces_dir, synthetic_encodings

DEMO_SUBJECT = "WNT-24-00731"
DEMO_PROVENANCE = (
    "DEMONSTRATION: sample photograph obama.jpg from the face-recognition 1.3.0 source "
    "distribution, standing in for a custody image (record 24/00731, taken 12 March 2024)."
)
DEMO_LEGAL_BASIS = (
    "DEMONSTRATION: a custody image taken under PACE s.64A, held under the force's custody "
    "image retention policy; warrant issued at Westminster Magistrates' Court."
)
# The live deployment's camera sees these, in this order: three of the wanted person and one
# passer-by who is not on the watchlist (and leaves no trace).
DEMO_FRAMES = ("obama2.jpg", "biden.jpg", "obama3.jpg", "obama_partial_face.jpg")


DEMO_CAMERAS = (
    (
        "Camera 1, Cranbourn Street exit",
        "On a tripod by the station's Cranbourn Street exit, facing people leaving the station.",
    ),
    (
        "Camera 2, Charing Cross Road",
        "On the marked van at the corner of Charing Cross Road, facing the pavement northwards.",
    ),
)


def demo_video() -> Any:
    """The demo camera's view, written once under the camera folder: about 13 seconds."""
    from pathlib import Path

    from matching.samples import camera_video

    folder = Path(settings.OVERSIGHT_CAMERA_FILE_ROOT)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "cranbourn-street.mp4"
    if not target.is_file():
        camera_video(target, sequence=DEMO_FRAMES, seconds_each=1.0, blank_seconds=3.0)
    return target


def cameras_seed(deployment: Deployment, planner: Any) -> None:
    """The deployment's two cameras, before sign-off pins them. Idempotent.

    Camera 1 is a stream the register reads (the demo video, standing in for RTSP); camera 2 is
    an ingest box that posts frames to the frames API.
    """
    from matching import services
    from matching.models import Camera
    from matching.services.ingest import file_stream_url

    if Camera.objects.filter(deployment=deployment).exists():
        return
    (stream_label, stream_place), (box_label, box_place) = DEMO_CAMERAS
    if _have_photographs() and settings.OVERSIGHT_CAMERA_FILE_ROOT:
        services.camera_add(
            deployment=deployment,
            by=planner,
            label=stream_label,
            position=stream_place,
            kind=Camera.Kind.STREAM,
            stream_url=file_stream_url(demo_video()),
        )
    services.camera_add(
        deployment=deployment, by=planner, label=box_label, position=box_place, kind=Camera.Kind.BOX
    )


def _have_photographs() -> bool:
    folder = sample_faces_dir()
    return all((folder / name).is_file() for name in ("obama.jpg", *DEMO_FRAMES))


def watchlist_seed(deployment: Deployment, planner: Any) -> None:
    """Enrol the demo watchlist before the chair signs the deployment off. Idempotent."""
    from matching import services

    if WatchlistEntry.objects.filter(
        watchlist__deployment=deployment, status__in=WatchlistEntry.ACTIVE
    ).exists():
        return
    category = (deployment.watchlist_categories or ["wanted_by_court"])[0]
    if _have_photographs():
        entry = services.watchlist_entry_add(
            deployment=deployment,
            by=planner,
            subject_reference=DEMO_SUBJECT,
            category=category,
            image_provenance=DEMO_PROVENANCE,
            legal_basis=DEMO_LEGAL_BASIS,
            image=ContentFile((sample_faces_dir() / "obama.jpg").read_bytes(), name="demo.jpg"),
        )
        # Enrolled now rather than by the task queued for commit: the sign-off that follows,
        # in the same transaction, needs it enrolled. The queued task then finds nothing to do.
        services.watchlist_enrol(entry=entry)
        return
    watchlist, _ = Watchlist.objects.get_or_create(deployment=deployment)
    WatchlistEntry.objects.create(
        watchlist=watchlist,
        subject_reference=DEMO_SUBJECT,
        category=category,
        image_provenance="DEMONSTRATION: a synthetic encoding with no image. Fetch the sample "
        "photographs (make sample-faces) and seed again for a real one.",
        legal_basis=DEMO_LEGAL_BASIS,
        added_by=planner,
        encoding=synthetic_encodings(1, seed=deployment.pk)[0].astype("<f8").tobytes(),
        status=WatchlistEntry.Status.ENROLLED,
        enrolled_at=timezone.now(),
    )


def _assign_upcoming(operator: Any, now: Any) -> None:
    """The operator is also assigned to the next approved deployment, so that the console shows
    one whose gate is still closed (it has not started)."""
    from core.roles import Role
    from deployments import services as ds

    upcoming = (
        Deployment.objects.filter(state=State.APPROVED, starts_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    if upcoming is None or upcoming.is_operator(operator):
        return
    officer = get_user_model().objects.filter(groups__name=Role.AUTHORISING_OFFICER).first()
    if officer is not None:
        ds.operator_assign(deployment=upcoming, operator=operator, by=officer)


def alerts_seed(operator: Any) -> str:
    """A finished run on the live deployment with a few alerts, one adjudicated. Idempotent."""
    from matching import engine, services

    now = timezone.now()
    _assign_upcoming(operator, now)
    live = (
        Deployment.objects.filter(state=State.APPROVED, starts_at__lte=now, ends_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    if live is None:
        return "No live deployment, so no demo alerts."
    if Run.objects.filter(deployment=live).exists():
        return f"Demo alerts already exist on {live}."
    if not _have_photographs():
        return "No demo alerts: fetch the sample faces first (make sample-faces)."
    from matching.models import Camera

    box = Camera.objects.filter(deployment=live, kind=Camera.Kind.BOX).first()
    run = services.run_start(deployment=live, operator=operator, camera=box).run
    frames = [
        services.Frame(
            image=engine.load_image(
                sample_faces_dir() / name,
                max_bytes=settings.OVERSIGHT_MAX_IMAGE_BYTES,
                max_pixels=settings.OVERSIGHT_MAX_IMAGE_PIXELS,
            ),
            label=name,
        )
        for name in DEMO_FRAMES
    ]
    result = services.run_process_batch(run=run, frames=frames)
    services.run_stop(run=run, by=operator, code="finished", reason="Demonstration clip processed.")
    stream = Camera.objects.filter(deployment=live, kind=Camera.Kind.STREAM).first()
    if stream is not None:
        # Read from the moment the operator opens the console (the web server's thread).
        services.run_start(deployment=live, operator=operator, camera=stream, start_reading=False)
    if result.alerts:
        services.alert_adjudicate(
            alert=result.alerts[0],
            by=operator,
            verdict="true",
            confirmation="confirmed",
            outcome="arrest",
            notes="DEMONSTRATION: identity confirmed by the officer who engaged; arrested on "
            "the warrant.",
        )
    return (
        f"Demo run on {live}: {result.frames} frames, {result.faces_seen} faces seen, "
        f"{len(result.alerts)} alerts ({max(len(result.alerts) - 1, 0)} waiting for the operator)."
    )

"""Fixtures for the engine's tests: the sample photographs, fetched once per run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# Imported before any test module can import face_recognition itself: with a broken models
# package the library would quit() with status 0 and the run would look green (see engine.py).
from matching import engine
from matching.samples import ensure_sample_faces


@pytest.fixture(scope="session")
def sample_faces() -> Path:
    return ensure_sample_faces()


# -- The engine inside the register: watchlists, the gate, runs, alerts. -----------------------

ENROLMENT_LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


@pytest.fixture(scope="session")
def enrolled_faces(sample_faces: Path) -> dict[str, tuple[Any, Any]]:
    """Where enrolment finds the face in each one-face photograph, and its encoding, once."""
    found = {}
    for name in ("obama.jpg", "biden.jpg"):
        image = engine.load_image(sample_faces / name, **ENROLMENT_LIMITS)
        locations = engine.detect_faces(image, upsample=1)
        assert len(locations) == 1, name
        found[name] = (locations[0], engine.encode_faces(image, locations)[0])
    return found


@pytest.fixture(scope="session")
def face_encodings(enrolled_faces: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {name: encoding for name, (_, encoding) in enrolled_faces.items()}


@pytest.fixture
def live(actors: Any, documents: Any, sample_faces: Path, enrolled_faces: Any) -> Any:
    """An approved deployment inside its window, its notice public for two days, the operator
    assigned, and obama.jpg enrolled as W-OBAMA-1."""
    from datetime import timedelta

    from deployments import services as ds
    from tests import factories

    deployment = factories.make_draft(actors.planner)
    box, encoding = enrolled_faces["obama.jpg"]
    enrol_directly(deployment, sample_faces / "obama.jpg", encoding, "W-OBAMA-1", face_box=box)
    factories.to_approved(deployment, actors)
    deployment = factories.backdate(deployment, timedelta(days=2, hours=1))
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    return deployment


@pytest.fixture
def on_cameras(actors: Any, documents: Any, sample_faces: Path, enrolled_faces: Any) -> Any:
    """Like `live`, with two cameras approved at sign-off: "Camera 1, north exit", whose stream
    the register reads, and "Camera 2, south exit", whose ingest box sends frames."""
    from datetime import timedelta

    from deployments import services as ds
    from tests import factories

    deployment = factories.make_draft(actors.planner)
    box, encoding = enrolled_faces["obama.jpg"]
    enrol_directly(deployment, sample_faces / "obama.jpg", encoding, "W-OBAMA-1", face_box=box)
    factories.make_camera(deployment, label="Camera 1, north exit")
    factories.make_camera(deployment, label="Camera 2, south exit", kind="box")
    factories.to_approved(deployment, actors)
    deployment = factories.backdate(deployment, timedelta(days=2, hours=1))
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    return deployment


def enrol_directly(
    deployment: Any, image_path: Path, encoding: Any, reference: str, face_box: Any = None
) -> Any:
    """An enrolled entry made through the ORM with a known encoding: for tests about what
    happens after enrolment, without paying for enrolment each time."""
    from django.core.files import File
    from django.utils import timezone

    from matching.models import Watchlist, WatchlistEntry

    watchlist, _ = Watchlist.objects.get_or_create(deployment=deployment)
    entry = WatchlistEntry(
        watchlist=watchlist,
        subject_reference=reference,
        category=deployment.watchlist_categories[0],
        image_provenance="Sample photograph from the face_recognition 1.3.0 distribution.",
        legal_basis="Test data.",
        added_by=deployment.created_by,
        encoding=encoding.astype("<f8").tobytes(),
        face_box=list(face_box) if face_box else None,
        status=WatchlistEntry.Status.ENROLLED,
        enrolled_at=timezone.now(),
    )
    with open(image_path, "rb") as handle:
        entry.image.save("upload", File(handle), save=False)
    entry.save()
    return entry


@pytest.fixture(scope="session")
def camera_video(tmp_path_factory: Any, sample_faces: Path) -> Path:
    """The demo's camera view: obama2, biden, obama3 and a partial face of Obama, 1 s each."""
    from matching.samples import camera_video as write_video

    return write_video(tmp_path_factory.mktemp("camera") / "doorway.mp4", directory=sample_faces)


@pytest.fixture
def live_camera(
    actors: Any,
    documents: Any,
    sample_faces: Path,
    enrolled_faces: Any,
    camera_video: Path,
    settings: Any,
) -> Any:
    """Like `live`, with one approved stream camera playing `camera_video` (2 frames a second).

    Returns the camera; its deployment is `camera.deployment`.
    """
    from datetime import timedelta

    from deployments import services as ds
    from matching.services import camera_add
    from matching.services.ingest import file_stream_url
    from tests import factories

    settings.OVERSIGHT_CAMERA_FILE_ROOT = str(camera_video.parent)
    deployment = factories.make_draft(actors.planner)
    box, encoding = enrolled_faces["obama.jpg"]
    enrol_directly(deployment, sample_faces / "obama.jpg", encoding, "W-OBAMA-1", face_box=box)
    camera = camera_add(
        deployment=deployment,
        by=actors.planner,
        label="Camera 1, station entrance",
        position="Above the ticket barriers, facing the entrance.",
        stream_url=file_stream_url(camera_video),
    )
    factories.to_approved(deployment, actors)
    deployment = factories.backdate(deployment, timedelta(days=2, hours=1))
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    camera.refresh_from_db()
    return camera

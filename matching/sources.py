"""Where the engine's frames come from: image files, folders of images and video files.

Frames are decoded one at a time and handed on as `Frame`s; the caller matches each batch and
then discards it (`services.frame_discard`), so no frame outlives its batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from deployments.models import Deployment
    from matching.services import Frame

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg"}
Warn = Callable[[str], object]


def run_label(*, deployment: Deployment, camera: str = "") -> str:
    """A neutral name for a run: the camera's, or "run N" (the deployment's Nth run).

    Never a file or folder name: a file can be named after the person in it, and the run's
    label is kept for ever in the append-only audit trail.
    """
    from matching.models import Run

    return camera.strip()[:120] or f"run {Run.objects.filter(deployment=deployment).count() + 1}"


def expand_sources(sources: list[Path]) -> Iterator[Path]:
    """The files named, and the image and video files directly inside the folders named."""
    for source in sources:
        if source.is_dir():
            for path in sorted(source.iterdir()):
                if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
                    yield path
        else:
            yield source


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def video_sample_count(path: Path, fps: float) -> int:
    """How many frames `video_frames` will take from this video at `fps`."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        rate = capture.get(cv2.CAP_PROP_FPS) or 0
    finally:
        capture.release()
    step = max(1, round(rate / fps)) if rate else 1
    return (count + step - 1) // step if count else 0


def frames_from_files(files: list[Path], fps: float, *, warn: Warn) -> Iterator[Frame]:
    """Each image, and each video's frames at `fps`; unreadable ones are skipped with a warning."""
    from matching import engine
    from matching.services import Frame

    for path in files:
        if is_video(path):
            yield from video_frames(path, fps, warn=warn)
            continue
        try:
            image = engine.load_image(
                path,
                max_bytes=settings.OVERSIGHT_MAX_IMAGE_BYTES,
                max_pixels=settings.OVERSIGHT_MAX_IMAGE_PIXELS,
            )
        except engine.ImageRejected as rejected:
            warn(f"Skipped {path}: {rejected.message}")
            continue
        yield Frame(image=image, label=str(path), seen_at=timezone.now())


def video_frames(path: Path, fps: float, *, warn: Warn) -> Iterator[Frame]:
    """Every step-th frame of a video, as RGB, for about `fps` frames per second."""
    import cv2
    import numpy as np

    from matching.services import Frame

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        warn(f"Skipped {path}: OpenCV cannot open it as a video.")
        return
    try:
        rate = capture.get(cv2.CAP_PROP_FPS) or 0
        # Take every step-th frame: the nearest whole step to the rate asked for.
        step = max(1, round(rate / fps)) if rate else 1
        limit = settings.OVERSIGHT_MAX_IMAGE_PIXELS
        index = 0
        while True:
            ok = capture.grab()
            if not ok:
                break
            if index % step == 0:
                ok, bgr = capture.retrieve()
                if ok and bgr is not None:
                    if bgr.shape[0] * bgr.shape[1] > limit:
                        warn(f"Skipped {path}: its frames are larger than the limit.")
                        return
                    rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
                    seconds = index / rate if rate else float(index)
                    yield Frame(image=rgb, label=f"{path}@{seconds:.2f}s", seen_at=timezone.now())
            index += 1
    finally:
        capture.release()

"""Sample faces for tests, benchmarks and the demo: real photographs and synthetic encodings.

The ``face-recognition`` 1.3.0 source distribution ships a handful of test photographs
(Barack Obama and Joe Biden, both public figures photographed in public office). They are
fetched with pip, the same client and registry the install step already uses, into a cache
outside version control; no image is committed to the repository.

Large watchlists for benchmarks and matcher tests come from ``synthetic_encodings``, random
vectors shaped like dlib's. Run ``python -m matching.samples`` to fetch the photographs and
print the folder. Free of Django.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image, ImageOps

__all__ = [
    "SAMPLE_FILES",
    "SampleFacesUnavailable",
    "camera_video",
    "compose_two_faces",
    "ensure_sample_faces",
    "no_face_image",
    "sample_faces_dir",
    "synthetic_encodings",
]

SDIST_REQUIREMENT: Final = "face-recognition==1.3.0"
SDIST_NAME: Final = "face_recognition-1.3.0.tar.gz"
_MEMBER_PREFIX: Final = "face_recognition-1.3.0/tests/test_images/"

SAMPLE_FILES: Final = (
    "obama.jpg",
    "obama2.jpg",
    "obama3.jpg",
    "biden.jpg",
    "obama_partial_face.jpg",
    "obama_partial_face2.jpg",
    "32bit.png",
)

ENV_VARIABLE: Final = "OVERSIGHT_SAMPLE_FACES_DIR"
_REPOSITORY_ROOT: Final = Path(__file__).resolve().parent.parent


class SampleFacesUnavailable(RuntimeError):
    """The sample images could not be fetched or extracted."""


def sample_faces_dir() -> Path:
    """The folder the samples live in: ``$OVERSIGHT_SAMPLE_FACES_DIR`` or ``.cache/``."""
    configured = os.environ.get(ENV_VARIABLE)
    if configured:
        return Path(configured).expanduser().resolve()
    return _REPOSITORY_ROOT / ".cache" / "sample-faces"


def ensure_sample_faces(directory: Path | None = None) -> Path:
    """Make sure every sample image is in ``directory`` and return it.

    Returns at once when the images are already there; otherwise downloads the source
    distribution (about 3 MB) with pip and extracts only the test images.
    """
    target = directory if directory is not None else sample_faces_dir()
    if all((target / name).is_file() for name in SAMPLE_FILES):
        return target
    target.mkdir(parents=True, exist_ok=True)
    archive = target / SDIST_NAME
    if not archive.is_file():
        _download_sdist(target)
    _extract_images(archive, target)
    missing = [name for name in SAMPLE_FILES if not (target / name).is_file()]
    if missing:
        raise SampleFacesUnavailable(
            f"{SDIST_NAME} did not contain {', '.join(missing)}. Delete {target} and try again."
        )
    return target


def _download_sdist(target: Path) -> None:
    # A temporary folder, then a rename: an interrupted download never leaves a partial
    # archive that a later run would trust.
    with tempfile.TemporaryDirectory(dir=target) as scratch:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            scratch,
            SDIST_REQUIREMENT,
        ]
        # A fixed argument list, no shell: nothing from outside reaches the command line.
        completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        downloaded = Path(scratch) / SDIST_NAME
        if completed.returncode != 0 or not downloaded.is_file():
            raise SampleFacesUnavailable(
                f"Could not download {SDIST_REQUIREMENT} from the package registry "
                f"(pip exited with status {completed.returncode}). Check the network or the "
                f"pip index settings, or put the images in {target} yourself.\n"
                f"{completed.stderr.strip()}"
            )
        os.replace(downloaded, target / SDIST_NAME)


def _extract_images(archive: Path, target: Path) -> None:
    wanted = {_MEMBER_PREFIX + name: name for name in SAMPLE_FILES}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                name = wanted.get(member.name)
                if name is None or not member.isfile():
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                # Written under our own names, never the archive's paths, so a crafted member
                # name cannot write outside the folder; renamed into place for atomicity.
                partial = target / f".{name}.partial"
                with source, partial.open("wb") as out:
                    shutil.copyfileobj(source, out)
                os.replace(partial, target / name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        archive.unlink(missing_ok=True)
        raise SampleFacesUnavailable(
            f"{archive} is damaged ({exc}); it has been removed, so run this again."
        ) from exc


def compose_two_faces(directory: Path | None = None) -> bytes:
    """A JPEG with two different people side by side: obama.jpg and biden.jpg.

    Both photographs are scaled to the same height, so each face is as large as in its
    original and the detector finds exactly two.
    """
    folder = ensure_sample_faces(directory)
    with Image.open(folder / "obama.jpg") as left_file, Image.open(folder / "biden.jpg") as right:
        left = ImageOps.exif_transpose(left_file).convert("RGB")
        right_rgb = ImageOps.exif_transpose(right).convert("RGB")
    height = min(left.height, right_rgb.height)
    left = left.resize((round(left.width * height / left.height), height))
    right_rgb = right_rgb.resize((round(right_rgb.width * height / right_rgb.height), height))
    canvas = Image.new("RGB", (left.width + right_rgb.width, height), (255, 255, 255))
    canvas.paste(left, (0, 0))
    canvas.paste(right_rgb, (left.width, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


# A camera's view for the demo and the tests: people walking past, one at a time.
CAMERA_SEQUENCE: Final = ("obama2.jpg", "biden.jpg", "obama3.jpg", "obama_partial_face.jpg")


def camera_video(
    target: Path,
    *,
    sequence: tuple[str, ...] = CAMERA_SEQUENCE,
    seconds_each: float = 1.0,
    blank_seconds: float = 0.0,
    fps: int = 10,
    size: tuple[int, int] = (640, 480),
    directory: Path | None = None,
) -> Path:
    """Write an mp4v video of the sample photographs, each shown for ``seconds_each``.

    ``blank_seconds`` of empty scene come between them. Each photograph is scaled to fit a
    ``size`` frame on a grey background, as a camera at a doorway would see one person at a
    time. Needs opencv (installed with the engine).
    """
    import cv2

    folder = directory or sample_faces_dir()
    width, height = size
    fourcc = cv2.VideoWriter_fourcc(*"mp4v")  # type: ignore[attr-defined]
    writer = cv2.VideoWriter(str(target), fourcc, fps, size)
    if not writer.isOpened():
        raise SampleFacesUnavailable(f"OpenCV cannot write a video at {target}")
    blank = np.full((height, width, 3), 128, dtype=np.uint8)
    try:
        for number, name in enumerate(sequence):
            if number and blank_seconds:
                for _ in range(round(blank_seconds * fps)):
                    writer.write(blank)
            with Image.open(folder / name) as opened:
                picture = ImageOps.exif_transpose(opened).convert("RGB")
            picture.thumbnail(size)
            canvas = Image.new("RGB", size, (128, 128, 128))
            canvas.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
            bgr = np.ascontiguousarray(np.asarray(canvas)[:, :, ::-1])
            for _ in range(max(1, round(seconds_each * fps))):
                writer.write(bgr)
    finally:
        writer.release()
    return target


def no_face_image(*, width: int = 640, height: int = 480) -> bytes:
    """A JPEG of a smooth colour gradient, in which no detector should find a face."""
    across = np.linspace(0, 255, width, dtype=np.float64)[np.newaxis, :]
    down = np.linspace(0, 255, height, dtype=np.float64)[:, np.newaxis]
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[:, :, 0] = np.broadcast_to(across, (height, width))
    pixels[:, :, 1] = np.broadcast_to(down, (height, width))
    pixels[:, :, 2] = 160
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


# Shape of real encodings, measured on the sample photographs with the 5-point model: norms
# 1.36 to 1.41, and different people about 0.84 apart (obama.jpg to biden.jpg) while the same
# person is 0.25 to 0.36 apart. Encodings therefore share a large common component; a
# population centre of norm 1.22 plus a per-person spread of norm 0.64 puts unrelated people
# about 0.9 apart, so big synthetic watchlists have near neighbours close to the 0.6 threshold
# as real ones do.
_NORM_MEAN: Final = 1.385
_NORM_SPREAD: Final = 0.015
_CENTRE_NORM: Final = 1.22
_PERSON_SPREAD: Final = 0.64


def synthetic_encodings(count: int, *, seed: int = 0) -> np.ndarray:
    """``count`` random (count, 128) float64 encodings with the statistics of dlib's.

    Values are rounded to single precision, as dlib computes them, so they behave like real
    encodings in the matcher. The same seed always gives the same encodings.
    """
    centre = np.random.default_rng(20181).standard_normal(128)
    centre *= _CENTRE_NORM / np.linalg.norm(centre)
    rng = np.random.default_rng(seed)
    vectors = centre + rng.standard_normal((count, 128)) * (_PERSON_SPREAD / np.sqrt(128))
    norms = rng.normal(_NORM_MEAN, _NORM_SPREAD, size=(count, 1))
    vectors *= norms / np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32).astype(np.float64)


def main() -> int:
    try:
        folder = ensure_sample_faces()
    except SampleFacesUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

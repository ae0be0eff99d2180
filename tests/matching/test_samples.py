"""Tests of matching/samples.py: fetching the sample photographs and making test images."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from matching import samples


def populated_copy(sample_faces: Path, target: Path, *, with_archive: bool) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in samples.SAMPLE_FILES:
        shutil.copy(sample_faces / name, target / name)
    if with_archive:
        shutil.copy(sample_faces / samples.SDIST_NAME, target / samples.SDIST_NAME)
    return target


@pytest.fixture
def no_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip was run")

    monkeypatch.setattr(samples.subprocess, "run", refuse)


def test_fetching_leaves_every_sample_image_in_the_cache(sample_faces: Path) -> None:
    for name in samples.SAMPLE_FILES:
        with Image.open(sample_faces / name) as image:
            assert image.width > 400


def test_present_images_are_not_fetched_again(
    sample_faces: Path, tmp_path: Path, no_download: None
) -> None:
    folder = populated_copy(sample_faces, tmp_path / "faces", with_archive=False)
    assert samples.ensure_sample_faces(folder) == folder


def test_missing_images_are_extracted_from_the_cached_archive_without_downloading(
    sample_faces: Path, tmp_path: Path, no_download: None
) -> None:
    folder = populated_copy(sample_faces, tmp_path / "faces", with_archive=True)
    (folder / "biden.jpg").unlink()
    samples.ensure_sample_faces(folder)
    assert (folder / "biden.jpg").read_bytes() == (sample_faces / "biden.jpg").read_bytes()
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [*samples.SAMPLE_FILES, samples.SDIST_NAME]
    )


def test_the_environment_variable_chooses_the_folder(
    sample_faces: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_download: None
) -> None:
    folder = populated_copy(sample_faces, tmp_path / "elsewhere", with_archive=False)
    monkeypatch.setenv(samples.ENV_VARIABLE, str(folder))
    assert samples.sample_faces_dir() == folder.resolve()
    assert samples.ensure_sample_faces() == folder.resolve()


def test_a_failed_download_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_pip(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        assert command[1:4] == ["-m", "pip", "download"]
        assert "--no-deps" in command and ":all:" in command
        return subprocess.CompletedProcess(command, 1, "", "No matching distribution found")

    monkeypatch.setattr(samples.subprocess, "run", failing_pip)
    with pytest.raises(samples.SampleFacesUnavailable) as caught:
        samples.ensure_sample_faces(tmp_path / "faces")
    assert "Could not download face-recognition==1.3.0" in str(caught.value)
    assert "No matching distribution found" in str(caught.value)
    assert not (tmp_path / "faces" / samples.SDIST_NAME).exists()


def test_a_damaged_archive_is_removed_so_the_next_run_fetches_it_again(
    tmp_path: Path, no_download: None
) -> None:
    folder = tmp_path / "faces"
    folder.mkdir()
    (folder / samples.SDIST_NAME).write_bytes(b"not a tarball")
    with pytest.raises(samples.SampleFacesUnavailable):
        samples.ensure_sample_faces(folder)
    assert not (folder / samples.SDIST_NAME).exists()


def test_the_command_prints_the_folder(sample_faces: Path, tmp_path: Path) -> None:
    folder = populated_copy(sample_faces, tmp_path / "faces", with_archive=False)
    completed = subprocess.run(
        [sys.executable, "-m", "matching.samples"],
        capture_output=True,
        text=True,
        env={"OVERSIGHT_SAMPLE_FACES_DIR": str(folder), "PATH": ""},
        cwd=Path(samples.__file__).resolve().parent.parent,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(folder.resolve())


def test_two_faces_are_composed_side_by_side(sample_faces: Path) -> None:
    with Image.open(io.BytesIO(samples.compose_two_faces())) as composed:
        assert composed.format == "JPEG"
        with (
            Image.open(sample_faces / "obama.jpg") as left,
            Image.open(sample_faces / "biden.jpg") as right,
        ):
            height = min(left.height, right.height)
            assert composed.height == height
            assert composed.width == left.width + round(right.width * height / right.height)


def test_the_no_face_image_is_a_smooth_gradient() -> None:
    with Image.open(io.BytesIO(samples.no_face_image(width=64, height=48))) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    assert pixels[:, -1, 0].mean() - pixels[:, 0, 0].mean() > 200
    assert pixels[-1, :, 1].mean() - pixels[0, :, 1].mean() > 200


def test_synthetic_encodings_are_reproducible_single_precision_values() -> None:
    first = samples.synthetic_encodings(100, seed=3)
    assert first.shape == (100, 128) and first.dtype == np.float64
    assert np.array_equal(first, samples.synthetic_encodings(100, seed=3))
    assert not np.array_equal(first, samples.synthetic_encodings(100, seed=4))
    assert np.array_equal(first.astype(np.float32), first)

"""Fixtures for the engine's tests: the sample photographs, fetched once per run."""

from __future__ import annotations

from pathlib import Path

import pytest

# Imported before any test module can import face_recognition itself: with a broken models
# package the library would quit() with status 0 and the run would look green (see engine.py).
from matching import engine  # noqa: F401
from matching.samples import ensure_sample_faces


@pytest.fixture(scope="session")
def sample_faces() -> Path:
    return ensure_sample_faces()

"""A broken face_recognition_models install must fail loudly, not exit 0.

face_recognition catches the models package's ImportError, prints an install hint and calls
quit(), so a worker or a test run would stop with status 0 and look green. The engine imports
the models package first; these tests run a fresh interpreter with a stand-in models package
that fails to import, shadowing the real one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def broken_models_path(tmp_path: Path) -> str:
    package = tmp_path / "face_recognition_models"
    package.mkdir()
    (package / "__init__.py").write_text(
        'raise ImportError("simulated: face_recognition_models is broken")\n'
    )
    return os.pathsep.join([str(tmp_path), str(REPOSITORY)])


def run_python(code: str, *, pythonpath: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": pythonpath}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPOSITORY,
        timeout=120,
        check=False,
    )


def test_importing_the_engine_without_the_models_fails_with_import_error(
    broken_models_path: str,
) -> None:
    completed = run_python("import matching.engine", pythonpath=broken_models_path)
    assert completed.returncode != 0
    assert "ImportError: simulated: face_recognition_models is broken" in completed.stderr
    assert "Please install" not in completed.stdout


def test_importing_face_recognition_alone_would_exit_zero(broken_models_path: str) -> None:
    # The hazard the engine's import order exists for: if this ever starts failing, the
    # library has fixed it and the ordering is merely harmless.
    completed = run_python("import face_recognition", pythonpath=broken_models_path)
    assert completed.returncode == 0
    assert "Please install `face_recognition_models`" in completed.stdout

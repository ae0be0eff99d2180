"""Every process of the project runs its BLAS library on one thread (oversight/__init__.py).

The engine scales with one process per core; OpenBLAS threads inside each process would fight
the other processes for the same cores. OpenBLAS reads its thread count once, when it is
loaded, so these tests start fresh processes the way an operator does and ask every OpenBLAS
loaded in them (numpy's, and dlib's when it is the OpenBLAS build) how many threads it uses.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs inside `manage.py shell`: the project's settings are loaded first, as for any command.
PROBE = """
import ctypes
from pathlib import Path

import numpy
from matching import engine

names = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_")
maps = Path("/proc/self/maps").read_text().splitlines()
counts = set()
for library in {line.split()[-1] for line in maps if "openblas" in line}:
    handle = ctypes.CDLL(library)
    counts |= {getattr(handle, name)() for name in names if hasattr(handle, name)}
print(sorted(counts))
"""

pytestmark = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or not Path("/proc/self/maps").exists(),
    reason="needs Linux and at least 2 cores, where OpenBLAS would otherwise start more threads",
)


def _blas_threads(**environment: str) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "DJANGO_SETTINGS_MODULE"}
    }
    env |= environment
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return completed.stdout.strip().splitlines()[-1]


def test_a_management_command_runs_blas_on_one_thread():
    assert _blas_threads() == "[1]"


def test_an_operator_can_choose_another_blas_thread_count():
    assert _blas_threads(OPENBLAS_NUM_THREADS="2") == "[2]"

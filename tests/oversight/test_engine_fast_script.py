"""`make engine-fast` compiles for the processor it runs on, and never installs a cached build
on a processor that cannot run it (deploy/engine-fast.sh).

A processor without AVX2 cannot be had on this machine, so these tests give the script a
processor description of their own (ENGINE_FAST_CPUINFO) and a virtual environment whose
`python` only records what it is asked: an install must not even be attempted.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "engine-fast.sh"
V3 = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave"

pytestmark = pytest.mark.skipif(
    os.uname().machine != "x86_64", reason="the instruction sets checked are x86-64's"
)


def cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {flags}\n\n")
    return path


def fake_venv(tmp_path: Path) -> tuple[Path, Path]:
    """A venv whose python logs its arguments and says dlib-bin is installed."""
    venv, log = tmp_path / "venv", tmp_path / "python.log"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >>"{log}"\nexit 0\n')
    python.chmod(0o755)
    return venv, log


def run(tmp_path: Path, command: str, flags: str, **env: str) -> subprocess.CompletedProcess[str]:
    venv, _ = fake_venv(tmp_path)
    environment = {
        **os.environ,
        "VENV": str(venv),
        "ENGINE_FAST_CACHE": str(tmp_path / "cache"),
        "ENGINE_FAST_CPUINFO": str(cpuinfo(tmp_path, flags)),
        **env,
    }
    # A fixed argument list, no shell.
    return subprocess.run(
        ["sh", str(SCRIPT), command], env=environment, capture_output=True, text=True, check=False
    )


def test_a_build_targets_x86_64_v3_only_where_the_processor_has_it(tmp_path: Path):
    assert run(tmp_path, "march", V3).stdout.strip() == "x86-64-v3"
    without_fma = V3.replace(" fma", "")
    assert run(tmp_path, "march", without_fma).stdout.strip() == ""
    assert run(tmp_path, "march", "fpu sse sse2 avx").stdout.strip() == ""


def test_a_cached_build_for_x86_64_v3_is_refused_on_a_processor_without_it(tmp_path: Path):
    version = next(
        line.split("==", 1)[1].split(".post", 1)[0]
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("dlib-bin==")
    )
    cached = tmp_path / "cache" / f"dlib-{version}"
    cached.mkdir(parents=True)
    (cached / f"dlib-{version}-cp311-cp311-linux_x86_64.whl").write_bytes(b"not opened")
    (cached / "march").write_text("x86-64-v3\n")
    result = run(tmp_path, "install", V3.replace(" avx2", ""))
    assert result.returncode == 1
    assert "compiled for x86-64-v3, which this processor cannot run" in result.stderr
    assert f"Delete {cached}" in result.stderr
    # dlib-bin stays: nothing was installed or uninstalled.
    asked = (tmp_path / "python.log").read_text()
    assert "pip install" not in asked and "pip uninstall" not in asked

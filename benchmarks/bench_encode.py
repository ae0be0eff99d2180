"""Faces encoded per second per machine: dlib-bin against dlib built with OpenBLAS.

Encoding (dlib's ResNet over a located face) is the engine's floor per face once detection runs
on a reduced copy (bench_pipeline.py). This script measures encoding alone, with the face
locations found once beforehand, for both dlib builds side by side in one run:

- ``dlib-bin``: the prebuilt wheel pinned in requirements.txt;
- ``engine-fast``: dlib compiled from the registry's source distribution against OpenBLAS by
  ``make engine-fast`` (the wheel cached in .cache/engine-fast/).

Each build is installed alone into its own folder under .cache/engine-fast/bench/ and every
measurement runs in fresh processes with that folder first on PYTHONPATH, so both builds are
measured the same way whichever of them .venv holds. Each process uses one BLAS thread, as
the project's processes do (oversight/__init__.py), and the machine's rate is measured with 1
process and with one process per core, started together. Every process encodes the same faces
and the script checks that both builds, and every process, give the same encodings; it exits
non-zero if they do not.

Run from the repository root after ``make engine-fast`` (or ``deploy/engine-fast.sh wheel``):
``.venv/bin/python benchmarks/bench_encode.py``; ``--seconds 3 --repeat 1`` for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = ROOT / ".cache" / "engine-fast"
BENCH_DIR = CACHE / "bench"
LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}
# One face each; 32bit.png is obama2.jpg with an alpha channel, the partial faces are cut.
FACES = (
    "obama.jpg",
    "obama2.jpg",
    "obama3.jpg",
    "biden.jpg",
    "obama_partial_face.jpg",
    "obama_partial_face2.jpg",
    "32bit.png",
)
# dlib computes in single precision; the builds differ only in how the matrix products are
# summed, so their encodings may differ in the last float32 bits, not more.
TOLERANCE = 1e-6
TARGET = 50.0  # faces a second with the fast build on 2 cores


def _pinned_dlib_bin() -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith("dlib-bin=="):
            return line.strip()
    raise SystemExit("requirements.txt pins no dlib-bin")


def _fast_wheel() -> Path | None:
    version = _pinned_dlib_bin().split("==", 1)[1].split(".post", 1)[0]
    wheels = sorted((CACHE / f"dlib-{version}").glob(f"dlib-{version}-*.whl"))
    return wheels[0] if wheels else None


def _install_alone(requirement: str, target: Path) -> Path:
    """Install one dlib build with nothing else into ``target`` and return it.

    Installed again whenever the requirement changes (a rebuilt wheel has a new time), so the
    folder never holds an earlier build than the one named.
    """
    source = requirement
    if Path(requirement).is_file():
        source = f"{Path(requirement).resolve()} {Path(requirement).stat().st_mtime_ns}"
    stamp = target / ".installed-from"
    current = stamp.read_text() if stamp.exists() else ""
    if current != source or not list(target.glob("_dlib_pybind11*.so")):
        shutil.rmtree(target, ignore_errors=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        command += ["--target", str(target), requirement]
        # A fixed argument list, no shell.
        subprocess.run(command, check=True)
        stamp.write_text(source)
    return target


def _environment(site: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    # One BLAS thread per process, as every process of the project runs (oversight/__init__.py).
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    return env


# --- inside a measuring process -------------------------------------------------------------


def _worker(options: argparse.Namespace) -> int:
    """Encode the faces in turn for ``--seconds`` after a "go" on stdin; report as JSON."""
    import numpy as np

    from matching import engine
    from matching.samples import ensure_sample_faces

    folder = ensure_sample_faces()
    images = [engine.load_image(folder / name, **LIMITS) for name in FACES]
    import dlib

    maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
    report: dict[str, object] = {
        "dlib": str(Path(dlib.__file__).parent.parent),
        # The system's OpenBLAS, as the built extension links it (numpy's own copy is named
        # libscipy_openblas64_ and does not count).
        "openblas": "/libopenblas" in maps,
    }
    if options.worker == "locate":
        report["locations"] = [
            [list(box) for box in engine.detect_faces(image, upsample=0)] for image in images
        ]
        print(json.dumps(report), flush=True)
        return 0

    locations = [[tuple(box) for box in boxes] for boxes in json.loads(options.locations)]
    # Warm-up: the first call loads the models and pages in the network.
    first = [
        engine.encode_faces(image, boxes) for image, boxes in zip(images, locations, strict=True)
    ]
    report["encodings"] = np.concatenate(first).tolist()
    print("ready", flush=True)
    sys.stdin.readline()  # "go": every process starts together
    start, cpu_start = time.monotonic(), time.process_time()
    count = 0
    # The same time for both builds, so that load elsewhere weighs on them alike; whole faces
    # only, so a process stops at most one face past the time.
    while time.monotonic() - start < options.seconds:
        for image, boxes in zip(images, locations, strict=True):
            count += len(engine.encode_faces(image, boxes))
            if time.monotonic() - start >= options.seconds:
                break
    report |= {
        "start": start,
        "end": time.monotonic(),
        "cpu": time.process_time() - cpu_start,
        "faces": count,
    }
    print(json.dumps(report), flush=True)
    return 0


# --- in the parent --------------------------------------------------------------------------


def _busy_jiffies() -> int:
    """CPU time the whole machine has spent busy, in clock ticks (Linux), or 0."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0
    values = [int(value) for value in fields]
    # user nice system idle iowait irq softirq steal: everything but idle and iowait.
    return sum(values[:3]) + sum(values[5:8])


@dataclass
class Measurement:
    build: str
    processes: int
    faces: int
    wall: float
    cpu: float
    others: float  # cores used by other processes meanwhile
    encodings: list[list[list[float]]]
    openblas: bool
    dlib: set[str]

    @property
    def rate(self) -> float:
        return self.faces / self.wall


def _measure(build: str, site: Path, processes: int, seconds: float, locations: str) -> Measurement:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "encode"]
    command += ["--seconds", str(seconds), "--locations", locations]
    children = [
        subprocess.Popen(  # a fixed argument list, no shell
            command,
            env=_environment(site),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"{build}: a measuring process failed to start ({line.strip()!r})")
    ticks = os.sysconf("SC_CLK_TCK")
    busy_start, wall_start = _busy_jiffies(), time.monotonic()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    reports = []
    for child in children:
        output, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"{build}: a measuring process exited with {child.returncode}")
        reports.append(json.loads(output))
    wall_end, busy_end = time.monotonic(), _busy_jiffies()
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    cpu = sum(r["cpu"] for r in reports)
    machine_busy = (busy_end - busy_start) / ticks
    others = max(0.0, (machine_busy - cpu) / (wall_end - wall_start))
    return Measurement(
        build=build,
        processes=processes,
        faces=sum(r["faces"] for r in reports),
        wall=wall,
        cpu=cpu,
        others=others,
        encodings=[r["encodings"] for r in reports],
        openblas=all(r["openblas"] for r in reports),
        dlib={r["dlib"] for r in reports},
    )


def _max_difference(a: list[list[float]], b: list[list[float]]) -> float:
    return max(
        abs(x - y)
        for row_a, row_b in zip(a, b, strict=True)
        for x, y in zip(row_a, row_b, strict=True)
    )


def _processor() -> str:
    """The processor's name and the OpenBLAS kernels chosen for it: the rate depends on both."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import ctypes

        openblas = ctypes.CDLL("libopenblas.so.0")
        openblas.openblas_get_corename.restype = ctypes.c_char_p
        kernels = openblas.openblas_get_corename().decode()
    except (OSError, AttributeError):
        kernels = "not found"
    return f"{name}; the system OpenBLAS's kernels: {kernels}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="of encoding per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--worker", choices=["locate", "encode"], help=argparse.SUPPRESS)
    parser.add_argument("--locations", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        return _worker(options)

    wheel = _fast_wheel()
    if wheel is None:
        print(
            "bench_encode: no engine-fast wheel in .cache/engine-fast/: run `make engine-fast` "
            "(about 16 minutes, once) or `deploy/engine-fast.sh wheel` first",
            file=sys.stderr,
        )
        return 2
    from matching.samples import ensure_sample_faces

    ensure_sample_faces()
    sites = {
        "dlib-bin": _install_alone(_pinned_dlib_bin(), BENCH_DIR / "dlib-bin"),
        "engine-fast": _install_alone(str(wheel), BENCH_DIR / "engine-fast"),
    }

    # The faces' boxes, found once with dlib-bin's HOG detector; encoding is what is timed.
    located = subprocess.run(  # a fixed argument list, no shell
        [sys.executable, str(Path(__file__).resolve()), "--worker", "locate"],
        env=_environment(sites["dlib-bin"]),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    boxes = json.loads(located.stdout)["locations"]
    if [len(b) for b in boxes] != [1] * len(FACES):
        raise SystemExit(f"expected one face in each sample photograph, found {boxes}")

    cores = os.cpu_count() or 1
    counts = sorted({1, cores})
    print(
        f"bench_encode: {len(FACES)} sample faces encoded in turn for {options.seconds:g} s per "
        f"measurement, known face locations, one BLAS thread per process, {options.repeat} runs"
    )
    print(
        f"machine: {cores} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )
    print(f"  processor: {_processor()}")
    print(f"  dlib-bin: {_pinned_dlib_bin()}, alone in {sites['dlib-bin'].relative_to(ROOT)}")
    recorded = wheel.parent / "march"
    march = recorded.read_text().strip() if recorded.exists() else ""
    print(
        f"  engine-fast: {wheel.name} (compiled for {march or 'dlib default, AVX'}), alone in "
        f"{sites['engine-fast'].relative_to(ROOT)}"
    )
    print()

    results: dict[tuple[str, int], list[Measurement]] = {}
    for run in range(options.repeat):
        # Alternate the order, so that a burst of load elsewhere hits both builds alike.
        order = list(sites.items()) if run % 2 == 0 else list(reversed(sites.items()))
        for build, site in order:
            for processes in counts:
                measurement = _measure(build, site, processes, options.seconds, json.dumps(boxes))
                results.setdefault((build, processes), []).append(measurement)

    # "CPU-bound" is what the processes would reach with their cores to themselves: faces per
    # CPU second times the processes. Load elsewhere lowers the measured rate far more than it
    # raises the CPU time per face, so on a shared machine this is the steadier comparison.
    header = (
        f"{'build':<12} {'processes':>9} {'OpenBLAS':>8} {'faces/s':>8} {'range':>12} "
        f"{'CPU ms/face':>11} {'CPU-bound faces/s':>17} {'others, cores':>13}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[tuple[str, int], float] = {}
    for (build, processes), runs in results.items():
        rates = [m.rate for m in runs]
        medians[(build, processes)] = statistics.median(rates)
        cpu_ms = statistics.median(1000 * m.cpu / m.faces for m in runs)
        others = [m.others for m in runs]
        print(
            f"{build:<12} {processes:>9} {'yes' if runs[0].openblas else 'no':>8} "
            f"{medians[(build, processes)]:>8.1f} {min(rates):>5.1f}-{max(rates):<6.1f} "
            f"{cpu_ms:>11.1f} {processes * 1000 / cpu_ms:>17.1f} "
            f"{min(others):>6.2f}-{max(others):<6.2f}"
        )
    print("(faces/s: median of the runs, wall clock; others: cores busy with other processes)")
    print()
    for processes in counts:
        ratio = medians[("engine-fast", processes)] / medians[("dlib-bin", processes)]
        print(f"engine-fast / dlib-bin, {processes} process(es): {ratio:.2f}x")
    for build in sites:
        if len(counts) > 1:
            ratio = medians[(build, counts[-1])] / medians[(build, 1)]
            print(f"{build}, {counts[-1]} processes / 1: {ratio:.2f}x")

    failed = False
    for (build, _), runs in results.items():
        loaded = set().union(*(m.dlib for m in runs))
        if loaded != {str(sites[build])}:
            print(f"FAIL: the {build} processes loaded dlib from {sorted(loaded)}")
            failed = True
    if not all(m.openblas for p in counts for m in results[("engine-fast", p)]):
        print("FAIL: the engine-fast processes did not load OpenBLAS")
        failed = True
    reference = results[("dlib-bin", 1)][0].encodings[0]
    worst = {"dlib-bin": 0.0, "engine-fast": 0.0}
    for (build, _), runs in results.items():
        for measurement in runs:
            for encodings in measurement.encodings:
                worst[build] = max(worst[build], _max_difference(reference, encodings))
    print(
        f"encodings: {len(FACES)} faces; largest difference from dlib-bin's first process: "
        f"dlib-bin {worst['dlib-bin']:.1e}, engine-fast {worst['engine-fast']:.1e} "
        f"(tolerance {TOLERANCE:.0e})"
    )
    if max(worst.values()) > TOLERANCE:
        print("FAIL: the builds encode differently")
        failed = True
    best = medians[("engine-fast", counts[-1])]
    verdict = "met" if best >= TARGET else "NOT met"
    print(
        f"target: at least {TARGET:.0f} faces a second with engine-fast on {counts[-1]} "
        f"cores: {verdict} ({best:.1f})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

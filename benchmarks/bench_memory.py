"""Memory held per 100,000 watchlist entries: the Matcher against naive float64 storage.

Each layout is built in a fresh interpreter, so that one measurement's freed memory cannot
flatter the next: the child generates the encodings (float64, as face_recognition returns
them), records its resident set size, builds the layout, and reports what it retained
(tracemalloc, which numpy reports its buffers to, and the RSS delta) and the peak while
building. For the Matcher it also runs a 1,000-probe batch and reports the scratch buffer the
batch left behind. Run from the repository root: ``.venv/bin/python benchmarks/bench_memory.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

LAYOUTS = ("list of float64 arrays", "float64 matrix", "Matcher")
MB = 1024 * 1024


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(layout: str, entries: int) -> dict[str, float]:
    """Runs in the child: build one layout and report its memory, in bytes."""
    from matching.engine import Matcher
    from matching.samples import synthetic_encodings

    encodings = synthetic_encodings(entries, seed=1)
    ids = list(range(entries))
    gc.collect()
    rss_before = resident_bytes()
    tracemalloc.start()
    held: object
    if layout == "list of float64 arrays":
        held = [row.copy() for row in encodings]
        payload = sum(array.nbytes for array in held)  # type: ignore[attr-defined]
    elif layout == "float64 matrix":
        held = encodings.copy()
        payload = held.nbytes  # type: ignore[attr-defined]
    else:
        held = Matcher(encodings, entry_ids=ids)
        payload = held.nbytes  # type: ignore[attr-defined]
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    rss_after = resident_bytes()
    report = {
        "payload": payload,
        "retained": retained,
        "peak": peak,
        "rss": rss_after - rss_before,
        "scratch": 0.0,
    }
    if isinstance(held, Matcher):
        held.match(synthetic_encodings(1000, seed=2), threshold=0.6)
        report["scratch"] = held.scratch_nbytes
    tracemalloc.stop()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--child", choices=LAYOUTS, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(measure(options.child, options.entries)))
        return 0

    print(f"bench_memory: {options.entries:,} entries of 128 values, one fresh process each")
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, numpy {np.__version__}")
    print()
    header = (
        f"{'layout':<24} {'data MB':>8} {'retained MB':>12} {'RSS delta MB':>13} "
        f"{'build peak MB':>14} {'per entry B':>12}"
    )
    print(header)
    print("-" * len(header))
    reports = {}
    for layout in LAYOUTS:
        completed = subprocess.run(
            [sys.executable, __file__, "--child", layout, "--entries", str(options.entries)],
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(completed.stdout)
        reports[layout] = report
        print(
            f"{layout:<24} {report['payload'] / MB:>8.1f} {report['retained'] / MB:>12.1f} "
            f"{report['rss'] / MB:>13.1f} {report['peak'] / MB:>14.1f} "
            f"{report['retained'] / options.entries:>12.0f}"
        )
    matcher = reports["Matcher"]
    print()
    print(
        f"Matcher scratch after a 1,000-probe batch: {matcher['scratch'] / MB:.1f} MB "
        "(reused between batches; bounded by work_bytes, 64 MB by default)"
    )
    for layout in LAYOUTS[:2]:
        print(
            f"a {layout} retains {reports[layout]['retained'] / matcher['retained']:.2f} "
            "times as much as the Matcher"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

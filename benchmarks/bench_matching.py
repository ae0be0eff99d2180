"""1:N matching speed: the engine's Matcher against a face_distance loop and FAISS.

For watchlists of 10,000 and 100,000 synthetic encodings (with the statistics of dlib's) and
1,000 probes, times three ways of finding every probe's nearest entry:

- ``loop``: ``face_recognition.face_distance`` once per probe, then argmin; the library's own
  way and the reference answer;
- ``faiss``: FAISS's exact ``IndexFlatL2`` (float32, all cores);
- ``Matcher``: the engine, ``top1`` (every answer settled in float64) and ``match`` (the live
  path, threshold 0.6).

Checks that all three give the same nearest entry for every probe and that ``match`` makes
the same decisions as ``face_distance(...) <= 0.6``; exits non-zero if the Matcher disagrees
with the library. Run from the repository root: ``.venv/bin/python benchmarks/bench_matching.py``
(``--loop-probes N`` times the loop on the first N probes only and extrapolates, saying so).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _threads_option() -> int | None:
    """``--threads N``, read before numpy loads: OpenBLAS sizes its pool once, at import."""
    for position, argument in enumerate(sys.argv):
        if argument == "--threads" and position + 1 < len(sys.argv):
            return int(sys.argv[position + 1])
        if argument.startswith("--threads="):
            return int(argument.split("=", 1)[1])
    return None


if (_threads := _threads_option()) is not None:
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(_threads)

# After the thread settings above, which is the point of their being here.
import faiss  # noqa: E402
import numpy as np  # noqa: E402

from matching.engine import Matcher, face_recognition  # noqa: E402
from matching.samples import synthetic_encodings  # noqa: E402

SIZES = (10_000, 100_000)
PROBES = 1_000
THRESHOLD = 0.6
REPEATS = 7


def best_times(functions: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Fastest of REPEATS runs of each function after one untimed warm-up. The functions take
    turns, so that a burst of load from elsewhere on the machine hits all of them alike."""
    for function in functions.values():
        function()
    fastest = dict.fromkeys(functions, float("inf"))
    for _ in range(REPEATS):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            fastest[name] = min(fastest[name], time.perf_counter() - start)
    return fastest


def make_probes(watchlist: np.ndarray, *, seed: int) -> np.ndarray:
    """900 strangers and 100 people on the list, photographed again (0.2 to 0.5 away)."""
    rng = np.random.default_rng(seed)
    strangers = synthetic_encodings(PROBES - 100, seed=seed)
    listed = watchlist[rng.choice(len(watchlist), size=100, replace=False)]
    steps = rng.standard_normal(listed.shape)
    steps *= rng.uniform(0.2, 0.5, size=(100, 1)) / np.linalg.norm(steps, axis=1, keepdims=True)
    probes = np.vstack([strangers, listed + steps]).astype(np.float32).astype(np.float64)
    return probes[rng.permutation(PROBES)]


@dataclass
class SizeResult:
    size: int
    loop_probes: int
    loop: float
    top1: float
    match: float
    faiss: float
    matcher_build: float
    faiss_build: float
    top1_same: bool
    top1_bitwise: bool
    decisions_same: bool
    faiss_differs: int
    matches: int


def run_size(size: int, *, loop_probes: int) -> SizeResult:
    watchlist = synthetic_encodings(size, seed=size)
    probes = make_probes(watchlist, seed=size + 1)

    # The reference: the library, one probe at a time, as an application would call it.
    looped = probes[:loop_probes]
    loop_index = np.empty(len(looped), dtype=np.int64)
    loop_best = np.empty(len(looped), dtype=np.float64)
    start = time.perf_counter()
    for row, probe in enumerate(looped):
        distances = face_recognition.face_distance(watchlist, probe)
        loop_index[row] = int(np.argmin(distances))
        loop_best[row] = distances[loop_index[row]]
    loop_seconds = (time.perf_counter() - start) * (PROBES / len(looped))

    start = time.perf_counter()
    matcher = Matcher(watchlist, entry_ids=range(size))
    matcher_build = time.perf_counter() - start
    start = time.perf_counter()
    index = faiss.IndexFlatL2(128)
    index.add(np.ascontiguousarray(watchlist, dtype=np.float32))
    faiss_build = time.perf_counter() - start
    probes32 = np.ascontiguousarray(probes, dtype=np.float32)

    top1_index, top1_distance = matcher.top1(probes)
    matches = matcher.match(probes, threshold=THRESHOLD)
    _, faiss_index = index.search(probes32, 1)
    seconds = best_times(
        {
            "top1": lambda: matcher.top1(probes),
            "match": lambda: matcher.match(probes, threshold=THRESHOLD),
            "faiss": lambda: index.search(probes32, 1),
        }
    )

    n = len(looped)
    decisions_same = all(
        (found is not None) == (best <= THRESHOLD)
        and (found is None or (found.index == idx and found.distance == best))
        for found, idx, best in zip(matches[:n], loop_index, loop_best, strict=True)
    )
    return SizeResult(
        size=size,
        loop_probes=n,
        loop=loop_seconds,
        top1=seconds["top1"],
        match=seconds["match"],
        faiss=seconds["faiss"],
        matcher_build=matcher_build,
        faiss_build=faiss_build,
        top1_same=bool(np.array_equal(top1_index[:n], loop_index)),
        top1_bitwise=bool(np.array_equal(top1_distance[:n], loop_best)),
        decisions_same=decisions_same,
        faiss_differs=int(np.count_nonzero(faiss_index[:n, 0] != loop_index)),
        matches=sum(found is not None for found in matches),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--loop-probes",
        type=int,
        default=PROBES,
        help="time the face_distance loop on this many probes and extrapolate (default: all)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--threads",
        type=int,
        help="threads for BLAS and FAISS (default: all cores); 1 gives steadier figures on a "
        "machine that is busy with something else",
    )
    options = parser.parse_args()
    if options.threads:
        faiss.omp_set_num_threads(options.threads)
    loop_probes = max(1, min(PROBES, options.loop_probes))

    print(f"bench_matching: {PROBES:,} probes, threshold {THRESHOLD}, best of {REPEATS} runs")
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"faiss {faiss.__version__}; threads for BLAS and FAISS: "
        f"{options.threads or 'all'} (FAISS reports {faiss.omp_get_max_threads()})"
    )
    if loop_probes < PROBES:
        print(
            f"note: the face_distance loop is timed on the first {loop_probes} probes and "
            f"scaled to {PROBES:,}; answers are compared on those {loop_probes}."
        )
    print()
    header = (
        f"{'entries':>8}  {'method':<22} {'total ms':>10} {'µs/probe':>10} "
        f"{'vs loop':>9} {'vs faiss':>9}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for size in options.sizes:
        result = run_size(size, loop_probes=loop_probes)
        results.append(result)
        for name, seconds in (
            ("face_distance loop", result.loop),
            ("faiss IndexFlatL2", result.faiss),
            ("Matcher.top1", result.top1),
            ("Matcher.match (0.6)", result.match),
        ):
            print(
                f"{size:>8,}  {name:<22} {seconds * 1000:>10.1f} {seconds / PROBES * 1e6:>10.1f} "
                f"{result.loop / seconds:>8.1f}x {result.faiss / seconds:>8.2f}x"
            )
        print(
            f"{'':>8}  built in: Matcher {result.matcher_build:.3f} s, "
            f"faiss {result.faiss_build:.3f} s; {result.matches} of {PROBES:,} probes matched"
        )
    print()
    failed = False
    for result in results:
        size = f"{result.size:>8,}"
        for label, passed in (
            (f"top-1 identical to the loop on {result.loop_probes:,} probes", result.top1_same),
            ("distances bit for bit equal to face_distance", result.top1_bitwise),
            ("match decisions identical to face_distance <= 0.6", result.decisions_same),
        ):
            print(f"{size}  {'ok  ' if passed else 'FAIL'} {label}")
            failed |= not passed
        print(
            f"{size}  {'ok  ' if result.faiss_differs == 0 else 'note'} FAISS top-1 differs "
            f"from the loop on {result.faiss_differs} probes (float32, no exact re-check)"
        )
        print(
            f"{size}  speed-up of match: {result.loop / result.match:.0f}x the loop "
            f"(target >= 50x: {'met' if result.loop / result.match >= 50 else 'NOT met'}), "
            f"{result.faiss / result.match:.2f}x FAISS "
            f"(target >= 1x: {'met' if result.faiss >= result.match else 'NOT met'}); "
            f"top1: {result.loop / result.top1:.0f}x the loop, "
            f"{result.faiss / result.top1:.2f}x FAISS"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

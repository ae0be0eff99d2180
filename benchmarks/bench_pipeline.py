"""Frames per second, detection to decision: the library used naively against the engine.

Runs over the sample photographs (fetched by ``make sample-faces``), each decoded once and
then processed ``--repeat`` times as if they were camera frames. The watchlist holds the
encoding of obama.jpg; every configuration must find one face per frame, match every
photograph of Obama and not match Biden, or the script exits non-zero.

- ``naive``: ``face_locations`` at full resolution with one upsample (the library's default),
  ``face_encodings``, then ``face_distance`` against the watchlist;
- ``engine``: ``process_frame``: HOG on a half-size copy without upsampling, encoding on the
  full-resolution pixels, the Matcher; and the same with detection on greyscale.

Decoding is not timed: frames from a camera arrive decoded. Single process; the engine's
throughput scales with one process per core. Wall-clock and CPU seconds are both shown: the
work is single-threaded, so on a busy machine the CPU figure is the steadier one. Run from the
repository root: ``.venv/bin/python benchmarks/bench_pipeline.py``.
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

import numpy as np

from matching import engine
from matching.engine import face_recognition
from matching.samples import SAMPLE_FILES, ensure_sample_faces

THRESHOLD = 0.6
LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}
# 32bit.png is obama2.jpg with an alpha channel; biden.jpg is the only other person.
EXPECTED = {name: (set() if name == "biden.jpg" else {"obama"}) for name in SAMPLE_FILES}

# (faces seen, ids matched) for one frame.
Outcome = tuple[int, set[str]]


@dataclass
class Configuration:
    name: str
    run: Callable[[np.ndarray], Outcome]


def naive(watchlist: np.ndarray) -> Callable[[np.ndarray], Outcome]:
    def run(image: np.ndarray) -> Outcome:
        locations = face_recognition.face_locations(image, number_of_times_to_upsample=1)
        encodings = face_recognition.face_encodings(image, locations, model="small")
        matched = set()
        for encoding in encodings:
            if face_recognition.face_distance(watchlist, encoding).min() <= THRESHOLD:
                matched.add("obama")
        return len(locations), matched

    return run


def with_engine(
    matcher: engine.Matcher, *, upsample: int, scale: float, grey: bool
) -> Callable[[np.ndarray], Outcome]:
    def run(image: np.ndarray) -> Outcome:
        result = engine.process_frame(
            image, matcher, threshold=THRESHOLD, upsample=upsample, scale=scale, grey=grey
        )
        return result.faces_seen, {str(match.entry_id) for match in result.matches}

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the photographs")
    options = parser.parse_args()

    folder = ensure_sample_faces()
    frames = {name: engine.load_image(folder / name, **LIMITS) for name in SAMPLE_FILES}
    reference = frames["obama.jpg"]
    watchlist = engine.encode_faces(reference, engine.detect_faces(reference))
    matcher = engine.Matcher(watchlist, entry_ids=["obama"])

    configurations = [
        Configuration("naive: full size, upsample 1", naive(watchlist)),
        Configuration(
            "engine: scale 0.5, upsample 0",
            with_engine(matcher, upsample=0, scale=0.5, grey=False),
        ),
        Configuration(
            "engine: scale 0.5, upsample 0, grey",
            with_engine(matcher, upsample=0, scale=0.5, grey=True),
        ),
    ]

    pixels = sum(frame.shape[0] * frame.shape[1] for frame in frames.values()) / len(frames)
    print(
        f"bench_pipeline: {len(frames)} photographs x {options.repeat} passes, "
        f"{pixels / 1e6:.1f} megapixels on average, threshold {THRESHOLD}"
    )
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, one process"
    )
    print()
    header = (
        f"{'configuration':<36} {'frames':>6} {'wall s':>7} {'fps':>6} {'speed-up':>8} "
        f"{'CPU s':>7} {'fps (CPU)':>9} {'speed-up':>8}"
    )
    print(header)
    print("-" * len(header))

    failed = False
    baseline: tuple[float, float] | None = None
    for configuration in configurations:
        configuration.run(reference)  # warm-up: the first calls allocate and page in models
        count = 0
        cpu_start = time.process_time()
        start = time.perf_counter()
        for _ in range(options.repeat):
            for name, image in frames.items():
                outcome = configuration.run(image)
                count += 1
                if outcome != (1, EXPECTED[name]):
                    print(f"FAIL {configuration.name}: {name} gave {outcome}")
                    failed = True
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        fps, cpu_fps = count / seconds, count / cpu_seconds
        baseline = baseline or (fps, cpu_fps)
        print(
            f"{configuration.name:<36} {count:>6} {seconds:>7.2f} {fps:>6.2f} "
            f"{fps / baseline[0]:>7.1f}x {cpu_seconds:>7.2f} {cpu_fps:>9.2f} "
            f"{cpu_fps / baseline[1]:>7.1f}x"
        )
    print()
    if failed:
        print("identities: FAIL (see above)")
    else:
        print(
            "identities: ok; every configuration found one face in every frame, matched all "
            "six photographs of Obama and did not match Biden"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

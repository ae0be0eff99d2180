"""The engine's error rates by demographic group, the way NIST reports demographic effects.

A labelled image set (a manifest: image path, person identifier, group label) is encoded once
per image; every pair of encoded images is then compared. Pairs of the same person are genuine
pairs, pairs of different people impostor pairs. At each threshold:

- the false non-match rate (FNMR) of a group is the share of its genuine pairs whose distance
  is above the threshold (the engine would miss that person);
- the false match rate (FMR) of a group is the share of the impostor pairs involving one of its
  members whose distance is at or within the threshold (the engine would raise a false alert).
  Each unordered pair counts once for each group it involves, so a pair across two groups
  counts for both and a pair within one group counts once. This is the rate a passer-by of the
  group is falsely matched against a watchlist that holds people of every group; the rate
  among impostor pairs within the group alone, which NIST found to be the higher of the two
  for most algorithms, is reported alongside;
- each rate carries a Wilson score 95% interval (Wilson, E. B. (1927) "Probable inference, the
  law of succession, and statistical inference", JASA 22(158), 209-212), which, unlike the
  normal approximation, stays inside [0, 1] and is informative at zero counts: 0 errors in n
  trials gives [0, z^2 / (n + z^2)];
- the worst-to-best ratio between groups of the FMR and of the FNMR, as in NIST IR 8280
  (Grother, Ngan and Hanaoka (2019), "Face Recognition Vendor Test Part 3: Demographic
  Effects"), which reports demographic differentials as ratios of error rates;
- the expected false alerts per 10,000 faces for a watchlist of N people, assuming each face is
  compared independently with every entry: 10,000 x (1 - (1 - FMR)^N).

The parity threshold is the loosest evaluated threshold at and below which every evaluated
threshold kept the worst-to-best FMR ratio within the limit. Pairs that share an image are not
independent, so the intervals are narrower than they would be for independent trials; the
report says so.

Nothing here imports Django, and only ``encode_manifest`` needs the engine (imported there),
so the statistics can be tested and run on synthetic encodings alone. No encoding is kept:
the result holds counts and rates only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from core.errors import MalformedFile

__all__ = [
    "Z_95",
    "EvaluationResult",
    "ExcludedImage",
    "MalformedFile",
    "ManifestRow",
    "encode_manifest",
    "engine_version",
    "evaluate",
    "expected_false_alerts",
    "manifest_sha256",
    "parse_manifest",
    "parse_thresholds",
    "wilson_interval",
]

# The two-sided 95% quantile of the standard normal distribution, Phi^-1(0.975).
Z_95: Final = 1.959963984540054
FACES_PER_REPORT: Final = 10_000
# Scratch space for one block of pairwise differences (rows x images x 128 float64).
_WORK_BYTES: Final = 64 * 1024 * 1024
_HEADER_FIRST_CELLS: Final = frozenset({"image", "image path", "image_path", "path", "file"})


# -- Statistics --------------------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion ``successes / trials``.

    With no trials nothing is known, and the interval is the whole of [0, 1].
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return 0.0, 1.0
    n = float(trials)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = (z / denominator) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    # At the ends the exact bounds are 0 and 1; floating point would leave ~1e-17 instead.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def expected_false_alerts(
    fmr: float, watchlist_size: int, *, faces: int = FACES_PER_REPORT
) -> float:
    """False alerts expected among ``faces`` passers-by for a watchlist of ``watchlist_size``.

    A face raises a false alert when it falsely matches at least one entry; with independent
    comparisons that happens with probability 1 - (1 - FMR)^N, computed with log1p/expm1 so
    that tiny rates do not vanish in rounding.
    """
    if not 0.0 <= fmr <= 1.0:
        raise ValueError(f"a false match rate lies in [0, 1], got {fmr}")
    if watchlist_size < 0:
        raise ValueError("the watchlist size must not be negative")
    if fmr == 1.0:
        per_face = 1.0 if watchlist_size else 0.0
    else:
        per_face = -math.expm1(watchlist_size * math.log1p(-fmr))
    return faces * per_face


def _ratio(rates: Sequence[float]) -> float | None:
    """Worst-to-best ratio; None with fewer than two rates, infinity when only the best is 0."""
    if len(rates) < 2:
        return None
    worst, best = max(rates), min(rates)
    if worst == 0.0:
        return 1.0
    if best == 0.0:
        return math.inf
    return worst / best


def ratio_text(ratio: float | None) -> str:
    """The ratio as a person reads it."""
    if ratio is None:
        return "not measurable (needs two groups with pairs)"
    if math.isinf(ratio):
        return "unbounded (the best group had no errors, another had some)"
    return f"{ratio:.2f}"


# -- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRates:
    """One group's error counts and rates at one threshold (or all groups, as ``group="all"``)."""

    group: str
    people: int
    images: int
    genuine_pairs: int
    false_non_matches: int
    fnmr: float | None
    fnmr_low: float
    fnmr_high: float
    impostor_pairs: int
    false_matches: int
    fmr: float | None
    fmr_low: float
    fmr_high: float
    same_group_impostor_pairs: int
    same_group_false_matches: int
    same_group_fmr: float | None
    false_alerts_per_10k: float | None
    false_alerts_per_10k_high: float | None


@dataclass(frozen=True)
class ThresholdResult:
    threshold: float
    groups: list[GroupRates]
    overall: GroupRates
    fmr_ratio: float | None
    fnmr_ratio: float | None
    fmr_worst_group: str
    fmr_best_group: str
    is_parity: bool


@dataclass(frozen=True)
class EvaluationResult:
    thresholds: list[float]
    watchlist_size: int
    parity_ratio_limit: float
    parity_threshold: float | None
    groups: list[str]
    by_threshold: list[ThresholdResult]
    images_encoded: int
    excluded: list[ExcludedImage] = field(default_factory=list)

    def for_threshold(self, threshold: float) -> ThresholdResult | None:
        return next((r for r in self.by_threshold if math.isclose(r.threshold, threshold)), None)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (no infinities: an unbounded ratio is stored as null with its text)."""
        data = asdict(self)
        for row, result in zip(data["by_threshold"], self.by_threshold, strict=True):
            for name in ("fmr_ratio", "fnmr_ratio"):
                value = getattr(result, name)
                row[name] = None if value is None or math.isinf(value) else value
                row[f"{name}_text"] = ratio_text(value)
        data.pop("excluded")
        data["images_excluded"] = len(self.excluded)
        return data


# -- Pair counting -----------------------------------------------------------------------------


def _codes(labels: Sequence[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    names = sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    return names, np.array([index[label] for label in labels], dtype=np.int64)


def _block_rows(count: int) -> int:
    return max(1, _WORK_BYTES // max(1, count * 128 * 8))


def _count_pairs(
    encodings: npt.NDArray[np.float64],
    person_codes: npt.NDArray[np.int64],
    group_codes: npt.NDArray[np.int64],
    group_count: int,
    thresholds: npt.NDArray[np.float64],
) -> dict[str, npt.NDArray[np.int64]]:
    """Histograms of pairs by the index of the tightest threshold they match at.

    For a pair at distance d, k = the number of thresholds below d; it matches at threshold m
    exactly when m >= k, so a cumulative sum of the histogram gives the matches at each
    threshold. Index len(thresholds) means "matches at none". Arrays are (groups + 1, T + 1);
    the last group row is all groups together.
    """
    n = len(encodings)
    bins = len(thresholds) + 1
    shape = (group_count + 1, bins)
    genuine = np.zeros(shape, dtype=np.int64)
    impostor = np.zeros(shape, dtype=np.int64)
    same_group = np.zeros(shape, dtype=np.int64)
    rows = _block_rows(n)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        # Only columns from `start` on: pairs (i, j) with j > i, each compared once. The
        # difference-and-norm form is face_recognition.face_distance's, so a pair counts as a
        # match here exactly when the engine's matcher would call it one.
        block = encodings[start:stop, np.newaxis, :] - encodings[np.newaxis, start:, :]
        distances = np.linalg.norm(block, axis=2)
        del block
        i = np.arange(start, stop)[:, np.newaxis]
        j = np.arange(start, n)[np.newaxis, :]
        upper = j > i
        k = np.searchsorted(thresholds, distances, side="left")
        same_person = person_codes[start:stop, np.newaxis] == person_codes[np.newaxis, start:]
        gi = group_codes[start:stop, np.newaxis]
        gj = group_codes[np.newaxis, start:]
        is_genuine = upper & same_person
        is_impostor = upper & ~same_person
        genuine[group_count] += np.bincount(k[is_genuine], minlength=bins)
        impostor[group_count] += np.bincount(k[is_impostor], minlength=bins)
        same_group[group_count] += np.bincount(k[is_impostor & (gi == gj)], minlength=bins)
        for g in range(group_count):
            in_i, in_j = gi == g, gj == g
            genuine[g] += np.bincount(k[is_genuine & in_i], minlength=bins)
            impostor[g] += np.bincount(k[is_impostor & (in_i | in_j)], minlength=bins)
            same_group[g] += np.bincount(k[is_impostor & in_i & in_j], minlength=bins)
    return {"genuine": genuine, "impostor": impostor, "same_group": same_group}


def _rates(
    *,
    group: str,
    people: int,
    images: int,
    genuine_hist: npt.NDArray[np.int64],
    impostor_hist: npt.NDArray[np.int64],
    same_group_hist: npt.NDArray[np.int64],
    m: int,
    watchlist_size: int,
    z: float,
) -> GroupRates:
    genuine_pairs = int(genuine_hist.sum())
    genuine_matches = int(genuine_hist[: m + 1].sum())
    false_non_matches = genuine_pairs - genuine_matches
    impostor_pairs = int(impostor_hist.sum())
    false_matches = int(impostor_hist[: m + 1].sum())
    same_pairs = int(same_group_hist.sum())
    same_matches = int(same_group_hist[: m + 1].sum())
    fnmr = false_non_matches / genuine_pairs if genuine_pairs else None
    fmr = false_matches / impostor_pairs if impostor_pairs else None
    fnmr_low, fnmr_high = wilson_interval(false_non_matches, genuine_pairs, z=z)
    fmr_low, fmr_high = wilson_interval(false_matches, impostor_pairs, z=z)
    return GroupRates(
        group=group,
        people=people,
        images=images,
        genuine_pairs=genuine_pairs,
        false_non_matches=false_non_matches,
        fnmr=fnmr,
        fnmr_low=fnmr_low,
        fnmr_high=fnmr_high,
        impostor_pairs=impostor_pairs,
        false_matches=false_matches,
        fmr=fmr,
        fmr_low=fmr_low,
        fmr_high=fmr_high,
        same_group_impostor_pairs=same_pairs,
        same_group_false_matches=same_matches,
        same_group_fmr=same_matches / same_pairs if same_pairs else None,
        false_alerts_per_10k=expected_false_alerts(fmr, watchlist_size)
        if fmr is not None
        else None,
        false_alerts_per_10k_high=(
            expected_false_alerts(fmr_high, watchlist_size) if impostor_pairs else None
        ),
    )


def evaluate(
    encodings: npt.ArrayLike,
    persons: Sequence[str],
    groups: Sequence[str],
    *,
    thresholds: Iterable[float],
    watchlist_size: int,
    parity_ratio_limit: float,
    excluded: Sequence[ExcludedImage] = (),
    z: float = Z_95,
) -> EvaluationResult:
    """Error rates per group and threshold over all pairs of the given encodings.

    ``persons[i]`` and ``groups[i]`` label ``encodings[i]``. A person must carry one group.
    """
    matrix = np.asarray(encodings, dtype=np.float64)
    if matrix.size == 0:
        matrix = matrix.reshape(0, 128)
    if matrix.ndim != 2 or matrix.shape[1] != 128:
        raise ValueError(f"expected encodings of shape (N, 128), got {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("encodings contain NaN or infinite values")
    if not len(matrix) == len(persons) == len(groups):
        raise ValueError("encodings, persons and groups must have the same length")
    if parity_ratio_limit < 1.0:
        raise ValueError("the parity ratio limit is a worst-to-best ratio, so at least 1")
    ordered = sorted({float(t) for t in thresholds})
    if not ordered or any(not math.isfinite(t) or t <= 0 for t in ordered):
        raise ValueError("give at least one positive threshold")
    group_of: dict[str, str] = {}
    for person, group in zip(persons, groups, strict=True):
        if group_of.setdefault(person, group) != group:
            raise ValueError(f"person {person!r} is labelled with two groups")

    group_names, group_codes = _codes(groups)
    _, person_codes = _codes(persons)
    threshold_array = np.array(ordered, dtype=np.float64)
    hists = _count_pairs(matrix, person_codes, group_codes, len(group_names), threshold_array)
    people_per_group = {
        name: sum(1 for g in group_of.values() if g == name) for name in group_names
    }
    images_per_group = {name: int((group_codes == i).sum()) for i, name in enumerate(group_names)}

    by_threshold = []
    for m, threshold in enumerate(ordered):

        def rates(row: int, name: str, people: int, images: int, m: int = m) -> GroupRates:
            return _rates(
                group=name,
                people=people,
                images=images,
                genuine_hist=hists["genuine"][row],
                impostor_hist=hists["impostor"][row],
                same_group_hist=hists["same_group"][row],
                m=m,
                watchlist_size=watchlist_size,
                z=z,
            )

        per_group = [
            rates(i, name, people_per_group[name], images_per_group[name])
            for i, name in enumerate(group_names)
        ]
        overall = rates(len(group_names), "all", len(group_of), len(matrix))
        measured_fmr = [g for g in per_group if g.fmr is not None]
        measured_fnmr = [g.fnmr for g in per_group if g.fnmr is not None]
        fmr_ratio = _ratio([g.fmr for g in measured_fmr if g.fmr is not None])
        worst = max(measured_fmr, key=lambda g: g.fmr or 0.0, default=None)
        best = min(measured_fmr, key=lambda g: g.fmr or 0.0, default=None)
        by_threshold.append(
            ThresholdResult(
                threshold=threshold,
                groups=per_group,
                overall=overall,
                fmr_ratio=fmr_ratio,
                fnmr_ratio=_ratio(measured_fnmr),
                fmr_worst_group=worst.group if worst else "",
                fmr_best_group=best.group if best else "",
                is_parity=fmr_ratio is not None and fmr_ratio <= parity_ratio_limit,
            )
        )

    parity_threshold = None
    for result in by_threshold:
        if not result.is_parity:
            break
        parity_threshold = result.threshold
    return EvaluationResult(
        thresholds=ordered,
        watchlist_size=watchlist_size,
        parity_ratio_limit=parity_ratio_limit,
        parity_threshold=parity_threshold,
        groups=group_names,
        by_threshold=by_threshold,
        images_encoded=len(matrix),
        excluded=list(excluded),
    )


# -- The manifest ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestRow:
    line: int
    image: str
    path: Path
    person: str
    group: str


@dataclass(frozen=True)
class ExcludedImage:
    """An image left out of the pairs, and why: it is listed in the report."""

    line: int
    image: str
    person: str
    group: str
    reason_code: str
    reason: str


def parse_thresholds(text: str) -> list[float]:
    """``"0.4,0.5,0.6"`` to a sorted list; refuses anything that is not a positive number."""
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise ValueError(
                f"{part!r} is not a number; give thresholds like 0.4,0.5,0.6"
            ) from None
        if not math.isfinite(value) or not 0.0 < value <= 2.0:
            raise ValueError(
                f"{part} is not a usable threshold: thresholds are distances between 0 and 2."
            )
        values.append(value)
    if not values:
        raise ValueError("Give at least one threshold, like 0.4,0.5,0.6.")
    return sorted(set(values))


def parse_manifest(data: bytes, *, base_dir: Path) -> list[ManifestRow]:
    """Read a manifest CSV: image path, person identifier, group label; an optional header.

    Relative image paths are read from ``base_dir`` (the manifest's folder). Blank lines and
    lines starting with ``#`` are ignored. Refuses, naming the line, a row without three
    values, an image listed twice, and a person labelled with two groups.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(0, f"The manifest is not UTF-8 text ({exc.reason}).") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[ManifestRow] = []
    seen_images: dict[str, int] = {}
    person_groups: dict[str, tuple[str, int]] = {}
    first = True
    for cells in reader:
        line = reader.line_num
        values = [c.strip() for c in cells]
        if not any(values) or values[0].startswith("#"):
            continue
        if first and values[0].lower() in _HEADER_FIRST_CELLS:
            first = False
            continue
        first = False
        while values and not values[-1]:
            values.pop()
        if len(values) != 3 or not all(values):
            raise MalformedFile(
                line,
                f"expected three values (image path, person identifier, group label), "
                f"found {len([v for v in values if v])}.",
            )
        image, person, group = values
        if image in seen_images:
            raise MalformedFile(
                line, f"{image} is already listed on line {seen_images[image]}; list each once."
            )
        seen_images[image] = line
        known = person_groups.setdefault(person, (group, line))
        if known[0] != group:
            raise MalformedFile(
                line,
                f"person {person} is in group {group} here but in group {known[0]} on line "
                f"{known[1]}; a person belongs to one group.",
            )
        path = Path(image)
        rows.append(
            ManifestRow(
                line=line,
                image=image,
                path=path if path.is_absolute() else base_dir / path,
                person=person,
                group=group,
            )
        )
    if not rows:
        raise MalformedFile(0, "The manifest lists no images.")
    return rows


def manifest_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_manifest(
    rows: Sequence[ManifestRow], *, max_bytes: int, max_pixels: int, upsample: int = 1
) -> tuple[list[ManifestRow], npt.NDArray[np.float64], list[ExcludedImage]]:
    """Encode each image once. Returns the rows encoded, their encodings, and the excluded.

    An image that cannot be read, holds no face or holds more than one is excluded with the
    reason; never skipped silently. Detection upsamples once (the library's default), so that
    faces down to about 40 pixels across are found in evaluation photographs.
    """
    from matching import engine  # the statistics above must not need dlib

    kept: list[ManifestRow] = []
    vectors: list[npt.NDArray[np.float64]] = []
    excluded: list[ExcludedImage] = []

    def exclude(row: ManifestRow, code: str, reason: str) -> None:
        excluded.append(ExcludedImage(row.line, row.image, row.person, row.group, code, reason))

    for row in rows:
        try:
            image = engine.load_image(row.path, max_bytes=max_bytes, max_pixels=max_pixels)
        except engine.ImageRejected as exc:
            exclude(row, exc.reason_code, exc.message)
            continue
        locations = engine.detect_faces(image, upsample=upsample)
        if not locations:
            exclude(row, "no_face", "No face was found in the image.")
            continue
        if len(locations) > 1:
            exclude(
                row,
                "several_faces",
                f"{len(locations)} faces were found; an evaluation image must show one person.",
            )
            continue
        encoding = engine.encode_faces(image, locations)
        kept.append(row)
        vectors.append(encoding[0].copy())
        encoding.fill(0.0)
    matrix = np.array(vectors, dtype=np.float64).reshape(len(vectors), 128)
    return kept, matrix, excluded


def engine_version(*, upsample: int = 1) -> str:
    """What produced the encodings, so a report can be tied to the engine it measured."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package, short in (
        ("face_recognition", "face_recognition"),
        ("dlib-bin", "dlib-bin"),
        ("dlib", "dlib"),
        ("face_recognition_models", "models"),
    ):
        try:
            parts.append(f"{short} {version(package)}")
        except PackageNotFoundError:
            continue
    # Kept under 100 characters: EngineEvaluation.engine_version's length.
    return ", ".join(parts) + f"; 5-point, HOG upsample {upsample}"

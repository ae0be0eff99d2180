"""The evaluation statistics on synthetic encodings whose answers are known by construction."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from core.errors import MalformedFile
from matching.evaluation import (
    Z_95,
    evaluate,
    expected_false_alerts,
    parse_manifest,
    parse_thresholds,
    wilson_interval,
)

# -- Wilson score intervals --------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 10, 37, 1000])
def test_no_errors_in_n_trials_gives_zero_to_z_squared_over_n_plus_z_squared(n):
    low, high = wilson_interval(0, n)

    assert low == 0.0
    assert high == pytest.approx(Z_95**2 / (n + Z_95**2), rel=1e-12)


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_all_errors_in_n_trials_mirror_the_zero_case(n):
    low, high = wilson_interval(n, n)

    assert high == 1.0
    assert low == pytest.approx(n / (n + Z_95**2), rel=1e-12)


def test_five_in_ten_matches_the_interval_worked_by_hand():
    # By hand: centre 0.5; half-width z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4n^2)) = 0.2634.
    low, high = wilson_interval(5, 10)

    assert low == pytest.approx(0.2366, abs=5e-5)
    assert high == pytest.approx(0.7634, abs=5e-5)


def test_one_in_twenty_matches_an_independent_computation():
    k, n, z = 1, 20, Z_95
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))

    assert wilson_interval(k, n) == pytest.approx((centre - half, centre + half))


def test_no_trials_means_nothing_is_known():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(-1, 2)


# -- Expected false alerts ---------------------------------------------------------------------


def test_expected_false_alerts_per_ten_thousand_faces():
    assert expected_false_alerts(0.0, 10_000) == 0.0
    assert expected_false_alerts(1e-4, 1000) == pytest.approx(10_000 * (1 - (1 - 1e-4) ** 1000))
    assert expected_false_alerts(1.0, 5) == 10_000.0
    # Tiny rates do not vanish in rounding: about N x FMR per face.
    assert expected_false_alerts(1e-12, 1000) == pytest.approx(10_000 * 1e-9, rel=1e-6)


# -- Pairs, rates and ratios -------------------------------------------------------------------


def basis(*parts: tuple[int, float]) -> np.ndarray:
    vector = np.zeros(128)
    for axis, value in parts:
        vector[axis] = value
    return vector


@pytest.fixture
def labelled():
    """Seven images of four people in two groups, with these distances by construction:

    genuine: a1 0.3, a2 0.55 (group A); b1 0.45 (group B);
    impostor: b2 to b1's first image 0.35, to its second sqrt(0.45^2 + 0.35^2) = 0.570;
    every other pair is more than 9 apart.
    """
    encodings = np.array(
        [
            basis(),  # a1
            basis((0, 0.3)),  # a1
            basis((1, 10.0)),  # a2
            basis((1, 10.0), (2, 0.55)),  # a2
            basis((3, 20.0)),  # b1
            basis((3, 20.0), (4, 0.45)),  # b1
            basis((3, 20.0), (5, 0.35)),  # b2
        ]
    )
    persons = ["a1", "a1", "a2", "a2", "b1", "b1", "b2"]
    groups = ["A", "A", "A", "A", "B", "B", "B"]
    return encodings, persons, groups


def run(labelled, **options):
    encodings, persons, groups = labelled
    defaults = {"thresholds": [0.4, 0.5, 0.6], "watchlist_size": 100, "parity_ratio_limit": 1.25}
    return evaluate(encodings, persons, groups, **{**defaults, **options})


def test_pairs_are_counted_per_group_as_constructed(labelled):
    result = run(labelled)
    at = {r.threshold: {g.group: g for g in r.groups} for r in result.by_threshold}

    a, b = at[0.4]["A"], at[0.4]["B"]
    assert (a.genuine_pairs, b.genuine_pairs) == (2, 1)
    # Impostor pairs involving a member: A-A 4, A-B 12, B-B 2 (b1 x b2).
    assert (a.impostor_pairs, b.impostor_pairs) == (16, 14)
    assert (a.same_group_impostor_pairs, b.same_group_impostor_pairs) == (4, 2)
    assert result.by_threshold[0].overall.impostor_pairs == 18


def test_false_non_match_and_false_match_rates_at_each_threshold(labelled):
    result = run(labelled)
    at = {r.threshold: {g.group: g for g in r.groups} for r in result.by_threshold}

    # FNMR: a2's pair (0.55) is missed below 0.55, b1's (0.45) below 0.45.
    assert (at[0.4]["A"].fnmr, at[0.4]["B"].fnmr) == (0.5, 1.0)
    assert (at[0.5]["A"].fnmr, at[0.5]["B"].fnmr) == (0.5, 0.0)
    assert (at[0.6]["A"].fnmr, at[0.6]["B"].fnmr) == (0.0, 0.0)
    # FMR: b2 falsely matches b1 at 0.35 from 0.4 on, and at 0.570 from 0.6 on.
    assert at[0.4]["B"].false_matches == at[0.5]["B"].false_matches == 1
    assert at[0.6]["B"].false_matches == 2
    assert at[0.6]["B"].fmr == pytest.approx(2 / 14)
    assert at[0.6]["B"].same_group_fmr == pytest.approx(2 / 2)
    assert all(at[t]["A"].false_matches == 0 for t in at)
    # Each rate carries its Wilson interval.
    assert (at[0.6]["B"].fmr_low, at[0.6]["B"].fmr_high) == pytest.approx(wilson_interval(2, 14))
    assert at[0.6]["A"].fmr_high == pytest.approx(Z_95**2 / (16 + Z_95**2))


def test_worst_to_best_ratio_and_the_parity_threshold(labelled):
    result = run(labelled)

    # Group A has no false matches and B has some: the ratio is unbounded, so no parity.
    assert all(math.isinf(r.fmr_ratio) for r in result.by_threshold)
    assert [r.fmr_worst_group for r in result.by_threshold] == ["B", "B", "B"]
    assert result.parity_threshold is None
    # FNMR at 0.5: A 0.5 against B 0 is unbounded; at 0.4: 1.0 / 0.5 = 2.
    assert result.by_threshold[0].fnmr_ratio == pytest.approx(2.0)
    stored = result.to_json()
    assert stored["by_threshold"][0]["fmr_ratio"] is None
    assert "unbounded" in stored["by_threshold"][0]["fmr_ratio_text"]


def test_parity_holds_up_to_the_first_threshold_where_the_ratio_exceeds_the_limit():
    # Two groups alike up to 0.5: each has one impostor pair at 0.45 among the same number of
    # pairs; at 0.6 group B gains a second false match (0.55), doubling its rate.
    encodings = np.array(
        [
            basis((0, 10.0)),  # a1
            basis((0, 10.0), (1, 0.45)),  # a2, 0.45 from a1
            basis((2, 10.0)),  # b1
            basis((2, 10.0), (3, 0.45)),  # b2, 0.45 from b1
            basis((2, 10.0), (4, 0.55)),  # b3, 0.55 from b1
            basis((5, 10.0)),  # a3, far from all
        ]
    )
    result = evaluate(
        encodings,
        ["a1", "a2", "b1", "b2", "b3", "a3"],
        ["A", "A", "B", "B", "B", "A"],
        thresholds=[0.4, 0.5, 0.6],
        watchlist_size=10,
        parity_ratio_limit=1.25,
    )

    ratios = [r.fmr_ratio for r in result.by_threshold]
    assert ratios[0] == 1.0  # no false matches anywhere
    assert ratios[1] == pytest.approx((1 / 12) / (1 / 12))
    assert ratios[2] > 1.25
    assert result.parity_threshold == 0.5


def test_a_pair_exactly_at_the_threshold_counts_as_a_match_as_in_the_engine():
    encodings = np.array([basis(), basis((0, 0.5)), basis((1, 9.0))])

    result = evaluate(
        encodings,
        ["p", "p", "q"],
        ["A", "A", "A"],
        thresholds=[0.5],
        watchlist_size=1,
        parity_ratio_limit=1.25,
    )

    assert result.by_threshold[0].groups[0].false_non_matches == 0


def test_a_person_labelled_with_two_groups_is_refused(labelled):
    encodings, persons, groups = labelled
    groups = ["B", *groups[1:]]

    with pytest.raises(ValueError, match="two groups"):
        evaluate(
            encodings, persons, groups, thresholds=[0.5], watchlist_size=1, parity_ratio_limit=1.25
        )


def test_large_sets_are_counted_in_blocks_with_the_same_answer(labelled, monkeypatch):
    from matching import evaluation

    whole = run(labelled).to_json()
    monkeypatch.setattr(evaluation, "_WORK_BYTES", 1)  # one row per block

    assert run(labelled).to_json() == whole


# -- The manifest ------------------------------------------------------------------------------


def test_a_manifest_with_a_header_and_comments_is_read_relative_to_its_folder(tmp_path):
    data = b"image,person,group\n# a comment\n\nfaces/a.jpg,p1,A\n/abs/b.jpg , p2 , B\n"

    rows = parse_manifest(data, base_dir=tmp_path)

    assert [(r.line, r.person, r.group) for r in rows] == [(4, "p1", "A"), (5, "p2", "B")]
    assert rows[0].path == tmp_path / "faces" / "a.jpg"
    assert rows[1].path == Path("/abs/b.jpg")


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"a.jpg,p1,A\nb.jpg,p1\n", 2, "expected three values"),
        (b"a.jpg,p1,A\na.jpg,p2,A\n", 2, "already listed on line 1"),
        (b"a.jpg,p1,A\nb.jpg,p1,B\n", 2, "in group A on line 1"),
        (b"", 0, "lists no images"),
        (b"\xff\xfe", 0, "not UTF-8"),
    ],
)
def test_a_bad_manifest_is_refused_with_the_line_and_the_reason(tmp_path, data, line, reason):
    with pytest.raises(MalformedFile) as refused:
        parse_manifest(data, base_dir=tmp_path)

    assert refused.value.line == line
    assert reason in str(refused.value)


def test_thresholds_are_parsed_and_checked():
    assert parse_thresholds("0.6, 0.4,0.5,0.4") == [0.4, 0.5, 0.6]
    with pytest.raises(ValueError, match="not a number"):
        parse_thresholds("0.4,abc")
    with pytest.raises(ValueError, match="between 0 and 2"):
        parse_thresholds("0,0.5")

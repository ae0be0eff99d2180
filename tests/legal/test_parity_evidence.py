"""What an engine evaluation lets anyone say about parity between groups: only what the 95%
intervals support, and "too few photographs to tell" where they are too wide."""

from __future__ import annotations

from typing import Any

import pytest

from legal.models import EngineEvaluation


def group(name: str, fmr: float | None, low: float, high: float) -> dict[str, Any]:
    return {"group": name, "fmr": fmr, "fmr_low": low, "fmr_high": high}


def evaluation(*rows: tuple[float, list[dict[str, Any]]]) -> EngineEvaluation:
    return EngineEvaluation(
        results={
            "parity_ratio_limit": 1.25,
            "by_threshold": [{"threshold": t, "groups": groups} for t, groups in rows],
        }
    )


def test_narrow_intervals_within_the_limit_show_parity() -> None:
    e = evaluation((0.5, [group("A", 0.010, 0.0095, 0.0105), group("B", 0.011, 0.0100, 0.0115)]))
    [only] = e.parity_evidence()
    assert only.verdict == "within"
    assert e.parity_summary() == (0.5, None)


def test_wide_intervals_are_too_few_photographs_to_tell() -> None:
    # Seven photographs: even point estimates, intervals from 0% to 79%.
    e = evaluation((0.5, [group("A", 0.0, 0.0, 0.79), group("B", 0.0, 0.0, 0.79)]))
    [only] = e.parity_evidence()
    assert (only.verdict, only.low, only.high) == ("unknown", 0.0, 0.79)
    assert e.parity_summary() == (None, only)


def test_a_gap_beyond_the_limit_even_at_the_intervals_ends_is_beyond() -> None:
    e = evaluation(
        (0.4, [group("A", 0.010, 0.0095, 0.0105), group("B", 0.011, 0.0100, 0.0115)]),
        (0.6, [group("A", 0.010, 0.009, 0.011), group("B", 0.030, 0.028, 0.032)]),
    )
    within_to, next_one = e.parity_summary()
    assert within_to == 0.4
    assert next_one is not None and next_one.verdict == "beyond" and next_one.threshold == 0.6


@pytest.mark.parametrize(
    "groups",
    [
        [],
        [group("A", 0.01, 0.009, 0.011)],
        [group("A", None, 0, 1), group("B", 0.01, 0.009, 0.011)],
    ],
)
def test_fewer_than_two_measured_groups_cannot_be_compared(groups: list[dict[str, Any]]) -> None:
    [only] = evaluation((0.5, groups)).parity_evidence()
    assert only.verdict == "unknown"

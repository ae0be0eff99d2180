"""Server-side SVG charts: honest about what the register knows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from deployments.models import Outcome
from public import charts

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcome(reported_trial: Any) -> Outcome:
    return reported_trial.outcome


def test_the_alerts_chart_is_valid_svg_with_a_title_and_every_count(outcome: Outcome):
    svg = str(charts.alerts_chart(outcome))
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag.endswith("svg") and root.get("role") == "img"
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for label in ("True alert, confirmed", "False alert, unconfirmed", "Arrest", "No action"):
        assert label in text
    assert "Alerts by kind and outcome" in svg


def test_without_hourly_counts_the_faces_chart_is_one_bar_saying_so(
    reported_trial: Any, outcome: Outcome
):
    svg, hourly = charts.faces_chart(outcome)
    assert not hourly
    assert str(svg).count("<rect") == 2  # the hatch pattern's background and one bar
    assert "not available" in str(svg)


def test_with_hourly_counts_the_faces_chart_is_hour_by_hour(reported_trial: Any, outcome: Outcome):
    start = reported_trial.starts_at
    timeline = [(start + timedelta(hours=h), 1000 + h) for h in range(6)]
    svg, hourly = charts.faces_chart(outcome, timeline)
    assert hourly
    assert str(svg).count("<rect") == 7
    assert "1,005" in str(svg)

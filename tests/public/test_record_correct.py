"""The public record says what happened: how long before the start a notice went up, and how
many hours trials were deployed, as against planned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments import services as ds
from deployments.models import Suspension
from public.selectors import annual_report

from .. import factories
from .conftest import approved, completed

pytestmark = pytest.mark.django_db


def test_a_notice_says_how_long_before_the_start_it_went_up(
    client: Any, actors: Any, documents: Any
):
    trial = approved(actors, start=timezone.now() + timedelta(days=3, hours=2))
    html = client.get(trial.get_public_url()).content.decode().replace("\xa0", " ")
    # Signed off a moment after it was filed: the notice went up 3 days and 1 or 2 hours ahead.
    assert "3 days, 1 hour before the start)" in html or "3 days, 2 hours before the start)" in html
    assert "0 minutes before the start" not in html


def test_time_deployed_is_the_window_passed_less_suspensions(actors: Any, documents: Any):
    trial = approved(actors)
    start = trial.starts_at
    assert trial.ends_at - start == timedelta(hours=6)
    at_2h = start + timedelta(hours=2)

    def stop(begins: Any, ends: Any = None) -> Suspension:
        return Suspension(deployment=trial, suspended_at=begins, lifted_at=ends)

    assert trial.time_deployed([], start - timedelta(hours=1)) == timedelta(0)
    assert trial.time_deployed([], at_2h) == timedelta(hours=2)
    assert trial.time_deployed([], start + timedelta(days=1)) == timedelta(hours=6)
    # Suspended after 1 hour, never lifted: 1 hour deployed, however long afterwards.
    assert trial.time_deployed([stop(start + timedelta(hours=1))], start + timedelta(days=1)) == (
        timedelta(hours=1)
    )
    # Suspended before the start and lifted after 2 hours of the window; overlapping stops
    # are not counted twice.
    stops = [
        stop(start - timedelta(days=1), start + timedelta(hours=2)),
        stop(start + timedelta(hours=1), start + timedelta(hours=3)),
    ]
    assert trial.time_deployed(stops, start + timedelta(days=1)) == timedelta(hours=3)


def test_the_annual_report_counts_hours_deployed_apart_from_hours_planned(
    client: Any, actors: Any, documents: Any
):
    done = completed(actors)  # a 6-hour window, five days ago
    upcoming = approved(actors)  # a 6-hour window, still to come
    stopped = approved(actors)
    ds.deployment_suspend(deployment=stopped, by=actors.chair, reason="Ward concerns.")
    # The suspended trial's window began two hours before it was stopped.
    factories.backdate(stopped, stopped.starts_at - timezone.now() + timedelta(hours=2))
    Suspension.objects.filter(deployment=stopped).update(suspended_at=timezone.now())
    year = timezone.localtime(done.starts_at).year
    assert timezone.localtime(upcoming.starts_at).year == year
    report = annual_report(year)
    assert report is not None
    assert report.totals.hours_planned == pytest.approx(18)
    assert report.totals.hours_deployed == pytest.approx(8, abs=0.01)
    html = client.get(reverse("public:annual_report", args=[year])).content.decode()
    assert "Hours deployed</dt><dd>8</dd>" in html
    assert "Hours planned</dt><dd>18</dd>" in html

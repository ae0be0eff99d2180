"""/trials/: every published trial, filterable by borough, use case, status and dates, paginated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments import services as ds
from public.selectors import TRIALS_PER_PAGE

from .. import factories
from .conftest import approved, completed, reported

pytestmark = pytest.mark.django_db


def listed(client: Any, **params: Any) -> str:
    response = client.get(reverse("public:trial_list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_only_signed_off_trials_are_listed(client: Any, actors: Any, documents: Any):
    shown = approved(actors)
    hidden = factories.make_draft(actors.planner)
    factories.to_authorised(factories.make_draft(actors.planner), actors.planner, actors.authoriser)
    html = listed(client)
    assert shown.reference in html and hidden.reference not in html
    assert "Showing 1 to 1 of 1 trial" in html


def test_filter_by_borough(client: Any, actors: Any, documents: Any):
    westminster = approved(actors, site=factories.make_site("Soho", area_code="E09000033"))
    camden = approved(actors, site=factories.make_site("Camden", area_code="E09000007"))
    html = listed(client, borough="E09000007")
    assert camden.reference in html and westminster.reference not in html


def test_filter_by_use_case(client: Any, actors: Any, documents: Any):
    hotspot = approved(actors)
    missing = factories.make_use_case("2.3(b)")
    missing.allowed_categories = ["missing_person"]
    missing.save()
    site = factories.make_site()
    site.use_cases.add(missing)
    at_risk = approved(actors, use_case=missing, site=site, watchlist_categories=["missing_person"])
    html = listed(client, use_case="2.3(b)")
    assert at_risk.reference in html and hotspot.reference not in html


def test_filter_by_status(client: Any, actors: Any, documents: Any):
    upcoming = approved(actors)
    done = reported(actors)
    waiting = completed(actors)
    suspended = approved(actors)
    ds.deployment_suspend(deployment=suspended, by=actors.chair, reason="Stop.")
    expectations = {
        "upcoming": upcoming,
        "results": done,
        "ended": waiting,
        "suspended": suspended,
    }
    everyone = {t.reference for t in expectations.values()}
    for status, trial in expectations.items():
        html = listed(client, status=status)
        assert trial.reference in html, status
        assert not {r for r in everyone - {trial.reference} if r in html}, status


def test_filter_by_date_range(client: Any, actors: Any, documents: Any):
    soon = approved(actors)
    later = approved(actors, start=timezone.now() + timedelta(days=20))
    day = timezone.localtime(later.starts_at).date()
    boxes = {"day": day.day, "month": day.month, "year": day.year}
    html = listed(
        client,
        **{f"date_from_{k}": v for k, v in boxes.items()},
        **{f"date_to_{k}": v for k, v in boxes.items()},
    )
    assert later.reference in html and soon.reference not in html


def test_a_backwards_date_range_says_what_to_fix(client: Any, db: None):
    html = listed(
        client,
        date_from_day=2,
        date_from_month=5,
        date_from_year=2026,
        date_to_day=1,
        date_to_month=5,
        date_to_year=2026,
    )
    assert "The end of the range must be on or after its start." in html


def test_dates_are_typed_as_day_month_and_year_and_half_a_date_says_what_is_missing(
    client: Any, db: None
):
    html = listed(client, date_from_day=2, date_from_month="", date_from_year="")
    assert 'type="date"' not in html
    assert "Enter every part of the date, for example 27 3 2026" in html
    assert 'href="#id_date_from_day"' in html


def test_an_unknown_borough_is_reported_not_ignored(client: Any, db: None):
    html = listed(client, borough="E09999999")
    assert "Select a valid choice" in html


def test_the_list_is_paginated_and_keeps_the_filters(client: Any, actors: Any, documents: Any):
    site = factories.make_site("Paged", area_code="E09000007")
    for _ in range(TRIALS_PER_PAGE + 1):
        approved(actors, site=site)
    html = listed(client, borough="E09000007")
    assert 'aria-label="Page 1" aria-current="page"' in html
    assert 'href="?borough=E09000007&amp;page=2" aria-label="Page 2"' in html
    assert 'rel="next" href="?borough=E09000007&amp;page=2"' in html
    second = listed(client, borough="E09000007", page=2)
    assert f"Showing {TRIALS_PER_PAGE + 1} to {TRIALS_PER_PAGE + 1}" in second

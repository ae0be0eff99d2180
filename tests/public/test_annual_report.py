"""/reports/<year>/: totals, per use case and per borough, false alert rates, suspensions,
complaints; and the marked place for the fairness figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments import services as ds
from public.selectors import annual_report, report_years

from .. import factories
from .conftest import OUTCOME, approved, completed, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_of_trials(actors: Any, documents: Any) -> dict[str, Any]:
    camden = factories.make_site("Camden", area_code="E09000007")
    trials = {
        "a": reported(actors),
        "b": reported(actors, site=camden),
        "waiting": completed(actors, site=camden),
        "suspended": approved(actors),
    }
    ds.deployment_suspend(deployment=trials["suspended"], by=actors.chair, reason="Ward concerns.")
    return trials


def test_totals_count_results_only_of_trials_whose_report_is_published(year_of_trials: Any):
    year = timezone.localtime(year_of_trials["a"].starts_at).year
    report = annual_report(year)
    assert report is not None
    assert report.totals.trials == 4 and report.totals.with_results == 2
    assert report.totals.faces_seen == 2 * OUTCOME["faces_seen"]
    assert report.totals.false_alerts == 2
    assert report.totals.false_alert_rate_per_alert == pytest.approx(0.2)
    assert report.totals.false_alert_rate_per_face == pytest.approx(2 / 42_800)
    assert report.totals.complaints == 2 and report.totals.suspensions == 1
    boroughs = {t.label: t for t in report.by_borough}
    assert boroughs["Area E09000007"].trials == 2 and boroughs["Area E09000007"].with_results == 1
    assert [t.trials for t in report.by_use_case] == [4]


def test_the_annual_page_shows_figures_groups_suspensions_and_complaints(
    client: Any, year_of_trials: Any
):
    year = timezone.localtime(year_of_trials["a"].starts_at).year
    html = client.get(reverse("public:annual_report", args=[year])).content.decode()
    assert f"annual report {year}" in html
    assert "By use case" in html and "By borough" in html
    assert "Ward concerns." in html
    assert "Complaints and questions" in html
    assert "42,800" in html
    assert reverse("public:annual_report_pdf", args=[year]) in html
    # The marked place for the fairness figures is there even before they exist.
    assert 'id="fairness"' in html and "Who the trials scanned, by community" in html


def test_a_year_without_trials_is_a_404(client: Any, db: None):
    assert client.get(reverse("public:annual_report", args=[1999])).status_code == 404


def test_the_reports_index_goes_to_the_latest_year(client: Any, reported_trial: Any):
    response = client.get(reverse("public:annual_report_index"))
    year = timezone.localtime(reported_trial.starts_at).year
    assert response.status_code == 302
    assert response["Location"] == reverse("public:annual_report", args=[year])


@pytest.mark.parametrize(
    "path",
    [
        "/reports/0/",
        "/reports/99999/",
        "/reports/10000/report.pdf",
        "/reports/9999/",
        "/reports/9999/report.pdf",
        "/reports/0001/",
        "/reports/-1/",
    ],
)
def test_a_year_out_of_range_is_a_404_not_a_500(client: Any, path: str):
    assert client.get(path).status_code == 404


def test_an_empty_year_in_range_is_a_404_that_says_why(client: Any):
    response = client.get("/reports/2001/")
    assert response.status_code == 404
    assert client.get("/reports/2001/report.pdf").status_code == 404


def test_the_years_with_a_report_are_those_with_a_trial_and_skip_the_years_between(
    client: Any, actors: Any, documents: Any, settings: Any
):
    settings.OVERSIGHT_PUBLIC_CACHE = False  # the trials are moved behind the services' back
    trials = [
        approved(actors),
        factories.backdate(approved(actors), timedelta(days=730)),
        factories.backdate(approved(actors), timedelta(days=1461)),
    ]
    years = sorted({timezone.localtime(t.starts_at).year for t in trials}, reverse=True)
    assert len(years) < years[0] - years[-1] + 1  # there are years with no trial between them
    assert report_years() == years
    for year in range(years[-1], years[0] + 1):
        status = client.get(reverse("public:annual_report", args=[year])).status_code
        assert status == (200 if year in years else 404), year

"""Long tables are shown a page at a time on the pages; the full table is the export."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from fairness.census import area_demographics_import_default

from .. import factories
from .conftest import reported
from .test_query_counts import _bulk_trials

pytestmark = pytest.mark.django_db


def test_the_annual_report_page_lists_its_trials_a_page_at_a_time(
    client: Any, actors: Any, documents: Any
):
    trial = reported(actors)
    _bulk_trials(
        60, start_at=0, planner=actors.planner, sites=[trial.site], use_case=trial.use_case
    )
    year = timezone.localtime(trial.starts_at).year
    url = reverse("public:annual_report", args=[year])
    first = client.get(url).content.decode()
    count = first.count('href="/trials/LFR-')
    assert count == 25
    assert "page=2" in first
    second = client.get(url + "?page=2").content.decode()
    assert second.count('href="/trials/LFR-') == 25
    assert second != first


def test_the_fairness_page_lists_the_trials_counted_a_page_at_a_time(
    client: Any, actors: Any, documents: Any
):
    trial = reported(actors)
    # After the real trial: with figures loaded, its site would be flagged at submission.
    area_demographics_import_default()
    site = factories.make_site(area_code="E09000033")
    _bulk_trials(120, start_at=0, planner=actors.planner, sites=[site], use_case=trial.use_case)
    html = client.get(reverse("public:fairness")).content.decode()
    assert "Trials 1 to 50 of" in html
    assert "?page=2" in html
    assert (
        "Trials 51 to 100 of" in client.get(reverse("public:fairness") + "?page=2").content.decode()
    )

"""Public pages and open data run a fixed number of SQL queries, whatever the number of trials.

Measured with 20 published trials and again with 2,000 (bulk-created): the counts must be equal,
and under a small fixed bound.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deployments.models import Deployment, Outcome, State
from legal.models import WatchlistCategory

from .. import factories
from .conftest import reported

pytestmark = pytest.mark.django_db

LARGE = 2_000
SMALL = 20


def _bulk_trials(count: int, *, start_at: int, planner: Any, sites: list[Any], use_case: Any):
    now = timezone.now()
    trials = []
    for n in range(start_at, start_at + count):
        starts = now - timedelta(days=n % 400, hours=3)
        reported_ = n % 2 == 0
        trials.append(
            Deployment(
                reference=f"LFR-2025-{n:05d}",
                state=State.REPORT_PUBLISHED if reported_ else State.APPROVED,
                revision=1,
                created_by=planner,
                site=sites[n % len(sites)],
                use_case=use_case,
                starts_at=starts,
                ends_at=starts + timedelta(hours=6),
                purpose="Locate wanted people.",
                watchlist_categories=[WatchlistCategory.WANTED_BY_COURT],
                watchlist_size_cap=100,
                match_threshold=Decimal("0.5"),
                approved_threshold=Decimal("0.5"),
                approved_at=starts - timedelta(days=2),
                notice_published_at=starts - timedelta(days=2),
                report_published_at=starts + timedelta(days=3) if reported_ else None,
                panel_statement="Approved.",
            )
        )
    made = Deployment.objects.bulk_create(trials, batch_size=500)
    Outcome.objects.bulk_create(
        [
            Outcome(
                deployment=t, faces_seen=10_000, true_alerts_confirmed=2, false_alerts_confirmed=1
            )
            for t in made
            if t.state == State.REPORT_PUBLISHED
        ],
        batch_size=500,
    )


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_public_pages_and_open_data_do_not_grow_with_the_number_of_trials(
    client: Any, actors: Any, documents: Any, django_assert_max_num_queries: Any, settings: Any
):
    # The work of computing each page, not of serving it from the cache (tests/public/
    # test_page_cache.py), and the bulk-created rows bypass the services that invalidate it.
    settings.OVERSIGHT_PUBLIC_CACHE = False
    # A real trial with pinned documents, reviews, questions and results, for the notice.
    trial = reported(actors)
    sites = [factories.make_site(area_code=f"E0900000{n}") for n in range(1, 9)]
    use_case = trial.use_case
    urls = [
        reverse("public:trial_list"),
        reverse("public:trial_list") + "?status=results&page=2",
        reverse("public:trial_list") + f"?borough={sites[0].area.code}",
        reverse("public:trial_detail", args=[trial.reference]),
        reverse("public:open_data_csv"),
        reverse("public:open_data_json"),
        reverse("public:home"),
        reverse("public:feed"),
        reverse("public:annual_report", args=[timezone.localtime().year]),
    ]
    _bulk_trials(SMALL, start_at=0, planner=actors.planner, sites=sites, use_case=use_case)
    small = {url: _queries(client, url) for url in urls}
    _bulk_trials(
        LARGE - SMALL, start_at=SMALL, planner=actors.planner, sites=sites, use_case=use_case
    )
    assert Deployment.objects.published().count() == LARGE + 1
    large = {url: _queries(client, url) for url in urls}
    assert large == small
    for url in urls:
        with django_assert_max_num_queries(10):
            client.get(url)


def test_the_csv_and_json_list_every_one_of_2000_trials(
    client: Any, actors: Any, documents: Any, settings: Any
):
    settings.OVERSIGHT_PUBLIC_CACHE = False
    trial = reported(actors)
    sites = [factories.make_site()]
    _bulk_trials(LARGE, start_at=0, planner=actors.planner, sites=sites, use_case=trial.use_case)
    csv_lines = client.get(reverse("public:open_data_csv")).content.decode().strip().split("\r\n")
    assert len(csv_lines) == LARGE + 2  # header, the real trial and the bulk ones
    document = client.get(reverse("public:open_data_json")).json()
    assert document["count"] == LARGE + 1

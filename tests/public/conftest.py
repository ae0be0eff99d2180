"""Fixtures for the public pages: trials at each public stage, built through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache

from deployments import services as ds
from deployments.models import Deployment

from .. import factories

OUTCOME = {
    "faces_seen": 21_400,
    "true_alerts_confirmed": 3,
    "true_alerts_unconfirmed": 1,
    "false_alerts_confirmed": 1,
    "false_alerts_unconfirmed": 0,
    "arrests": 2,
    "other_outcomes": 1,
    "no_action": 2,
    "complaints": 1,
    "summary": "Three people wanted on warrant were located.",
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Start each test with an empty cache (Redis in CI)."""
    cache.clear()
    yield
    cache.clear()


def approved(actors: Any, **extra: Any) -> Deployment:
    """A trial signed off by the chair: its notice is public."""
    return factories.to_approved(factories.make_draft(actors.planner, **extra), actors)


def completed(actors: Any, *, outcome: dict[str, Any] | None = None, **extra: Any) -> Deployment:
    """A trial whose window has passed, with its outcome recorded but not yet published."""
    trial = approved(actors, **extra)
    trial = factories.backdate(trial, timedelta(days=5))
    ds.deployment_complete(deployment=trial)
    ds.outcome_record(deployment=trial, by=actors.planner, data=outcome or OUTCOME)
    trial.refresh_from_db()
    return trial


def reported(actors: Any, **extra: Any) -> Deployment:
    """A trial whose results report is published."""
    trial = completed(actors, **extra)
    ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    trial.refresh_from_db()
    return trial


@pytest.fixture
def approved_trial(actors: Any, documents: Any) -> Deployment:
    return approved(actors)


@pytest.fixture
def reported_trial(actors: Any, documents: Any) -> Deployment:
    return reported(actors)

"""A trial's public status: one definition, and every page, filter, export and feed agrees.

For a trial in each state, the notice, the trial table, the /trials/ status filter, the CSV, the
JSON and the feed must say the same thing, because they all read `Deployment.public_status_at`
and `DeploymentQuerySet.in_public_status`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments import services as ds
from deployments.models import Deployment, PublicStatus
from public.selectors import home_sections

from .. import factories
from .conftest import approved, completed, reported

pytestmark = pytest.mark.django_db


def _live(actors: Any) -> Deployment:
    trial = approved(actors)
    # Move the window so that it started an hour ago.
    assert trial.starts_at is not None
    return factories.backdate(trial, trial.starts_at - timezone.now() + timedelta(hours=1))


def _ended_not_yet_completed(actors: Any) -> Deployment:
    # The beat task has not closed it yet: the window has passed but it is still approved.
    return factories.backdate(approved(actors), timedelta(days=5))


def _suspended(actors: Any) -> Deployment:
    trial = approved(actors)
    ds.deployment_suspend(deployment=trial, by=actors.chair, reason="Stopped for review.")
    trial.refresh_from_db()
    return trial


def _urgent(actors: Any) -> Deployment:
    """Put to urgent use by an authorising officer before the panel's sign-off."""
    trial = factories.make_draft(actors.planner, start=timezone.now() + timedelta(hours=1))
    factories.give_watchlist(trial)
    factories.to_authorised(trial, actors.planner, actors.authoriser)
    ds.deployment_declare_urgent(
        deployment=trial, by=actors.authoriser, reason="A missing child was seen nearby.", hours=2
    )
    trial.refresh_from_db()
    return trial


def _urgent_refused(actors: Any) -> Deployment:
    trial = _urgent(actors)
    ds.deployment_reject(deployment=trial, by=actors.chair, reasons="Not urgent.")
    return trial


def _urgent_lapsed(actors: Any) -> Deployment:
    trial = _urgent(actors)
    assert trial.urgent_decision_due_at is not None
    ds.urgent_use_lapse_overdue(at=trial.urgent_decision_due_at)
    return trial


def _urgent_overdue_before_the_beat(actors: Any) -> Deployment:
    # The decision was due a minute ago and the beat task has not run: lapsed all the same.
    trial = _urgent(actors)
    Deployment.objects.filter(pk=trial.pk).update(
        urgent_decision_due_at=timezone.now() - timedelta(minutes=1)
    )
    return trial


def _urgent_signed_off(actors: Any) -> Deployment:
    # Signed off in time: an approved trial like any other (upcoming until its start).
    trial = _urgent(actors)
    factories.record_approvals(trial, actors.chair, actors.panel_a, actors.panel_b)
    ds.deployment_sign_off(deployment=trial, by=actors.chair, statement="Justified.")
    return trial


PUBLIC: dict[str, tuple[Callable[[Any], Deployment], PublicStatus]] = {
    "upcoming": (approved, PublicStatus.UPCOMING),
    "live": (_live, PublicStatus.LIVE),
    "suspended": (_suspended, PublicStatus.SUSPENDED),
    "ended, still approved": (_ended_not_yet_completed, PublicStatus.ENDED),
    "completed": (completed, PublicStatus.ENDED),
    "results published": (reported, PublicStatus.RESULTS),
    "urgent use": (_urgent, PublicStatus.URGENT),
    "urgent use refused": (_urgent_refused, PublicStatus.URGENT_REFUSED),
    "urgent use lapsed": (_urgent_lapsed, PublicStatus.URGENT_LAPSED),
    "urgent use overdue, beat not run": (
        _urgent_overdue_before_the_beat,
        PublicStatus.URGENT_LAPSED,
    ),
    "urgent use signed off": (_urgent_signed_off, PublicStatus.UPCOMING),
}


def _csv_rows(client: Any) -> dict[str, dict[str, str]]:
    text = client.get(reverse("public:open_data_csv")).content.decode("utf-8")
    return {row["reference"]: row for row in csv.DictReader(io.StringIO(text))}


def _json_rows(client: Any) -> dict[str, dict[str, Any]]:
    document = json.loads(client.get(reverse("public:open_data_json")).content)
    return {row["reference"]: row for row in document["deployments"]}


def _filtered(client: Any, status: str) -> str:
    response = client.get(reverse("public:trial_list"), {"status": status})
    assert response.status_code == 200
    return response.content.decode()


def _feed(client: Any) -> str:
    return client.get(reverse("public:feed")).content.decode()


@pytest.mark.parametrize("name", list(PUBLIC))
def test_every_public_view_of_a_trial_gives_the_same_status(
    client: Any, actors: Any, documents: Any, name: str
):
    make, expected = PUBLIC[name]
    trial = make(actors)
    trial.refresh_from_db()
    assert trial.public_status_at() == expected
    assert trial.public_status() == expected.label

    notice = client.get(trial.get_public_url()).content.decode()
    assert f">{expected.label}</span>" in notice
    assert f">{expected.label}</span>" in _filtered(client, "")

    for status in PublicStatus:
        shown = trial.reference in _filtered(client, status.value)
        assert shown == (status == expected), f"/trials/?status={status.value}"
    assert list(Deployment.objects.public().in_public_status(expected, timezone.now())) == [trial]
    # The home page finds its sections in SQL by the same rule.
    sections = home_sections()
    live = (PublicStatus.LIVE, PublicStatus.URGENT)
    assert (trial in sections["live"]) == (expected in live)
    assert (trial in sections["upcoming"]) == (expected == PublicStatus.UPCOMING)
    assert (trial in sections["suspended"]) == (expected == PublicStatus.SUSPENDED)
    with_results = int(expected == PublicStatus.RESULTS)
    assert sections["counts"] == {"total": 1, "with_results": with_results}

    row = _csv_rows(client)[trial.reference]
    assert (row["status"], row["status_label"]) == (expected.value, expected.label)
    obj = _json_rows(client)[trial.reference]
    assert (obj["status"], obj["status_label"]) == (expected.value, expected.label)

    feed = _feed(client)
    assert f"{trial.get_public_url()}#notice" in feed
    assert (f"{trial.get_public_url()}#report" in feed) == (expected == PublicStatus.RESULTS)


def _withdrawn(actors: Any) -> Deployment:
    trial = factories.make_draft(actors.planner)
    ds.deployment_withdraw(deployment=trial, by=actors.planner, reason="No longer needed.")
    return trial


def _rejected(actors: Any) -> Deployment:
    trial = factories.to_authorised(
        factories.make_draft(actors.planner), actors.planner, actors.authoriser
    )
    ds.deployment_reject(deployment=trial, by=actors.chair, reasons="Not proportionate.")
    return trial


NOT_PUBLIC: dict[str, Callable[[Any], Deployment]] = {
    "draft": lambda actors: factories.make_draft(actors.planner),
    "submitted": lambda actors: factories.to_submitted(
        factories.make_draft(actors.planner), actors.planner
    ),
    "authorised": lambda actors: factories.to_authorised(
        factories.make_draft(actors.planner), actors.planner, actors.authoriser
    ),
    "withdrawn": _withdrawn,
    "rejected": _rejected,
}


@pytest.mark.parametrize("name", list(NOT_PUBLIC))
def test_a_trial_not_signed_off_has_no_public_status_anywhere(
    client: Any, actors: Any, documents: Any, name: str
):
    trial = NOT_PUBLIC[name](actors)
    trial.refresh_from_db()
    assert trial.public_status_at() is None
    assert client.get(trial.get_public_url()).status_code == 404
    for status in ("", *PublicStatus.values):
        assert trial.reference not in _filtered(client, status)
    assert not Deployment.objects.public().filter(pk=trial.pk).exists()
    assert home_sections()["counts"] == {"total": 0, "with_results": 0}
    assert trial.reference not in _csv_rows(client)
    assert trial.reference not in _json_rows(client)
    assert trial.reference not in _feed(client)


def test_the_open_data_schema_lists_exactly_the_public_statuses():
    from django.conf import settings

    schema = json.loads((settings.BASE_DIR / "docs" / "open-data-schema.json").read_text())
    row = schema["$defs"]["deployment"]["properties"]
    assert row["status"]["enum"] == list(PublicStatus.values)

"""The public notice of a trial (/trials/<ref>/): when it appears and what it says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from deployments import services as ds
from deployments.models import Review

from .. import factories
from .conftest import approved, completed

pytestmark = pytest.mark.django_db


def notice_url(trial: Any) -> str:
    return reverse("public:trial_detail", args=[trial.reference])


def test_notice_is_not_public_before_the_chairs_sign_off(client: Any, actors: Any, documents: Any):
    trial = factories.make_draft(actors.planner)
    factories.to_authorised(trial, actors.planner, actors.authoriser)
    factories.record_approvals(trial, actors.chair, actors.panel_a, actors.panel_b)
    factories.give_watchlist(trial)  # sign-off needs an enrolled watchlist
    assert client.get(notice_url(trial)).status_code == 404
    ds.deployment_sign_off(deployment=trial, by=actors.chair, statement="Approved.")
    assert client.get(notice_url(trial)).status_code == 200


def test_unknown_reference_is_a_404_that_does_not_confirm_anything(client: Any, db: None):
    response = client.get(reverse("public:trial_detail", args=["LFR-2026-9999"]))
    assert response.status_code == 404


def test_notice_says_where_when_why_and_under_which_documents(
    client: Any, approved_trial: Any, documents: dict[str, Any]
):
    html = client.get(notice_url(approved_trial)).content.decode()
    trial = approved_trial
    assert trial.site.name in html and trial.site.area.name in html
    assert trial.use_case.clause in html and trial.purpose in html
    assert trial.necessity in html and trial.proportionality in html
    for version in documents.values():
        if version.document.kind in ("legal_mandate", "dpia", "equality_impact"):
            assert version.get_absolute_url() in html
            assert version.sha256 in html
    assert "Wanted by the courts" in html
    assert "1 person when the panel's chair signed it off, of at most 100" in html
    assert str(trial.approved_threshold) in html
    assert trial.community_engagement_plan in html
    assert "Approved." in html  # the panel's statement


def test_notice_shows_conditions_and_dissent_but_never_private_notes(
    client: Any, actors: Any, documents: Any
):
    trial = factories.make_draft(actors.planner)
    factories.to_authorised(trial, actors.planner, actors.authoriser)
    for reviewer in (actors.panel_a, actors.panel_b, actors.panel_c):
        ds.review_assign(deployment=trial, reviewer=reviewer, by=actors.chair)
    ds.review_record(
        deployment=trial,
        reviewer=actors.panel_a,
        decision=Review.Decision.APPROVE,
        reasons="Narrow watchlist.",
        private_notes="PRIVATE-A",
    )
    ds.review_record(
        deployment=trial,
        reviewer=actors.panel_b,
        decision=Review.Decision.APPROVE_WITH_CONDITIONS,
        reasons="Acceptable.",
        conditions="Signs at every entrance.",
        private_notes="PRIVATE-B",
    )
    ds.review_record(
        deployment=trial,
        reviewer=actors.panel_c,
        decision=Review.Decision.REJECT,
        reasons="The site selection over-exposes one community.",
        private_notes="PRIVATE-C",
    )
    factories.give_watchlist(trial)  # sign-off needs an enrolled watchlist
    ds.deployment_sign_off(
        deployment=trial, by=actors.chair, statement="Approved by majority.", conditions="Chair's."
    )
    html = client.get(notice_url(trial)).content.decode()
    assert "Signs at every entrance." in html
    assert "Chair&#x27;s." in html
    assert "The site selection over-exposes one community." in html
    assert "reject" in html.lower()
    for marker in ("PRIVATE-A", "PRIVATE-B", "PRIVATE-C", "panel_a", "panel_c"):
        assert marker not in html


def test_results_are_not_shown_until_the_report_is_published(
    client: Any, actors: Any, documents: Any
):
    trial = completed(actors)
    html = client.get(notice_url(trial)).content.decode()
    assert 'id="results"' not in html
    assert "21,400" not in html
    assert "results will be published here" in html
    ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    html = client.get(notice_url(trial)).content.decode()
    assert 'id="results"' in html
    assert "21,400" in html


def test_results_show_the_record_columns_rates_charts_and_pdf_link(
    client: Any, reported_trial: Any
):
    html = client.get(notice_url(reported_trial)).content.decode()
    for label in (
        "Deployment location",
        "Duration",
        "LFR use case",
        "Watchlist size",
        "Threshold setting",
        "Total alerts",
        "True alerts confirmed",
        "True alerts unconfirmed",
        "False alerts confirmed",
        "False alerts unconfirmed",
        "Outcome: arrest",
        "Outcome: other",
        "No action",
        "Faces seen (estimate)",
    ):
        assert label in html, label
    # 1 false alert in 21,400 faces and in 5 alerts.
    assert "False alert rate, per face seen" in html and "0.0047%" in html
    assert "False alert rate, per alert" in html and "20%" in html
    assert html.count("<svg") == 3  # two charts and the locator map
    assert "Alerts by kind and outcome" in html
    assert reverse("public:trial_report_pdf", args=[reported_trial.reference]) in html


def test_a_suspended_trial_shows_the_published_reason(client: Any, actors: Any, documents: Any):
    trial = approved(actors)
    ds.deployment_suspend(deployment=trial, by=actors.chair, reason="Concerns at the ward panel.")
    html = client.get(notice_url(trial)).content.decode()
    assert "Suspended" in html and "Concerns at the ward panel." in html


def test_a_rejected_or_withdrawn_request_is_never_public(client: Any, actors: Any, documents: Any):
    trial = factories.make_draft(actors.planner)
    factories.to_submitted(trial, actors.planner)
    ds.deployment_reject(deployment=trial, by=actors.authoriser, reasons="No.")
    assert client.get(notice_url(trial)).status_code == 404


def test_notice_of_an_ended_trial_still_shows(client: Any, actors: Any, documents: Any):
    trial = factories.backdate(approved(actors), timedelta(days=4))
    assert client.get(notice_url(trial)).status_code == 200

"""The policy guard: approving a threshold looser than the evaluated parity threshold."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse

from core.errors import PreconditionsFailed
from deployments import services as ds
from deployments.models import Review
from fairness.guard import threshold_guard
from legal.evaluations import evaluation_record
from legal.models import EngineEvaluation
from matching.evaluation import evaluate
from tests import factories


def make_evaluation(parity: str | None, thresholds=(0.4, 0.5, 0.6)) -> EngineEvaluation:
    """A stored report from a real (synthetic) computation, with its parity threshold set."""
    rng = np.random.default_rng(7)
    encodings = rng.normal(size=(6, 128))
    result = evaluate(
        encodings,
        ["a", "a", "b", "b", "c", "c"],
        ["A", "A", "A", "A", "B", "B"],
        thresholds=thresholds,
        watchlist_size=1000,
        parity_ratio_limit=1.25,
    ).to_json()
    result["parity_threshold"] = float(parity) if parity is not None else None
    return evaluation_record(
        manifest_name="set.csv",
        manifest_sha256="0" * 64,
        engine_version="test",
        results=result,
        excluded=[],
    )


@pytest.fixture
def with_panel(actors, documents):
    draft = factories.make_draft(actors.planner, match_threshold=Decimal("0.500"))
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    ds.review_assign(deployment=draft, reviewer=actors.panel_a, by=actors.chair)
    return draft


def approve(deployment, reviewer, **extra):
    return ds.review_record(
        deployment=deployment,
        reviewer=reviewer,
        decision=extra.pop("decision", Review.Decision.APPROVE),
        reasons="Proportionate.",
        **extra,
    )


def test_approving_a_threshold_looser_than_the_parity_threshold_needs_a_justification(
    with_panel, actors
):
    make_evaluation("0.450")

    with pytest.raises(PreconditionsFailed) as refused:
        approve(with_panel, actors.panel_a)

    message = refused.value.problems["threshold_justification"][0]
    assert "The threshold 0.500 is looser than 0.450" in message
    assert not Review.objects.exists()


def test_the_justification_is_recorded_with_the_approval(with_panel, actors):
    make_evaluation("0.450")

    review = approve(
        with_panel, actors.panel_a, threshold_justification="The watchlist is twelve people."
    )

    assert review.threshold_justification == "The watchlist is twelve people."


def test_requesting_changes_needs_no_threshold_justification(with_panel, actors):
    make_evaluation("0.450")

    review = approve(with_panel, actors.panel_a, decision=Review.Decision.REQUEST_CHANGES)

    assert review.decision == Review.Decision.REQUEST_CHANGES


def test_a_threshold_no_looser_than_the_parity_threshold_is_not_flagged(with_panel, actors):
    make_evaluation("0.500")

    assert not threshold_guard(with_panel).is_flagged
    approve(with_panel, actors.panel_a)


def test_no_parity_at_any_threshold_flags_every_threshold(with_panel, actors):
    make_evaluation(None)

    guard = threshold_guard(with_panel)

    assert guard.is_flagged
    assert "no threshold at which" in guard.message


def test_the_latest_evaluation_is_the_one_that_counts(with_panel, actors):
    make_evaluation("0.600")
    latest = make_evaluation("0.450")

    guard = threshold_guard(with_panel)

    assert guard.evaluation == latest
    assert guard.is_flagged
    assert guard.row is not None and guard.row["threshold"] == 0.5


def test_without_an_evaluation_nothing_blocks_but_the_page_says_none_exists(with_panel, actors):
    guard = threshold_guard(with_panel)

    assert not guard.is_flagged
    assert "has not been evaluated" in guard.message
    approve(with_panel, actors.panel_a)


def test_the_deployment_page_shows_the_latest_report_at_the_threshold_and_the_flag(
    client, with_panel, actors
):
    evaluation = make_evaluation("0.450")
    client.force_login(actors.panel_a)

    page = client.get(reverse("staff:deployment_detail", args=[with_panel.reference]))

    text = page.content.decode()
    assert "Policy guard:" in text
    assert f"engine evaluation {evaluation.pk}" in text
    assert "Error rates by group at threshold 0.5" in text
    assert "False match rate" in text


def test_the_review_form_refuses_an_approval_without_the_justification(client, with_panel, actors):
    make_evaluation("0.450")
    client.force_login(actors.panel_a)
    url = reverse("staff:deployment_action", args=[with_panel.reference, "review"])
    data = {"review-decision": "approve", "review-reasons": "Fine."}

    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "is looser than 0.450" in refused.content.decode()
    page = client.get(url)
    assert "Policy guard:" in page.content.decode()
    field = page.context["form"]["threshold_justification"]
    assert "Needed to approve" in field.help_text
    assert getattr(field.field, "needed_to_submit", False)

    data["review-threshold_justification"] = "A small watchlist of people at risk."
    accepted = client.post(url, data)
    assert accepted.status_code == 302
    assert Review.objects.get().threshold_justification == "A small watchlist of people at risk."

"""The register's extension points: the apps above it take part only through these hooks."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from core.errors import PreconditionsFailed
from deployments import hooks
from deployments import services as ds
from deployments.hooks import Hook, Panel
from deployments.models import Deployment, Review

from .. import factories

pytestmark = pytest.mark.django_db


def test_registering_the_same_function_twice_keeps_one():
    hook: Hook[Any] = Hook("example")

    def check(*args: Any) -> list[Any]:
        return []

    hook.register(check)
    hook.register(check)
    assert list(hook) == [check]


def test_fairness_the_engine_and_the_public_record_take_part_through_their_hooks():
    from fairness import exposure, guard
    from matching import hooks as matching_hooks
    from public import hooks as public_hooks

    assert exposure.exposure_flag_check in list(hooks.submission_checks)
    assert guard.approval_requirement in list(hooks.approval_requirements)
    assert matching_hooks.pin_watchlist in list(hooks.sign_off_pins)
    assert matching_hooks.fill_outcome in list(hooks.after_change)
    assert public_hooks.refresh_pdfs in list(hooks.after_change)


@pytest.fixture
def extra(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Register a hook function for one test only."""

    def register(hook: Hook[Any], function: Any) -> None:
        monkeypatch.setattr(hook, "_functions", [*hook._functions, function])

    return register


def _authorised(actors: Any) -> Deployment:
    return factories.to_authorised(
        factories.make_draft(actors.planner), actors.planner, actors.authoriser
    )


def test_an_approval_requirement_refuses_an_approval_that_leaves_its_field_blank(
    actors: Any, documents: Any, extra: Any
):
    deployment = _authorised(actors)
    ds.review_assign(deployment=deployment, reviewer=actors.panel_a, by=actors.chair)
    extra(
        hooks.approval_requirements,
        lambda d: {"threshold_justification": "Say why this threshold is justified."},
    )
    with pytest.raises(PreconditionsFailed) as refused:
        ds.review_record(
            deployment=deployment,
            reviewer=actors.panel_a,
            decision=Review.Decision.APPROVE,
            reasons="Necessary.",
        )
    assert refused.value.problems == {
        "threshold_justification": ["Say why this threshold is justified."]
    }
    assert not Review.objects.filter(deployment=deployment).exists()
    # Requesting changes needs no justification of an approval.
    ds.review_record(
        deployment=deployment,
        reviewer=actors.panel_a,
        decision=Review.Decision.REQUEST_CHANGES,
        reasons="Not yet.",
    )


def test_sign_off_saves_what_the_pins_give_and_refuses_a_field_it_does_not_pin(
    actors: Any, documents: Any, extra: Any
):
    deployment = _authorised(actors)
    factories.record_approvals(deployment, actors.chair, actors.panel_a, actors.panel_b)
    factories.give_watchlist(deployment)
    extra(hooks.sign_off_pins, lambda d, by: {"approved_threshold": "0.9"})
    with pytest.raises(ValueError, match="approved_threshold is not a field that sign-off pins"):
        ds.deployment_sign_off(deployment=deployment, by=actors.chair, statement="Approved.")
    deployment.refresh_from_db()
    assert deployment.state == "authorised"


def test_every_change_to_the_public_record_is_told_to_the_listeners(
    actors: Any, documents: Any, extra: Any
):
    heard: list[tuple[str, str]] = []
    extra(hooks.after_change, lambda d, action: heard.append((d.reference, action)))
    deployment = factories.to_approved(factories.make_draft(actors.planner), actors)
    ds.deployment_suspend(deployment=deployment, by=actors.chair, reason="Stop.")
    ds.deployment_lift_suspension(deployment=deployment, by=actors.chair, reason="Go on.")
    assert heard == [
        (deployment.reference, "approved"),
        (deployment.reference, "suspended"),
        (deployment.reference, "suspension_lifted"),
    ]


def test_a_panel_a_higher_app_gives_is_drawn_on_the_deployment_page(
    client: Any, actors: Any, documents: Any, extra: Any
):
    deployment = factories.make_draft(actors.planner)
    extra(
        hooks.panels["deployment_detail"],
        lambda d, user: Panel("includes/error_summary.html", {"errors": [{"text": "From above"}]}),
    )
    client.force_login(actors.planner)
    page = client.get(reverse("staff:deployment_detail", args=[deployment.reference]))
    assert page.status_code == 200
    assert "From above" in page.content.decode()

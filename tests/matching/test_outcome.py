"""Adjudication, and the deployment's outcome record filled from the engine's own counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from deployments import services as ds
from deployments.models import Outcome
from matching import engine, services
from matching.models import Alert

pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


@pytest.fixture
def alerts(live: Any, actors: Any, sample_faces: Path) -> list[Alert]:
    """Two runs: four photographs of the wanted person and one passer-by, then one more."""
    found = []
    for names in (
        ("obama2.jpg", "obama3.jpg", "obama_partial_face.jpg", "biden.jpg"),
        ("obama_partial_face2.jpg",),
    ):
        run = services.run_start(deployment=live, operator=actors.operator, source_label="C").run
        frames = [
            services.Frame(image=engine.load_image(sample_faces / n, **LIMITS)) for n in names
        ]
        found += services.run_process_batch(run=run, frames=frames).alerts
        services.run_stop(run=run, by=actors.operator, code="finished", reason="Done.")
    return found


def adjudicate(alert: Alert, by: Any, verdict: str, confirmation: str, outcome: str) -> Alert:
    return services.alert_adjudicate(
        alert=alert, by=by, verdict=verdict, confirmation=confirmation, outcome=outcome
    )


def test_completion_fills_the_outcome_from_the_runs_and_the_adjudications(live, actors, alerts):
    first, second, third, fourth = alerts
    adjudicate(first, actors.operator, "true", "confirmed", "arrest")
    adjudicate(second, actors.operator, "true", "unconfirmed", "no_action")
    adjudicate(third, actors.operator, "false", "confirmed", "other")
    adjudicate(fourth, actors.operator, "false", "unconfirmed", "no_action")
    # No outcome record exists while the deployment runs.
    assert not Outcome.objects.exists()

    ds.deployment_complete(deployment=live, at=live.ends_at)

    outcome = Outcome.objects.get(deployment=live)
    assert outcome.faces_seen == 5  # four frames and one: five faces, the passer-by included
    assert (
        outcome.true_alerts_confirmed,
        outcome.true_alerts_unconfirmed,
        outcome.false_alerts_confirmed,
        outcome.false_alerts_unconfirmed,
    ) == (1, 1, 1, 1)
    assert (outcome.arrests, outcome.other_outcomes, outcome.no_action) == (1, 1, 2)
    assert outcome.total_alerts == 4 and outcome.false_alert_rate_per_face == pytest.approx(0.4)
    event = AuditEvent.objects.for_object(live).get(action="outcome.filled_from_engine")
    assert event.details["faces_seen"] == 5 and event.details["alerts_not_adjudicated"] == 0


def test_an_adjudication_after_completion_updates_the_outcome(live, actors, alerts):
    ds.deployment_complete(deployment=live, at=live.ends_at)
    outcome = Outcome.objects.get(deployment=live)
    assert outcome.total_alerts == 0
    assert (
        AuditEvent.objects.get(action="outcome.filled_from_engine").details[
            "alerts_not_adjudicated"
        ]
        == 4
    )
    adjudicate(alerts[0], actors.operator, "true", "confirmed", "arrest")
    outcome.refresh_from_db()
    assert (outcome.true_alerts_confirmed, outcome.arrests) == (1, 1)


def test_the_planners_complaints_and_summary_are_left_alone(live, actors, alerts):
    ds.deployment_complete(deployment=live, at=live.ends_at)
    ds.outcome_record(
        deployment=live, by=actors.planner, data={"complaints": 2, "summary": "Two complaints."}
    )
    adjudicate(alerts[0], actors.operator, "true", "confirmed", "arrest")
    outcome = Outcome.objects.get(deployment=live)
    assert (outcome.complaints, outcome.summary) == (2, "Two complaints.")
    assert outcome.arrests == 1


def test_counts_the_engine_made_cannot_be_typed_over(live, actors, alerts):
    ds.deployment_complete(deployment=live, at=live.ends_at)
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.outcome_record(deployment=live, by=actors.planner, data={"faces_seen": 50_000})
    assert list(excinfo.value.problems) == ["faces_seen"]
    assert Outcome.objects.get(deployment=live).faces_seen == 5
    # The same numbers, as the outcome form sends them back, are not a change.
    ds.outcome_record(deployment=live, by=actors.planner, data={"faces_seen": 5, "complaints": 1})
    assert Outcome.objects.get(deployment=live).complaints == 1


def test_the_outcome_form_shows_the_engines_counts_as_fixed(live, actors, alerts):
    from deployments.forms import OutcomeForm

    ds.deployment_complete(deployment=live, at=live.ends_at)
    form = OutcomeForm(instance=Outcome.objects.get(deployment=live))
    assert form.fields["faces_seen"].disabled
    assert not form.fields["complaints"].disabled


def test_a_deployment_the_engine_never_ran_for_keeps_the_outcome_recorded_by_hand(live, actors):
    ds.deployment_complete(deployment=live, at=live.ends_at)
    ds.outcome_record(deployment=live, by=actors.planner, data={"faces_seen": 12_000})
    assert services.outcome_fill_from_runs(deployment=live) is None
    assert Outcome.objects.get(deployment=live).faces_seen == 12_000


def test_alerts_cannot_be_changed_once_the_results_are_published(live, actors, alerts):
    ds.deployment_complete(deployment=live, at=live.ends_at)
    ds.deployment_publish_report(deployment=live, by=actors.moderator)
    with pytest.raises(TransitionNotAllowed, match=r"results of .* are published"):
        adjudicate(alerts[0], actors.operator, "true", "confirmed", "arrest")


@pytest.mark.parametrize("who", ["planner", "chair", "authoriser", "stranger"])
def test_only_an_operator_of_the_deployment_adjudicates(actors, alerts, who):
    with pytest.raises(NotPermitted):
        adjudicate(alerts[0], getattr(actors, who), "true", "confirmed", "arrest")
    alerts[0].refresh_from_db()
    assert alerts[0].is_pending


def test_an_adjudication_needs_all_three_answers(actors, alerts):
    with pytest.raises(PreconditionsFailed) as refused:
        adjudicate(alerts[0], actors.operator, "true", "", "maybe")
    assert set(refused.value.problems) == {"confirmation", "outcome"}


def test_a_correction_is_audited_with_what_it_replaced(live, actors, alerts):
    adjudicate(alerts[0], actors.operator, "true", "confirmed", "arrest")
    adjudicate(alerts[0], actors.operator, "false", "confirmed", "no_action")
    event = AuditEvent.objects.for_object(live).get(action="alert.readjudicated")
    assert event.details["previous"] == {
        "verdict": "true",
        "confirmation": "confirmed",
        "outcome": "arrest",
    }

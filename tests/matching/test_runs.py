"""Runs: who may start one, what a batch of frames yields, and the gate closing under a run."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import NotPermitted
from core.roles import Role
from deployments import services as ds
from matching import engine, services
from matching.gate import GateClosed
from matching.models import Alert, Run
from tests import factories

pytestmark = pytest.mark.django_db

OBAMA_AGAIN = ("obama2.jpg", "obama3.jpg", "obama_partial_face.jpg", "obama_partial_face2.jpg")
LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def frame(sample_faces: Path, name: str) -> services.Frame:
    return services.Frame(image=engine.load_image(sample_faces / name, **LIMITS), label=name)


def start(deployment, operator) -> Run:  # type: ignore[no-untyped-def]
    return services.run_start(
        deployment=deployment, operator=operator, source_label="Camera 1, north exit"
    ).run


def actions(deployment) -> list[str]:  # type: ignore[no-untyped-def]
    return list(AuditEvent.objects.for_object(deployment).values_list("action", flat=True))


# --- starting ------------------------------------------------------------------------------------
def test_an_operator_of_the_deployment_starts_a_run_and_it_is_audited(live, actors):
    started = services.run_start(deployment=live, operator=actors.operator, source_label="Cam 1")
    run = started.run
    assert run.is_running and run.operator == actors.operator
    assert run.threshold == live.match_threshold
    # Only the token's hash is kept, and the token dies with the deployment's window at latest.
    assert run.token_hash == hashlib.sha256(started.token.encode()).hexdigest()
    assert started.token not in str(Run.objects.filter(pk=run.pk).values().get())
    assert run.token_expires_at <= live.ends_at
    event = AuditEvent.objects.for_object(live).get(action="run.started")
    assert event.actor == actors.operator and event.details["run"] == run.pk


@pytest.mark.parametrize("who", ["planner", "authoriser", "chair", "stranger"])
def test_only_an_operator_may_start_a_run(live, actors, who):
    with pytest.raises(NotPermitted):
        start(live, getattr(actors, who))
    assert not Run.objects.exists()


def test_an_operator_not_assigned_to_this_deployment_may_not_start_a_run(live):
    other = factories.make_user("operator_elsewhere", Role.OPERATOR)
    with pytest.raises(NotPermitted, match="not an operator of"):
        start(live, other)


def test_a_run_does_not_start_when_the_gate_is_closed_and_the_refusal_names_the_operator(
    live, actors
):
    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Crowd trouble.")
    with pytest.raises(GateClosed) as closed:
        start(live, actors.operator)
    assert closed.value.reason_code == "suspended"
    assert not Run.objects.exists()
    refusal = AuditEvent.objects.for_object(live).get(action="gate.refused")
    assert refusal.actor == actors.operator


# --- matching ------------------------------------------------------------------------------------
def test_photographs_of_the_enrolled_person_raise_alerts_and_a_stranger_does_not(
    live, actors, sample_faces, settings
):
    run = start(live, actors.operator)
    frames = [frame(sample_faces, n) for n in (*OBAMA_AGAIN, "biden.jpg")]
    result = services.run_process_batch(run=run, frames=frames)
    assert result.frames == 5 and result.faces_seen == 5
    assert sorted(result.labels) == sorted(OBAMA_AGAIN)
    alerts = Alert.objects.select_related("entry").order_by("pk")
    assert [a.entry.subject_reference for a in alerts] == ["W-OBAMA-1"] * 4
    assert all(0 < a.distance <= 0.5 for a in alerts)
    # Each alert has its crop, in private storage, and nothing else was written there.
    crops = {Path(a.crop.path) for a in alerts}
    assert all(p.is_file() and p.is_relative_to(settings.PRIVATE_MEDIA_ROOT) for p in crops)
    run.refresh_from_db()
    assert (run.frames, run.faces_seen) == (5, 5)
    raised = AuditEvent.objects.for_object(live).get(action="alerts.raised")
    assert raised.details["alerts"] == [a.pk for a in alerts]


def test_the_threshold_in_force_decides_what_matches(live, actors, sample_faces):
    from deployments.models import Deployment

    # obama2.jpg is 0.35 from obama.jpg: a tighter threshold than that raises nothing.
    Deployment.objects.filter(pk=live.pk).update(match_threshold="0.300")
    run = start(live, actors.operator)
    result = services.run_process_batch(run=run, frames=[frame(sample_faces, "obama2.jpg")])
    assert result.faces_seen == 1 and result.alerts == []


def test_a_suspension_between_batches_stops_the_run_within_one_batch_and_the_trail_says_why(
    live, actors, sample_faces
):
    run = start(live, actors.operator)
    first = services.run_process_batch(run=run, frames=[frame(sample_faces, "obama2.jpg")])
    assert len(first.alerts) == 1

    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Crowd trouble at the exit.")

    with pytest.raises(GateClosed) as closed:
        services.run_process_batch(run=run, frames=[frame(sample_faces, "obama3.jpg")])
    assert closed.value.reason_code == "suspended"
    run.refresh_from_db()
    # The second batch was never matched: one frame counted, one alert.
    assert run.frames == 1 and Alert.objects.count() == 1
    assert not run.is_running and run.stop_code == "suspended"
    assert "Crowd trouble at the exit." in run.stop_reason
    trail = actions(live)
    suspended = trail.index("deployment.suspended")
    assert trail[suspended:] == ["deployment.suspended", "gate.refused", "run.stopped"]
    stopped = AuditEvent.objects.for_object(live).get(action="run.stopped")
    assert stopped.actor_label == "gate"
    assert stopped.details["reason_code"] == "suspended"
    assert "Crowd trouble at the exit." in stopped.details["reason"]
    assert (stopped.details["frames"], stopped.details["alerts"]) == (1, 1)

    # A stopped run stays stopped, even once the suspension is lifted.
    ds.deployment_lift_suspension(deployment=live, by=actors.chair, reason="All clear.")
    with pytest.raises(services.RunNotRunning):
        services.run_process_batch(run=run, frames=[frame(sample_faces, "obama3.jpg")])


def test_the_end_of_the_window_stops_a_run_within_one_batch(live, actors, sample_faces):
    run = start(live, actors.operator)
    services.run_process_batch(
        run=run, frames=[frame(sample_faces, "obama2.jpg")], at=live.ends_at - timedelta(seconds=1)
    )
    with pytest.raises(GateClosed) as closed:
        services.run_process_batch(
            run=run, frames=[frame(sample_faces, "obama3.jpg")], at=live.ends_at
        )
    assert closed.value.reason_code == "outside_window"
    run.refresh_from_db()
    assert run.stop_code == "outside_window" and run.frames == 1


def test_a_watchlist_changed_during_a_run_stops_it(live, actors, sample_faces):
    from matching.models import WatchlistEntry

    run = start(live, actors.operator)
    services.run_process_batch(run=run, frames=[frame(sample_faces, "obama2.jpg")])
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    services.watchlist_entry_remove(entry=entry, by=actors.planner, reason="Arrested.")
    with pytest.raises(GateClosed, match="changed since the panel approved it"):
        services.run_process_batch(run=run, frames=[frame(sample_faces, "obama3.jpg")])


# --- stopping ------------------------------------------------------------------------------------
def test_the_operator_stops_a_run_once_and_it_is_audited(live, actors):
    run = start(live, actors.operator)
    services.run_stop(run=run, by=actors.operator, code="stopped_by_operator", reason="Done.")
    services.run_stop(run=run, by=actors.operator, code="stopped_by_operator", reason="Again.")
    run.refresh_from_db()
    assert run.stopped_at is not None and run.stop_reason == "Done."
    assert actions(live).count("run.stopped") == 1


def test_someone_who_does_not_operate_the_deployment_cannot_stop_its_run(live, actors):
    run = start(live, actors.operator)
    with pytest.raises(NotPermitted):
        services.run_stop(run=run, by=actors.planner, code="x", reason="No.")
    run.refresh_from_db()
    assert run.is_running


def test_a_token_expires_with_the_window_or_the_setting_whichever_is_first(live, actors, settings):
    settings.OVERSIGHT_RUN_TOKEN_HOURS = 1
    now = timezone.now()
    started = services.run_start(
        deployment=live, operator=actors.operator, source_label="Cam", at=now
    )
    assert started.run.token_expires_at == now + timedelta(hours=1)
    with pytest.raises(services.TokenExpired):
        services.run_authenticate(
            run_id=started.run.pk, token=started.token, at=now + timedelta(hours=1)
        )
    assert services.run_authenticate(run_id=started.run.pk, token=started.token, at=now)

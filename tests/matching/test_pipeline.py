"""The live pipeline in one process: a camera's stream through ingest to matching and alerts.

Tasks run eagerly here, so `ingest_run` matches each batch as it sends it; the same code on
real Redis with ingest and matching workers in other processes is tested in
test_pipeline_workers.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from deployments import services as ds
from matching import engine
from matching.models import Alert, Batch, HourlyCount, Run
from matching.services import run_start
from matching.services.ingest import ingest_run
from matching.services.runs import CropFrame, run_match_crops
from matching.tasks import match_batch

pytestmark = pytest.mark.django_db(transaction=True)

# camera_video at 2 frames a second: 2 frames each of obama2, biden, obama3 and Obama's
# partial face; all but biden's match W-OBAMA-1.
FRAMES, FACES, MATCHING_FRAMES = 8, 8, 6


def _start(camera: Any, actors: Any) -> Run:
    return run_start(deployment=camera.deployment, operator=actors.operator, camera=camera).run


def test_a_camera_run_raises_one_alert_per_matching_face_and_counts_every_hour(
    live_camera: Any, actors: Any
) -> None:
    run = _start(live_camera, actors)
    assert ingest_run(run.pk, realtime=False) == "stream_ended"
    run.refresh_from_db()
    assert (run.frames, run.faces_seen) == (FRAMES, FACES)
    assert run.stop_code == "stream_ended"
    alerts = Alert.objects.filter(run=run)
    assert alerts.count() == MATCHING_FRAMES
    assert {a.entry.subject_reference for a in alerts} == {"W-OBAMA-1"}
    assert len({(a.batch_seq, a.face_index) for a in alerts}) == MATCHING_FRAMES
    assert Batch.objects.filter(run=run).count() == FRAMES
    hours = HourlyCount.objects.filter(run=run)
    assert sum(h.frames for h in hours) == FRAMES
    assert sum(h.faces_seen for h in hours) == FACES


def test_a_batch_delivered_twice_is_written_once(live_camera: Any, actors: Any) -> None:
    run = _start(live_camera, actors)
    from matching.samples import sample_faces_dir

    image = engine.load_image(sample_faces_dir() / "obama2.jpg", max_bytes=10**8, max_pixels=10**8)
    crops = engine.face_crops(image, engine.detect_faces(image, scale=0.5))
    wire = [
        {"seen_at": run.started_at.isoformat(), "faces": [engine.crop_to_wire(c) for c in crops]}
    ]
    assert match_batch.apply(args=(run.pk, 1, wire)).get() == "matched"
    assert match_batch.apply(args=(run.pk, 1, wire)).get() == "duplicate"
    run.refresh_from_db()
    assert (run.frames, run.faces_seen) == (1, 1)
    assert Alert.objects.filter(run=run).count() == 1


def test_a_suspension_stops_the_camera_at_the_next_batch(live_camera: Any, actors: Any) -> None:
    run = _start(live_camera, actors)
    ds.deployment_suspend(
        deployment=live_camera.deployment, by=actors.chair, reason="Complaint under review."
    )
    assert run_match_crops(run_id=run.pk, seq=1, frames=[CropFrame(run.started_at, [])]) == (
        "gate_closed"
    )
    run.refresh_from_db()
    assert run.stop_code == "suspended"
    # The ingest loop ends at once: its heartbeat finds the run stopped.
    assert ingest_run(run.pk, realtime=False) == "stopped"
    assert Batch.objects.filter(run=run).count() == 0
    assert not Alert.objects.filter(run=run).exists()


def test_completion_publishes_the_hourly_counts_and_they_add_up_to_the_total(
    live_camera: Any, actors: Any
) -> None:
    from deployments.models import Outcome
    from public.charts import faces_chart

    run = _start(live_camera, actors)
    ingest_run(run.pk, realtime=False)
    deployment = live_camera.deployment
    ds.deployment_complete(deployment=deployment, at=deployment.ends_at)
    outcome = Outcome.objects.get(deployment=deployment)
    assert outcome.faces_seen == FACES
    timeline = outcome.faces_timeline()
    assert sum(n for _, n in timeline) == FACES
    assert faces_chart(outcome, timeline)[1] is True
    # Hours that do not add up to the published total are never charted.
    Outcome.objects.filter(pk=outcome.pk).update(faces_hourly=[[timeline[0][0].isoformat(), 1]])
    outcome.refresh_from_db()
    assert outcome.faces_timeline() == []


def test_a_worker_keeps_the_approved_watchlist_only_while_the_gate_is_open(
    live_camera: Any, actors: Any
) -> None:
    from matching.services import runs

    runs._forget_matchers()
    run = _start(live_camera, actors)
    deployment = live_camera.deployment
    assert run_match_crops(run_id=run.pk, seq=1, frames=[CropFrame(run.started_at, [])]) == (
        "matched"
    )
    assert list(runs._MATCHER_DEPLOYMENT.values()) == [deployment.pk]
    ds.deployment_suspend(deployment=deployment, by=actors.chair, reason="Complaint.")
    assert run_match_crops(run_id=run.pk, seq=2, frames=[CropFrame(run.started_at, [])]) == (
        "gate_closed"
    )
    assert deployment.pk not in runs._MATCHER_DEPLOYMENT.values()
    assert not runs._MATCHERS


def test_without_a_broker_the_console_reads_a_camera_whose_thread_ended_with_the_server(
    live_camera: Any, actors: Any, client: Any, settings: Any
) -> None:
    """The embedded default (the demo): the camera's ingest runs in a thread of the web
    process; a run left without one (the server restarted) is read again when its console is
    opened, and its alerts arrive. On PostgreSQL: the tests' SQLite is an in-memory database
    shared between threads, which locks whole tables (the demo's file database, in WAL mode,
    lets readers and a writer work at once)."""
    from django.urls import reverse

    from tests.conftest import needs_real_services, wait_for

    needs_real_services(postgres=True)
    run = run_start(
        deployment=live_camera.deployment,
        operator=actors.operator,
        camera=live_camera,
        start_reading=False,
    ).run
    settings.OVERSIGHT_INGEST_IN_PROCESS = True
    client.force_login(actors.operator)
    response = client.get(reverse("staff:console", args=[live_camera.deployment.reference]))
    assert response.status_code == 200
    # The lease is taken before the page is drawn: the camera reads as sending at once.
    assert "Not sending" not in response.content.decode()

    def ended() -> bool:
        run.refresh_from_db()
        return run.stopped_at is not None

    wait_for(ended, timeout=60, what="the camera's video to play to its end")
    assert run.stop_code == "stream_ended"
    assert Alert.objects.filter(run=run).count() == MATCHING_FRAMES

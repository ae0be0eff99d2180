"""The operator console: each camera started and stopped from it, and alerts pushed to it.

An open console asks the alerts endpoint every second for the alerts after the newest it has
shown (static/js/console.js; tests/browser/test_console_push.py watches one arrive).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from deployments import services as ds
from deployments.models import Deployment
from matching import services
from matching.models import Alert, Camera, Run, WatchlistEntry
from tests import factories
from tests.matching.helpers import as_, console_url

pytestmark = pytest.mark.django_db


def start_url(deployment: Any) -> str:
    return reverse("staff:run_start", args=[deployment.reference])


def alerts_url(deployment: Any, after: int | str = 0, state: str | None = None) -> str:
    url = reverse("staff:console_alerts", args=[deployment.reference]) + f"?after={after}"
    return url if state is None else url + "&" + urlencode({"state": state})


def page_state(html: str) -> str:
    """The state an open console sends back with each poll, as the page or a poll gave it."""
    found = re.search(
        r'(?:id="console-state" name="state" value|data-console-live data-state)="([^"]*)"', html
    )
    assert found, "no console state in the page"
    return found.group(1)


def camera(deployment: Any, kind: str) -> Camera:
    return deployment.cameras.get(kind=kind)


def raise_alert(run: Run, **extra: Any) -> Alert:
    """An alert as the matching worker saves it, without paying for the engine."""
    entry = WatchlistEntry.objects.filter(watchlist__deployment=run.deployment).first()
    assert entry is not None
    return Alert.objects.create(
        run=run, entry=entry, distance=0.41, seen_at=extra.pop("seen_at", timezone.now()), **extra
    )


@pytest.fixture
def other_operator() -> Any:
    return factories.make_user("operator_elsewhere", Role.OPERATOR)


@pytest.fixture
def box_run(on_cameras: Any, actors: Any) -> Run:
    box = camera(on_cameras, "box")
    return services.run_start(deployment=on_cameras, operator=actors.operator, camera=box).run


# --- the cameras ---------------------------------------------------------------------------------
def test_the_console_lists_each_approved_camera_with_a_start_button(client, actors, on_cameras):
    html = as_(client, actors.operator).get(console_url(on_cameras)).content.decode()
    for kind in ("stream", "box"):
        assert f'name="camera" value="{camera(on_cameras, kind).pk}"' in html
    assert "Camera 1, north exit" in html and "Camera 2, south exit" in html
    assert html.count("Not started") == 2
    # Runs from the console are always a camera's: there is no free-text source any more.
    assert 'name="source_label"' not in html


def test_a_deployment_without_approved_cameras_says_the_planner_adds_them(client, actors, live):
    html = as_(client, actors.operator).get(console_url(live)).content.decode()
    assert "No camera is approved for this deployment" in html
    assert "The planner adds its cameras before the panel chair's sign-off" in html
    assert 'name="camera"' not in html


def test_starting_a_stream_camera_returns_to_the_console_with_its_run(client, actors, on_cameras):
    stream = camera(on_cameras, "stream")
    response = as_(client, actors.operator).post(start_url(on_cameras), {"camera": stream.pk})
    assert response.status_code == 302 and response["Location"] == console_url(on_cameras)
    run = Run.objects.get()
    assert run.camera == stream and run.operator == actors.operator and run.is_running
    html = client.get(console_url(on_cameras)).content.decode()
    assert "Camera 1, north exit started: the register is reading its stream." in html
    assert reverse("staff:run_stop", args=[run.pk]) in html
    # Only the other camera still offers a start.
    assert f'name="camera" value="{stream.pk}"' not in html
    assert f'name="camera" value="{camera(on_cameras, "box").pk}"' in html


def test_a_camera_already_running_is_not_started_twice(client, actors, on_cameras, box_run):
    response = as_(client, actors.operator).post(
        start_url(on_cameras), {"camera": box_run.camera_id}
    )
    assert response.status_code == 409
    assert "Camera 2, south exit is already running." in response.content.decode()
    assert Run.objects.count() == 1


def test_a_camera_of_another_deployment_is_not_found(client, actors, on_cameras, live):
    ds.operator_assign(deployment=live, operator=actors.operator, by=actors.authoriser)
    response = as_(client, actors.operator).post(
        start_url(live), {"camera": camera(on_cameras, "box").pk}
    )
    assert response.status_code == 404 and not Run.objects.exists()


def test_a_start_without_a_camera_says_to_choose_one(client, actors, on_cameras):
    response = as_(client, actors.operator).post(start_url(on_cameras), {"camera": ""})
    assert response.status_code == 400
    assert "Choose the camera to start" in response.content.decode()
    assert not Run.objects.exists()


def test_a_stream_camera_not_heard_from_for_15_seconds_is_shown_not_sending(
    client, actors, on_cameras
):
    stream = camera(on_cameras, "stream")
    started = timezone.now() - timedelta(seconds=40)
    run = services.run_start(
        deployment=on_cameras, operator=actors.operator, camera=stream, at=started
    ).run
    as_(client, actors.operator)
    assert "Not sending" in client.get(console_url(on_cameras)).content.decode()
    Run.objects.filter(pk=run.pk).update(ingest_seen_at=timezone.now() - timedelta(seconds=3))
    assert "Not sending" not in client.get(console_url(on_cameras)).content.decode()
    Run.objects.filter(pk=run.pk).update(ingest_seen_at=timezone.now() - timedelta(seconds=20))
    assert "Not sending" in client.get(console_url(on_cameras)).content.decode()


def test_a_box_camera_is_never_shown_not_sending(client, actors, on_cameras, box_run):
    Run.objects.filter(pk=box_run.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    html = as_(client, actors.operator).get(console_url(on_cameras)).content.decode()
    assert "Running" in html and "Not sending" not in html


def test_the_operator_stops_a_camera_and_the_console_says_why_it_stopped(
    client, actors, on_cameras, box_run
):
    Run.objects.filter(pk=box_run.pk).update(frames=12, faces_seen=5)
    response = as_(client, actors.operator).post(reverse("staff:run_stop", args=[box_run.pk]))
    assert response.status_code == 302
    html = client.get(console_url(on_cameras)).content.decode()
    assert "Camera 2, south exit stopped (run" in html
    assert "Stopped by the operator." in html
    assert f'id="camera-{box_run.camera_id}-frames">12</td>' in html
    assert f'id="camera-{box_run.camera_id}-faces">5</td>' in html
    assert f'name="camera" value="{box_run.camera_id}"' in html


def test_another_operator_cannot_stop_a_camera(client, on_cameras, box_run, other_operator):
    response = as_(client, other_operator).post(reverse("staff:run_stop", args=[box_run.pk]))
    assert response.status_code == 404
    box_run.refresh_from_db()
    assert box_run.is_running


def test_the_console_costs_the_same_queries_however_many_cameras_ran(
    client, actors, on_cameras, box_run
):
    as_(client, actors.operator)
    with CaptureQueriesContext(connection) as one:
        client.get(console_url(on_cameras))
    services.run_stop(run=box_run, by=actors.operator, code="stopped_by_operator", reason="X")
    for kind in ("stream", "box", "stream"):
        run = services.run_start(
            deployment=on_cameras, operator=actors.operator, camera=camera(on_cameras, kind)
        ).run
        services.run_stop(run=run, by=actors.operator, code="stopped_by_operator", reason="X")
    for kind in ("stream", "box"):
        services.run_start(
            deployment=on_cameras, operator=actors.operator, camera=camera(on_cameras, kind)
        )
    with CaptureQueriesContext(connection) as many:
        client.get(console_url(on_cameras))
    assert len(many) == len(one)


# --- alerts pushed to the open console -----------------------------------------------------------
def test_the_console_shows_the_newest_alert_first_and_the_count_in_its_title(
    client, actors, on_cameras, box_run
):
    now = timezone.now()
    older = raise_alert(box_run, seen_at=now - timedelta(minutes=2))
    newer = raise_alert(box_run, seen_at=now)
    html = as_(client, actors.operator).get(console_url(on_cameras)).content.decode()
    assert html.index(f'id="alert-{newer.pk}"') < html.index(f'id="alert-{older.pk}"')
    assert f"<title>(2) Console · {on_cameras}" in html
    assert f'id="alert-after" name="after" value="{newer.pk}"' in html
    assert reverse("staff:console_alerts", args=[on_cameras.reference]) in html


def test_the_alerts_endpoint_gives_only_the_alerts_after_the_one_shown(
    client, actors, on_cameras, box_run
):
    shown = raise_alert(box_run)
    new = raise_alert(box_run)
    response = as_(client, actors.operator).get(alerts_url(on_cameras, shown.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert f'data-alert="{new.pk}"' in html and f'data-alert="{shown.pk}"' not in html
    assert f'data-waiting="{shown.pk} {new.pk}"' in html and f'data-latest="{new.pk}"' in html
    # The same card as the console's, with its adjudication form.
    assert f'name="a{new.pk}-verdict"' in html
    entry_image = reverse("staff:watchlist_entry_image", args=[on_cameras.reference, new.entry_id])
    assert entry_image in html


def test_the_alerts_endpoint_counts_only_the_alerts_still_waiting(
    client, actors, on_cameras, box_run
):
    decided = raise_alert(box_run, verdict="false", confirmation="unconfirmed", outcome="no_action")
    waiting = raise_alert(box_run)
    html = as_(client, actors.operator).get(alerts_url(on_cameras)).content.decode()
    assert f'data-waiting="{waiting.pk}"' in html
    assert f'data-alert="{decided.pk}"' not in html


def test_the_alerts_endpoint_never_gives_another_deployments_alerts(
    client, actors, on_cameras, box_run, live
):
    ds.operator_assign(deployment=live, operator=actors.operator, by=actors.authoriser)
    elsewhere = services.run_start(deployment=live, operator=actors.operator, source_label="C")
    theirs = raise_alert(elsewhere.run)
    ours = raise_alert(box_run)
    html = as_(client, actors.operator).get(alerts_url(on_cameras)).content.decode()
    assert f'data-alert="{ours.pk}"' in html and f'data-alert="{theirs.pk}"' not in html
    assert f'data-waiting="{ours.pk}"' in html


def test_a_nonsense_cursor_is_read_as_the_start(client, actors, on_cameras, box_run):
    alert = raise_alert(box_run)
    for after in ("x", "-5", ""):
        html = as_(client, actors.operator).get(alerts_url(on_cameras, after)).content.decode()
        assert f'data-alert="{alert.pk}"' in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_operator", 404), ("planner", 403), ("chair", 403), ("stranger", 404), (None, 302)],
)
def test_only_an_operator_of_the_deployment_gets_its_alerts(
    client, actors, on_cameras, box_run, other_operator, who, status
):
    raise_alert(box_run)
    user = other_operator if who == "other_operator" else getattr(actors, who) if who else None
    response = as_(client, user).get(alerts_url(on_cameras))
    assert response.status_code == status
    assert b"data-alert" not in response.content


def test_the_alerts_endpoint_does_no_gate_work_and_its_cost_does_not_grow(
    client, actors, on_cameras, box_run, monkeypatch
):
    import matching.gate

    def no_gate(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("asked the gate")

    state = page_state(as_(client, actors.operator).get(console_url(on_cameras)).content.decode())
    monkeypatch.setattr(matching.gate, "_decide", no_gate)
    latest = raise_alert(box_run)
    with CaptureQueriesContext(connection) as nothing_new:
        client.get(alerts_url(on_cameras, latest.pk, state))
    with CaptureQueriesContext(connection) as one_new:
        client.get(alerts_url(on_cameras, 0, state))
    for _ in range(5):
        raise_alert(box_run)
    with CaptureQueriesContext(connection) as six_new:
        response = client.get(alerts_url(on_cameras, 0, state))
    assert response.content.decode().count("data-alert=") == 6
    assert "data-console-live" not in response.content.decode()
    assert len(six_new) == len(one_new) == len(nothing_new) + 1


# --- the cameras and the gate kept up to date in the open console -------------------------------
def test_each_poll_brings_every_cameras_figures(client, actors, on_cameras, box_run):
    html = as_(client, actors.operator).get(console_url(on_cameras)).content.decode()
    Run.objects.filter(pk=box_run.pk).update(frames=12, faces_seen=5)
    poll = client.get(alerts_url(on_cameras, 0, page_state(html))).content.decode()
    assert f'data-camera="{box_run.camera_id}" data-frames="12" data-faces="5"' in poll
    # A camera never started has no figures to give.
    assert f'data-camera="{camera(on_cameras, "stream").pk}"' not in poll


def test_a_camera_stopped_elsewhere_is_sent_again_to_the_open_console(
    client, actors, on_cameras, box_run
):
    html = as_(client, actors.operator).get(console_url(on_cameras)).content.decode()
    state = page_state(html)
    assert "data-console-live" not in client.get(alerts_url(on_cameras, 0, state)).content.decode()

    services.run_stop(run=box_run, by=actors.operator, code="stopped_by_operator", reason="X")
    poll = client.get(alerts_url(on_cameras, 0, state)).content.decode()
    assert "data-console-live" in poll and page_state(poll) != state
    # The row now offers a start where it offered a stop, and the gate is still open.
    assert f'name="camera" value="{box_run.camera_id}"' in poll
    assert reverse("staff:run_stop", args=[box_run.pk]) not in poll
    assert "The gate is open" in poll
    # Sent once: the console sends the new state back and gets only alerts and figures.
    again = client.get(alerts_url(on_cameras, 0, page_state(poll))).content.decode()
    assert "data-console-live" not in again


def test_a_suspension_closes_the_gate_in_the_open_console(client, actors, on_cameras, box_run):
    state = page_state(as_(client, actors.operator).get(console_url(on_cameras)).content.decode())
    ds.deployment_suspend(deployment=on_cameras, by=actors.chair, reason="Disorder nearby.")
    poll = client.get(alerts_url(on_cameras, 0, state)).content.decode()
    assert "The gate is closed" in poll and "The gate is open" not in poll
    assert "No camera can start while the gate is closed." in poll
    assert 'name="camera"' not in poll  # no start button while it is closed


def test_the_end_of_the_window_closes_the_gate_in_the_open_console(client, actors, on_cameras):
    # No run is going, so no batch stops one: only the window itself changes.
    state = page_state(as_(client, actors.operator).get(console_url(on_cameras)).content.decode())
    Deployment.objects.filter(pk=on_cameras.pk).update(
        ends_at=timezone.now() - timedelta(minutes=1)
    )
    poll = client.get(alerts_url(on_cameras, 0, state)).content.decode()
    assert "data-console-live" in poll and page_state(poll) != state
    assert "The gate is closed" in poll and 'name="camera"' not in poll


def test_a_camera_gone_quiet_is_sent_again_as_not_sending(client, actors, on_cameras):
    stream = camera(on_cameras, "stream")
    run = services.run_start(deployment=on_cameras, operator=actors.operator, camera=stream).run
    Run.objects.filter(pk=run.pk).update(ingest_seen_at=timezone.now())
    html = as_(client, actors.operator).get(console_url(on_cameras)).content.decode()
    assert "Not sending" not in html
    Run.objects.filter(pk=run.pk).update(ingest_seen_at=timezone.now() - timedelta(seconds=40))
    poll = client.get(alerts_url(on_cameras, 0, page_state(html))).content.decode()
    assert "Not sending" in poll


def test_an_alert_adjudicated_from_the_pushed_card_returns_to_the_console(
    client, actors, on_cameras, box_run
):
    alert = raise_alert(box_run)
    as_(client, actors.operator).get(alerts_url(on_cameras))
    response = client.post(
        reverse("staff:alert_detail", args=[alert.pk]),
        {
            f"a{alert.pk}-verdict": "false",
            f"a{alert.pk}-confirmation": "unconfirmed",
            f"a{alert.pk}-outcome": "no_action",
            "next": console_url(on_cameras),
        },
    )
    assert response.status_code == 302 and response["Location"] == console_url(on_cameras)
    alert.refresh_from_db()
    assert alert.verdict == "false" and alert.adjudicated_by == actors.operator

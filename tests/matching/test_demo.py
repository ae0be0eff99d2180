"""The demo's engine: watchlists enrolled before each sign-off, a console with alerts, and
`watch` against every demo deployment."""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo.seed import seed_demo
from deployments.models import Deployment, State
from matching.models import Alert, Run, WatchlistEntry

from .test_watch_command import watch

pytestmark = pytest.mark.django_db

# What the gate says to each demo deployment that is not live.
EXPECTED = {
    State.DRAFT: "not_approved",
    State.SUBMITTED: "not_approved",
    State.RETURNED: "not_approved",
    State.AUTHORISED: "not_approved",
    State.REJECTED: "not_approved",
    State.WITHDRAWN: "not_approved",
    State.COMPLETED: "not_approved",
    State.REPORT_PUBLISHED: "not_approved",
    State.SUSPENDED: "suspended",
    State.APPROVED: "outside_window",  # the upcoming one
}


@pytest.fixture
def demo(sample_faces):  # type: ignore[no-untyped-def]
    return seed_demo(password="pw-for-tests-only")


def test_the_demo_pins_each_watchlist_at_sign_off_and_fills_the_console_once(demo):
    signed = Deployment.objects.exclude(approved_at=None)
    assert signed.count() == 5
    for deployment in signed:
        assert len(deployment.watchlist_fingerprint) == 64
        entry = WatchlistEntry.objects.get(watchlist__deployment=deployment)
        assert entry.status == WatchlistEntry.Status.ENROLLED
    live = Deployment.objects.live_at(timezone.now()).get()
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    assert entry.image and entry.encoding and entry.face_box
    # Deployments that ended long ago have had their biometrics deleted by retention.
    for ended in Deployment.objects.filter(state__in=(State.COMPLETED, State.REPORT_PUBLISHED)):
        old = WatchlistEntry.objects.get(watchlist__deployment=ended)
        assert old.purged_at and not old.image and old.encoding is None

    # The operator's console: three alerts from four faces, one adjudicated.
    assert "3 alerts (2 waiting for the operator)" in demo["engine"]
    alerts = Alert.objects.filter(run__deployment=live)
    assert alerts.count() == 3 and alerts.filter(verdict="").count() == 2
    assert Run.objects.get(deployment=live).faces_seen == 4

    # Seeding again adds nothing.
    counts = (Run.objects.count(), Alert.objects.count(), WatchlistEntry.objects.count())
    again = seed_demo(password="pw-for-tests-only")
    assert again["deployments"] == []
    assert (Run.objects.count(), Alert.objects.count(), WatchlistEntry.objects.count()) == counts


def test_watch_refuses_each_demo_deployment_that_may_not_run_and_alerts_on_the_live_one(
    demo, sample_faces
):
    now = timezone.now()
    refused = Deployment.objects.exclude(pk__in=Deployment.objects.live_at(now))
    assert refused.count() == 10
    for deployment in refused:
        status, alerts, err = watch(
            deployment.reference, sample_faces / "obama2.jpg", operator="operator"
        )
        assert status == 3, (deployment, err)
        assert alerts == []
        assert f"Gate closed ({EXPECTED[State(deployment.state)]})" in err, (deployment, err)

    live = Deployment.objects.live_at(now).get()
    files = [sample_faces / n for n in ("obama2.jpg", "biden.jpg", "obama3.jpg")]
    status, alerts, err = watch(live.reference, *files, operator="operator")
    assert status == 0, err
    assert [a["source"].rsplit("/", 1)[1] for a in alerts] == ["obama2.jpg", "obama3.jpg"]
    assert {a["subject_reference"] for a in alerts} == {"WNT-24-00731"}


def test_the_live_demo_deployment_has_a_camera_playing_the_demo_video_into_the_console(
    sample_faces, settings, tmp_path
):  # type: ignore[no-untyped-def]
    from matching.models import Camera
    from matching.services.ingest import ingest_run

    settings.OVERSIGHT_CAMERA_FILE_ROOT = str(tmp_path)
    seed_demo(password="pw-for-tests-only")
    live = Deployment.objects.live_at(timezone.now()).get()
    assert live.cameras.filter(kind=Camera.Kind.STREAM).count() == 1
    assert live.cameras.filter(kind=Camera.Kind.BOX).count() == 1
    run = Run.objects.get(deployment=live, stopped_at=None)
    assert run.camera is not None and run.camera.kind == Camera.Kind.STREAM
    before = Alert.objects.filter(run__deployment=live).count()
    assert ingest_run(run.pk, realtime=False, loop=False) == "stream_ended"
    # Obama three times (2 frames each at 2 a second), Biden once: six new alerts.
    assert Alert.objects.filter(run=run).count() == 6
    assert Alert.objects.filter(run__deployment=live).count() == before + 6

"""Urgent use through the engine: alerts raised before the panel's sign-off, and everything
from the urgent use (alerts, their crops on disk, the watchlist's encodings and images) deleted
at once when the panel refuses or does not decide in time (EU AI Act, Article 5(3))."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from deployments import services as ds
from deployments.models import Deployment, UrgentOutcome
from matching import engine, gate, services
from matching.models import Alert, Run, WatchlistEntry
from tests import factories

from .conftest import enrol_directly

pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}
REASON = "A man wanted for a stabbing last night was seen at the market this morning."


def files(settings: Any) -> set[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def urgent(actors: Any, documents: Any, sample_faces: Path, enrolled_faces: Any) -> Deployment:
    """Authorised, obama.jpg enrolled, put to urgent use for two hours; not signed off."""
    deployment = factories.make_draft(
        actors.planner, start=timezone.now() + timedelta(minutes=30), hours=8
    )
    box, encoding = enrolled_faces["obama.jpg"]
    enrol_directly(deployment, sample_faces / "obama.jpg", encoding, "W-OBAMA-1", face_box=box)
    factories.to_authorised(deployment, actors.planner, actors.authoriser)
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    ds.deployment_declare_urgent(
        deployment=deployment, by=actors.authoriser, reason=REASON, hours=2
    )
    deployment.refresh_from_db()
    return deployment


def run_with_alert(deployment: Deployment, operator: Any, sample_faces: Path) -> Run:
    """A run inside the urgent window that raised one alert (obama2.jpg matches W-OBAMA-1)."""
    at = deployment.starts_at + timedelta(minutes=10)
    run = services.run_start(
        deployment=deployment, operator=operator, source_label="Cam", at=at
    ).run
    frame = services.Frame(image=engine.load_image(sample_faces / "obama2.jpg", **LIMITS))
    result = services.run_process_batch(run=run, frames=[frame], at=at)
    assert len(result.alerts) == 1
    return run


def test_the_engine_runs_before_sign_off_inside_the_urgent_window(
    urgent: Deployment, actors: Any, sample_faces: Path
):
    run = run_with_alert(urgent, actors.operator, sample_faces)
    alert = Alert.objects.get(run=run)
    assert alert.crop and Path(alert.crop.path).is_file()
    # The run's token lasts no longer than the urgent window.
    assert run.token_expires_at == urgent.urgent_run_until


def test_refusal_deletes_every_alert_crop_and_encoding_of_the_urgent_use(
    urgent: Deployment, actors: Any, sample_faces: Path, settings: Any, client: Any
):
    run = run_with_alert(urgent, actors.operator, sample_faces)
    crop = Path(Alert.objects.get(run=run).crop.path)
    entry = WatchlistEntry.objects.get(watchlist__deployment=urgent)
    image = Path(entry.image.path)
    assert crop.is_file() and image.is_file() and entry.encoding is not None

    ds.deployment_reject(deployment=urgent, by=actors.chair, reasons="Not a real emergency.")

    # The rows and the files are gone; the record of who was listed stays, without biometrics.
    assert not Alert.objects.filter(run__deployment=urgent).exists()
    assert not crop.exists() and not image.exists()
    assert files(settings) == set()
    entry.refresh_from_db()
    assert entry.encoding is None and not entry.image and entry.purged_at is not None
    # The run is stopped, and no new run may start.
    run.refresh_from_db()
    assert run.stopped_at is not None and run.stop_code == "urgent_refused"
    with pytest.raises(gate.GateClosed) as closed:
        services.run_start(
            deployment=urgent,
            operator=actors.operator,
            source_label="Cam",
            at=urgent.starts_at + timedelta(minutes=20),
        )
    assert closed.value.reason_code == gate.URGENT_REFUSED
    # Audited with the counts, by the engine and by the register.
    counts = {"alerts": 1, "crops": 1, "encodings": 1, "images": 1}
    (deleted,) = AuditEvent.objects.filter(action="urgent_use.data_deleted")
    assert deleted.details == counts and deleted.object_id == str(urgent.pk)
    (refused,) = AuditEvent.objects.filter(action="deployment.urgent_use_refused")
    assert refused.details == {"deleted": counts}
    urgent.refresh_from_db()
    assert urgent.urgent_outcome == UrgentOutcome.REFUSED and urgent.urgent_data_deleted == counts
    # The notice says so, in words and numbers.
    html = client.get(urgent.get_public_url()).content.decode()
    assert "Stopped: urgent use refused; its data deleted" in html
    assert "every alert, face image and face encoding from the urgent use was deleted" in html
    assert "Deleted: 1 alert with 1 face image, and 1 watchlist face encoding." in html


def test_no_decision_in_time_deletes_the_urgent_use_data_too(
    urgent: Deployment, actors: Any, sample_faces: Path, settings: Any
):
    run = run_with_alert(urgent, actors.operator, sample_faces)
    due = urgent.urgent_decision_due_at
    assert due is not None
    # At the deadline the gate is closed before anything records the lapse.
    with pytest.raises(gate.GateClosed) as closed:
        services.run_process_batch(run=run, frames=[], at=due)
    assert closed.value.reason_code == gate.URGENT_DECISION_OVERDUE
    assert Alert.objects.filter(run__deployment=urgent).count() == 1

    assert ds.urgent_use_lapse_overdue(at=due) == [urgent.reference]

    assert not Alert.objects.filter(run__deployment=urgent).exists()
    assert files(settings) == set()
    (deleted,) = AuditEvent.objects.filter(action="urgent_use.data_deleted")
    assert deleted.details == {"alerts": 1, "crops": 1, "encodings": 1, "images": 1}
    urgent.refresh_from_db()
    assert urgent.urgent_outcome == UrgentOutcome.LAPSED


def test_sign_off_in_time_keeps_the_alerts_and_the_engine_runs_on(
    urgent: Deployment, actors: Any, sample_faces: Path
):
    run = run_with_alert(urgent, actors.operator, sample_faces)
    factories.record_approvals(urgent, actors.chair, actors.panel_a, actors.panel_b)
    ds.deployment_sign_off(deployment=urgent, by=actors.chair, statement="Justified.")
    frame = services.Frame(image=engine.load_image(sample_faces / "obama3.jpg", **LIMITS))
    later = urgent.starts_at + timedelta(hours=4)  # past the urgent window, inside the approved
    result = services.run_process_batch(run=run, frames=[frame], at=later)
    assert len(result.alerts) == 1
    assert Alert.objects.filter(run__deployment=urgent).count() == 2
    assert not AuditEvent.objects.filter(action="urgent_use.data_deleted").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_matched_while_the_refusal_commits_keeps_no_alert(
    urgent: Deployment, actors: Any, sample_faces: Path
):
    """The gate said yes a moment before the chair's refusal: the batch's alert must not be
    saved after the refusal deleted the urgent use's data (the deployment row's lock orders
    the two)."""
    import threading
    import time

    from django.db import connection, connections, transaction

    from ..conftest import needs_real_services

    needs_real_services(postgres=True)
    at = urgent.starts_at + timedelta(minutes=10)
    run = services.run_start(deployment=urgent, operator=actors.operator, source_label="Cam", at=at)
    frame = services.Frame(image=engine.load_image(sample_faces / "obama2.jpg", **LIMITS))
    holding, batch_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def refuse() -> None:
        try:
            with transaction.atomic():
                Deployment.objects.select_for_update().get(pk=urgent.pk)
                holding.set()
                # Refuse once the batch waits for this lock (or has finished without it).
                deadline = time.monotonic() + 30
                while not batch_done.is_set() and time.monotonic() < deadline:
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                        if cursor.fetchone()[0]:
                            break
                    time.sleep(0.05)
                ds.deployment_reject(
                    deployment=Deployment.objects.get(pk=urgent.pk),
                    by=actors.chair,
                    reasons="Refused.",
                )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    refuser = threading.Thread(target=refuse)
    refuser.start()
    assert holding.wait(timeout=30)
    try:
        with pytest.raises(gate.GateClosed) as closed:
            services.run_process_batch(run=run.run, frames=[frame], at=at)
    finally:
        batch_done.set()
        refuser.join(timeout=60)
    assert errors == []
    assert closed.value.reason_code == gate.URGENT_REFUSED
    assert not Alert.objects.filter(run__deployment=urgent).exists()


def test_no_one_can_be_added_to_the_watchlist_once_urgent_use_has_pinned_it(
    urgent: Deployment, actors: Any, sample_faces: Path
):
    from django.core.files.base import ContentFile

    from core.errors import TransitionNotAllowed

    before = urgent.watchlist_fingerprint
    with pytest.raises(TransitionNotAllowed, match="urgent use"):
        services.watchlist_entry_add(
            deployment=urgent,
            by=actors.planner,
            subject_reference="W-LATE-2",
            category=urgent.watchlist_categories[0],
            image_provenance="Custody image 24/1.",
            legal_basis="PACE s.64A.",
            image=ContentFile((sample_faces / "biden.jpg").read_bytes(), name="x.jpg"),
        )
    assert WatchlistEntry.objects.filter(watchlist__deployment=urgent).count() == 1
    assert services.watchlist_fingerprint(deployment=urgent) == before

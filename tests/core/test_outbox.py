"""The transactional outbox: work after an action is written with it, relayed after commit,
re-dispatched by the sweeper, and done once in effect however often it is dispatched."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from core import outbox
from core.models import OutboxMessage
from deployments import services as ds
from matching.models import WatchlistEntry
from matching.samples import ensure_sample_faces
from matching.services.retention import retention_purge
from public import services as ps
from public.models import ReportPdf
from tests import factories

from .broker import celery_pointed_at, free_port

REFRESH = "public.tasks.refresh_report_pdfs"
ENROL = "matching.tasks.enrol_entry"


def completed(actors: Any) -> Any:
    trial = factories.to_approved(factories.make_draft(actors.planner), actors)
    trial = factories.backdate(trial, timedelta(days=5))
    ds.deployment_complete(deployment=trial)
    ds.outcome_record(
        deployment=trial,
        by=actors.planner,
        data={
            "faces_seen": 1000,
            "true_alerts_confirmed": 1,
            "true_alerts_unconfirmed": 0,
            "false_alerts_confirmed": 0,
            "false_alerts_unconfirmed": 0,
            "arrests": 1,
            "other_outcomes": 0,
            "no_action": 0,
            "complaints": 0,
            "summary": "One arrest.",
        },
    )
    trial.refresh_from_db()
    return trial


def add_entry(deployment: Any, by: Any) -> WatchlistEntry:
    from matching import services as ms

    return ms.watchlist_entry_add(
        deployment=deployment,
        by=by,
        subject_reference="W-2026-001",
        category="wanted_by_court",
        image_provenance="Custody image system, record 1.",
        legal_basis="PACE s.64A.",
        image=(ensure_sample_faces() / "obama.jpg").open("rb"),
    )


def test_the_work_is_written_in_the_actions_transaction_and_sent_after_commit(
    actors, documents, django_capture_on_commit_callbacks
):
    trial = completed(actors)
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False) as sent:
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    message = OutboxMessage.objects.get(task=REFRESH)
    assert message.kwargs == {"deployment_id": trial.pk}
    # Nothing is handed over before commit: a worker would not find the committed report.
    assert message.dispatched_at is None and not ReportPdf.objects.exists()
    for callback in sent:
        callback()
    message.refresh_from_db()
    assert message.is_done and message.attempts == 1
    assert ReportPdf.objects.filter(kind="trial", key=trial.reference).exists()


def test_a_rolled_back_action_leaves_no_work_behind(actors, documents):
    trial = completed(actors)
    OutboxMessage.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)
        assert OutboxMessage.objects.filter(task=REFRESH).exists()
        raise RuntimeError("the action fails after the work was recorded")
    assert not OutboxMessage.objects.exists()


def test_a_rolled_back_watchlist_upload_leaves_no_work_and_its_image_is_purged(actors, draft):
    OutboxMessage.objects.all().delete()  # what the fixtures' own changes recorded
    with pytest.raises(RuntimeError), transaction.atomic():
        entry = add_entry(draft, actors.planner)
        stored = entry.image.path
        raise RuntimeError("the request fails after the image was stored")
    assert not OutboxMessage.objects.exists()
    assert not WatchlistEntry.objects.exists()
    # The image would otherwise be biometric data that no entry names and nothing deletes:
    # retention deletes such a file once no upload could still be committing it.
    assert os.path.exists(stored)
    retention_purge(at=timezone.now())
    assert os.path.exists(stored)
    assert retention_purge(at=timezone.now() + timedelta(hours=2)).orphans == 1
    assert not os.path.exists(stored)


def test_an_upload_that_fails_inside_its_own_transaction_leaves_no_image(
    actors, draft, monkeypatch
):
    from matching.services import watchlists

    def audit_fails(**_: Any) -> None:
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(watchlists, "audit_record", audit_fails)
    with pytest.raises(RuntimeError):
        add_entry(draft, actors.planner)
    assert not WatchlistEntry.objects.exists()
    assert not any(path.is_file() for path in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*"))


def test_the_sweeper_sends_what_was_never_handed_over_and_nothing_twice(
    actors, documents, django_capture_on_commit_callbacks
):
    trial = completed(actors)
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    # As if the broker were down when the action committed: the messages wait (the PDF refresh,
    # the subscribers' e-mail and the stored open data).
    waiting = list(OutboxMessage.objects.all())
    assert list(outbox.waiting()) == waiting and len(waiting) == 3
    assert outbox.sweep() == 3
    assert all(m.is_done for m in OutboxMessage.objects.all())
    assert outbox.sweep() == 0


def test_work_handed_over_long_ago_but_never_done_is_handed_over_again(actors, documents, settings):
    settings.OVERSIGHT_OUTBOX_REDISPATCH_SECONDS = 600
    trial = completed(actors)
    OutboxMessage.objects.all().delete()
    message = OutboxMessage.objects.create(
        task=REFRESH, kwargs={"deployment_id": trial.pk}, attempts=1
    )
    # Handed to a broker that then lost it (restarted without persistence).
    OutboxMessage.objects.filter(pk=message.pk).update(dispatched_at=timezone.now())
    assert outbox.sweep() == 0  # recently handed over: give the worker time
    OutboxMessage.objects.filter(pk=message.pk).update(
        dispatched_at=timezone.now() - timedelta(seconds=601)
    )
    assert outbox.sweep() == 1
    message.refresh_from_db()
    assert message.is_done and message.attempts == 2


def test_work_dispatched_twice_has_its_effect_once(
    actors, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        entry = add_entry(draft, actors.planner)
    message = OutboxMessage.objects.get(task=ENROL)
    assert outbox.run(message.pk).startswith(ENROL)
    assert outbox.run(message.pk) == "already done"
    # A worker that did the work but died before marking it done: the work itself is
    # idempotent, so running it again changes nothing and audits nothing.
    OutboxMessage.objects.filter(pk=message.pk).update(done_at=None)
    outbox.run(message.pk)
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.ENROLLED
    assert AuditEvent.objects.filter(action="watchlist.entry_enrolled").count() == 1


def test_a_report_refresh_dispatched_twice_renders_one_pdf(
    actors, documents, django_capture_on_commit_callbacks
):
    trial = completed(actors)
    with django_capture_on_commit_callbacks(execute=False):
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    message = OutboxMessage.objects.get(task=REFRESH, done_at__isnull=True)
    outbox.run(message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(done_at=None)
    outbox.run(message.pk)
    generated = AuditEvent.objects.filter(action="report_pdf.generated")
    assert generated.filter(details__kind="trial").count() == 1


def test_two_changes_before_the_broker_returns_need_one_refresh(
    actors, documents, django_capture_on_commit_callbacks
):
    trial = factories.to_approved(factories.make_draft(actors.planner), actors)
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        first = ps.question_submit(deployment=trial, text="Why here?", address="203.0.113.1")
        second = ps.question_submit(deployment=trial, text="Why now?", address="203.0.113.1")
        ps.question_publish(question=first, by=actors.moderator, answer="Crime figures.")
        ps.question_publish(question=second, by=actors.moderator, answer="The event.")
    assert OutboxMessage.objects.filter(task=REFRESH).count() == 1


def test_with_the_broker_down_the_publish_fails_fast_and_the_work_waits(
    actors, documents, django_capture_on_commit_callbacks
):
    """Nothing listens on the port: the relay gives up in well under a second, keeps the error
    on the row, and the action that queued it is saved and never sees the error."""
    trial = completed(actors)
    OutboxMessage.objects.all().delete()
    with celery_pointed_at(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            ds.deployment_publish_report(deployment=trial, by=actors.moderator)
        elapsed = time.monotonic() - started
    assert elapsed < 2, f"the action took {elapsed:.1f} s with the broker down"
    trial.refresh_from_db()
    assert trial.state == "report_published"
    message = OutboxMessage.objects.get(task=REFRESH)
    assert message.dispatched_at is None and not message.is_done
    assert "connect" in message.last_error.lower()
    assert message in outbox.waiting()
    # The broker is back (here: eager), and the sweeper does the work (and the subscribers').
    assert outbox.sweep() == OutboxMessage.objects.count(), message.last_error
    assert ReportPdf.objects.filter(kind="trial", key=trial.reference).exists()


def test_an_action_recording_much_work_waits_for_one_refused_publish_at_most(
    db, django_capture_on_commit_callbacks
):
    with celery_pointed_at(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(10):
                outbox.enqueue(REFRESH, about=f"deployment:{n}", deployment_id=n)
        elapsed = time.monotonic() - started
    assert elapsed < 1, f"recording the work took {elapsed:.1f} s with the broker down"
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == 10
    assert OutboxMessage.objects.exclude(last_error="").count() == 1


def test_the_dashboard_and_the_watchlist_show_work_that_waits(
    client, actors, draft, django_capture_on_commit_callbacks
):
    OutboxMessage.objects.all().delete()  # what the fixtures' own changes recorded
    with django_capture_on_commit_callbacks(execute=False):
        add_entry(draft, actors.planner)
    client.force_login(actors.planner)
    page = client.get(f"/staff/deployments/{draft.reference}/watchlist/").content.decode()
    assert "Waiting for the task queue since" in page
    dashboard = client.get("/staff/").content.decode()
    assert "Work waiting to be done (1)" in dashboard
    outbox.sweep()
    assert "Work waiting to be done" not in client.get("/staff/").content.decode()


def test_beat_sweeps_the_outbox_every_minute(actors, documents, django_capture_on_commit_callbacks):
    from core.tasks import outbox_sweep

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-outbox"]
    assert entry["task"] == outbox_sweep.name and entry["schedule"] == timedelta(minutes=1)
    trial = completed(actors)
    with django_capture_on_commit_callbacks(execute=False):
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    outbox_sweep.delay()
    assert not OutboxMessage.objects.filter(done_at__isnull=True).exists()


def test_a_misspelt_task_is_refused_when_the_work_is_recorded(db):
    with pytest.raises(KeyError):
        outbox.enqueue("public.tasks.no_such_task", deployment_id=1)
    assert not OutboxMessage.objects.exists()


def test_work_that_fails_every_time_is_shown_as_failed_and_no_longer_retried(db, settings):
    settings.OVERSIGHT_OUTBOX_MAX_ATTEMPTS = 2
    # Arguments the task does not take: it fails every time it runs (here, eagerly).
    message = OutboxMessage.objects.create(task=REFRESH, kwargs={"wrong_argument": 1})
    assert outbox.sweep() == 0
    assert outbox.sweep() == 0
    message.refresh_from_db()
    assert message.attempts == 2 and "TypeError" in message.last_error
    assert not outbox.waiting().exists()
    assert outbox.waiting_summary().failed == 1


def test_entries_left_enrolling_before_the_outbox_are_resumed_by_the_migration(
    actors, draft, django_capture_on_commit_callbacks
):
    import importlib

    from django.apps import apps

    with django_capture_on_commit_callbacks(execute=False):
        entry = add_entry(draft, actors.planner)
    OutboxMessage.objects.all().delete()  # as before the outbox: the task was simply lost
    migration = importlib.import_module("matching.migrations.0002_resume_stuck_enrolments")
    migration.resume(apps, None)
    migration.resume(apps, None)  # and running it twice queues it once
    message = OutboxMessage.objects.get()
    assert message.kwargs == {"entry_id": entry.pk}
    outbox.sweep()
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.ENROLLED

"""Nothing lost when the broker is down, on the real parts.

A `redis-server` of this test's own is started on a spare port and stopped by its PID. With it
stopped (PostgreSQL up), each action of issue "nothing lost" is made through the web: a member
of the public asks a question, a moderator publishes one, a moderator publishes a results
report, a planner uploads a watchlist image. Each must answer within 2 seconds, without a 500,
and be saved. Redis is started again, a real Celery worker starts (and sweeps the outbox as it
starts), and every piece of work that followed the actions is seen done: the PDFs rendered, the
image enrolled.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.models import OutboxMessage
from deployments import services as ds
from deployments.models import State
from matching.models import WatchlistEntry
from matching.samples import ensure_sample_faces
from public import services as ps
from public.models import PublicQuestion
from tests import factories

from ..conftest import needs_real_services, running_celery_worker, wait_for
from .broker import RedisServer, celery_pointed_at, free_port

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTCOME = {
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
}


def timed(action: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = action()
    return response, time.monotonic() - started


def test_every_action_is_saved_at_once_with_redis_stopped_and_its_work_done_when_it_returns(
    request, settings, tmp_path, actors, client
):
    needs_real_services(postgres=True, redis=True)
    factories.publish_documents(actors.legal_officer)
    # Set up with the work done in-process (eager), so only the actions below wait.
    asked_on = factories.to_approved(factories.make_draft(actors.planner), actors)
    pending = ps.question_submit(deployment=asked_on, text="Why here?", address="203.0.113.5")
    to_report = factories.to_approved(factories.make_draft(actors.planner), actors)
    to_report = factories.backdate(to_report, timedelta(days=5))
    ds.deployment_complete(deployment=to_report)
    ds.outcome_record(deployment=to_report, by=actors.planner, data=OUTCOME)
    draft = factories.make_draft(actors.planner)
    OutboxMessage.objects.filter(done_at__isnull=True).delete()
    assert not OutboxMessage.objects.filter(done_at__isnull=True).exists()

    redis = RedisServer(free_port(), tmp_path / "redis")
    # The cache is Redis too when REDIS_URL is set: it is down with the broker.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with celery_pointed_at(redis.url):
        redis.start()
        redis.stop()
        since = timezone.now()

        # 1. A member of the public asks a question.
        response, took = timed(
            lambda: client.post(
                reverse("public:trial_detail", args=[asked_on.reference]),
                {"text": "Will there be signs?", "name": "", "email": "", "website": ""},
                REMOTE_ADDR="198.51.100.9",
            )
        )
        assert (response.status_code, took < 2) == (302, True), took
        assert PublicQuestion.objects.filter(text="Will there be signs?").exists()

        # 2. A moderator publishes a question (the notice's PDFs must be rendered again).
        client.force_login(actors.moderator)
        response, took = timed(
            lambda: client.post(
                reverse("staff:moderation_publish", args=[pending.pk]),
                {f"p{pending.pk}-answer": "Crime figures for the area."},
            )
        )
        assert (response.status_code, took < 2) == (302, True), took
        pending.refresh_from_db()
        assert pending.status == PublicQuestion.Status.PUBLISHED

        # 3. A moderator publishes a results report (its PDF must be rendered).
        response, took = timed(
            lambda: client.post(
                reverse("staff:deployment_action", args=[to_report.reference, "publish_report"]),
                {},
            )
        )
        assert (response.status_code, took < 2) == (302, True), took
        to_report.refresh_from_db()
        assert to_report.state == State.REPORT_PUBLISHED
        assert AuditEvent.objects.filter(action="deployment.report_published").exists()

        # 4. A planner uploads a watchlist image (it must be enrolled).
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(actors.planner)
        image = (ensure_sample_faces() / "obama.jpg").read_bytes()
        response, took = timed(
            lambda: client.post(
                reverse("staff:watchlist", args=[draft.reference]),
                {
                    "subject_reference": "W-2026-001",
                    "category": "wanted_by_court",
                    "image_provenance": "Custody image system, record 7.",
                    "legal_basis": "PACE s.64A.",
                    "image": SimpleUploadedFile("photo.jpg", image, content_type="image/jpeg"),
                },
            )
        )
        assert (response.status_code, took < 2) == (302, True), took
        entry = WatchlistEntry.objects.get(subject_reference="W-2026-001")
        assert entry.status == WatchlistEntry.Status.ENROLLING and entry.image

        # The work waits in PostgreSQL, and the staff pages say so.
        waiting = OutboxMessage.objects.filter(done_at__isnull=True)
        assert {m.task for m in waiting} == {
            "public.tasks.refresh_report_pdfs",
            "matching.tasks.enrol_entry",
            "public.tasks.send_notice_messages",  # the results, to the trial's subscribers
            "public.tasks.refresh_public_files",  # the stored open data and annual report
        }
        assert all(m.dispatched_at is None for m in waiting)
        assert any("connect" in m.last_error.lower() for m in waiting)
        page = client.get(reverse("staff:watchlist", args=[draft.reference])).content.decode()
        assert "Waiting for the task queue since" in page
        assert "Work waiting to be done" in client.get(reverse("staff:dashboard")).content.decode()

        # Redis comes back; a real worker starts and sweeps what waited.
        redis.start()
        try:
            with running_celery_worker(request, settings, tmp_path, redis_url=redis.url):
                wait_for(
                    lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(),
                    timeout=180,
                    what="the worker to do every piece of work that waited",
                )
        finally:
            redis.stop()

    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.ENROLLED and entry.encoding is not None
    rendered = AuditEvent.objects.filter(action="report_pdf.generated", at__gt=since)
    keys = {(e.details["kind"], e.details["key"]) for e in rendered}
    year = str(timezone.localtime(to_report.starts_at).year)
    assert ("trial", to_report.reference) in keys
    assert ("annual", year) in keys
    assert all(m.last_error == "" for m in OutboxMessage.objects.all())

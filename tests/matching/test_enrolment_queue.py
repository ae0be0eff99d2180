"""With a broker configured, enrolment never runs inside the web request that uploads the image:
the request only records the work (core/outbox.py) and hands it to the broker."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from core.models import OutboxMessage
from matching.models import WatchlistEntry
from matching.samples import ensure_sample_faces

from ..conftest import needs_real_services
from ..core.broker import celery_pointed_at


def test_with_a_broker_the_upload_only_queues_the_enrolment(
    client, actors, draft, django_capture_on_commit_callbacks
):
    needs_real_services(postgres=False, redis=True)
    from oversight.celery import app

    client.force_login(actors.planner)
    image = (ensure_sample_faces() / "obama.jpg").read_bytes()
    queue = f"oversight-test-{uuid.uuid4().hex[:12]}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue  # a queue no worker reads: the message just waits
    with celery_pointed_at(settings.REDIS_URL):
        try:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    reverse("staff:watchlist", args=[draft.reference]),
                    {
                        "subject_reference": "W-2026-001",
                        "category": "wanted_by_court",
                        "image_provenance": "Custody image system, record 7.",
                        "legal_basis": "PACE s.64A.",
                        "image": SimpleUploadedFile("photo.jpg", image, content_type="image/jpeg"),
                    },
                )
        finally:
            app.conf.task_default_queue = previous_queue
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
    assert response.status_code == 302
    # Encoding takes seconds and, for a large image, gigabytes: never in the request.
    entry = WatchlistEntry.objects.get()
    assert entry.status == WatchlistEntry.Status.ENROLLING and entry.encoding is None
    assert not AuditEvent.objects.filter(action="watchlist.entry_enrolled").exists()
    message = OutboxMessage.objects.get(about=f"watchlist_entry:{entry.pk}")
    assert message.dispatched_at is not None and not message.is_done

"""The gate: each reason it refuses for, each refusal in the audit trail, and its one yes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from deployments import services as ds
from deployments.models import Deployment
from legal import services as ls
from legal.models import Document
from matching import services
from matching.gate import GateClosed, gate_check, gate_preview
from matching.models import WatchlistEntry
from tests import factories

from .conftest import enrol_directly

pytestmark = pytest.mark.django_db


def refusals(deployment: Deployment) -> list[dict[str, Any]]:
    return [
        e.details for e in AuditEvent.objects.for_object(deployment).filter(action="gate.refused")
    ]


def assert_refused(deployment: Deployment, code: str, *, at: Any = None) -> GateClosed:
    before = len(refusals(deployment))
    with pytest.raises(GateClosed) as refused:
        gate_check(deployment=deployment, at=at or timezone.now())
    assert refused.value.reason_code == code
    logged = refusals(deployment)
    assert len(logged) == before + 1, "every refusal is written to the audit trail"
    assert logged[-1]["reason_code"] == code
    assert logged[-1]["reason"] == refused.value.message
    return refused.value


def test_a_live_approved_deployment_gets_a_permit_at_its_threshold(live):
    permit = gate_check(deployment=live, at=timezone.now())
    assert permit.deployment_id == live.pk
    assert permit.threshold == pytest.approx(0.5)
    assert permit.watchlist_fingerprint == live.watchlist_fingerprint
    assert refusals(live) == []


def test_the_gate_refuses_a_deployment_that_is_not_approved(actors, documents):
    deployment = factories.to_authorised(
        factories.make_draft(actors.planner), actors.planner, actors.authoriser
    )
    closed = assert_refused(deployment, "not_approved")
    assert "not approved" in closed.message


def test_the_gate_refuses_a_completed_deployment(live):
    ds.deployment_complete(deployment=live, at=live.ends_at)
    assert_refused(live, "not_approved", at=live.ends_at - timedelta(minutes=1))


def test_the_gate_refuses_a_suspended_deployment_and_gives_the_reason(live, actors):
    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Disorder nearby.")
    closed = assert_refused(live, "suspended")
    assert "Disorder nearby." in closed.message


def test_the_gate_refuses_before_the_window_opens(live):
    assert_refused(live, "outside_window", at=live.starts_at - timedelta(seconds=1))


def test_the_gate_refuses_once_the_window_has_ended(live):
    closed = assert_refused(live, "outside_window", at=live.ends_at)
    assert "ended" in closed.message


def test_the_gate_refuses_until_the_notice_has_been_public_for_the_lead_time(live, settings):
    settings.OVERSIGHT_NOTICE_LEAD_HOURS = 24
    now = timezone.now()
    Deployment.objects.filter(pk=live.pk).update(notice_published_at=now - timedelta(hours=23))
    closed = assert_refused(live, "notice_too_recent", at=now)
    assert "24 hours" in closed.message
    Deployment.objects.filter(pk=live.pk).update(notice_published_at=now - timedelta(hours=24))
    gate_check(deployment=live, at=now)


def test_the_gate_refuses_when_a_pinned_document_is_withdrawn(live, actors, documents):
    ls.document_version_withdraw(
        version=documents[Document.Kind.DPIA], reason="Found wanting.", by=actors.legal_officer
    )
    closed = assert_refused(live, "document_not_current")
    assert "withdrawn" in closed.message


def test_the_gate_refuses_when_a_pinned_document_is_superseded(live, actors, documents):
    document = documents[Document.Kind.LEGAL_MANDATE].document
    newer = ls.document_version_draft(
        document=document, title="v2", body="New text.", change_summary="", by=actors.legal_officer
    )
    ls.document_version_publish(version=newer, by=actors.legal_officer)
    closed = assert_refused(live, "document_not_current")
    assert "superseded" in closed.message


def test_the_gate_refuses_when_an_entry_was_added_after_approval(
    live, sample_faces, face_encodings
):
    # The services refuse additions after sign-off (test_enrolment); this one is made behind
    # their back, straight in the database.
    enrol_directly(live, sample_faces / "biden.jpg", face_encodings["biden.jpg"], "W-LATE-1")
    closed = assert_refused(live, "watchlist_changed")
    assert "changed since the panel approved it" in closed.message


def test_the_gate_refuses_when_an_entry_was_removed_after_approval(live, actors):
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    services.watchlist_entry_remove(entry=entry, by=actors.planner, reason="Arrested yesterday.")
    assert_refused(live, "watchlist_changed")


def test_the_gate_refuses_when_an_encoding_was_changed_after_approval(live):
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    changed = bytearray(entry.encoding)
    changed[0] ^= 1
    WatchlistEntry.objects.filter(pk=entry.pk).update(encoding=bytes(changed))
    assert_refused(live, "watchlist_changed")


def test_the_gate_refuses_a_threshold_looser_than_approved(live):
    Deployment.objects.filter(pk=live.pk).update(match_threshold=Decimal("0.550"))
    closed = assert_refused(live, "threshold_loosened")
    assert "0.550" in closed.message and "0.500" in closed.message


def test_a_tighter_threshold_than_approved_is_allowed_and_used(live):
    Deployment.objects.filter(pk=live.pk).update(match_threshold=Decimal("0.450"))
    assert gate_check(deployment=live, at=timezone.now()).threshold == pytest.approx(0.45)


def test_the_gate_refuses_a_threshold_above_the_policy_limit(live, settings):
    settings.OVERSIGHT_MAX_MATCH_THRESHOLD = 0.45
    assert_refused(live, "threshold_loosened")


def test_the_gate_reads_the_deployment_afresh(live, actors):
    # A caller holding an old copy cannot slip past a suspension made since.
    stale = Deployment.objects.get(pk=live.pk)
    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Stop now.")
    assert stale.state == "approved"
    assert_refused(stale, "suspended")


def test_a_preview_says_why_without_auditing_or_giving_a_permit(live, actors):
    assert gate_preview(deployment=live, at=timezone.now()) is None
    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Stop now.")
    preview = gate_preview(deployment=live, at=timezone.now())
    assert preview is not None and preview.reason_code == "suspended"
    assert refusals(live) == []

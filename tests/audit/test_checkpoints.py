"""Signed checkpoints of the audit chain: when they are made, what they sign, and the key."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from audit import signing
from audit.models import AuditCheckpoint, AuditEvent, checkpoint_statement
from audit.services import ChainContradictsCheckpoint, audit_checkpoint_create, audit_record
from audit.tasks import sign_checkpoint
from deployments import services as ds

from .. import factories
from .helpers import ids, table, tamper


def test_a_checkpoint_signs_the_length_and_head_of_the_chain(db):
    for i in range(3):
        audit_record(actor="system", action=f"test.{i}")
    checkpoint = audit_checkpoint_create(reason="test")
    assert checkpoint is not None
    head = AuditEvent.objects.order_by("-id").first()
    assert (checkpoint.size, checkpoint.head_hash) == (3, head.hash)
    statement = checkpoint_statement(3, head.hash, checkpoint.signed_at_text)
    assert checkpoint.statement() == statement
    assert signing.verify(statement, signature=checkpoint.signature, public=signing.public_key())
    assert not signing.verify(
        checkpoint_statement(2, head.hash, checkpoint.signed_at_text),
        signature=checkpoint.signature,
        public=signing.public_key(),
    )


def test_the_chair_s_sign_off_signs_a_checkpoint_that_covers_it(actors, draft):
    deployment = factories.to_approved(draft, actors)
    checkpoint = AuditCheckpoint.objects.order_by("-id").first()
    assert checkpoint is not None
    assert checkpoint.reason == f"approved {deployment.reference}"
    approved = AuditEvent.objects.for_object(deployment).get(action="deployment.approved")
    assert checkpoint.size >= ids().index(approved.pk) + 1


def test_publishing_a_results_report_signs_a_checkpoint(actors, draft):
    deployment = factories.to_approved(draft, actors)
    deployment = factories.backdate(deployment, timedelta(days=5))
    ds.deployment_complete(deployment=deployment)
    ds.outcome_record(
        deployment=deployment,
        by=actors.planner,
        data={"faces_seen": 10, "summary": "Nothing happened."},
    )
    before = AuditCheckpoint.objects.count()
    ds.deployment_publish_report(deployment=deployment, by=actors.moderator)
    checkpoint = AuditCheckpoint.objects.order_by("-id").first()
    assert AuditCheckpoint.objects.count() == before + 1
    assert checkpoint.reason == f"report_published {deployment.reference}"
    assert checkpoint.size == AuditEvent.objects.count()


def test_the_periodic_task_signs_only_when_the_chain_moved(db, settings):
    audit_record(actor="system", action="test.one")
    assert sign_checkpoint() is not None
    assert sign_checkpoint() is None
    audit_record(actor="system", action="test.two")
    assert sign_checkpoint() is not None
    assert AuditCheckpoint.objects.count() == 2
    schedule = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert schedule["task"] == "audit.tasks.sign_checkpoint"
    assert schedule["schedule"] == timedelta(minutes=settings.AUDIT_CHECKPOINT_MINUTES)


def test_no_checkpoint_is_signed_over_a_chain_that_contradicts_the_last(db):
    for i in range(4):
        audit_record(actor="system", action=f"test.{i}")
    audit_checkpoint_create(reason="test")
    tamper(f"DELETE FROM {table()} WHERE id = %s", [ids()[-1]])
    with pytest.raises(ChainContradictsCheckpoint):
        audit_checkpoint_create(reason="test")
    with pytest.raises(CommandError, match="no longer extends"):
        call_command("audit_checkpoint")


def test_checkpoints_cannot_be_changed_or_deleted_through_the_model(db):
    from audit.models import AppendOnlyError

    checkpoint = audit_checkpoint_create(reason="test")
    with pytest.raises(AppendOnlyError):
        checkpoint.save()
    with pytest.raises(AppendOnlyError):
        AuditCheckpoint.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditCheckpoint.objects.update(size=0)


def test_seed_demo_signs_a_checkpoint(db):
    from demo.seed import seed_checkpoint

    audit_record(actor="system", action="test.one")
    assert "signed" in seed_checkpoint()
    assert AuditCheckpoint.objects.get().reason == "seed_demo"


def test_without_a_configured_key_one_is_generated_in_var_readable_only_by_its_owner(
    db, settings, tmp_path
):
    settings.AUDIT_SIGNING_KEY = None
    settings.VAR_DIR = tmp_path / "var"
    checkpoint = audit_checkpoint_create(reason="test")
    path = tmp_path / "var" / "audit-signing-key.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert checkpoint.key_id == signing.key_id(signing.public_key())
    # The same key next time: it is read, not generated again.
    assert audit_checkpoint_create(reason="again").key_id == checkpoint.key_id


def test_a_key_that_cannot_be_read_is_refused_with_what_to_do(db, settings):
    settings.AUDIT_SIGNING_KEY = "not a key"
    with pytest.raises(signing.SigningKeyError, match="Ed25519 private key in PEM"):
        audit_checkpoint_create(reason="test")


def test_a_retired_key_still_verifies_its_checkpoints(db, settings, capsys):
    from .helpers import new_key_pem, run_verify

    audit_record(actor="system", action="test.one")
    audit_checkpoint_create(reason="old key")
    old_public = signing.public_key().hex()
    settings.AUDIT_SIGNING_KEY = new_key_pem()
    assert run_verify(capsys)[0] == 1
    settings.AUDIT_RETIRED_PUBLIC_KEYS = [old_public]
    assert run_verify(capsys)[0] == 0


def test_the_periodic_task_is_registered_with_celery(db):
    from oversight.celery import app

    app.loader.import_default_modules()
    assert "audit.tasks.sign_checkpoint" in app.tasks


def test_a_publication_over_a_tampered_chain_goes_ahead_but_signs_nothing_and_logs(
    actors, draft, caplog
):
    audit_checkpoint_create(reason="test")
    tamper(f"DELETE FROM {table()} WHERE id = %s", [ids()[-1]])
    before = AuditCheckpoint.objects.count()
    with caplog.at_level("ERROR", logger="public.hooks"):
        deployment = factories.to_approved(draft, actors)
    assert deployment.state == "approved"
    assert AuditCheckpoint.objects.count() == before
    assert f"No audit checkpoint after approved of {deployment.reference}" in caplog.text

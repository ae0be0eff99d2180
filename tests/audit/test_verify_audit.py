"""`verify_audit` checks the chain from its first event and against every signed checkpoint,
and names each way the trail can be cut short or rewritten (exit 1); an untouched trail is 0."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditCheckpoint, AuditEvent, link_hash
from audit.selectors import checkpoints_document
from audit.services import audit_checkpoint_create, audit_record, audit_verify

from .helpers import ids, new_key_pem, run_verify, table, tamper


@pytest.fixture
def trail(actors):
    """60 events, a checkpoint after the first 55, and 5 more events after it."""
    for i in range(55):
        audit_record(actor=actors.planner, action=f"test.step_{i}", details={"n": i})
    checkpoint = audit_checkpoint_create(reason="test")
    for i in range(55, 60):
        audit_record(actor=actors.chair, action=f"test.step_{i}", details={"n": i})
    return checkpoint


def _delete(*event_ids: int) -> None:
    marks = ", ".join(["%s"] * len(event_ids))
    tamper(f"DELETE FROM {table()} WHERE id IN ({marks})", list(event_ids))


def _rewrite_and_rehash(position: int) -> None:
    """Change one event and re-hash it and every event after it, keeping every link valid."""
    events = list(AuditEvent.objects.order_by("id"))
    previous = events[position - 1].prev_hash
    for event in events[position - 1 :]:
        if event.pk == events[position - 1].pk:
            event.details = {"n": "forged"}
        event.prev_hash = previous
        digest = event.compute_digest()
        new_hash = link_hash(previous, digest)
        tamper(
            f"UPDATE {table()} SET details = %s, prev_hash = %s, digest = %s, hash = %s "
            "WHERE id = %s",
            [json.dumps(event.details), previous, digest, new_hash, event.pk],
        )
        previous = new_hash


def test_an_untouched_trail_is_intact(trail, capsys):
    code, output = run_verify(capsys)
    assert code == 0
    assert output.strip() == "audit chain intact: 60 events, agreeing with 1 signed checkpoint"


def test_events_deleted_at_the_start_are_named(trail, capsys):
    _delete(*ids()[:3])
    code, output = run_verify(capsys)
    assert code == 1
    assert "(deleted_at_start)" in output
    assert "deleted from the start of the chain" in output


def test_events_deleted_in_the_middle_are_named(trail, capsys):
    before, gone, after = ids()[19:22]
    _delete(gone)
    code, output = run_verify(capsys)
    assert code == 1
    assert "(deleted)" in output
    assert f"deleted between event #{before} and event #{after}" in output


def test_the_last_event_deleted_before_a_checkpoint_is_named(trail, capsys):
    # Delete everything after the checkpoint, and the checkpoint's own last event.
    _delete(*ids()[54:])
    code, output = run_verify(capsys)
    assert code == 1
    assert "(deleted_at_end)" in output
    assert "the chain has 54 events" in output
    assert "the last 1 were deleted" in output


def test_the_last_fifty_events_deleted_are_named(trail, capsys):
    _delete(*ids()[-50:])
    code, output = run_verify(capsys)
    assert code == 1
    assert "(deleted_at_end)" in output
    assert "the chain has 10 events" in output


def test_every_event_deleted_is_named(trail, capsys):
    tamper(f"DELETE FROM {table()}")
    code, output = run_verify(capsys)
    assert code == 1
    assert "(emptied)" in output
    assert f"checkpoint #{trail.pk}" in output


def test_reordered_events_are_named(trail, capsys):
    first, second = ids()[10:12]
    # Swap the two rows' places in the chain (their ids), through a spare id.
    spare = max(ids()) + 1000
    tamper(f"UPDATE {table()} SET id = %s WHERE id = %s", [spare, first])
    tamper(f"UPDATE {table()} SET id = %s WHERE id = %s", [first, second])
    tamper(f"UPDATE {table()} SET id = %s WHERE id = %s", [second, spare])
    code, output = run_verify(capsys)
    assert code == 1
    assert "(reordered)" in output


def test_a_rewrite_with_every_later_event_rehashed_is_caught_by_the_checkpoint(trail, capsys):
    _rewrite_and_rehash(position=30)
    code, output = run_verify(capsys)
    assert code == 1
    assert "(rewritten)" in output
    assert f"checkpoint #{trail.pk}" in output


def test_without_checkpoints_the_rehashed_rewrite_would_pass(trail):
    # The case the checkpoints exist for: this shows the test above fails without them.
    tamper(f"DELETE FROM {table(AuditCheckpoint)}")
    _rewrite_and_rehash(position=30)
    assert audit_verify().is_intact


def test_a_checkpoint_whose_signature_fails_is_named(trail, capsys):
    tamper(
        f"UPDATE {table(AuditCheckpoint)} SET size = %s WHERE id = %s", [trail.size - 1, trail.pk]
    )
    code, output = run_verify(capsys)
    assert code == 1
    assert "(bad_signature)" in output
    assert f"checkpoint #{trail.pk}" in output


def test_a_checkpoint_signed_with_another_key_is_refused(trail, capsys, settings):
    settings.AUDIT_SIGNING_KEY = new_key_pem()
    code, output = run_verify(capsys)
    assert code == 1
    assert "(bad_signature)" in output


def test_a_kept_copy_catches_a_cut_the_database_checkpoints_no_longer_show(trail, capsys, tmp_path):
    copy = tmp_path / "audit-checkpoints.json"
    copy.write_text(json.dumps(checkpoints_document()))
    # The attacker deletes the tail and every checkpoint in the database with it.
    _delete(*ids()[-10:])
    tamper(f"DELETE FROM {table(AuditCheckpoint)}")
    assert run_verify(capsys)[0] == 0
    code, output = run_verify(capsys, "--checkpoints", str(copy))
    assert code == 1
    assert "(deleted_at_end)" in output
    assert "checkpoint 1 in audit-checkpoints.json" in output


def test_a_forged_signature_in_a_kept_copy_is_named(trail, capsys, tmp_path):
    document = checkpoints_document()
    document["checkpoints"][0]["head_hash"] = "f" * 64
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(document))
    code, output = run_verify(capsys, "--checkpoints", str(copy))
    assert code == 1
    assert "(bad_signature)" in output
    assert "checkpoint 1 in copy.json" in output


def test_an_unreadable_copy_is_a_usage_error(trail, tmp_path):
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    with pytest.raises(CommandError, match="Cannot read checkpoints"):
        call_command("verify_audit", "--checkpoints", str(bad))


def test_an_auditor_without_the_private_key_checks_with_the_public_key(trail, capsys, settings):
    from audit import signing

    public = signing.public_key().hex()
    settings.AUDIT_SIGNING_KEY = new_key_pem()  # the auditor's machine: not the register's key
    assert run_verify(capsys)[0] == 1
    code, output = run_verify(capsys, "--public-key", public)
    assert code == 0, output
    other = signing.public_key().hex()
    code, output = run_verify(capsys, "--public-key", other)
    assert code == 1
    assert "(bad_signature)" in output

"""The audit trail is append-only and hash-chained, and every field of an event is hashed."""

import hashlib
import json
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.models import GENESIS_HASH, AppendOnlyError, AuditEvent, link_hash
from audit.services import audit_record, audit_verify

from ..conftest import in_ci
from .helpers import run_verify, table, tamper


@pytest.fixture
def events(actors):
    return [
        audit_record(actor=actors.planner, action=f"test.step_{i}", details={"n": i})
        for i in range(5)
    ]


def test_each_event_links_to_the_one_before(events):
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in pairwise(events):
        assert event.prev_hash == previous.hash
        assert event.hash == link_hash(event.prev_hash, event.digest)
        assert event.hash_version == 2


def test_the_digest_covers_every_field_of_the_event(events, actors):
    event = AuditEvent.objects.get(pk=events[1].pk)
    payload = json.loads(event.canonical())
    assert payload["actor_id"] == actors.planner.pk
    assert set(payload) == {
        "v", "at", "actor_id", "actor", "action", "object_type", "object_id",
        "object_repr", "details", "salt",
    }  # fmt: skip
    # Every stored field is either in the digest or a link: adding a field without hashing it
    # fails here.
    hashed = {"at", "actor", "actor_label", "action", "object_type", "object_id", "object_repr"}
    hashed |= {"details", "salt", "hash_version"}
    links = {"id", "prev_hash", "digest", "hash"}
    assert {f.name for f in AuditEvent._meta.concrete_fields} == hashed | links
    assert event.digest == hashlib.sha256(event.canonical()).hexdigest()


def test_changing_the_actor_id_alone_is_caught(events, actors, capsys):
    tamper(f"UPDATE {table()} SET actor_id = %s WHERE id = %s", [actors.chair.pk, events[2].pk])
    code, output = run_verify(capsys)
    assert code == 1
    assert f"event #{events[2].pk} was changed" in output


def test_each_event_has_its_own_salt(events):
    assert len({e.salt for e in events}) == len(events)
    assert all(len(e.salt) == 32 for e in events)


def test_the_model_refuses_to_change_an_event(events):
    event = events[2]
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_the_model_refuses_to_delete_an_event(events):
    with pytest.raises(AppendOnlyError):
        events[2].delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=events[2].pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=events[2].pk).update(action="forged")


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not in_ci(), reason="the trigger exists on PostgreSQL"
)
def test_postgresql_refuses_raw_updates_and_deletes(events):
    assert connection.vendor == "postgresql"
    for sql in (
        f"UPDATE {table()} SET action = 'forged' WHERE id = %s",
        f"DELETE FROM {table()} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [events[1].pk])
    assert AuditEvent.objects.get(pk=events[1].pk).action == "test.step_1"


def test_a_changed_event_is_caught(events, capsys):
    tamper(f"UPDATE {table()} SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])
    result = audit_verify()
    assert (result.fault, result.event_id) == ("changed", events[2].pk)
    code, output = run_verify(capsys)
    assert code == 1
    assert f"event #{events[2].pk} was changed" in output


def _legacy_event(prev_hash: str, action: str) -> AuditEvent:
    """An event as the first hash format wrote it (before the actor's id was hashed)."""
    event = AuditEvent(
        at=datetime(2026, 11, 1, tzinfo=UTC),
        actor_label="planner",
        action=action,
        details={"n": 1},
        hash_version=1,
        prev_hash=prev_hash,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def test_events_in_the_first_hash_format_still_verify(db, capsys):
    first = _legacy_event(GENESIS_HASH, "old.one")
    _legacy_event(first.hash, "old.two")
    audit_record(actor="system", action="new.one")
    assert audit_verify().is_intact
    assert run_verify(capsys)[0] == 0


def test_an_event_in_the_first_format_after_the_second_is_refused(db, capsys):
    new = audit_record(actor="system", action="new.one")
    _legacy_event(new.hash, "downgraded")
    code, output = run_verify(capsys)
    assert code == 1
    assert "hash format v1 after events in format v2" in output


def test_every_transition_writes_to_the_chain(actors, draft, capsys):
    from tests import factories

    factories.to_approved(draft, actors)
    actions = set(AuditEvent.objects.for_object(draft).values_list("action", flat=True))
    assert {
        "deployment.created",
        "deployment.submitted",
        "deployment.authorised",
        "review.assigned",
        "review.recorded",
        "deployment.approved",
    } <= actions
    assert run_verify(capsys)[0] == 0

"""The audit trail is append-only and hash-chained, and `verify_audit` finds tampering."""

from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.models import AppendOnlyError, AuditEvent
from audit.services import audit_record, audit_verify_chain

from ..conftest import in_ci


@pytest.fixture
def events(actors):
    return [
        audit_record(actor=actors.planner, action=f"test.step_{i}", details={"n": i})
        for i in range(5)
    ]


def run_verify(capsys):
    try:
        call_command("verify_audit")
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    out = capsys.readouterr()
    return code, out.out + out.err


def test_each_event_links_to_the_one_before(events):
    for previous, event in pairwise(events):
        assert event.prev_hash == previous.hash
        assert event.hash == event.compute_hash()


def test_verify_audit_reports_an_intact_chain(events, capsys):
    code, output = run_verify(capsys)
    assert code == 0
    assert output.strip() == f"audit chain intact: {AuditEvent.objects.count()} events"


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


def _table() -> str:
    return connection.ops.quote_name(AuditEvent._meta.db_table)


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not in_ci(), reason="the trigger exists on PostgreSQL"
)
def test_postgresql_refuses_raw_updates_and_deletes(events):
    assert connection.vendor == "postgresql"
    for sql in (
        f"UPDATE {_table()} SET action = 'forged' WHERE id = %s",
        f"DELETE FROM {_table()} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [events[1].pk])
    assert AuditEvent.objects.get(pk=events[1].pk).action == "test.step_1"


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the model's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Dropping the trigger is transactional: the test's rollback restores it.
            cursor.execute(f"DROP TRIGGER audit_event_append_only ON {_table()}")
        cursor.execute(sql, params)


def test_a_changed_event_is_caught(events, capsys):
    _tamper(f"UPDATE {_table()} SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])
    report = audit_verify_chain()
    assert report.broken_event_id == events[2].pk
    code, output = run_verify(capsys)
    assert code == 1
    assert f"event #{events[2].pk}" in output
    assert "contents do not match" in output


def test_a_deleted_event_is_caught(events, capsys):
    _tamper(f"DELETE FROM {_table()} WHERE id = %s", [events[1].pk])
    code, output = run_verify(capsys)
    assert code == 1
    assert f"event #{events[2].pk}" in output
    assert "previous-hash" in output


def test_a_rehashed_forgery_is_caught_by_the_next_event(events, capsys):
    forged = AuditEvent.objects.get(pk=events[3].pk)
    forged.action = "forged"
    new_hash = forged.compute_hash()
    _tamper(
        f"UPDATE {_table()} SET action = %s, hash = %s WHERE id = %s",
        ["forged", new_hash, events[3].pk],
    )
    code, output = run_verify(capsys)
    assert code == 1
    assert f"event #{events[4].pk}" in output


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

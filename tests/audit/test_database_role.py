"""On PostgreSQL, the application's role as README "Production" grants it: INSERT and SELECT on
the audit tables, not their owner. Such a role can write and verify the trail, and can neither
update, delete, truncate, nor disable or drop the append-only trigger."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from audit.checks import AUDIT_TABLES, audit_table_ownership

from ..conftest import needs_real_services

pytestmark = pytest.mark.postgres


def _conninfo(**override: Any) -> dict[str, Any]:
    db = connection.settings_dict
    info = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    return {**info, **override}


@pytest.fixture
def app_role(transactional_db: None) -> Iterator[dict[str, Any]]:
    """A login role granted what README "Production" grants the application on the audit tables."""
    needs_real_services(postgres=True)
    import psycopg
    from psycopg import sql

    name = f"oversight_test_app_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    tables = sql.SQL(", ").join(sql.Identifier(t) for t in AUDIT_TABLES)
    sequences = sql.SQL(", ").join(sql.Identifier(f"{t}_id_seq") for t in AUDIT_TABLES)
    role = sql.Identifier(name)
    with psycopg.connect(**_conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, password))
        admin.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
        admin.execute(sql.SQL("GRANT INSERT, SELECT ON {} TO {}").format(tables, role))
        admin.execute(sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(sequences, role))
    try:
        yield _conninfo(user=name, password=password)
    finally:
        with psycopg.connect(**_conninfo(), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                [name],
            )
            admin.execute(sql.SQL("DROP OWNED BY {}").format(role))
            admin.execute(sql.SQL("DROP ROLE {}").format(role))


REFUSED = [
    ("UPDATE", "UPDATE audit_auditevent SET action = 'forged'"),
    ("DELETE", "DELETE FROM audit_auditevent"),
    ("TRUNCATE", "TRUNCATE audit_auditevent"),
    ("DISABLE TRIGGER", "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only"),
    ("DISABLE TRIGGER ALL", "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL"),
    ("DROP TRIGGER", "DROP TRIGGER audit_event_append_only ON audit_auditevent"),
    ("UPDATE checkpoint", "UPDATE audit_auditcheckpoint SET size = 0"),
    ("DELETE checkpoint", "DELETE FROM audit_auditcheckpoint"),
    ("TRUNCATE checkpoint", "TRUNCATE audit_auditcheckpoint"),
    (
        "DISABLE checkpoint trigger",
        "ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER audit_checkpoint_append_only",
    ),
]


def test_the_app_role_can_insert_and_select_but_not_change_or_unguard_the_trail(app_role):
    import psycopg
    from psycopg import errors

    with psycopg.connect(**app_role) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute(
                "INSERT INTO audit_auditevent (at, actor_label, action, object_type, object_id, "
                "object_repr, details, hash_version, salt, digest, prev_hash, hash) VALUES "
                "(now(), 'x', 'test.insert', '', '', '', '{}', 2, '', '', %s, %s)",
                ["0" * 64, "1" * 64],
            )
            assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (1,)
        for what, statement in REFUSED:
            with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
                conn.execute(statement)
            print(f"refused as {app_role['user']}: {what}")


def test_the_app_writes_signs_and_verifies_the_trail_as_that_role_with_no_warning(app_role):
    """The register itself, connected as the restricted role, in its own process."""
    url = (
        f"postgres://{app_role['user']}:{app_role['password']}@{app_role['host']}:"
        f"{app_role['port']}/{app_role['dbname']}"
    )
    script = (
        "from django.core.management import call_command\n"
        "from audit.services import audit_record, audit_checkpoint_create\n"
        "for i in range(3): audit_record(actor='restricted-role test', action=f'test.{i}')\n"
        "audit_checkpoint_create(reason='restricted role')\n"
        "call_command('verify_audit')\n"
        "call_command('check')\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY,
        "DJANGO_SETTINGS_MODULE": "oversight.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "audit chain intact: 3 events, agreeing with 1 signed checkpoint" in output
    assert "audit.W00" not in output


def test_check_warns_when_the_connected_role_owns_the_audit_table(db):
    needs_real_services(postgres=True)
    # The test suite connects as the tables' owner (it created them), the case to warn about.
    ids = {w.id for w in audit_table_ownership()}
    assert "audit.W001" in ids

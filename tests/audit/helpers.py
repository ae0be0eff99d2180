"""Helpers for the audit tests: running `verify_audit`, and tampering as an attacker would."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import connection

from audit.models import AuditCheckpoint, AuditEvent


def run_verify(capsys: Any, *args: str) -> tuple[int, str]:
    try:
        call_command("verify_audit", *args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    else:
        code = 0
    out = capsys.readouterr()
    return code, out.out + out.err


def table(model: type = AuditEvent) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Change the audit tables behind the model's back, as someone holding the database would.

    On PostgreSQL this is the superuser (the test's own role) dropping the append-only triggers
    first; dropping a trigger is transactional, so the test's rollback restores them.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_event_append_only ON {table()}")
            cursor.execute(
                f"DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON {table(AuditCheckpoint)}"
            )
        cursor.execute(sql, params or [])


def ids() -> list[int]:
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def new_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode("ascii")

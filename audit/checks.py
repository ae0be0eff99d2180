"""System checks for the audit trail's protections (`manage.py check`).

On PostgreSQL, the role the application connects as must not own the audit tables, nor be a
superuser: an owner can TRUNCATE them and disable or drop the append-only trigger, so the
trigger would guard only against mistakes, not against whoever holds the application's
credentials. README, "Production", gives the grants. `check --deploy` also warns when the
checkpoints are signed with the development key generated under var/.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connection

from . import signing

AUDIT_TABLES = ("audit_auditevent", "audit_auditcheckpoint")


def _role_facts() -> tuple[str, bool, list[str]] | None:
    """(role, is superuser, audit tables it owns), or None when they cannot be read."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            row = cursor.fetchone()
            if row is None:
                return None
            role, is_super = row
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = ANY(%s) AND n.nspname = current_schema() "
                # A superuser is "a member" of every role: for it, only ownership counts.
                "AND (c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
                "OR (NOT %s AND pg_has_role(current_user, c.relowner, 'USAGE'))) "
                "ORDER BY c.relname",
                [list(AUDIT_TABLES), bool(is_super)],
            )
            owned = [name for (name,) in cursor.fetchall()]
    except DatabaseError:
        return None  # no database yet: nothing to say
    return role, bool(is_super), owned


@register()
def audit_table_ownership(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if connection.vendor != "postgresql":
        return []
    facts = _role_facts()
    if facts is None:
        return []
    role, is_super, owned = facts
    warnings = []
    if owned:
        warnings.append(
            Warning(
                f"The database role {role!r} owns the audit table(s) {', '.join(owned)}, so it "
                "can truncate them and disable their append-only trigger.",
                hint="Run migrations as an owner role and the application as a role granted only "
                "INSERT and SELECT on the audit tables (README, 'Production').",
                id="audit.W001",
            )
        )
    if is_super:
        warnings.append(
            Warning(
                f"The database role {role!r} is a superuser, so nothing protects the audit "
                "trail from it.",
                hint="Connect the application as an ordinary role (README, 'Production').",
                id="audit.W002",
            )
        )
    return warnings


@register(Tags.security, deploy=True)
def audit_signing_key_configured(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if not signing.is_development_key():
        return []
    return [
        Warning(
            "AUDIT_SIGNING_KEY is not set: audit checkpoints are signed with the development key "
            f"in {signing.development_key_path()}.",
            hint="Generate an Ed25519 key kept outside the database and the web root and set "
            "AUDIT_SIGNING_KEY_FILE to its path (README, 'The audit trail').",
            id="audit.W003",
        )
    ]

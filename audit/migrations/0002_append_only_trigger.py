"""On PostgreSQL, refuse UPDATE and DELETE on the audit table even to raw SQL.

TRUNCATE is not covered by row triggers; in production the application's database role does
not own the table and holds only INSERT and SELECT on it (owners may TRUNCATE and disable or drop
triggers; README, "Production"; `manage.py check` warns otherwise). Test databases are flushed with
TRUNCATE, which is why no statement trigger refuses it here.
"""

from django.db import migrations

CREATE = [
    """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            # No parameters, so psycopg leaves the '%' in RAISE alone.
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    # No reverse: `migrate audit 0001` must be refused (IrreversibleError), never drop the
    # trigger that makes the trail append-only (tests/audit/test_migrations.py).
    operations = [migrations.RunPython(create, reverse_code=None)]

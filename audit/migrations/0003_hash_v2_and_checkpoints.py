"""Hash format v2 (every field, the actor's id included) and signed checkpoints.

Events already written keep `hash_version` 1 and are verified as they were hashed: rewriting
them into v2 would itself be the rewrite the trail forbids (audit/models.py). New events default
to v2. Checkpoints are append-only like events: the same trigger refuses UPDATE and DELETE.

Irreversible, like 0002: unapplying it would drop evidence.
"""

from django.db import migrations, models

TRIGGER = """CREATE TRIGGER audit_checkpoint_append_only
    BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        # Events hashed so far are v1; the default changes to 2 below, for new rows only.
        migrations.AddField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="salt",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="digest",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("signed_at", models.DateTimeField()),
                ("size", models.PositiveBigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("key_id", models.CharField(max_length=16)),
                ("signature", models.CharField(max_length=128)),
                ("reason", models.CharField(blank=True, max_length=100)),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.RunPython(create_trigger, reverse_code=None),
    ]

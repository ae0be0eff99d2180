"""Each public version's diff from the public version before it, stored at publication.

Versions published before this migration get theirs computed here, once, with the same
function publication uses, so no page ever has to diff.
"""

import django.db.models.deletion
from django.db import migrations, models

PUBLIC = ("published", "superseded", "withdrawn")


def store_existing_diffs(apps, schema_editor):
    from legal.diff import rows_to_json, version_diff

    DocumentVersion = apps.get_model("legal", "DocumentVersion")
    previous = {}
    for version in DocumentVersion.objects.filter(status__in=PUBLIC).order_by(
        "document_id", "number"
    ):
        earlier = previous.get(version.document_id)
        if earlier is not None:
            # A queryset update: the historical model has none of the immutability guards,
            # and these two fields are being filled, never changed.
            DocumentVersion.objects.filter(pk=version.pk).update(
                diff_against=earlier,
                diff=rows_to_json(version_diff(earlier.body, version.body)),
            )
        previous[version.document_id] = version


class Migration(migrations.Migration):
    dependencies = [
        ("legal", "0002_engineevaluation"),
    ]

    operations = [
        migrations.AddField(
            model_name="documentversion",
            name="diff",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="documentversion",
            name="diff_against",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="legal.documentversion",
            ),
        ),
        migrations.RunPython(store_existing_diffs, migrations.RunPython.noop),
    ]

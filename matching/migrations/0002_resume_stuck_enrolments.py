"""Entries left "enrolling" before the outbox existed (their task was lost while the broker was
down) get an outbox message, so the sweeper resumes their enrolment (core/outbox.py)."""

from django.db import migrations


def resume(apps, schema_editor):
    WatchlistEntry = apps.get_model("matching", "WatchlistEntry")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    stuck = WatchlistEntry.objects.filter(status="enrolling").exclude(image="")
    for entry in stuck.select_related("watchlist__deployment"):
        about = f"watchlist_entry:{entry.pk}"
        if OutboxMessage.objects.filter(about=about, done_at__isnull=True).exists():
            continue
        OutboxMessage.objects.create(
            task="matching.tasks.enrol_entry",
            kwargs={"entry_id": entry.pk},
            about=about,
            description=f"Enrol a watchlist image for {entry.watchlist.deployment.reference}",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_initial"),
        ("core", "0002_outbox_and_rate_limits"),
    ]
    operations = [migrations.RunPython(resume, migrations.RunPython.noop)]

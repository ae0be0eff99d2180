"""`manage.py outbox`: what waits, hand it over now, retry what failed every time."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from core.models import OutboxMessage


def run(*args: str) -> str:
    out = StringIO()
    call_command("outbox", *args, stdout=out)
    return out.getvalue()


def test_it_lists_waiting_work_and_retries_what_failed_once_fixed(db, settings):
    assert "No work is waiting." in run()
    settings.OVERSIGHT_OUTBOX_MAX_ATTEMPTS = 1
    message = OutboxMessage.objects.create(
        task="public.tasks.refresh_report_pdfs",
        kwargs={"wrong_argument": 1},
        description="Render the report PDFs that show LFR-2026-0001",
    )
    run("--sweep")  # fails (the task does not take that argument), and is now given up
    listed = run()
    assert "LFR-2026-0001: not yet handed over, 1 attempt(s)" in listed and "TypeError" in listed
    assert "0 message(s) handed" in run("--sweep")
    # The cause is fixed; an operator retries.
    OutboxMessage.objects.filter(pk=message.pk).update(kwargs={"deployment_id": 999})
    out = run("--retry-failed")
    assert "1 failed message(s) will be tried again." in out and "No work is waiting." in out

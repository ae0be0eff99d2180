"""`python manage.py outbox`: the work waiting in the outbox; `--sweep` hands it over now;
`--retry-failed` gives work that failed every time fresh attempts (after the cause is fixed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage


class Command(BaseCommand):
    help = "List the work waiting in the outbox; --sweep dispatches it, --retry-failed retries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sweep", action="store_true", help="hand waiting work over now")
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="reset the attempts of work that failed every time, then hand it over",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry_failed"]:
            reset = outbox.retry_failed()
            self.stdout.write(f"{reset} failed message(s) will be tried again.")
        if options["sweep"] or options["retry_failed"]:
            self.stdout.write(f"{outbox.sweep()} message(s) handed to the broker.")
        pending = OutboxMessage.objects.filter(done_at__isnull=True)
        if not pending.exists():
            self.stdout.write("No work is waiting.")
            return
        now = timezone.now()
        for message in pending:
            waited = int((now - message.created_at).total_seconds() // 60)
            state = "handed over" if message.dispatched_at else "not yet handed over"
            self.stdout.write(
                f"#{message.pk} {message}: {state}, {message.attempts} attempt(s), "
                f"waiting {waited} min" + (f"; {message.last_error}" if message.last_error else "")
            )

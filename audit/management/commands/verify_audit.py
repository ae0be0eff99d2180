"""`python manage.py verify_audit`: check the whole audit chain."""

from typing import Any

from django.core.management.base import BaseCommand

from audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail. Exits 1 and names the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify_chain()
        if report.is_intact:
            self.stdout.write(f"audit chain intact: {report.count} events")
            return
        self.stderr.write(
            f"audit chain broken at event #{report.broken_event_id}: {report.problem} "
            f"({report.count} events before it are intact)"
        )
        raise SystemExit(1)

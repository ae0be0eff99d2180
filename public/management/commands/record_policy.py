"""`python manage.py record_policy`: record the rules in force, as /how-it-works/ explains them.

Run it after each deployment (after `migrate`), so that a changed setting is written to the
audit trail as a change of policy at once, not only when the page is next read.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from public.models import PolicyRecord
from public.services import POLICY_KEY, policy_record


class Command(BaseCommand):
    help = (
        "Compare the rules in force with the last recorded ones; if they differ, record them and "
        "write the change to the audit trail."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        before = PolicyRecord.objects.filter(key=POLICY_KEY).values_list("fingerprint").first()
        record = policy_record()
        changed = before is None or before[0] != record.fingerprint
        self.stdout.write(
            ("Recorded a change of the rules in force. " if changed else "No change. ")
            + f"The rules last changed at {record.changed_at:%Y-%m-%d %H:%M %Z}."
        )

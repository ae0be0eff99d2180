"""Writing to and verifying the audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction

from core.types import User

from .models import GENESIS_HASH, AuditEvent

# Any fixed 64-bit number: the advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK_ID = 0x0A0D17


def _plain(details: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON so the hash is computed over exactly what the database stores.
    return json.loads(json.dumps(details or {}, default=str))


def audit_record(
    *,
    actor: User | str | None,
    action: str,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Runs inside the caller's transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two writers reading the same head would fork the chain; row locks cannot stop
            # that (the head row is only read), so take a transaction-scoped advisory lock.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
        head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        # A person, or a named part of the system ("engine", "gate", a command's name).
        person = actor if isinstance(actor, User) and actor.pk is not None else None
        label = person.get_username() if person is not None else (str(actor or "") or "system")
        event = AuditEvent(
            at=datetime.now(UTC),
            actor=person,
            actor_label=label,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            details=_plain(details),
            prev_hash=head or GENESIS_HASH,
        )
        event.hash = event.compute_hash()
        event.save()
    return event


@dataclass(frozen=True)
class ChainReport:
    count: int
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def is_intact(self) -> bool:
        return self.broken_event_id is None


def audit_verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first event that does not fit."""
    previous = GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            return ChainReport(
                count, event.pk, "its previous-hash does not match the event before it"
            )
        if event.compute_hash() != event.hash:
            return ChainReport(count, event.pk, "its contents do not match its hash")
        previous = event.hash
        count += 1
    return ChainReport(count)

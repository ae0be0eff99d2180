"""Writing to the audit trail, signing checkpoints of it, and verifying both."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction

from core.types import User

from . import signing
from .models import (
    CURRENT_HASH_VERSION,
    GENESIS_HASH,
    AuditCheckpoint,
    AuditEvent,
    checkpoint_statement,
)

# Any fixed 64-bit number: the advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK_ID = 0x0A0D17


def _plain(details: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON so the hash is computed over exactly what the database stores.
    return json.loads(json.dumps(details or {}, default=str))


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        # Two writers reading the same head would fork the chain; row locks cannot stop
        # that (the head row is only read), so take a transaction-scoped advisory lock.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


def audit_record(
    *,
    actor: User | str | None,
    action: str,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Runs inside the caller's transaction."""
    with transaction.atomic():
        _lock_chain()
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
            hash_version=CURRENT_HASH_VERSION,
            salt=secrets.token_hex(16),
            prev_hash=head or GENESIS_HASH,
        )
        event.digest = event.compute_digest()
        event.hash = event.compute_hash()
        event.save()
    return event


# --- checkpoints -----------------------------------------------------------------------------
class ChainContradictsCheckpoint(RuntimeError):
    """The chain no longer extends the last checkpoint, so a new one is not signed."""


def _hash_at(size: int) -> str:
    """The hash of the `size`-th event (1-based) in chain order, or the genesis hash for 0."""
    if size == 0:
        return GENESIS_HASH
    found = AuditEvent.objects.order_by("id").values_list("hash", flat=True)[size - 1 : size]
    return next(iter(found), "")


def audit_checkpoint_create(
    *, reason: str, only_if_changed: bool = False
) -> AuditCheckpoint | None:
    """Sign the chain's head (its length and last hash) now, and store the checkpoint.

    Runs inside the caller's transaction when there is one (a publication signs a head that
    includes its own event, and both commit together). Refuses to sign a chain that does not
    extend the previous checkpoint: like a Certificate Transparency log, the register never
    signs two histories that contradict each other. With `only_if_changed`, nothing is signed
    when the head is the last checkpoint's (the periodic task).
    """
    with transaction.atomic():
        _lock_chain()
        size = AuditEvent.objects.count()
        head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        head = head or GENESIS_HASH
        last = AuditCheckpoint.objects.order_by("-id").first()
        if last is not None:
            if only_if_changed and (last.size, last.head_hash) == (size, head):
                return None
            if size < last.size or _hash_at(last.size) != last.head_hash:
                raise ChainContradictsCheckpoint(
                    f"The audit chain no longer extends {last} (it has {size} events); "
                    "run `manage.py verify_audit` to see where it was changed."
                )
        signed_at = datetime.now(UTC).replace(microsecond=0)
        text = signed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        key_id, signature = signing.sign(checkpoint_statement(size, head, text))
        checkpoint = AuditCheckpoint(
            signed_at=signed_at,
            size=size,
            head_hash=head,
            key_id=key_id,
            signature=signature,
            reason=reason[:100],
        )
        checkpoint.save()
    return checkpoint


# --- verification ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckpointCopy:
    """A checkpoint to check the chain against: from the database or from a kept copy."""

    size: int
    head_hash: str
    signed_at: str
    key_id: str
    signature: str
    where: str  # "checkpoint #12" or "checkpoint 3 in copies.json", for messages

    @property
    def name(self) -> str:
        return f"{self.where} (signed {self.signed_at}, {self.size} events)"


@dataclass(frozen=True)
class AuditVerification:
    """What `audit_verify` found: the number of events and checkpoints, and the first fault."""

    events: int
    checkpoints: int
    fault: str = ""  # a short code: "deleted_at_start", "rewritten", ...
    problem: str = ""  # the fault in words, naming the event or checkpoint
    event_id: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return not self.fault


class CheckpointFileError(ValueError):
    """A file of checkpoint copies cannot be read."""


def checkpoints_from_file(path: Path) -> list[CheckpointCopy]:
    """Checkpoints from a copy of `/open-data/audit-checkpoints.json` (or a list of them)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointFileError(f"Cannot read checkpoints from {path}: {exc}") from None
    items = document.get("checkpoints") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise CheckpointFileError(f"{path} has no list of checkpoints.")
    copies = []
    for number, item in enumerate(items, start=1):
        try:
            copies.append(
                CheckpointCopy(
                    size=int(item["size"]),
                    head_hash=str(item["head_hash"]),
                    signed_at=str(item["signed_at"]),
                    key_id=str(item.get("key_id", "")),
                    signature=str(item["signature"]),
                    where=f"checkpoint {number} in {path.name}",
                )
            )
        except (KeyError, TypeError, ValueError):
            raise CheckpointFileError(
                f"Checkpoint {number} in {path} lacks size, head_hash, signed_at or signature."
            ) from None
    return copies


def _database_checkpoints() -> list[CheckpointCopy]:
    return [
        CheckpointCopy(
            size=c.size,
            head_hash=c.head_hash,
            signed_at=c.signed_at_text,
            key_id=c.key_id,
            signature=c.signature,
            where=f"checkpoint #{c.pk}",
        )
        for c in AuditCheckpoint.objects.order_by("id")
    ]


def _bad_signature(copy: CheckpointCopy, keys: dict[str, bytes]) -> bool:
    statement = checkpoint_statement(copy.size, copy.head_hash, copy.signed_at)
    key = keys.get(copy.key_id)
    candidates = [key] if key is not None else list(keys.values())
    return not any(
        signing.verify(statement, signature=copy.signature, public=k) for k in candidates
    )


def _previous_exists_later(event: AuditEvent) -> bool:
    return AuditEvent.objects.filter(hash=event.prev_hash, id__gt=event.pk).exists()


def audit_verify(
    *, extra_checkpoints: Iterable[CheckpointCopy] = (), public_keys: list[bytes] | None = None
) -> AuditVerification:
    """Check the whole chain from its first event, and against every checkpoint.

    Checkpoints are those in the database and any copies kept elsewhere (`extra_checkpoints`).
    Every signature is checked first with the trusted keys: the configured signing key's, or the
    `public_keys` given (an auditor need not hold the private key), and retired keys; never a
    key that comes with the checkpoints. Then each event must link to the one before it (the
    first to the genesis hash), its hash must match its contents, and at each checkpoint's
    length the chain's hash must be the one signed; a checkpoint longer than the chain means
    events were cut off.
    The first fault found is reported.
    """
    checkpoints = _database_checkpoints() + list(extra_checkpoints)
    keys = signing.trusted_public_keys(public_keys)
    for copy in checkpoints:
        if _bad_signature(copy, keys):
            return AuditVerification(
                0,
                len(checkpoints),
                "bad_signature",
                f"{copy.name} has a signature that does not verify with the register's "
                "public key: it was forged or altered.",
            )
    by_size: dict[int, list[CheckpointCopy]] = {}
    for copy in checkpoints:
        by_size.setdefault(copy.size, []).append(copy)

    def fault(code: str, problem: str, event: AuditEvent | None = None) -> AuditVerification:
        return AuditVerification(
            count, len(checkpoints), code, problem, event.pk if event is not None else None
        )

    previous = GENESIS_HASH
    previous_id: int | None = None
    newest_version = 1
    count = 0
    for copy in by_size.get(0, []):
        if copy.head_hash != GENESIS_HASH:
            return fault("rewritten", f"{copy.name} does not sign the empty chain's hash.")
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            if previous_id is None:
                return fault(
                    "deleted_at_start",
                    f"events were deleted from the start of the chain: the first event, "
                    f"#{event.pk}, links to an earlier event that is not there.",
                    event,
                )
            if _previous_exists_later(event):
                return fault(
                    "reordered",
                    f"events are out of order: event #{event.pk} links to an event stored "
                    f"after it, not to event #{previous_id} before it.",
                    event,
                )
            return fault(
                "deleted",
                f"events were deleted between event #{previous_id} and event #{event.pk}: "
                f"event #{event.pk} links to an event that is not there.",
                event,
            )
        if event.hash_version < newest_version or event.hash_version not in (1, 2):
            return fault(
                "rewritten",
                f"event #{event.pk} claims hash format v{event.hash_version} after events in "
                f"format v{newest_version}: it was rewritten.",
                event,
            )
        newest_version = event.hash_version
        if event.hash_version >= 2 and event.compute_digest() != event.digest:
            return fault(
                "changed",
                f"event #{event.pk} was changed: its contents do not match its hash.",
                event,
            )
        if event.compute_hash() != event.hash:
            return fault(
                "changed",
                f"event #{event.pk} was changed: its contents do not match its hash.",
                event,
            )
        count += 1
        for copy in by_size.get(count, []):
            if copy.head_hash != event.hash:
                return fault(
                    "rewritten",
                    f"the chain was rewritten: event #{event.pk}, number {count} in the chain, "
                    f"does not have the hash that {copy.name} signed, so it or an event before "
                    "it was changed and the rest re-hashed.",
                    event,
                )
        previous, previous_id = event.hash, event.pk
    longest = max(checkpoints, key=lambda c: c.size, default=None)
    if longest is not None and longest.size > count:
        if count == 0:
            return fault(
                "emptied",
                f"the audit trail is empty, but {longest.name} shows it had {longest.size} "
                "events: they were deleted.",
            )
        return fault(
            "deleted_at_end",
            f"the chain has {count} events, but {longest.name} shows it had "
            f"{longest.size}: the last {longest.size - count} were deleted.",
        )
    return AuditVerification(count, len(checkpoints))


def audit_verify_chain() -> AuditVerification:
    """The chain checked against the checkpoints in the database (`audit_verify`)."""
    return audit_verify()

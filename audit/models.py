"""Audit events, append-only and hash-chained, and the signed checkpoints of the chain.

Each event's hash covers every one of its fields and the previous event's hash, so changing or
removing an event breaks every link after it. Someone holding the database could still rewrite
an event and re-hash everything after it; signed checkpoints (in the manner of Certificate
Transparency's signed tree heads) catch that: the chain head (its length and hash) is signed
with a key kept outside the database and published, so anyone may keep copies, and a rewritten
chain no longer matches them (`audit.services.audit_verify`).

Two hash formats exist (`hash_version`); both are verified:

- v1, the first format: SHA-256 of a JSON object of the event's fields and the previous hash.
  It left out the acting user's id. Events written in this format keep it: rewriting them into
  v2 would itself rewrite history, which is what the trail forbids.
- v2, every event since: the *digest* is SHA-256 of a JSON object of every field (the actor's
  id included, and a random salt), and the event's hash is SHA-256 of the previous hash followed
  by the digest. The digest and hash are published (`/open-data/audit-chain.json`), so anyone
  can check that the chain links up and extends every checkpoint without seeing what an event
  says; the salt stops the digest from confirming a guess about an event's contents.

The model refuses updates and deletes on every database; on PostgreSQL a trigger (migration
0002, extended to checkpoints in 0003) refuses them even to raw SQL, and in production the
application's role is granted only INSERT and SELECT (README, "Production").
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64
CURRENT_HASH_VERSION = 2
CHECKPOINT_FORMAT = "oversight audit checkpoint v1"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event or checkpoint."""


def link_hash(prev_hash: str, digest: str) -> str:
    """A v2 event's hash: SHA-256 of the previous hash followed by the digest (hex text)."""
    return hashlib.sha256((prev_hash + digest).encode("ascii")).hexdigest()


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The audit trail cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit trail cannot be deleted from.")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("The audit trail cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit trail cannot be deleted from.")


class AuditEventQuerySet(AppendOnlyQuerySet):
    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(AppendOnlyModel):
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept as text too so the chain can be verified without joining users.
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    hash_version = models.PositiveSmallIntegerField(default=CURRENT_HASH_VERSION)
    # v2: 16 random bytes, hex, so the published digest reveals nothing of the contents.
    salt = models.CharField(max_length=32, blank=True)
    # v2: SHA-256 of canonical(); public. Empty for v1 events.
    digest = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr} by {self.actor_label}"

    def canonical(self) -> bytes:
        """The bytes the event's hash covers (v1: with the previous hash; v2: the digest's)."""
        payload: dict[str, Any] = {
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "details": self.details,
        }
        if self.hash_version == 1:
            payload["prev_hash"] = self.prev_hash
        else:
            # Every field but the id (the chain gives the order) and the links themselves.
            payload |= {"v": self.hash_version, "actor_id": self.actor_id, "salt": self.salt}
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest() if self.hash_version >= 2 else ""

    def compute_hash(self) -> str:
        if self.hash_version == 1:
            return hashlib.sha256(self.canonical()).hexdigest()
        return link_hash(self.prev_hash, self.compute_digest())


class AuditCheckpoint(AppendOnlyModel):
    """A signed statement of the chain's head: "the chain had `size` events, ending in `head_hash`,
    at `signed_at`". Anyone holding a copy can later show that the chain was cut or rewritten."""

    signed_at = models.DateTimeField()
    size = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=128)  # Ed25519, base64
    reason = models.CharField(max_length=100, blank=True)  # why it was made; not signed

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint #{self.pk}: {self.size} events at {self.signed_at_text}"

    @property
    def signed_at_text(self) -> str:
        return self.signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def statement(self) -> bytes:
        return checkpoint_statement(self.size, self.head_hash, self.signed_at_text)

    def as_public(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "head_hash": self.head_hash,
            "signed_at": self.signed_at_text,
            "key_id": self.key_id,
            "signature": self.signature,
        }


def checkpoint_statement(size: int, head_hash: str, signed_at: str) -> bytes:
    """The exact bytes a checkpoint's signature covers (docs/verify_checkpoints.py repeats it)."""
    return f"{CHECKPOINT_FORMAT}\nsize {size}\nhead {head_hash}\nsigned {signed_at}\n".encode()

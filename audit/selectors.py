"""What the public may see of the audit trail: the signed checkpoints and a hash-only chain.

The events themselves are not public (they name staff, and the details of restricted work). The
chain export holds, for each event in order, only its hash format, its digest (v2: SHA-256 of
its salted contents), the previous hash and its own hash: enough to check that the chain links
up and extends every checkpoint, nothing of what an event says.
"""

from __future__ import annotations

from typing import Any

from . import signing
from .models import CHECKPOINT_FORMAT, GENESIS_HASH, AuditCheckpoint, AuditEvent


def latest_checkpoint() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-id").first()


def checkpoint_summary(checkpoint: AuditCheckpoint) -> str:
    """One line for a PDF's metadata or a feed entry: the checkpoint, signature included."""
    c = checkpoint.as_public()
    return (
        f"size={c['size']} head={c['head_hash']} signed={c['signed_at']} "
        f"key={c['key_id']} signature={c['signature']}"
    )


def checkpoint_pdf_metadata() -> dict[str, str]:
    """The latest checkpoint as a PDF metadata entry, so every copy of a PDF keeps one."""
    checkpoint = latest_checkpoint()
    return {"OversightAuditCheckpoint": checkpoint_summary(checkpoint)} if checkpoint else {}


def checkpoints_document() -> dict[str, Any]:
    """`/open-data/audit-checkpoints.json`: every checkpoint, with the public key to check them."""
    public = signing.public_key()
    return {
        "description": (
            "Signed checkpoints of the register's audit trail. Each says: the audit chain had "
            "`size` events, the last with hash `head_hash`, at `signed_at`. Keep a copy: if the "
            "chain is later cut short or rewritten, it will no longer match your copy."
        ),
        "algorithm": "Ed25519",
        "public_key": public.hex(),
        "public_key_pem": signing.public_pem(public),
        "key_id": signing.key_id(public),
        "retired_public_keys": list(signing.trusted_public_keys_retired()),
        "statement": (
            f"The signature covers the UTF-8 text '{CHECKPOINT_FORMAT}\\nsize <size>\\n"
            "head <head_hash>\\nsigned <signed_at>\\n'."
        ),
        "genesis_hash": GENESIS_HASH,
        "checkpoints": [c.as_public() for c in AuditCheckpoint.objects.order_by("id")],
    }


def chain_export() -> dict[str, Any]:
    """`/open-data/audit-chain.json`: every event's position and hashes, nothing else."""
    rows = AuditEvent.objects.order_by("id").values_list(
        "hash_version", "digest", "prev_hash", "hash"
    )
    events = [
        {"n": n, "v": version, "digest": digest or None, "prev_hash": prev, "hash": hash_}
        for n, (version, digest, prev, hash_) in enumerate(rows.iterator(chunk_size=5000), 1)
    ]
    return {
        "description": (
            "The audit chain without its contents: for each event in order, its hash format "
            "(v), its digest (v2: SHA-256 of its salted contents; null for v1), the previous "
            "event's hash and its own. For v2, hash = SHA-256(prev_hash + digest) over the hex "
            "text. Checkpoint number `size` must equal the hash of event n = size."
        ),
        "genesis_hash": GENESIS_HASH,
        "size": len(events),
        "events": events,
    }

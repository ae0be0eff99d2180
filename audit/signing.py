"""The Ed25519 key that signs the audit trail's checkpoints, held outside the database.

Production sets `AUDIT_SIGNING_KEY` (a PEM private key) or, following the project's convention,
`AUDIT_SIGNING_KEY_FILE` naming a file that holds it. With neither set (development and the
demo), the key is read from `var/audit-signing-key.pem`, generated there (mode 0600) the first
time it is needed; `manage.py check --deploy` warns about that.

Someone who can rewrite the database but cannot read this key cannot sign a checkpoint of a
rewritten chain: that is the whole point of keeping it out of the database.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


class SigningKeyError(RuntimeError):
    """The checkpoint signing key is set but cannot be used."""


def development_key_path() -> Path:
    return Path(settings.VAR_DIR) / "audit-signing-key.pem"


def is_development_key() -> bool:
    return not getattr(settings, "AUDIT_SIGNING_KEY", None)


def _generate(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as file:
        file.write(pem)


def signing_key() -> Ed25519PrivateKey:
    pem = getattr(settings, "AUDIT_SIGNING_KEY", None)
    source = "AUDIT_SIGNING_KEY"
    if not pem:
        path = development_key_path()
        if not path.exists():
            _generate(path)
        pem = path.read_text(encoding="ascii")
        source = str(path)
    try:
        key = serialization.load_pem_private_key(pem.strip().encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise SigningKeyError(
            f"The audit signing key in {source} cannot be read ({exc}). It must be an "
            "unencrypted Ed25519 private key in PEM (PKCS#8) form."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"The audit signing key in {source} is not an Ed25519 key.")
    return key


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


def public_key() -> bytes:
    """The current raw 32-byte public key."""
    return raw_public_key(signing_key().public_key())


def trusted_public_keys(given: list[bytes] | None = None) -> dict[str, bytes]:
    """The keys a checkpoint may be signed with, by key id: the current key (or, for an auditor
    who holds only public keys, those `given`) and the retired ones.

    Verification never trusts a key that comes with the checkpoints themselves: an attacker who
    rewrote the database could have signed their own.
    """
    keys = list(given) if given else [public_key()]
    for text in getattr(settings, "AUDIT_RETIRED_PUBLIC_KEYS", []):
        keys.append(bytes.fromhex(text))
    return {key_id(k): k for k in keys}


def sign(message: bytes) -> tuple[str, str]:
    """Sign `message`: returns the key id and the signature in base64."""
    key = signing_key()
    signature = key.sign(message)
    return key_id(raw_public_key(key.public_key())), base64.b64encode(signature).decode("ascii")


def verify(message: bytes, *, signature: str, public: bytes) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        Ed25519PublicKey.from_public_bytes(public).verify(raw, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def trusted_public_keys_retired() -> list[str]:
    """The retired public keys, hex, as configured."""
    return [k.lower() for k in getattr(settings, "AUDIT_RETIRED_PUBLIC_KEYS", [])]


def public_pem(public: bytes) -> str:
    """A raw public key as PEM (SubjectPublicKeyInfo), as `openssl` and most tools read it."""
    key = Ed25519PublicKey.from_public_bytes(public)
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")

#!/usr/bin/env python3
"""Check the Oversight register's audit checkpoints, with nothing but Python and `cryptography`.

    pip install cryptography
    python verify_checkpoints.py [--chain audit-chain.json] [--public-key HEX] CHECKPOINTS.json...

CHECKPOINTS.json are copies of /open-data/audit-checkpoints.json: today's and any you kept
earlier. --chain is /open-data/audit-chain.json. --public-key is the register's Ed25519 public key
in hex; take it from a copy you kept earlier or from the register's page, because a key that
comes in the same download as the checkpoints proves only that someone signed them.

What it checks:
1. every checkpoint's signature, over the text
   "oversight audit checkpoint v1\\nsize <size>\\nhead <head_hash>\\nsigned <signed_at>\\n";
2. with --chain: that each entry links to the one before (the first to 64 zeros), that each v2
   entry's hash is SHA-256 of the previous hash followed by its digest (hex text), and that for
   every checkpoint the entry at position `size` has the signed hash, so nothing before any
   checkpoint was removed, reordered or rewritten;
3. without --chain: that the checkpoints agree with each other (two of the same size sign the
   same hash, and a later one is never shorter).

What it cannot check: what the entries say (they are not public) and whether each entry still
matches its digest; the register's auditors check that with `manage.py verify_audit`.

Exit status 0 when everything agrees, 1 naming the first fault, 2 when a file cannot be read.
This file uses no code of the register and may be copied and changed freely.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
FORMAT = "oversight audit checkpoint v1"


def statement(cp: dict) -> bytes:
    return (
        f"{FORMAT}\nsize {cp['size']}\nhead {cp['head_hash']}\nsigned {cp['signed_at']}\n"
    ).encode()


def signature_ok(cp: dict, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(cp["signature"], validate=True), statement(cp))
    except (InvalidSignature, ValueError):
        return False
    return True


def load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        sys.exit(2)


def fail(message: str) -> None:
    print(f"NOT intact: {message}")
    sys.exit(1)


def check_chain(chain: dict, checkpoints: list[tuple[str, dict]]) -> int:
    events = chain.get("events", [])
    previous = GENESIS
    for n, event in enumerate(events, start=1):
        if event.get("n") != n:
            fail(f"entry {n} of the chain is numbered {event.get('n')}")
        if event["prev_hash"] != previous:
            fail(f"entry {n} does not link to entry {n - 1}: entries were removed or reordered")
        if event.get("v", 1) >= 2:
            expected = hashlib.sha256((event["prev_hash"] + event["digest"]).encode()).hexdigest()
            if expected != event["hash"]:
                fail(f"entry {n}'s hash is not SHA-256(prev_hash + digest)")
        previous = event["hash"]
    for where, cp in checkpoints:
        size = cp["size"]
        if size > len(events):
            fail(
                f"{where} says the trail had {size} entries, but the chain has {len(events)}: "
                "entries were removed from the end"
            )
        at = events[size - 1]["hash"] if size else GENESIS
        if at != cp["head_hash"]:
            fail(f"{where} signed a different hash for entry {size}: the trail was rewritten")
    return len(events)


def check_each_other(checkpoints: list[tuple[str, dict]]) -> None:
    by_size: dict[int, tuple[str, dict]] = {}
    for where, cp in checkpoints:
        earlier = by_size.setdefault(cp["size"], (where, cp))
        if earlier[1]["head_hash"] != cp["head_hash"]:
            fail(f"{where} and {earlier[0]} sign different hashes for the same length")
    ordered = sorted(checkpoints, key=lambda item: item[1]["signed_at"])
    for (where_a, a), (where_b, b) in itertools.pairwise(ordered):
        if b["size"] < a["size"]:
            fail(f"{where_b} is shorter than the earlier {where_a}: entries were removed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", help="copies of audit-checkpoints.json")
    parser.add_argument("--chain", help="audit-chain.json")
    parser.add_argument("--public-key", help="the register's Ed25519 public key, 64 hex digits")
    args = parser.parse_args(argv)

    files = [(path, load(path)) for path in args.checkpoints]
    key_hex = args.public_key or files[0][1].get("public_key", "")
    if not args.public_key:
        print("warning: no --public-key given, so the key in the downloaded file is trusted")
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
    except ValueError:
        print("the public key must be 64 hex digits (32 bytes)", file=sys.stderr)
        return 2
    checkpoints = []
    for path, document in files:
        for number, cp in enumerate(document.get("checkpoints", []), start=1):
            checkpoints.append((f"checkpoint {number} in {path} (signed {cp['signed_at']})", cp))
    for where, cp in checkpoints:
        if not signature_ok(cp, key):
            fail(f"{where} has a signature that does not verify with the public key")
    check_each_other(checkpoints)
    if args.chain:
        size = check_chain(load(args.chain), checkpoints)
        print(
            f"intact: {len(checkpoints)} checkpoints verified; the chain of {size} entries "
            "links up and agrees with every one"
        )
    else:
        print(f"intact: {len(checkpoints)} checkpoints verified and agree with each other")
    return 0


if __name__ == "__main__":
    sys.exit(main())

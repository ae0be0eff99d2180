"""`python manage.py verify_audit [--checkpoints FILE ...]`: check the audit trail.

Checks the hash chain from its first event and against every signed checkpoint in the database
and, with `--checkpoints`, copies kept elsewhere (a downloaded `/open-data/audit-checkpoints.json`,
say). Exits 0 when everything agrees, 1 naming the first fault.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import CheckpointFileError, audit_verify, checkpoints_from_file


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain from its first event and against every signed "
        "checkpoint (in the database and in --checkpoints files). Exits 1 naming the fault."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="A copy of /open-data/audit-checkpoints.json kept elsewhere (may be repeated).",
        )
        parser.add_argument(
            "--public-key",
            action="append",
            default=[],
            metavar="HEX",
            help="Check signatures with this Ed25519 public key (64 hex digits) instead of the "
            "configured signing key's: for an auditor who does not hold the private key.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        copies = []
        try:
            for path in options["checkpoints"]:
                copies += checkpoints_from_file(path)
        except CheckpointFileError as exc:
            raise CommandError(str(exc)) from None
        keys = []
        for text in options["public_key"]:
            try:
                key = bytes.fromhex(text)
            except ValueError:
                key = b""
            if len(key) != 32:
                raise CommandError(f"--public-key {text!r} is not 64 hex digits (32 bytes).")
            keys.append(key)
        result = audit_verify(extra_checkpoints=copies, public_keys=keys or None)
        if result.is_intact:
            self.stdout.write(
                f"audit chain intact: {result.events} events, agreeing with "
                f"{result.checkpoints} signed checkpoint{'s' if result.checkpoints != 1 else ''}"
            )
            return
        self.stderr.write(f"audit trail NOT intact ({result.fault}): {result.problem}")
        raise SystemExit(1)

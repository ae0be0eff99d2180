"""`python manage.py audit_checkpoint`: sign the audit chain's head now and print the checkpoint."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.services import ChainContradictsCheckpoint, audit_checkpoint_create
from audit.signing import SigningKeyError


class Command(BaseCommand):
    help = "Sign a checkpoint of the audit chain's head now and print it as JSON."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = audit_checkpoint_create(reason="audit_checkpoint command")
        except (ChainContradictsCheckpoint, SigningKeyError) as exc:
            raise CommandError(str(exc)) from None
        assert checkpoint is not None
        self.stdout.write(json.dumps(checkpoint.as_public()))

"""`python manage.py seed_demo [--password PW]`: demo users, documents, sites and deployments."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seed import demo_logins, seed_demo, validate_demo_password


class Command(BaseCommand):
    help = "Create demo users (one per role), legal documents, sites and deployments. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", default="oversight-demo", help="Password for every demo user."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            validate_demo_password(options["password"])
        except ValidationError as error:
            raise CommandError(
                "The password was refused by the password validators: "
                + " ".join(error.messages)
                + " Choose another with --password."
            ) from error
        result = seed_demo(password=options["password"])
        made = result["deployments"]
        self.stdout.write(f"Demo data ready ({len(made)} new deployments).")
        self.stdout.write(result["evaluation"])
        self.stdout.write(result["engine"])
        self.stdout.write(result["checkpoint"])
        self.stdout.write(f"Demo sign-ins (password: {options['password']}):")
        for username, roles in demo_logins():
            self.stdout.write(f"  {username:<12} {roles}")

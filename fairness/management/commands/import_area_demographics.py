"""`python manage.py import_area_demographics [FILE] [--dry-run]`: census counts by group.

Without FILE, loads the Census 2021 figures shipped in fairness/data/. FILE may also be a
Nomis TS021 bulk CSV for other areas or finer geographies. A malformed file is refused with
the line and the reason, and nothing is imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import MalformedFile
from fairness.census import (
    DEFAULT_CENSUS_CSV,
    area_demographics_import,
    area_demographics_import_dry_run,
)


class Command(BaseCommand):
    help = (
        "Import census population counts by ethnic group (Census 2021 TS021) for areas. "
        "Reads the Nomis bulk CSV or the shipped file; without FILE, loads the shipped London "
        "figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", type=Path, help=f"CSV file (default: {DEFAULT_CENSUS_CSV.name})"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"] or DEFAULT_CENSUS_CSV
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}. Check the path.") from None
        try:
            if options["dry_run"]:
                summary = area_demographics_import_dry_run(data=data, source=path.name)
                self.stdout.write(
                    f"Dry run: importing {path.name} ({summary.format} format) would import "
                    f"{summary.areas} areas: {summary.created} new, {summary.updated} updated. "
                    "Nothing was changed."
                )
                return
            summary = area_demographics_import(data=data, source=path.name)
        except MalformedFile as exc:
            raise CommandError(f"{path}: {exc} Nothing was imported.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {summary.areas} areas from {path.name} ({summary.format} format): "
                f"{summary.created} new, {summary.updated} updated."
            )
        )

"""`python manage.py evaluate_engine MANIFEST.csv [--thresholds 0.4,0.5,0.6] [--watchlist-size N]`

Measures the engine's false match and false non-match rates by demographic group on a labelled
image set and stores the result as an evaluation report (staff page and PDF) that a legal
officer can attach to the equality impact assessment. Each manifest row gives an image path
(relative to the manifest's folder), a person identifier and a group label. Images that cannot
be read, or do not hold exactly one face, are listed in the report and here.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from core.errors import MalformedFile
from legal.evaluations import evaluation_record
from matching.evaluation import (
    encode_manifest,
    engine_version,
    evaluate,
    manifest_sha256,
    parse_manifest,
    parse_thresholds,
    ratio_text,
)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.3g}%"  # noqa: RUF001


class Command(BaseCommand):
    help = (
        "Evaluate the engine's error rates by demographic group on a labelled image set "
        "(CSV rows: image path, person identifier, group label) and store the report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("manifest", type=Path, help="CSV: image path, person, group.")
        parser.add_argument(
            "--thresholds",
            default="0.4,0.5,0.6",
            help="Comma-separated distance thresholds to evaluate (default 0.4,0.5,0.6).",
        )
        parser.add_argument(
            "--watchlist-size",
            type=int,
            default=settings.OVERSIGHT_MAX_WATCHLIST_SIZE,
            help="Watchlist size for the expected false alerts per 10,000 faces "
            "(default: the policy's largest watchlist).",
        )
        parser.add_argument(
            "--upsample",
            type=int,
            default=1,
            help="Times the face detector upsamples each image (default 1).",
        )
        parser.add_argument("--by", help="Username to record as the person who ran it.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["manifest"]
        try:
            thresholds = parse_thresholds(options["thresholds"])
        except ValueError as exc:
            raise CommandError(f"--thresholds: {exc}") from None
        if options["watchlist_size"] < 1:
            raise CommandError("--watchlist-size must be at least 1.")
        if options["upsample"] < 0:
            raise CommandError("--upsample must not be negative.")
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(f"There is no user called {options['by']!r}.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}. Check the path.") from None
        try:
            rows = parse_manifest(data, base_dir=path.resolve().parent)
        except MalformedFile as exc:
            raise CommandError(f"{path}: {exc} Nothing was evaluated.") from None

        self.stdout.write(f"Encoding {len(rows)} images (each once)...")
        kept, encodings, excluded = encode_manifest(
            rows,
            max_bytes=settings.OVERSIGHT_MAX_IMAGE_BYTES,
            max_pixels=settings.OVERSIGHT_MAX_IMAGE_PIXELS,
            upsample=options["upsample"],
        )
        for item in excluded:
            self.stdout.write(
                self.style.WARNING(f"  Excluded line {item.line}, {item.image}: {item.reason}")
            )
        if len(kept) < 2:
            raise CommandError(
                f"Only {len(kept)} of {len(rows)} images could be encoded, so no pair can be "
                "formed. Fix the images listed above; nothing was stored."
            )
        result = evaluate(
            encodings,
            [row.person for row in kept],
            [row.group for row in kept],
            thresholds=thresholds,
            watchlist_size=options["watchlist_size"],
            parity_ratio_limit=settings.OVERSIGHT_PARITY_RATIO_LIMIT,
            excluded=excluded,
        )
        encodings.fill(0.0)
        evaluation = evaluation_record(
            manifest_name=path.name,
            manifest_sha256=manifest_sha256(data),
            engine_version=engine_version(upsample=options["upsample"]),
            results=result.to_json(),
            excluded=[asdict(item) for item in excluded],
            by=by,
        )
        self._summary(result)
        self.stdout.write(
            self.style.SUCCESS(
                f"Stored evaluation {evaluation.pk}: "
                f"{reverse('staff:evaluation_detail', args=[evaluation.pk])}"
            )
        )

    def _summary(self, result: Any) -> None:
        for row in result.by_threshold:
            self.stdout.write(f"Threshold {row.threshold}:")
            for g in row.groups:
                self.stdout.write(
                    f"  {g.group:<12} FMR {_pct(g.fmr)} [{_pct(g.fmr_low)}, {_pct(g.fmr_high)}]"
                    f" of {g.impostor_pairs} impostor pairs; FNMR {_pct(g.fnmr)} "
                    f"[{_pct(g.fnmr_low)}, {_pct(g.fnmr_high)}] of {g.genuine_pairs} genuine pairs"
                )
            self.stdout.write(
                f"  worst-to-best FMR ratio: {ratio_text(row.fmr_ratio)}"
                + ("; parity" if row.is_parity else "; no parity")
            )
        parity = result.parity_threshold
        self.stdout.write(
            f"Parity threshold: {parity}" if parity is not None else "Parity at no threshold."
        )

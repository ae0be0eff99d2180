"""`python manage.py watch LFR-REF SOURCE... --operator USERNAME [--fps N] [--batch N]`

Runs the engine for an approved deployment over image files, folders of images and video files,
as one run. The gate is asked at the start and before every batch of frames.

Output: each alert is one JSON line on standard output; the progress bar (on a terminal only),
warnings and the summary go to standard error.

Exit status:
  0  every source was processed, and the run stopped as finished;
  1  a usage error (unknown deployment, operator or source; not an operator of it);
  3  the gate refused at the start, or closed during the run: the gate's reason is printed on
     standard error, the run is stopped with that reason, and alerts raised before it closed
     have been printed. A script can tell "ran to the end" from "stopped by the register".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.errors import NotPermitted
from deployments.models import Deployment
from matching.sources import (
    expand_sources,
    frames_from_files,
    is_video,
    run_label,
    video_sample_count,
)

GATE_EXIT = 3


class Command(BaseCommand):
    help = (
        "Run the engine for an approved deployment over image files, folders and video files. "
        "Alerts are printed as JSON lines. Exit status 0 when every source was processed, 1 on "
        "a usage error, 3 when the gate refuses at the start or closes during the run (the "
        "reason is printed on standard error and the run is stopped with it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="The deployment, for example LFR-2026-0042.")
        parser.add_argument(
            "sources", nargs="+", type=Path, help="Image files, folders of images, video files."
        )
        parser.add_argument(
            "--operator", required=True, help="Username of an operator of this deployment."
        )
        parser.add_argument(
            "--fps",
            type=float,
            default=2.0,
            help="Frames per second taken from a video (default 2: a face passing a camera is "
            "in view for a second or more).",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=8,
            help="Frames per batch; the gate is asked before each (default 8).",
        )
        parser.add_argument(
            "--camera",
            "--source-label",
            dest="camera",
            default="",
            help="The camera's name, for example “Camera 2, north exit” (default: “run N”). "
            "Never a file name: the run's name is kept in the audit trail for good.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from matching import services
        from matching.gate import GateClosed, gate_check

        fps: float = options["fps"]
        batch_size: int = options["batch"]
        if fps <= 0:
            raise CommandError("--fps must be more than 0.")
        if batch_size < 1:
            raise CommandError("--batch must be at least 1.")
        deployment = Deployment.objects.filter(reference=options["reference"]).first()
        if deployment is None:
            raise CommandError(f"There is no deployment {options['reference']}.")
        operator = get_user_model().objects.filter(username=options["operator"]).first()
        if operator is None:
            raise CommandError(f"There is no user {options['operator']}.")
        sources: list[Path] = options["sources"]
        missing = [str(p) for p in sources if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}.")
        files = list(expand_sources(sources))
        if not files:
            raise CommandError("The sources hold no image or video files.")

        label = run_label(deployment=deployment, camera=options["camera"])
        try:
            # The register's answer first: whether this deployment may run now does not depend
            # on who asks, and it is the answer a script needs (exit status 3). run_start then
            # checks the operator and asks the gate again.
            gate_check(deployment=deployment, at=timezone.now(), actor=operator)
            run = services.run_start(
                deployment=deployment, operator=operator, source_label=label
            ).run
        except GateClosed as closed:
            raise CommandError(
                f"Gate closed ({closed.reason_code}): {closed.message}", returncode=GATE_EXIT
            ) from None
        except NotPermitted as refused:
            raise CommandError(refused.message) from None

        progress = _progress(files, fps, stream=self.stderr)
        batch: list[services.Frame] = []
        alerts = 0

        def flush() -> None:
            nonlocal alerts
            result = services.run_process_batch(run=run, frames=batch)
            for alert, frame_label in zip(result.alerts, result.labels, strict=True):
                self.stdout.write(_alert_line(alert, frame_label))
                self.stdout.flush()
                alerts += 1
            progress.update(len(batch))
            for frame in batch:
                services.frame_discard(frame)
            batch.clear()

        try:
            for frame in frames_from_files(files, fps, warn=self.stderr.write):
                batch.append(frame)
                if len(batch) >= batch_size:
                    flush()
            if batch:
                flush()
        except GateClosed as closed:
            progress.close()
            raise CommandError(
                f"Gate closed during run {run.pk} ({closed.reason_code}): {closed.message} "
                f"The run is stopped; {alerts} alert{'s' if alerts != 1 else ''} raised before.",
                returncode=GATE_EXIT,
            ) from None
        except KeyboardInterrupt:
            progress.close()
            services.run_stop(
                run=run, by=operator, code="interrupted", reason="Interrupted at the terminal."
            )
            raise CommandError(f"Run {run.pk} interrupted and stopped.", returncode=130) from None
        progress.close()
        run = services.run_stop(
            run=run, by=operator, code="finished", reason="Every source was processed."
        )
        self.stderr.write(
            f"Run {run.pk} finished: {run.frames} frames, {run.faces_seen} faces seen, "
            f"{alerts} alert{'s' if alerts != 1 else ''}."
        )


def _is_terminal(stream: Any) -> bool:
    target = getattr(stream, "_out", stream)
    return bool(getattr(target, "isatty", lambda: False)())


def _progress(files: list[Path], fps: float, *, stream: Any) -> Any:
    """A progress bar on the command's standard error, drawn only when that is a terminal."""
    from tqdm import tqdm

    target = getattr(stream, "_out", stream)  # the raw stream: the wrapper adds newlines
    if not _is_terminal(stream):
        return tqdm(total=0, disable=True)
    total = sum(video_sample_count(p, fps) if is_video(p) else 1 for p in files)
    return tqdm(total=total or None, unit="frame", file=target, dynamic_ncols=True)


def _alert_line(alert: Any, frame_label: str) -> str:
    return json.dumps(
        {
            "alert": alert.pk,
            "run": alert.run_id,
            "deployment": alert.run.deployment.reference,
            "subject_reference": alert.entry.subject_reference,
            "category": alert.entry.category,
            "distance": round(alert.distance, 4),
            "seen_at": alert.seen_at.isoformat(),
            "source": frame_label,
        }
    )

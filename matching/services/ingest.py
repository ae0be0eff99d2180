"""Ingest: reading a running camera's stream and handing its faces to the matching workers.

One ingest worker reads one stream camera's run (`ingest_run`): it opens the stream with
OpenCV (RTSP, HTTP MJPEG, or a video file under `OVERSIGHT_CAMERA_FILE_ROOT` for tests and
the demo), takes frames at the camera's approved rate, finds the faces, and puts each batch's
face crops (never whole frames) on the `matching` queue, numbered. The matching workers ask the
gate, encode and match (`runs.run_match_crops`).

The run's row is the ingest's lease and its stop button: every frame the worker writes its
heartbeat with a condition that the run is still running, so a stop from the console, or the
gate closing under a matching worker (which stops the run), ends the loop within one frame. A
worker that dies leaves a stale heartbeat; `ingest_resume` (beat) hands the run to another,
which goes on from the last batch number.

Privacy: a frame lives only in this loop, and is blanked once its faces are cut out. A crop
travels through the queue to one matching worker and is acknowledged (deleted from the broker)
once matched; the task keeps no result, and its log line shows only the run and batch number.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from matching import engine
from matching.models import Batch, Camera, Run

from .runs import run_stop

logger = logging.getLogger(__name__)

# A running stream run whose ingest has written nothing for this long is taken to have lost
# its worker: the console says "not sending", and `ingest_resume` hands it to another.
HEARTBEAT_STALE = timedelta(seconds=15)
# How long a stream that has ended may wait for its last batches to be matched before the run
# is stopped (a stop discards batches still queued).
DRAIN_SECONDS = 60.0


def ingest_dispatch(run_id: int) -> None:
    """Start reading a stream run: a task on the ingest queue, or a thread without a broker.

    Called once the run's start has committed. A publish that fails (the broker is down) is
    logged, not raised: the run is saved, and `ingest_resume` starts it when the broker is back.
    """
    if settings.OVERSIGHT_INGEST_IN_PROCESS:
        # The lease is taken here, so the page that started (or resumed) the camera already
        # shows it as sending, and a second dispatch does not start a second thread.
        if not _claim(run_id, timezone.now()):
            return
        thread = threading.Thread(
            target=_ingest_in_thread, args=(run_id,), name=f"ingest-run-{run_id}", daemon=True
        )
        thread.start()
        return
    from celery import current_app

    from matching.tasks import ingest_camera

    if current_app.conf.task_always_eager:
        # No broker and no in-process ingest (the tests' default): the eager task would read
        # the whole stream inside the request that started it.
        logger.info("Run %s waits for an ingest worker: no broker is configured.", run_id)
        return
    try:
        ingest_camera.apply_async(
            (run_id,), queue=settings.OVERSIGHT_INGEST_QUEUE, ignore_result=True
        )
    except Exception as error:  # the broker is down: the sweeper retries
        logger.warning("Could not queue the ingest of run %s yet: %s", run_id, error)


def _ingest_in_thread(run_id: int) -> None:
    try:
        ingest_run(run_id, claimed=True)
    except Exception:
        logger.exception("The ingest of run %s failed", run_id)
    finally:
        close_old_connections()


def ingest_resume(*, now: datetime | None = None, deployment: Any = None) -> list[int]:
    """Hand every running stream run whose ingest has gone quiet to a worker (beat task).

    Without a broker there is no beat: the operator's console calls this for its deployment,
    so a run whose thread ended with the web server that ran it is read again.
    """
    now = now or timezone.now()
    quiet = now - HEARTBEAT_STALE
    runs_quiet = Run.objects.filter(stopped_at=None, camera__kind=Camera.Kind.STREAM).filter(
        Q(ingest_seen_at=None) | Q(ingest_seen_at__lt=quiet)
    )
    if deployment is not None:
        runs_quiet = runs_quiet.filter(deployment=deployment)
    else:
        # A run just started has its own dispatch on the way.
        runs_quiet = runs_quiet.filter(started_at__lt=quiet)
    runs = list(runs_quiet.values_list("pk", flat=True))
    for run_id in runs:
        ingest_dispatch(run_id)
    return runs


def _claim(run_id: int, now: datetime) -> bool:
    """Take the run's lease: only if it is running and no live worker holds it."""
    quiet = now - HEARTBEAT_STALE
    return bool(
        Run.objects.filter(pk=run_id, stopped_at=None)
        .filter(Q(ingest_seen_at=None) | Q(ingest_seen_at__lt=quiet))
        .update(ingest_seen_at=now)
    )


def _heartbeat(run_id: int, seq: int) -> bool:
    """Renew the lease and keep the last batch number; False once the run has been stopped."""
    return bool(
        Run.objects.filter(pk=run_id, stopped_at=None).update(
            ingest_seen_at=timezone.now(), batches_sent=seq
        )
    )


def _open(url: str) -> Any:
    import cv2

    parts = urlsplit(url)
    source = parts.path if parts.scheme == "file" else url
    return cv2.VideoCapture(source)


@dataclass
class _Sender:
    """Numbers batches and puts them on the matching queue (or, without a broker, runs them)."""

    run_id: int
    first: int  # the last batch number used before this worker took the run
    seq: int = 0
    sent: int = 0

    def __post_init__(self) -> None:
        self.seq = self.first

    def send(self, frames: list[dict[str, Any]]) -> None:
        from matching.tasks import match_batch

        self.seq += 1
        faces = sum(len(f["faces"]) for f in frames)
        try:
            match_batch.apply_async(
                (self.run_id, self.seq, frames),
                queue=settings.OVERSIGHT_MATCHING_QUEUE,
                ignore_result=True,
                # What a log or a monitor shows of the task: never the crops.
                argsrepr=f"(run={self.run_id}, batch={self.seq}, frames={len(frames)}, "
                f"faces={faces})",
                kwargsrepr="{}",
            )
        except Exception as error:  # the broker is down: these frames go unmatched
            logger.warning("Batch %s of run %s was not queued: %s", self.seq, self.run_id, error)
            return
        self.sent += 1


def ingest_run(
    run_id: int,
    *,
    realtime: bool = True,
    loop: bool | None = None,
    max_frames: int | None = None,
    claimed: bool = False,
) -> str:
    """Read one stream run until it is stopped or its stream ends; returns why it ended.

    `realtime` plays a video file at its own speed, as a camera would deliver it; `loop`
    starts a video file again at its end (the demo's camera), by default as configured.
    `claimed` says the caller has already taken the run's lease (`ingest_dispatch`).
    """
    import cv2
    import numpy as np

    run = Run.objects.select_related("camera").get(pk=run_id)
    camera = run.camera
    if camera is None or camera.kind != Camera.Kind.STREAM:
        return "not_a_stream"
    if run.stopped_at is not None:
        return "stopped"
    if not claimed and not _claim(run_id, timezone.now()):
        return "already_ingesting"
    if loop is None:
        loop = settings.OVERSIGHT_CAMERA_FILE_LOOP
    is_file = urlsplit(camera.stream_url).scheme == "file"
    capture = _open(camera.stream_url)
    if not capture.isOpened():
        run_stop(
            run=run,
            by="ingest",
            code="stream_unreadable",
            reason=f"The stream of {camera} could not be opened. Check the camera and its "
            "network, then start the run again.",
        )
        return "stream_unreadable"
    sender = _Sender(run_id, run.batches_sent)
    batch: list[dict[str, Any]] = []
    interval = 1.0 / float(camera.frames_per_second)
    rate = capture.get(cv2.CAP_PROP_FPS) or 25.0
    limit = settings.OVERSIGHT_MAX_IMAGE_PIXELS
    index = taken = 0
    next_due = 0.0
    started = time.monotonic()
    ended = "stopped"
    try:
        while max_frames is None or taken < max_frames:
            if not capture.grab():
                if is_file and loop and index:
                    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    started += index / rate
                    next_due -= index / rate
                    index = 0
                    continue
                ended = "stream_ended"
                break
            # Where this frame lies in the stream's time: a file's own clock, or the wall's.
            at = index / rate if is_file else time.monotonic() - started
            index += 1
            if at < next_due:
                continue
            next_due = max(next_due + interval, at)
            if is_file and realtime:
                time.sleep(max(0.0, started + at - time.monotonic()))
            ok, bgr = capture.retrieve()
            if not ok or bgr is None:
                continue
            taken += 1
            if bgr.shape[0] * bgr.shape[1] > limit:
                ended = "frames_too_large"
                break
            seen_at = timezone.now()
            # Frames the matching workers cannot keep up with are dropped, not queued for ever.
            if _waiting(run_id, sender) <= settings.OVERSIGHT_INGEST_MAX_WAITING:
                rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                locations = engine.detect_faces(
                    rgb,
                    upsample=settings.OVERSIGHT_DETECTION_UPSAMPLE,
                    scale=settings.OVERSIGHT_DETECTION_SCALE,
                )
                crops = engine.face_crops(rgb, locations)
                rgb.fill(0)
                batch.append(
                    {
                        "seen_at": seen_at.isoformat(),
                        "faces": [engine.crop_to_wire(crop) for crop in crops],
                    }
                )
                for crop in crops:
                    crop.pixels.fill(0)
            bgr.fill(0)
            if len(batch) >= settings.OVERSIGHT_INGEST_BATCH_FRAMES:
                sender.send(batch)
                batch = []
            if not _heartbeat(run_id, sender.seq):
                return "stopped"
        if batch:
            sender.send(batch)
            _heartbeat(run_id, sender.seq)
    finally:
        capture.release()
    if ended in ("stream_ended", "frames_too_large"):
        _drain(run_id, sender)
        reasons = {
            "stream_ended": f"The stream of {camera} ended.",
            "frames_too_large": f"The frames of {camera} are larger than the limit.",
        }
        run_stop(run=run, by="ingest", code=ended, reason=reasons[ended])
    return ended


def _waiting(run_id: int, sender: _Sender) -> int:
    """Batches queued for this run and not yet matched (from this worker's sending)."""
    if not sender.sent:
        return 0
    done = Batch.objects.filter(run_id=run_id, seq__gt=sender.first).count()
    return sender.sent - done


def _drain(run_id: int, sender: _Sender) -> None:
    """Wait (a while) for the queued batches to be matched before the run is stopped."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while _waiting(run_id, sender) > 0 and time.monotonic() < deadline:
        if Run.objects.filter(pk=run_id).exclude(stopped_at=None).exists():
            return
        time.sleep(0.2)


def file_stream_url(path: Path) -> str:
    """The stream address of a video file, for a camera in the demo or a test."""
    return path.resolve().as_uri()

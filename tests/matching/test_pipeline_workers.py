"""The live pipeline on real parts: Redis, an ingest worker and matching workers as processes.

A camera plays the demo video (obama2, biden, obama3 and a partial face of Obama, 1 s each, at
2 frames a second); the watchlist holds obama.jpg. Each test starts its own Celery workers on
queues of its own, against the test's PostgreSQL database.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from deployments import services as ds
from matching.models import Alert, Batch, HourlyCount, Run
from matching.services import run_start
from tests.conftest import needs_real_services, running_celery_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

FRAMES, FACES, MATCHING_FRAMES = 8, 8, 6
# The PNG signature in base64: the start of every face crop the ingest worker sends.
CROP_MARKER = b"iVBORw0KGgo"


@pytest.fixture
def pipeline(request: Any, settings: Any, tmp_path: Any, live_camera: Any) -> Iterator[Any]:
    """Queues of this test's own, and a way to start workers on them."""
    needs_real_services(postgres=True, redis=True)
    tag = uuid.uuid4().hex[:10]
    settings.OVERSIGHT_INGEST_QUEUE = f"ingest-{tag}"
    settings.OVERSIGHT_MATCHING_QUEUE = f"matching-{tag}"
    env = {
        "OVERSIGHT_INGEST_QUEUE": settings.OVERSIGHT_INGEST_QUEUE,
        "OVERSIGHT_MATCHING_QUEUE": settings.OVERSIGHT_MATCHING_QUEUE,
        "OVERSIGHT_CAMERA_FILE_ROOT": settings.OVERSIGHT_CAMERA_FILE_ROOT,
        # A killed worker's batch is handed over after 5 s rather than 5 minutes.
        "OVERSIGHT_BROKER_VISIBILITY_TIMEOUT": "5",
    }

    class Pipeline:
        camera = live_camera
        stack = ExitStack()

        def worker(self, kind: str, number: int = 1, **extra: str) -> Any:
            queue = (
                settings.OVERSIGHT_INGEST_QUEUE
                if kind == "ingest"
                else (settings.OVERSIGHT_MATCHING_QUEUE)
            )
            return self.stack.enter_context(
                running_celery_worker(
                    request,
                    settings,
                    tmp_path,
                    redis_url=settings.REDIS_URL,
                    queue=queue,
                    extra_env={**env, **extra},
                    name=f"{kind}{number}-{tag}",
                    # An ingest task runs for as long as its camera: in a pool's child, so that
                    # the worker acknowledges it at once (a solo worker could not until it ends).
                    pool=("--pool=prefork", "--concurrency=2")
                    if kind == "ingest"
                    else ("--pool=solo", "--concurrency=1"),
                )
            )

    pipeline = Pipeline()
    with pipeline.stack:
        yield pipeline


def _start(camera: Any, actors: Any) -> Run:
    return run_start(deployment=camera.deployment, operator=actors.operator, camera=camera).run


def _stopped(run: Run) -> bool:
    run.refresh_from_db()
    return run.stopped_at is not None


def test_a_camera_played_through_real_workers_raises_the_expected_alerts_and_keeps_nothing_else(
    pipeline: Any, actors: Any, settings: Any, tmp_path: Any
) -> None:
    pipeline.worker("matching")
    pipeline.worker("ingest")
    run = _start(pipeline.camera, actors)
    wait_for(lambda: _stopped(run), timeout=120, what="the stream to end")
    assert run.stop_code == "stream_ended", run.stop_reason
    assert (run.frames, run.faces_seen) == (FRAMES, FACES)
    alerts = Alert.objects.filter(run=run)
    assert alerts.count() == MATCHING_FRAMES
    assert {a.entry.subject_reference for a in alerts} == {"W-OBAMA-1"}
    assert sum(HourlyCount.objects.filter(run=run).values_list("faces_seen", flat=True)) == FACES

    # Biden's frames matched no one: nothing of them is kept anywhere. The only files are the
    # watchlist's image and the alerts' crops; Redis holds no crop and no task result.
    private = settings.PRIVATE_MEDIA_ROOT
    files = [p for p in private.rglob("*") if p.is_file()]
    assert len(files) == 1 + MATCHING_FRAMES
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        values: list[bytes] = []
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"hash":
            values = list(client.hgetall(key).values())
        elif kind == b"zset":
            values = client.zrange(key, 0, -1)
        elif kind == b"set":
            values = list(client.smembers(key))
        assert not any(CROP_MARKER in value for value in values), key
        assert not key.startswith(b"celery-task-meta-") or not any(
            b"match_batch" in v for v in values
        )
    # Nor do the workers' logs: a task's arguments are shown as the run and batch numbers.
    logs = list(tmp_path.glob("worker-*.log"))
    assert len(logs) == 2
    for log in logs:
        text = log.read_bytes()
        assert b"match_batch" in text and CROP_MARKER not in text


def test_a_suspension_mid_stream_stops_matching_within_one_batch(
    pipeline: Any, actors: Any
) -> None:
    pipeline.worker("matching")
    pipeline.worker("ingest", OVERSIGHT_CAMERA_FILE_LOOP="1")
    run = _start(pipeline.camera, actors)
    wait_for(lambda: Batch.objects.filter(run=run).count() >= 3, timeout=90, what="3 batches")
    ds.deployment_suspend(
        deployment=pipeline.camera.deployment, by=actors.chair, reason="Complaint under review."
    )
    suspended = time.time()
    wait_for(lambda: _stopped(run), timeout=30, what="the gate to stop the run")
    assert run.stop_code == "suspended"
    time.sleep(3)
    after = Batch.objects.filter(run=run, done_at__gt=datetime.fromtimestamp(suspended, UTC))
    assert after.count() <= 1
    # The ingest worker has stopped reading: no heartbeat or batch since the run stopped.
    run.refresh_from_db()
    assert run.stopped_at is not None
    assert run.ingest_seen_at is not None and run.ingest_seen_at <= run.stopped_at + timedelta(
        seconds=2
    )


def test_a_matching_worker_killed_mid_batch_loses_nothing_and_raises_no_alert_twice(
    pipeline: Any, actors: Any, settings: Any
) -> None:
    first = pipeline.worker("matching", 1)
    pipeline.worker("ingest")
    run = _start(pipeline.camera, actors)
    client = redis.Redis.from_url(settings.REDIS_URL)
    # Kill the worker while it holds a batch it has not acknowledged.
    wait_for(lambda: client.hlen("unacked") > 0, timeout=60, what="a batch in flight")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    pipeline.worker("matching", 2)
    wait_for(lambda: _stopped(run), timeout=150, what="the stream to end")
    assert run.stop_code == "stream_ended", run.stop_reason
    seqs = sorted(Batch.objects.filter(run=run).values_list("seq", flat=True))
    assert seqs == list(range(1, run.batches_sent + 1))
    assert (run.frames, run.faces_seen) == (FRAMES, FACES)
    alerts = Alert.objects.filter(run=run)
    assert alerts.count() == MATCHING_FRAMES
    assert len({(a.batch_seq, a.face_index) for a in alerts}) == MATCHING_FRAMES

"""Live operations: a frame's way from a camera to the operator's console, and worker scaling.

Two measurements on real parts (PostgreSQL, Redis, Celery workers as processes), on the demo
data (`seed_demo`: the live deployment, its watchlist holding obama.jpg):

1. Latency. 1, 2 and 4 cameras play a video at 2 frames a second (each camera its own
   stream, read in real time by the ingest worker, one pool process per camera), every frame
   holding one face on the watchlist, so every frame raises an alert. Two matching workers
   (one per core). For each alert: from the moment ingest took the frame (`seen_at`) to the
   moment the alert was saved (`raised_at`), and to the moment the console saw it: a client
   polls the console's alert feed once a second, as the open console does.
2. Scaling. The same video's batches are queued first (ingest without matching workers), then
   matched by 1 and then by 2 matching worker processes; faces per second between the first
   and the last batch written, and the alerts of the two runs compared (same batches, faces,
   people and distances).

Run from the repository root (or `make bench-live`); it drops and rebuilds the database named
and flushes the Redis database given:

    .venv/bin/python benchmarks/bench_live.py \\
        --database-url postgres://postgres@127.0.0.1:5432/oversight_bench_live \\
        --redis-url redis://127.0.0.1:6379/14
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET_SCALING = 1.7


def _recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


class Workers:
    """Celery workers as processes, started and stopped by the benchmark."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, []  # type: list[subprocess.Popen[bytes]]

    def start(self, name: str, queue: str, *pool: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "oversight", "worker", *pool, "-Q", queue,
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        from oversight.celery import app

        deadline = time.monotonic() + 90
        while not app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {name} did not start; see {self.logs / name}.log")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _setup(video: Path) -> tuple[Any, Any]:
    """The live demo deployment and its operator, with four stream cameras pinned."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from deployments.models import Deployment
    from matching.models import Camera, Run
    from matching.selectors import cameras_fingerprint
    from matching.services.ingest import file_stream_url

    live = Deployment.objects.live_at(timezone.now()).get()
    Run.objects.filter(deployment=live, stopped_at=None).update(
        stopped_at=timezone.now(), stop_code="benchmark"
    )
    planner = live.created_by
    for number in range(1, 5):
        Camera.objects.get_or_create(
            deployment=live,
            label=f"Bench camera {number}",
            defaults={
                "position": "Benchmark.",
                "stream_url": file_stream_url(video),
                "added_by": planner,
            },
        )
    # What sign-off would have pinned, had the cameras been there (a benchmark's shortcut).
    Deployment.objects.filter(pk=live.pk).update(
        cameras_fingerprint=cameras_fingerprint(deployment=live)
    )
    live.refresh_from_db()
    operator = get_user_model().objects.get(username="operator")
    return live, operator


def _console_poll(live: Any, operator: Any, until: float, seen: dict[int, float]) -> None:
    """Poll the console's alert feed once a second, as the open console does."""
    from django.test import Client

    client = Client()
    client.force_login(operator)
    url = f"/staff/deployments/{live.reference}/console/alerts/"
    session = client.session
    session["otp_device_id"] = "bench"  # not needed in demo mode, harmless otherwise
    after, state = 0, ""
    while time.time() < until:
        response = client.get(url, {"after": after, "state": state}, HTTP_HOST="127.0.0.1")
        now = time.time()
        for alert_id in _ids(response):
            seen.setdefault(alert_id, now)
            after = max(after, alert_id)
        # As the console does: an alert waiting that has not been seen and lies below the
        # cursor (committed after one with a higher id) is asked for again from it.
        waiting = re.search(rb'data-waiting="([\d ]*)"', response.content)
        for alert_id in (int(n) for n in waiting.group(1).split()) if waiting else ():
            if alert_id not in seen and alert_id <= after:
                after = alert_id - 1
        # Sent back as the console does, so the gate is asked only when the cameras change.
        changed = re.search(rb'data-console-live data-state="([^"]*)"', response.content)
        if changed:
            state = html.unescape(changed.group(1).decode())
        time.sleep(max(0.0, 1.0 - (time.time() - now)))


def _ids(response: Any) -> list[int]:
    """The ids of the alert cards in a poll's answer."""
    if response.status_code != 200:
        return []
    return [int(m) for m in re.findall(rb'data-alert="(\d+)"', response.content)]


def latency(live: Any, operator: Any, cameras: int, seconds: float) -> dict[str, Any]:
    import threading

    from django.db import close_old_connections

    from matching.models import Alert, Camera, Run
    from matching.services import run_start, run_stop

    chosen = list(Camera.objects.filter(deployment=live, label__startswith="Bench")[:cameras])
    started = time.time()
    seen: dict[int, float] = {}
    poller = threading.Thread(
        target=lambda: (_console_poll(live, operator, started + seconds + 15, seen),
                        close_old_connections()),
    )  # fmt: skip
    poller.start()
    runs = [run_start(deployment=live, operator=operator, camera=c).run for c in chosen]
    time.sleep(seconds)
    for run in runs:
        run_stop(run=run, by=operator, code="benchmark", reason="Benchmark over.")
    poller.join()
    alerts = list(Alert.objects.filter(run__in=runs).values_list("pk", "seen_at", "raised_at"))
    saved = [(r - s).total_seconds() for _, s, r in alerts]
    shown = [seen[pk] - s.timestamp() for pk, s, _ in alerts if pk in seen]
    frames = sum(Run.objects.filter(pk__in=[r.pk for r in runs]).values_list("frames", flat=True))
    return {
        "cameras": cameras,
        "frames": frames,
        "alerts": len(alerts),
        "saved_median": statistics.median(saved) if saved else None,
        "saved_p95": _percentile(saved, 0.95) if saved else None,
        "shown": len(shown),
        "shown_median": statistics.median(shown) if shown else None,
        "shown_p95": _percentile(shown, 0.95) if shown else None,
        "shown_max": max(shown) if shown else None,
    }


def queue_batches(live: Any, operator: Any, frames: int) -> Any:
    """A run whose batches are all queued before any matching worker starts."""
    from matching.models import Camera
    from matching.services import run_start
    from matching.services.ingest import ingest_run

    camera = Camera.objects.filter(deployment=live, label="Bench camera 1").get()
    run = run_start(deployment=live, operator=operator, camera=camera, start_reading=False).run
    ingest_run(run.pk, realtime=False, loop=True, max_frames=frames)
    return run


def scaling(run: Any, workers: Workers, count: int) -> dict[str, Any]:
    from matching.models import Alert, Batch
    from oversight.celery import app

    run.refresh_from_db()
    total = run.batches_sent
    # Start the workers on an idle queue, then let all of them take the batches at once, so
    # that no worker's start-up time counts.
    names = []
    for number in range(1, count + 1):
        names.append(f"match{count}-{number}")
        workers.start(names[-1], f"idle-{os.getpid()}", "--pool=solo")
    node = os.uname().nodename
    app.control.add_consumer(
        os.environ["OVERSIGHT_MATCHING_QUEUE"],
        destination=[f"{n}@{node}" for n in names],
        reply=True,
    )
    deadline = time.time() + 900
    while Batch.objects.filter(run=run).count() < total and time.time() < deadline:
        time.sleep(0.5)
    workers.stop()
    from matching.services import run_stop

    run_stop(run=run, by="benchmark", code="benchmark", reason="Benchmark over.")
    done = sorted(Batch.objects.filter(run=run).values_list("done_at", flat=True))
    run.refresh_from_db()
    span = (done[-1] - done[0]).total_seconds()
    per_batch = run.faces_seen / max(1, len(done))
    alerts = sorted(
        Alert.objects.filter(run=run).values_list("batch_seq", "face_index", "entry_id", "distance")
    )
    return {
        "workers": count,
        "batches": len(done),
        "faces": run.faces_seen,
        "seconds": span,
        "faces_per_second": (run.faces_seen - per_batch) / span if span else None,
        "alerts": alerts,
    }


def _engine() -> str:
    """Which dlib build .venv holds: the prebuilt dlib-bin, or `make engine-fast`'s."""
    from importlib import metadata

    for distribution, name in (("dlib-bin", "dlib-bin"), ("dlib", "engine-fast (OpenBLAS)")):
        try:
            return f"{name} {metadata.version(distribution)}"
        except metadata.PackageNotFoundError:
            continue
    return "no dlib"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--seconds", type=float, default=30.0, help="each latency run's length")
    parser.add_argument("--frames", type=int, default=120, help="frames for the scaling runs")
    parser.add_argument("--cameras", default="1,2,4")
    parser.add_argument("--json", type=Path, help="append this run's figures to FILE")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-live-"))
    tag = f"{os.getpid()}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "OVERSIGHT_DEMO": "1",
        "OVERSIGHT_VAR_DIR": str(work / "var"),
        "OVERSIGHT_CAMERA_FILE_ROOT": str(work),
        "OVERSIGHT_INGEST_QUEUE": f"bench-ingest-{tag}",
        "OVERSIGHT_MATCHING_QUEUE": f"bench-matching-{tag}",
        "OVERSIGHT_INGEST_MAX_WAITING": "100000",
        "OPENBLAS_NUM_THREADS": "1",
        "DJANGO_SETTINGS_MODULE": "oversight.settings",
    }
    os.environ.update(env)
    _recreate(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    print("Seeding the demo database...", flush=True)
    for command in (["migrate", "--no-input", "-v0"], ["seed_demo", "--password", "bench-only"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings

    from matching.samples import camera_video

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    faces = ("obama2.jpg", "obama3.jpg") * max(1, round(args.seconds / 2 + 5))
    video = camera_video(work / "faces.mp4", sequence=faces, seconds_each=1.0)
    live, operator = _setup(video)
    workers = Workers(env, work)
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "load": os.getloadavg(), "engine": _engine(),
                               "latency": [], "scaling": []}  # fmt: skip
    try:
        cameras = [int(n) for n in args.cameras.split(",")]
        workers.start("ingest", env["OVERSIGHT_INGEST_QUEUE"], "--pool=prefork",
                      f"--concurrency={max(cameras)}")  # fmt: skip
        workers.start("match-1", env["OVERSIGHT_MATCHING_QUEUE"], "--pool=solo")
        workers.start("match-2", env["OVERSIGHT_MATCHING_QUEUE"], "--pool=solo")
        for count in cameras:
            print(f"Latency with {count} camera(s)...", flush=True)
            results["latency"].append(latency(live, operator, count, args.seconds))
        workers.stop()
        for count in (1, 2):
            print(f"Scaling: {count} matching worker(s)...", flush=True)
            run = queue_batches(live, operator, args.frames)
            results["scaling"].append(scaling(run, workers, count))
    finally:
        workers.stop()
    report(results)
    if args.json:
        with args.json.open("a") as handle:
            slim = {**results, "scaling": [{k: v for k, v in r.items() if k != "alerts"}
                                           for r in results["scaling"]]}  # fmt: skip
            handle.write(json.dumps(slim, default=str) + "\n")
    one, two = results["scaling"]
    same = one["alerts"] == two["alerts"]
    ratio = two["faces_per_second"] / one["faces_per_second"]
    return 0 if same and ratio >= TARGET_SCALING else 1


def report(results: dict[str, Any]) -> None:
    print(f"\n{results['when']}, load average {results['load'][0]:.2f}, "
          f"{platform.python_version()}, {os.cpu_count()} cores, {results['engine']}")  # fmt: skip
    print("\n| cameras | frames | alerts | seen in the console | to saved: median | p95 | "
          "to console: median | p95 | slowest |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results["latency"]:
        print(
            f"| {r['cameras']} | {r['frames']} | {r['alerts']} | {r['shown']} | "
            f"{_s(r['saved_median'])} | {_s(r['saved_p95'])} | {_s(r['shown_median'])} | "
            f"{_s(r['shown_p95'])} | {_s(r['shown_max'])} |"
        )
    print("\n| matching workers | batches | faces | seconds | faces/s |")
    print("|---:|---:|---:|---:|---:|")
    for r in results["scaling"]:
        print(f"| {r['workers']} | {r['batches']} | {r['faces']} | {r['seconds']:.1f} | "
              f"{r['faces_per_second']:.2f} |")  # fmt: skip
    one, two = results["scaling"]
    ratio = two["faces_per_second"] / one["faces_per_second"]
    same = one["alerts"] == two["alerts"]
    print(f"\n2 workers / 1 worker: {ratio:.2f}x (target {TARGET_SCALING}x: "
          f"{'met' if ratio >= TARGET_SCALING else 'NOT met'}); same alerts: {same} "
          f"({len(one['alerts'])} and {len(two['alerts'])})")  # fmt: skip


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


if __name__ == "__main__":
    raise SystemExit(main())

"""A Redis server of the test's own, started and stopped by its PID, and the Celery app pointed
at it: how the tests show that nothing is lost while the broker is down."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """`redis-server` on `port`, without persistence: what it held is gone when it stops."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (CI installs it)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it by its PID and wait until the port refuses connections."""
        if self.process is None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=10)
        self.process = None
        assert not _answers(self.port)


@contextlib.contextmanager
def celery_pointed_at(url: str) -> Iterator[Any]:
    """Point this process's Celery app (publishing, control) at `url`, not eager; restore after."""
    from oversight.celery import app

    names = ("broker_url", "result_backend", "task_always_eager")
    previous = {name: app.conf[name] for name in names}

    def reset_pools() -> None:
        # Celery keeps a connection pool and a producer pool for the broker it first used (kombu
        # keeps them in a registry by URL, so they are forgotten here, never closed).
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    reset_pools()
    try:
        yield app
    finally:
        app.conf.update(previous)
        reset_pools()

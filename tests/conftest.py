"""Shared fixtures: the named actors of the policy, and the register's basic objects."""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from core.roles import Role

from . import factories


@dataclass
class Actors:
    planner: Any
    other_planner: Any
    authoriser: Any
    panel_a: Any
    panel_b: Any
    panel_c: Any
    chair: Any
    operator: Any
    legal_officer: Any
    moderator: Any
    stranger: Any


@pytest.fixture
def actors(db: None) -> Actors:
    """One person per role, plus a signed-in stranger who holds no role."""
    make = factories.make_user
    return Actors(
        planner=make("planner", Role.PLANNER),
        other_planner=make("other_planner", Role.PLANNER),
        authoriser=make("authoriser", Role.AUTHORISING_OFFICER),
        panel_a=make("panel_a", Role.PANEL_MEMBER),
        panel_b=make("panel_b", Role.PANEL_MEMBER),
        panel_c=make("panel_c", Role.PANEL_MEMBER),
        chair=make("chair", Role.PANEL_CHAIR, Role.PANEL_MEMBER),
        operator=make("operator", Role.OPERATOR),
        legal_officer=make("legal_officer", Role.LEGAL_OFFICER),
        moderator=make("moderator", Role.MODERATOR),
        stranger=make("stranger"),
    )


@pytest.fixture
def documents(actors: Actors) -> dict[str, Any]:
    """Every kind of force document, each with one published version."""
    return factories.publish_documents(actors.legal_officer)


@pytest.fixture
def draft(actors: Actors, documents: dict[str, Any]) -> Any:
    """A complete draft that can be submitted."""
    return factories.make_draft(actors.planner)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness costs seconds per test with a dozen actors.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager(request: pytest.FixtureRequest, settings: Any) -> Any:
    """Tasks run in-process unless the test starts a real worker (marked `worker`)."""
    from oversight.celery import app

    eager = request.node.get_closest_marker("worker") is None
    # A stream camera's ingest starts only where a test starts it (never a stray thread).
    settings.OVERSIGHT_INGEST_IN_PROCESS = False
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _private_media(tmp_path: Any, settings: Any) -> None:
    """Each test gets its own private and report storage."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.REPORTS_ROOT = tmp_path / "reports"
    storages = dict(settings.STORAGES)
    storages["private"] = {
        **storages["private"],
        "OPTIONS": {"location": str(tmp_path / "private")},
    }
    storages["reports"] = {
        **storages["reports"],
        "OPTIONS": {"location": str(tmp_path / "reports")},
    }
    settings.STORAGES = storages


@pytest.fixture(scope="session")
def audit_test_key_pem() -> str:
    """One Ed25519 key for the run's audit checkpoints, so tests never write one into var/."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


@pytest.fixture(autouse=True)
def _audit_signing_key(settings: Any, audit_test_key_pem: str) -> None:
    settings.AUDIT_SIGNING_KEY = audit_test_key_pem


@pytest.fixture(autouse=True)
def _public_cache_forgets_the_last_test() -> None:
    """Each test's database is rolled back, but Redis and each worker's memory are not: the
    public pages' version tokens copied to Redis (public.cache.SharedVersions) would otherwise
    name another test's record."""
    from django.conf import settings

    from public.cache import memory, shared_versions

    memory.clear()
    if settings.REDIS_URL:
        shared_versions.forget()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def needs_real_services(*, postgres: bool = True, redis: bool = False) -> None:
    """Skip on a bare machine; under CI a missing service is a failure, never a skip."""
    from django.conf import settings
    from django.db import connection

    missing = []
    if postgres and connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    if redis and not settings.REDIS_URL:
        missing.append("Redis (set REDIS_URL)")
    if missing:
        message = "needs " + " and ".join(missing)
        if in_ci():
            pytest.fail(f"CI must run this test: {message}")
        pytest.skip(message)


# (test, broker, tasks the worker reported as succeeded), for the summary at the end of the run.
WORKER_RUNS: list[tuple[str, str, list[str]]] = []


@pytest.fixture
def celery_worker_process(
    request: pytest.FixtureRequest, transactional_db: None, settings: Any, tmp_path: Any
) -> Any:
    """A real Celery worker (solo pool) in a subprocess, on Redis, against the test database.

    Tasks sent while it runs go to a queue of this test's own, so stale messages from other
    runs on the same Redis never reach it and it never takes theirs.
    """
    import uuid

    needs_real_services(postgres=True, redis=True)
    queue = f"oversight-test-{uuid.uuid4().hex[:12]}"
    with running_celery_worker(
        request, settings, tmp_path, redis_url=settings.REDIS_URL, queue=queue
    ) as worker:
        yield worker


@contextlib.contextmanager
def running_celery_worker(
    request: pytest.FixtureRequest,
    settings: Any,
    tmp_path: Any,
    *,
    redis_url: str,
    queue: str | None = None,
    extra_env: dict[str, str] | None = None,
    name: str | None = None,
    pool: tuple[str, ...] = ("--pool=solo", "--concurrency=1"),
) -> Any:
    """Start a real Celery worker (solo pool) on `redis_url` against the test database (which
    must be PostgreSQL), wait until it answers a ping, and stop it on leaving. With `queue`, it
    takes only that queue and this process sends its tasks there."""
    import subprocess
    import sys
    import time

    from django.db import connection

    from oversight.celery import app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": redis_url,
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "REPORTS_ROOT": str(settings.REPORTS_ROOT),
        "AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY,
        "DJANGO_SETTINGS_MODULE": "oversight.settings",
        # A worker refuses to start on the development key (core/startup.py).
        "SECRET_KEY": os.environ.get("SECRET_KEY") or f"test-worker-key-{uuid.uuid4().hex}",
        **(extra_env or {}),
    }
    name = name or queue or f"oversight-test-{os.getpid()}-{time.monotonic_ns()}"
    log = (tmp_path / f"worker-{name}.log").open("w+")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "oversight",
            "worker",
            *pool,
            *(["-Q", queue] if queue else []),
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous_queue = app.conf.task_default_queue
    if queue:
        app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the Celery worker did not start:\n{log.read()}")
        yield worker
    finally:
        app.conf.task_default_queue = previous_queue
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.seek(0)
        text = log.read()
        log.close()
        sys.stdout.write(f"\n--- celery worker log ({name}) ---\n{text}\n")
        succeeded = [
            line.split("] ", 1)[-1] for line in text.splitlines() if " succeeded in " in line
        ]
        WORKER_RUNS.append((request.node.nodeid, redis_url, succeeded))


def wait_for(predicate: Any, *, timeout: float = 30.0, what: str = "the condition") -> None:
    """Poll until `predicate()` is true: for effects of another process, never a fixed sleep."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def pytest_report_header(config: Any) -> list[str]:
    """Say at the top of the run which database and broker the suite is using."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.CELERY_BROKER_URL if settings.REDIS_URL else "none (Celery eager)"
    return [
        f"oversight: database {engine} ({settings.DATABASES['default']['NAME']}), "
        f"Celery broker and cache {broker}, CI={os.environ.get('CI', '')}"
    ]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Show in the log that real Celery workers ran, and what they did."""
    if not WORKER_RUNS:
        return
    terminalreporter.section("real Celery workers")
    for nodeid, broker, succeeded in WORKER_RUNS:
        terminalreporter.write_line(f"{nodeid}: worker on {broker}, {len(succeeded)} task(s) done")
        for line in succeeded:
            terminalreporter.write_line(f"    {line[:160]}")


class StaffClient(Client):
    """The test client; `force_login` signs in with both factors, as staff must in production.

    `force_login(user, second_factor=False)` stops after the password, to test what a person
    without a verified second factor can reach.
    """

    def force_login(
        self, user: Any, backend: str | None = None, second_factor: bool = True
    ) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.receivers import _signed_in

        # A shortcut past the sign-in page, not a sign-in: it leaves no "signed in" event in the
        # audit trail (tests/accounts/ sign in through the page and check the events).
        user_logged_in.disconnect(_signed_in, dispatch_uid="accounts.signed_in")
        try:
            super().force_login(user, backend)
        finally:
            user_logged_in.connect(_signed_in, dispatch_uid="accounts.signed_in")
        if second_factor:
            from django_otp import DEVICE_ID_SESSION_KEY

            device = factories.give_authenticator_app(user)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture
def client() -> StaffClient:
    return StaffClient()

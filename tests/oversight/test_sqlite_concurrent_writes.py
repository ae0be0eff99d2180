"""The embedded default under concurrent writes: SQLite in WAL mode with immediate transactions
and a busy timeout, so writers queue for the lock instead of failing with "database is locked".

Run as a person would run it: a fresh SQLite file (not the in-memory test database, where every
thread shares one connection), `manage.py runserver` (one thread per request), and 20 questions
posted at once. None may get a 500; every question answered as saved is saved, with its audit
event, and `verify_audit` finds the chain intact.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest
from django.conf import settings

PARALLEL = 20
SETUP = """
from tests import factories
from tests.conftest import Actors
from core.roles import Role
make = factories.make_user
actors = Actors(
    planner=make("planner", Role.PLANNER), other_planner=make("p2", Role.PLANNER),
    authoriser=make("authoriser", Role.AUTHORISING_OFFICER),
    panel_a=make("panel_a", Role.PANEL_MEMBER), panel_b=make("panel_b", Role.PANEL_MEMBER),
    panel_c=make("panel_c", Role.PANEL_MEMBER),
    chair=make("chair", Role.PANEL_CHAIR, Role.PANEL_MEMBER),
    operator=make("operator", Role.OPERATOR), legal_officer=make("legal", Role.LEGAL_OFFICER),
    moderator=make("moderator", Role.MODERATOR), stranger=make("stranger"),
)
factories.publish_documents(actors.legal_officer)
print(factories.to_approved(factories.make_draft(actors.planner), actors).reference)
"""
COUNT = """
from audit.models import AuditEvent
from public.models import PublicQuestion
submitted = AuditEvent.objects.filter(action="question.submitted")
print(PublicQuestion.objects.count(), submitted.count())
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _shell(env: dict[str, str], code: str) -> str:
    done = _manage(env, "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_twenty_concurrent_writes_on_the_sqlite_default_never_500_and_keep_the_chain(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        OVERSIGHT_VAR_DIR=str(tmp_path / "var"),
        OVERSIGHT_QUESTIONS_PER_HOUR="1000",
        DJANGO_SETTINGS_MODULE="oversight.settings",
        PYTHONPATH=str(settings.BASE_DIR),
        # The server refuses to start on the development key with DJANGO_DEBUG off.
        SECRET_KEY=os.environ.get("SECRET_KEY") or "concurrent-writes-test-key-" + "x" * 40,
    )
    migrated = _manage(env, "migrate", "--no-input", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    reference = _shell(env, SETUP)
    mode = _shell(
        env,
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0])",
    )
    assert mode == "wal"

    port = _free_port()
    log = (tmp_path / "server.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    path = f"/trials/{reference}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path)
                page = conn.getresponse()
                html = page.read().decode()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"runserver did not start:\n{log.read()}")
                time.sleep(0.2)
        assert page.status == 200, html
        cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert found and cookie.startswith("csrftoken=")
        token = found.group(1)

        statuses: list[int] = []
        start = threading.Barrier(PARALLEL)

        def ask(n: int) -> None:
            body = urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token, "text": f"Question {n}?", "name": "", "email": ""}
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            start.wait()
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                    "Referer": f"http://127.0.0.1:{port}{path}",
                },
            )
            statuses.append(conn.getresponse().status)

        threads = [threading.Thread(target=ask, args=(n,)) for n in range(PARALLEL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.seek(0)
        server_log = log.read()
        log.close()

    assert len(statuses) == PARALLEL, server_log
    assert 500 not in statuses, server_log
    # Saved (302) or told it cannot be done now (409): never half-saved.
    assert set(statuses) <= {302, 409}, (statuses, server_log)
    questions, events = map(int, _shell(env, COUNT).split())
    assert questions == events == statuses.count(302)
    verified = _manage(env, "verify_audit")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout

"""Production start: the settings from the environment pass `check --deploy`, and the server
refuses to start without SECRET_KEY when DJANGO_DEBUG is off. Run as separate processes, as a
server would be started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRODUCTION = {
    "SECRET_KEY": "k3y-for-tests-" + "x" * 40 + "-not-secret-but-long-and-varied-0123456789",
    "ALLOWED_HOSTS": "oversight.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://oversight.example.org",
    "SITE_URL": "https://oversight.example.org",
    "TRUSTED_PROXY_HOPS": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_COOKIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    # The force's own details, not the demo's examples (oversight.W001).
    "OVERSIGHT_FORCE_NAME": "Borsetshire Constabulary",
    "OVERSIGHT_FORCE_ADDRESS": "Police HQ, Borchester BO1 1AA",
    "OVERSIGHT_FORCE_DPO_EMAIL": "dpo@borsetshire.police.example",
    "OVERSIGHT_FORCE_COMPLAINTS_URL": "https://borsetshire.police.example/complain",
    "OVERSIGHT_FORCE_ACCESSIBILITY_EMAIL": "access@borsetshire.police.example",
}
# DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process; a server never has it.
CLEARED = {
    "DJANGO_DEBUG",
    "OVERSIGHT_DEMO",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run(args: list[str], extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update({"OVERSIGHT_VAR_DIR": str(tmp_path / "var"), **extra})
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings(
    tmp_path: Path, audit_test_key_pem: str
):
    # The production role is not the database superuser CI connects as (audit.W001, W002 would
    # rightly warn), so the check runs on the embedded database, with a signing key configured.
    env = {**PRODUCTION, "DATABASE_URL": "", "AUDIT_SIGNING_KEY": audit_test_key_pem}
    out = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues" in out.stdout


def test_check_deploy_still_flags_a_missing_setting(tmp_path: Path):
    # The check above must be able to fail: without HSTS it warns (W004).
    weaker = {**PRODUCTION, "SECURE_HSTS_SECONDS": "0"}
    out = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], weaker, tmp_path)
    assert out.returncode != 0 and "security.W004" in out.stdout + out.stderr


def test_the_web_server_refuses_to_start_without_a_secret_key(tmp_path: Path):
    out = run(["-c", "import oversight.wsgi"], {}, tmp_path)
    assert out.returncode != 0
    assert "SECRET_KEY is not set and DJANGO_DEBUG is off" in out.stderr
    assert "Set SECRET_KEY" in out.stderr


def test_the_worker_refuses_to_start_without_a_secret_key(tmp_path: Path):
    code = (
        "import django, os; django.setup(); "
        "from celery.signals import worker_init; import oversight.celery; "
        "worker_init.send(sender=None)"
    )
    out = run(["-c", code], {"DJANGO_SETTINGS_MODULE": "oversight.settings"}, tmp_path)
    assert out.returncode != 0 and "SECRET_KEY is not set" in out.stderr


def test_with_a_secret_key_or_in_the_demo_the_server_starts(tmp_path: Path):
    assert run(["-c", "import oversight.wsgi"], PRODUCTION, tmp_path).returncode == 0
    demo = run(["-c", "import oversight.wsgi"], {"OVERSIGHT_DEMO": "1"}, tmp_path)
    assert demo.returncode == 0, demo.stderr

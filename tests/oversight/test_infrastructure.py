"""The suite runs on the real services in CI, and a real Celery worker does the work."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection, transaction

from deployments.models import State
from deployments.tasks import complete_ended_deployments
from tests import factories

from ..conftest import in_ci, wait_for


@pytest.mark.skipif(not in_ci(), reason="checks the CI environment (CI=true)")
def test_ci_runs_on_postgresql_and_redis(db):
    # A silent fall-back to SQLite or to eager Celery would make the CI run prove nothing.
    assert connection.vendor == "postgresql"
    assert settings.REDIS_URL
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    cache.set("oversight-ci-probe", "ok", 10)
    assert cache.get("oversight-ci-probe") == "ok"
    assert "redis" in type(caches["default"]).__module__


def test_without_configuration_the_project_uses_sqlite_and_eager_celery(tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    # As on a fresh clone: the folder for the SQLite file does not exist yet.
    env["OVERSIGHT_VAR_DIR"] = str(tmp_path / "fresh" / "var")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='oversight.settings'; "
            "django.setup(); from django.conf import settings as s; "
            "from django.db import connection; connection.ensure_connection(); "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_secrets_can_be_read_from_files(tmp_path):
    import subprocess
    import sys

    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    env = {**os.environ, "SECRET_KEY_FILE": str(secret)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='oversight.settings'; "
            "django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "from-a-file"


@pytest.mark.worker
def test_a_real_worker_runs_a_task_queued_on_commit(celery_worker_process, actors):
    factories.publish_documents(actors.legal_officer)
    deployment = factories.to_approved(factories.make_draft(actors.planner), actors)
    factories.backdate(deployment, timedelta(days=3))
    with transaction.atomic():
        # Queued only once the transaction commits, so the worker sees the committed row.
        transaction.on_commit(complete_ended_deployments.delay)
    wait_for(
        lambda: type(deployment).objects.get(pk=deployment.pk).state == State.COMPLETED,
        what="the worker to complete the deployment",
    )

"""The Celery application. Tasks are thin: they take ids, load, and call one service."""

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")

app = Celery("oversight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_insecure_start(**kwargs: Any) -> None:
    # A worker or the scheduler on the development key would be a production process
    # configured as a development one: stop, as the web server does (core/startup.py).
    from django.core.exceptions import ImproperlyConfigured

    from core.startup import refuse_insecure_start

    try:
        refuse_insecure_start()
    except ImproperlyConfigured as error:
        # Celery logs and swallows exceptions from signal receivers; leaving is what stops it.
        raise SystemExit(f"Refusing to start: {error}") from error

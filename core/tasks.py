"""Celery tasks of the outbox (core/outbox.py). Thin: they call one function."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def outbox_run(message_id: int) -> str:
    """Run one outbox message's task unless it is already done (sent by the relay)."""
    from .outbox import run

    return run(message_id)


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Beat task (every minute): hand over every message still waiting for the broker."""
    from .outbox import sweep

    return sweep()


@worker_ready.connect
def sweep_when_a_worker_starts(**_: Any) -> None:
    """A worker that starts after an outage picks up what waited, without waiting for beat."""
    from .outbox import sweep

    try:
        logger.info("Outbox: %s waiting message(s) dispatched at worker start.", sweep())
    except Exception:
        # The worker must start even if the sweep cannot run; beat sweeps again in a minute.
        logger.exception("Outbox sweep at worker start failed.")

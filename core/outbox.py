"""The transactional outbox: work that follows an action is never lost when the broker is down.

`enqueue("public.tasks.refresh_report_pdfs", deployment_id=7)` writes an `OutboxMessage` in
the caller's transaction, so the message exists exactly when the action was saved (a rolled-back
action leaves none). Once the transaction commits, the relay hands it to Celery with a short
broker timeout; if the broker is down the publish fails fast, the error is recorded on the row,
and the person who acted never sees it. A sweeper (a beat task every minute, and once whenever a
worker starts) dispatches every message not yet handed over, and again any handed over long ago
but never finished (a message lost with the broker).

The worker runs a message through `core.tasks.outbox_run`, which calls the named task in-process
and marks the message done. A message may therefore run more than once (a re-dispatch crossing
a slow worker); every task sent through the outbox must be idempotent (the PDF refresh compares
source hashes, enrolment acts only on an entry still enrolling), so the effect is once.

This is the pattern of the transactional outbox (Richardson, Microservices Patterns, 2018),
kept in the same database as the register so no distributed transaction is needed. Without a
broker (Celery eager, the embedded default) the relay runs the work at once after commit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import OutboxMessage, RateLimitHit

logger = logging.getLogger(__name__)

KEEP_DONE = timedelta(days=30)


def _redispatch_after() -> timedelta:
    # Work handed to the broker but not done after this long is handed over again: the message
    # may have been lost with a broker that restarted without persistence.
    return timedelta(seconds=settings.OVERSIGHT_OUTBOX_REDISPATCH_SECONDS)


def _max_attempts() -> int:
    # After this many hand-overs without success a message is left for a person to look at
    # (the staff dashboard shows it as failed), rather than retried for ever.
    return int(settings.OVERSIGHT_OUTBOX_MAX_ATTEMPTS)


def enqueue(task: str, *, about: str = "", description: str = "", **kwargs: Any) -> OutboxMessage:
    """Record `task(**kwargs)` to run once the current transaction commits.

    A message for the same task, subject and arguments that is still waiting to be handed over
    is reused: two changes to one report before the broker returns need one refresh.
    """
    _task_named(task)  # a misspelt task fails here, in the action's test, not in a worker
    waiting = OutboxMessage.objects.filter(
        task=task, about=about, done_at__isnull=True, dispatched_at__isnull=True
    )
    message = next((m for m in waiting if m.kwargs == kwargs), None)
    if message is None:
        message = OutboxMessage.objects.create(
            task=task, kwargs=kwargs, about=about, description=description
        )
    # After commit: the worker must find the committed row and everything the action wrote.
    transaction.on_commit(partial(relay, message.pk))
    return message


def relay(message_id: int) -> bool:
    """Hand one message to the broker now; False (and the error kept on the row) if it fails."""
    message = OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).first()
    return message is not None and _dispatch(message)


# Broker URL -> monotonic time until which it is taken to be down. After one refused publish,
# this process stops trying for a few seconds (a circuit breaker), so an action that records
# several messages waits for one refused publish at most, not one each.
_BROKER_DOWN_UNTIL: dict[str, float] = {}
BROKER_RETRY_AFTER_SECONDS = 5.0


def _dispatch(message: OutboxMessage) -> bool:
    eager = bool(current_app.conf.task_always_eager)
    broker = str(current_app.conf.broker_url)
    if not eager and time.monotonic() < _BROKER_DOWN_UNTIL.get(broker, 0.0):
        return False  # still waiting; the sweeper hands it over once the broker is back
    try:
        # ignore_result: publishing then never touches the result backend (Redis as well).
        _run_task().apply_async(args=[message.pk], ignore_result=True)
    except Exception as error:
        # Never reaches the person who acted: their change is committed; the sweeper retries.
        logger.warning("Outbox message %s not dispatched: %s", message.pk, error)
        failed = OutboxMessage.objects.filter(pk=message.pk, done_at__isnull=True)
        if eager:
            # No broker: the task itself ran here and failed, which counts as an attempt.
            failed.update(last_error=_describe(error), attempts=F("attempts") + 1)
        else:
            _BROKER_DOWN_UNTIL[broker] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
            failed.update(last_error=_describe(error))
        return False
    _BROKER_DOWN_UNTIL.pop(broker, None)
    OutboxMessage.objects.filter(pk=message.pk).update(
        dispatched_at=timezone.now(), attempts=F("attempts") + 1
    )
    return True


def _run_task() -> Any:
    from .tasks import outbox_run

    return outbox_run


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _task_named(name: str) -> Any:
    tasks = current_app.tasks
    if name not in tasks:
        # The web process imports task modules only on demand; the worker imports them all.
        current_app.loader.import_default_modules()
    return tasks[name]


def run(message_id: int) -> str:
    """Run one message's task here and now (in the worker), unless it is already done."""
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        return "gone"
    if message.is_done:
        return "already done"
    try:
        result = _task_named(message.task)(**message.kwargs)
    except Exception as error:
        OutboxMessage.objects.filter(pk=message.pk).update(last_error=_describe(error))
        raise
    OutboxMessage.objects.filter(pk=message.pk, done_at__isnull=True).update(
        done_at=timezone.now(), last_error=""
    )
    return f"{message.task} -> {result}"


def waiting(*, now: datetime | None = None) -> QuerySet[OutboxMessage]:
    """Messages the sweeper should hand over: never handed over, or handed over long ago."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(done_at__isnull=True, attempts__lt=_max_attempts()).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - _redispatch_after())
    )


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Dispatch waiting messages (oldest first); stop at the first broker failure. Returns how
    many were handed over. Also forgets old finished messages and old rate-limit hits."""
    now = now or timezone.now()
    sent = 0
    for message in waiting(now=now)[:limit]:
        if not _dispatch(message):
            break
        sent += 1
    OutboxMessage.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    RateLimitHit.objects.filter(at__lt=now - timedelta(days=1)).delete()
    return sent


def retry_failed() -> int:
    """Give work that failed every time fresh attempts (`manage.py outbox --retry-failed`)."""
    return OutboxMessage.objects.filter(done_at__isnull=True, attempts__gte=_max_attempts()).update(
        attempts=0, dispatched_at=None
    )


@dataclass(frozen=True)
class WaitingWork:
    """What the staff pages say about queued work."""

    waiting: int
    failed: int
    oldest: list[OutboxMessage]
    last_error: str


def waiting_summary(*, shown: int = 5) -> WaitingWork:
    """Work recorded but not yet done, oldest first, for the staff dashboard."""
    pending = OutboxMessage.objects.filter(done_at__isnull=True)
    latest_error = pending.exclude(last_error="").order_by("-pk").first()
    return WaitingWork(
        waiting=pending.count(),
        failed=pending.filter(attempts__gte=_max_attempts()).count(),
        oldest=list(pending.order_by("created_at", "pk")[:shown]),
        last_error=latest_error.last_error if latest_error else "",
    )


def waiting_for(abouts: list[str]) -> dict[str, OutboxMessage]:
    """The unfinished message about each of these subjects, if any (for the watchlist page)."""
    found: dict[str, OutboxMessage] = {}
    for message in OutboxMessage.objects.filter(about__in=abouts, done_at__isnull=True):
        found.setdefault(message.about, message)
    return found

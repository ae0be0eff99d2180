"""Durable records of what every app relies on: the outbox of queued work and rate-limit hits.

Both live in the database on purpose. The broker (Redis) may be down while the database is up;
what a person did must then still be saved, and the work that follows it must still happen once
the broker is back (core/outbox.py). A rate limit kept only in Redis would either refuse
everyone or let everyone through while Redis is down (core/ratelimit.py).
"""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """Work to do after an action, written in the action's own transaction (a transactional
    outbox): it exists if and only if the action was saved, and it stays until the work is done.
    """

    task = models.CharField(max_length=200, help_text="The Celery task's registered name.")
    kwargs = models.JSONField(default=dict, help_text="The task's keyword arguments.")
    # What the work is about, for finding it ("watchlist_entry:12") and for the waiting list.
    about = models.CharField(max_length=100, blank=True, db_index=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Last handed to the broker (not proof it ran: a message can be lost after it is sent).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["done_at", "dispatched_at"], name="outbox_waiting")]

    def __str__(self) -> str:
        return self.description or f"{self.task}({self.kwargs})"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class RateLimitHit(models.Model):
    """One attempt at a rate-limited action, by a keyed hash of who made it (never the address)."""

    scope = models.CharField(max_length=50)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"], name="ratelimit_lookup")]

    def __str__(self) -> str:
        return f"{self.scope} at {self.at:%Y-%m-%d %H:%M:%S}"

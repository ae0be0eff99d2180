"""Signals the register sends so that apps built on it can take part without being imported.

`deployment_approving` is sent inside the sign-off transaction, after the checks and before the
state changes: a receiver may raise a `DomainError` to refuse the sign-off (the engine pins the
watchlist fingerprint here). `deployment_changed` is sent after any change to a deployment's
public record, inside the transaction; receivers queue their work with `on_commit`.
"""

from django.dispatch import Signal

deployment_approving = Signal()  # kwargs: deployment, by
deployment_changed = Signal()  # kwargs: deployment, action

"""Receivers of the register's signals, connected in `MatchingConfig.ready`.

They import the services (and so the engine and dlib) only when a signal arrives, so that
starting Django, or a prefork worker's parent process, does not load the engine.
"""

from __future__ import annotations

from typing import Any


def pin_watchlist(sender: Any, **kwargs: Any) -> None:
    from .services import watchlist_pin_at_sign_off

    watchlist_pin_at_sign_off(sender, **kwargs)


def fill_outcome(sender: Any, **kwargs: Any) -> None:
    from .services import on_deployment_changed

    on_deployment_changed(sender, **kwargs)

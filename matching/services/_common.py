"""What the engine's services share: their errors, who may act, and small helpers."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

from core.errors import NotPermitted, TransitionNotAllowed
from core.types import User
from deployments.models import Deployment
from matching.models import Watchlist

# dlib's detector and shape predictor are process-wide objects; the threaded web server could
# call them from two requests at once. One frame at a time per process is also what one core
# can do (DESIGN.md: one process per core is how the engine scales).
_ENGINE_LOCK = threading.Lock()


class RunNotRunning(TransitionNotAllowed):
    """The run has been stopped; a new one must be started."""

    code = "run_stopped"


class TokenInvalid(NotPermitted):
    """No token, or not this run's token (the API answers 401)."""

    code = "token_invalid"


class TokenExpired(NotPermitted):
    """This run's token, but no longer valid (the API answers 403)."""

    code = "token_expired"


# --- permissions --------------------------------------------------------------------------------
def check_manage_watchlist(deployment: Deployment, user: User) -> None:
    if not deployment.is_planner(user):
        raise NotPermitted("Only the planner who filed this deployment can change its watchlist.")


def check_manage_cameras(deployment: Deployment, user: User) -> None:
    if not deployment.is_planner(user):
        raise NotPermitted("Only the planner who filed this deployment can change its cameras.")


def check_operate(deployment: Deployment, user: User) -> None:
    if not deployment.is_operator(user):
        raise NotPermitted(
            f"You are not an operator of {deployment}. An authorising officer or the panel "
            "chair can assign you."
        )


def _watchlist_cap(deployment: Deployment) -> int:
    ceiling = settings.OVERSIGHT_MAX_WATCHLIST_SIZE
    return min(deployment.watchlist_size_cap or ceiling, ceiling)


def _locked_watchlist(deployment: Deployment) -> Watchlist:
    # get_or_create then lock: two first entries racing may both try to create it; the unique
    # one-to-one lets one win and the other read it.
    Watchlist.objects.get_or_create(deployment=deployment)
    return Watchlist.objects.select_for_update().get(deployment=deployment)


def _delete_file(storage_file: Any) -> None:
    name = storage_file.name
    if name:
        storage_file.storage.delete(name)

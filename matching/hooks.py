"""The engine's part in the register's decisions and pages (see `deployments.hooks`).

The services (and so dlib) are imported only when a hook runs, so that starting Django, or a
prefork worker's parent process, does not load the engine.
"""

from __future__ import annotations

from typing import Any

from core.types import User
from deployments import hooks
from deployments.hooks import Panel
from deployments.models import Deployment


@hooks.sign_off_pins.register
def pin_watchlist(deployment: Deployment, by: User) -> dict[str, Any]:
    from .services import watchlist_pin_at_sign_off

    return watchlist_pin_at_sign_off(deployment=deployment, by=by)


@hooks.sign_off_pins.register
def pin_cameras(deployment: Deployment, by: User) -> dict[str, Any]:
    from .services.cameras import cameras_pin_at_sign_off

    return cameras_pin_at_sign_off(deployment=deployment)


@hooks.after_change.register
def fill_outcome(deployment: Deployment, action: str) -> None:
    """A deployment that has just completed takes the engine's counts as its outcome."""
    if action == "completed":
        from .services import outcome_fill_from_runs

        outcome_fill_from_runs(deployment=deployment)


@hooks.urgent_discards.register
def discard_urgent_use(deployment: Deployment) -> dict[str, int]:
    """The panel refused the urgent use, or did not decide in time: delete what it produced."""
    from .services import urgent_use_discard

    return urgent_use_discard(deployment=deployment)


@hooks.panels["deployment_detail"].register
def engine_panel(deployment: Deployment | None, user: User) -> Panel | None:
    from .selectors import engine_panel as engine_panel_context

    if deployment is None:
        return None
    return Panel("matching/includes/engine_panel.html", engine_panel_context(deployment, user))


@hooks.panels["dashboard"].register
def operator_summary(deployment: Deployment | None, user: User) -> Panel | None:
    """The alerts waiting for this operator, on the dashboard."""
    from core.roles import Role, has_role

    from .selectors import pending_alert_count

    if not has_role(user, Role.OPERATOR):
        return None
    return Panel("matching/includes/operator_summary.html", {"pending": pending_alert_count(user)})

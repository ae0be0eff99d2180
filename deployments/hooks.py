"""The register's extension points: how the apps built on it take part without being imported.

The register sits below fairness, the engine and the public record, so it never imports them.
Where it needs them, it calls the functions they registered here, in their `AppConfig.ready`,
and uses what those functions return:

- `submission_checks(deployment, at)` returns problems that stop a submission (fairness: the
  exposure flag);
- `approval_requirements(deployment)` returns the review fields an approval must fill, with
  why (fairness: the threshold justification);
- `sign_off_pins(deployment, by)` returns deployment fields to pin at the chair's sign-off, or
  raises a `DomainError` to refuse it (the engine: the watchlist fingerprint);
- `after_change(deployment, action)` hears of every change to the public record, inside the
  transaction (the public record queues its PDFs on commit; the engine fills the outcome
  through `outcome_fill_from_engine`);
- `urgent_discards(deployment)` deletes everything an urgent use produced once the panel refused
  it or decided nothing in time, inside the register's transaction, and returns what it deleted
  as counts, which the register keeps and the notice publishes (the engine: alerts, their
  crops and the watchlist's encodings; EU AI Act, Article 5(3));
- `panels[page](deployment, user)` returns a `Panel` (a template and its context) that the
  register's staff pages show (fairness: exposure and the threshold guard; the engine: the
  watchlist and console panel).

This is the project's one extension mechanism. It is chosen over Django signals because a hook
returns values that the register itself writes (a signal receiver would edit the sender's object
and rely on it to save), and because an app that forgets to register shows in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.hooks import Hook
from core.panels import Panel
from core.types import User

from .models import Deployment

__all__ = [
    "Hook",
    "Panel",
    "Problem",
    "after_change",
    "approval_requirements",
    "panels",
    "panels_for",
    "sign_off_pins",
    "submission_checks",
    "urgent_discards",
]

Problem = tuple[str, str]  # (field, message); field is "" for a problem about no one field


SubmissionCheck = Callable[[Deployment, datetime], list[Problem]]
ApprovalRequirement = Callable[[Deployment], dict[str, str]]
SignOffPin = Callable[[Deployment, User], dict[str, Any]]
ChangeListener = Callable[[Deployment, str], None]
PanelProvider = Callable[[Deployment | None, User], Panel | None]

submission_checks: Hook[SubmissionCheck] = Hook("submission_checks")
approval_requirements: Hook[ApprovalRequirement] = Hook("approval_requirements")
sign_off_pins: Hook[SignOffPin] = Hook("sign_off_pins")
after_change: Hook[ChangeListener] = Hook("after_change")
UrgentDiscard = Callable[[Deployment], dict[str, int]]
urgent_discards: Hook[UrgentDiscard] = Hook("urgent_discards")

# The staff pages that draw panels: the request form, the deployment page, the review form
# and the dashboard (where `deployment` is None).
PAGES = ("deployment_form", "deployment_detail", "review_form", "dashboard")
panels: dict[str, Hook[PanelProvider]] = {page: Hook(f"panels.{page}") for page in PAGES}


def panels_for(page: str, *, deployment: Deployment | None, user: User) -> list[Panel]:
    """The panels the higher apps draw on `page` for this deployment and person."""
    found = (provider(deployment, user) for provider in panels[page])
    return [panel for panel in found if panel is not None]


def approval_requirements_for(deployment: Deployment) -> dict[str, str]:
    """Review fields an approval of this deployment must fill, each with the reason."""
    needed: dict[str, str] = {}
    for requirement in approval_requirements:
        needed.update(requirement(deployment))
    return needed

"""The lifecycle table (deployments/lifecycle.py) says exactly what the services enforce.

/how-it-works/ draws and describes the lifecycle from that table, so every action's check is
run here in every state: the states it accepts must be the table's sources for that action.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.errors import NotPermitted, TransitionNotAllowed
from core.roles import Role
from deployments import services as ds
from deployments.actions import ACTIONS
from deployments.lifecycle import TRANSITIONS, sources_of
from deployments.models import Deployment, State

from .. import factories

pytestmark = pytest.mark.django_db

# The planner's own moves; every other move is made by someone who did not file the request.
PLANNER_ACTIONS = {"submit", "withdraw"}


def _in_state(deployment: Deployment, state: State) -> Deployment:
    Deployment.objects.filter(pk=deployment.pk).update(state=state)
    deployment.refresh_from_db()
    return deployment


@pytest.mark.parametrize(
    "action", sorted({t.action for t in TRANSITIONS} - {"complete"}), ids=lambda a: a
)
def test_each_action_is_accepted_in_exactly_the_states_the_table_lists(
    action: str, actors: Any, documents: Any, settings: Any
) -> None:
    # Quorum aside, so that sign-off is refused only for the state it is in.
    settings.OVERSIGHT_PANEL_QUORUM = 0
    deployment = factories.make_draft(actors.planner)
    decider = factories.make_user("holds_every_role", *[r for r in Role if r != Role.PLANNER])
    person = actors.planner if action in PLANNER_ACTIONS else decider
    accepted = set()
    for state in State:
        try:
            ACTIONS[action].check(_in_state(deployment, state), person)
        except TransitionNotAllowed:
            continue
        except NotPermitted as refusal:  # pragma: no cover - the test's own set-up is wrong
            pytest.fail(f"{action} in {state}: {refusal}")
        accepted.add(state)
    assert accepted == sources_of(action)


def test_completion_happens_in_exactly_the_states_the_table_lists(
    actors: Any, documents: Any
) -> None:
    deployment = factories.make_draft(actors.planner)
    past = timezone.now() - timedelta(days=3)
    completed = set()
    for state in State:
        Deployment.objects.filter(pk=deployment.pk).update(
            state=state, starts_at=past, ends_at=past + timedelta(hours=2)
        )
        if ds.deployment_complete(deployment=deployment):
            completed.add(state)
    assert completed == sources_of("complete")


def test_every_target_is_a_state_and_every_state_is_reached_or_is_the_start() -> None:
    reached = {t.target for t in TRANSITIONS if t.target is not None}
    assert set(State) - reached == {State.DRAFT}

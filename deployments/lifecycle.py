"""The deployment lifecycle as data: every move between states, who makes it, and in what words.

The services (`deployments.services`) enforce the moves; this table describes them, for the
public explanation at /how-it-works/ and its diagram. `tests/deployments/test_lifecycle.py`
runs every action's check in every state and fails if the table and the services disagree, so
the public description cannot drift from what the register enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import State
from .services import SUSPENDABLE, WITHDRAWABLE

# The main line, in order: the states a trial passes through when all goes well.
MAIN_LINE: tuple[State, ...] = (
    State.DRAFT,
    State.SUBMITTED,
    State.AUTHORISED,
    State.APPROVED,
    State.COMPLETED,
    State.REPORT_PUBLISHED,
)
# Where a request can end without a trial.
CLOSED: tuple[State, ...] = (State.REJECTED, State.WITHDRAWN)


@dataclass(frozen=True)
class Transition:
    # The action's name in `deployments.actions.ACTIONS`, or "complete" (done by the register).
    action: str
    sources: tuple[State, ...]
    # None: back to the state the deployment was in before it was suspended.
    target: State | None
    who: str
    words: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        (State.DRAFT,),
        State.SUBMITTED,
        "the planner",
        "submits the request for authorisation, once every required part is filled in and "
        "the policy's limits are met",
    ),
    Transition(
        "submit",
        (State.RETURNED,),
        State.SUBMITTED,
        "the planner",
        "submits the changed request again",
    ),
    Transition(
        "authorise",
        (State.SUBMITTED,),
        State.AUTHORISED,
        "an authorising officer",
        "authorises the request as necessary and proportionate, and passes it to the ethics panel",
    ),
    Transition(
        "return",
        (State.SUBMITTED,),
        State.RETURNED,
        "an authorising officer",
        "returns the request to the planner for changes",
    ),
    Transition(
        "return",
        (State.AUTHORISED,),
        State.RETURNED,
        "an authorising officer or the chair of the ethics panel",
        "returns the request to the planner for changes",
    ),
    Transition(
        "reject",
        (State.SUBMITTED,),
        State.REJECTED,
        "an authorising officer",
        "rejects the request",
    ),
    Transition(
        "reject",
        (State.AUTHORISED,),
        State.REJECTED,
        "the chair of the ethics panel",
        "rejects the request",
    ),
    Transition(
        "withdraw",
        WITHDRAWABLE,
        State.WITHDRAWN,
        "the planner",
        "withdraws the request before it is approved",
    ),
    Transition(
        "sign_off",
        (State.AUTHORISED,),
        State.APPROVED,
        "the chair of the ethics panel",
        "signs off for the panel once enough members have approved, which publishes the notice",
    ),
    Transition(
        "suspend",
        SUSPENDABLE,
        State.SUSPENDED,
        "the panel's chair or an authorising officer",
        "suspends it at any time, which stops the cameras at once",
    ),
    Transition(
        "lift_suspension",
        (State.SUSPENDED,),
        None,
        "the chair of the ethics panel",
        "lifts the suspension, which returns it to where it was",
    ),
    Transition(
        "complete",
        (State.APPROVED, State.SUSPENDED),
        State.COMPLETED,
        "the register itself",
        "closes it when its time window has ended",
    ),
    Transition(
        "publish_report",
        (State.COMPLETED,),
        State.REPORT_PUBLISHED,
        "a moderator or the panel's chair",
        "publishes the results once the outcome is recorded",
    ),
)


def sources_of(action: str) -> set[State]:
    """Every state the action can start from, according to the table."""
    return {s for t in TRANSITIONS if t.action == action for s in t.sources}

"""Domain errors shared by the apps' services. Views turn them into messages or status codes."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the register refused an action. `message` says what to do about it."""

    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field


class NotPermitted(DomainError):
    """The person may not do this (shown as 403)."""

    code = "not_permitted"


class TransitionNotAllowed(DomainError):
    """The object is not in a state where this can happen, or a precondition fails."""

    code = "transition_not_allowed"


class PreconditionsFailed(TransitionNotAllowed):
    """Several named preconditions failed; `problems` maps a field (or "") to messages."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        flat = [m for messages in problems.values() for m in messages]
        super().__init__(" ".join(flat), code="preconditions_failed")

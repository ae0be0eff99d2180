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


class MalformedFile(ValueError):
    """A file given to an import cannot be used, and nothing was imported from it.

    ``line`` is the physical line at fault (1 is a CSV's header), or 0 when the problem is the
    whole file; ``reason`` says what is wrong and what to do. Plain Python, so that the engine's
    Django-free maths can raise it too.
    """

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"Line {line}: {reason}" if line else reason)

"""The project's one extension mechanism: a named list of functions that a higher app
registers (in its `AppConfig.ready`) and a lower one calls, so the lower never imports the
higher. `deployments.hooks` holds the register's hooks; `core.public_changes` the one that
tells the public record what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """A named list of functions; registering the same function twice keeps one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: list[F] = []

    def register(self, function: F) -> F:
        """Add `function` (usable as a decorator)."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._functions))

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._functions)} registered>"

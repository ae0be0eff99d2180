"""How the apps below the public record tell it that what the public sees has changed.

The public record caches its pages and stores its exports (`public.cache`). A change that
alters them calls `announce(scope, ...)` inside its own transaction; the public record's
listener replaces the scopes' version tokens in the same transaction, so the very next request
after the commit computes afresh, and a rolled-back change invalidates nothing.

Scopes (strings, so that the apps below need not know the public record):
- `REGISTER`: any published trial's status, dates, site or results (home, lists, open data,
  feed, annual report, fairness);
- `notice_scope(reference)`: one trial's notice;
- `QUESTIONS`: questions published, answered or removed (the notice and the annual report);
- `LEGAL`: a legal document version published or withdrawn (legal pages, notices);
- `CENSUS`: census figures imported (fairness, annual report, how it works);
- `PEOPLE`: what the record says of the people who decide (the ethics panel's page).
"""

from __future__ import annotations

from collections.abc import Callable

from .hooks import Hook

REGISTER = "register"
QUESTIONS = "questions"
LEGAL = "legal"
CENSUS = "census"
PEOPLE = "people"

ChangeListener = Callable[[tuple[str, ...]], None]
changed: Hook[ChangeListener] = Hook("public_changes.changed")


def notice_scope(reference: str) -> str:
    return f"notice:{reference}"


def announce(*scopes: str) -> None:
    """Tell the listeners (the public record) that these scopes changed, in this transaction."""
    for listener in changed:
        listener(tuple(scopes))

"""The people who use the register, as Django groups.

One group per role; a person may hold several (a chair is usually also a panel member).
Object-level rights (this planner's draft, this panel member's assignment, this operator's
deployment) are django-guardian permissions granted by the services that create them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .types import User

    # Anyone a page may be showing: a member of staff, or a visitor who has not signed in.
    Person = User | AnonymousUser


class Role(models.TextChoices):
    PLANNER = "planner", "Planner"
    AUTHORISING_OFFICER = "authorising_officer", "Authorising officer"
    PANEL_MEMBER = "panel_member", "Ethics panel member"
    PANEL_CHAIR = "panel_chair", "Ethics panel chair"
    OPERATOR = "operator", "Operator"
    LEGAL_OFFICER = "legal_officer", "Legal officer"
    MODERATOR = "moderator", "Moderator"


ROLE_DUTIES: dict[Role, str] = {
    Role.PLANNER: "Files deployment requests, keeps them up to date and records outcomes.",
    Role.AUTHORISING_OFFICER: (
        "Authorises a request as necessary and proportionate, or returns or rejects it; "
        "may suspend any deployment."
    ),
    Role.PANEL_MEMBER: "Reviews the deployments assigned to them and records a decision.",
    Role.PANEL_CHAIR: (
        "Assigns reviewers, gives the final sign-off once the panel has a quorum, "
        "may suspend any deployment and publishes results reports."
    ),
    Role.OPERATOR: "Runs the engine during an approved deployment and adjudicates every alert.",
    Role.LEGAL_OFFICER: "Drafts, publishes and withdraws the force's legal documents.",
    Role.MODERATOR: "Moderates and answers public questions and publishes results reports.",
}


def roles_of(user: Person | None) -> frozenset[Role]:
    """The roles a user holds, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_oversight_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(r for r in Role if r.value in names)
        user._oversight_roles = cached  # type: ignore[attr-defined]
    return cached


def has_role(user: Person | None, role: Role) -> bool:
    return role in roles_of(user)


def ensure_role_groups() -> None:
    """Create one group per role. Safe to run more than once."""
    from django.contrib.auth.models import Group

    for role in Role:
        Group.objects.get_or_create(name=role.value)

"""The force's policy rules: who needs to know a deployment's restricted fields, and what a
deployment request must meet before it can be submitted.

Need to know: the intelligence case, the watchlist, reviewers' private notes, the names of
those who operate it and the timeline of who did what are for the people who work on that
deployment, and nobody else (README, "Need to know"). `need_to_know` is the rule as a query
filter and `may_see_restricted` the same rule for one deployment; every page, selector and
template asks one of them. Anyone else on staff sees what the public sees, or a 404.

Submission: each check returns problems as (field, message) pairs; field is "" for problems
that are not about one field. The request form shows them as its checklist and
`deployment_submit` refuses while any remain. Apps built on the register add checks through
`hooks.submission_checks`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db.models import Q, QuerySet

from core.roles import Role, has_role, roles_of
from legal.selectors import missing_required_documents

from . import hooks
from .hooks import Problem, SubmissionCheck
from .models import Authorisation, Deployment, DeploymentUserObjectPermission, State

if TYPE_CHECKING:
    from core.roles import Person


# --- need to know ------------------------------------------------------------------------------
def holding(user: Person, codename: str) -> QuerySet[Any]:
    """The ids of the deployments on which `user` holds this object permission."""
    return DeploymentUserObjectPermission.objects.filter(
        user_id=cast(int, user.pk), permission__codename=codename
    ).values("content_object_id")


def need_to_know(user: Person) -> Q:
    """The deployments whose restricted fields this person may see, as a filter.

    - its planner (who holds the object right to change it);
    - an authorising officer while it waits for authorisation, and afterwards the officer who
      authorised it;
    - its assigned panel reviewers (the right is removed when they declare a conflict), and
      the panel chair once it has been submitted;
    - its assigned operators.

    A draft never submitted, withdrawn or not, is its planner's alone. The roles are checked as
    well as the object rights: a right kept after a role is taken away grants nothing.
    """
    roles = roles_of(user)
    rule = Q(pk__in=[])
    if Role.PLANNER in roles:
        rule |= Q(pk__in=holding(user, "change_deployment"))
    if Role.AUTHORISING_OFFICER in roles:
        authorised = Authorisation.objects.filter(officer_id=user.pk).values("deployment_id")
        rule |= Q(state=State.SUBMITTED) | Q(pk__in=authorised)
    if Role.PANEL_CHAIR in roles:
        rule |= Q(submitted_at__isnull=False)
    if Role.PANEL_MEMBER in roles:
        rule |= Q(pk__in=holding(user, "review_deployment"))
    if Role.OPERATOR in roles:
        rule |= Q(pk__in=holding(user, "operate_deployment"))
    return rule


def may_see_restricted(user: Person, deployment: Deployment) -> bool:
    """May this person see the deployment's restricted fields? The same rule as `need_to_know`,
    asked of one deployment (one query)."""
    if not roles_of(user):
        return False
    return Deployment.objects.filter(need_to_know(user), pk=deployment.pk).exists()


def may_see_private_notes(user: Person, deployment: Deployment) -> bool:
    """Reviewers' private notes are the panel's: its assigned reviewers and the chair, among
    those who need to know."""
    panel = deployment.is_reviewer(user) or has_role(user, Role.PANEL_CHAIR)  # type: ignore[arg-type]
    return panel and may_see_restricted(user, deployment)


def may_see_questioner_email(user: Person) -> bool:
    """A questioner's e-mail address is for the moderators, who may need to reply; nobody else
    sees it, on any page (it is never published, logged or audited)."""
    return has_role(user, Role.MODERATOR)


# --- submission --------------------------------------------------------------------------------

# Fields a request needs, with the words the checklist uses for them.
REQUIRED_FIELDS: dict[str, str] = {
    "site": "Choose the site.",
    "starts_at": "Give the start of the deployment window.",
    "ends_at": "Give the end of the deployment window.",
    "use_case": "Choose the use case (the clause of the LFR policy relied on).",
    "purpose": "State the policing purpose.",
    "necessity": "Explain why the deployment is necessary.",
    "proportionality": "Explain why it is proportionate.",
    "alternatives_considered": "Say what less intrusive alternatives were considered.",
    "intelligence_case": "Give the intelligence case (restricted, never published).",
    "watchlist_categories": "Choose at least one watchlist category.",
    "watchlist_criteria": "Describe who will be put on the watchlist.",
    "watchlist_size_cap": "Set the watchlist size cap.",
    "match_threshold": "Set the match threshold.",
    "site_selection_rationale": "Explain why this site was chosen.",
    "community_engagement_plan": "Describe the community engagement plan.",
    "expected_faces": "Estimate the number of faces the cameras will see.",
}


def max_duration() -> timedelta:
    return timedelta(hours=settings.OVERSIGHT_MAX_DEPLOYMENT_HOURS)


def _missing_fields(deployment: Deployment, at: datetime) -> list[Problem]:
    problems = []
    for field, message in REQUIRED_FIELDS.items():
        value = getattr(deployment, field)
        if value is None or (isinstance(value, str | list) and not value):
            problems.append((field, message))
    return problems


def _window(deployment: Deployment, at: datetime) -> list[Problem]:
    start, end = deployment.starts_at, deployment.ends_at
    if start is None or end is None:
        return []
    problems = []
    if end <= start:
        problems.append(("ends_at", "The end must be after the start."))
    elif end - start > max_duration():
        problems.append(
            (
                "ends_at",
                f"The deployment lasts {end - start}; the policy allows at most "
                f"{settings.OVERSIGHT_MAX_DEPLOYMENT_HOURS} hours. Shorten the window.",
            )
        )
    if start <= at:
        problems.append(
            ("starts_at", "The start must be in the future when the request is submitted.")
        )
    return problems


def _legal_documents(deployment: Deployment, at: datetime) -> list[Problem]:
    return [
        ("", f"The force has no published {label.lower()}: a legal officer must publish one first.")
        for label in missing_required_documents()
    ]


def _limits(deployment: Deployment, at: datetime) -> list[Problem]:
    problems = []
    threshold = deployment.match_threshold
    limit = Decimal(str(settings.OVERSIGHT_MAX_MATCH_THRESHOLD))
    if threshold is not None and Decimal(threshold) > limit:
        problems.append(
            (
                "match_threshold",
                f"The threshold {threshold} is looser than the policy limit of {limit}. "
                "Use a value no greater than the limit.",
            )
        )
    cap = deployment.watchlist_size_cap
    if cap is not None and cap > settings.OVERSIGHT_MAX_WATCHLIST_SIZE:
        problems.append(
            (
                "watchlist_size_cap",
                f"The watchlist size cap {cap:,} is above the policy maximum of "
                f"{settings.OVERSIGHT_MAX_WATCHLIST_SIZE:,}.",
            )
        )
    if cap is not None and cap < 1:
        problems.append(("watchlist_size_cap", "The watchlist size cap must be at least 1."))
    return problems


def _use_case(deployment: Deployment, at: datetime) -> list[Problem]:
    use_case = deployment.use_case
    if use_case is None:
        return []
    problems = []
    if not use_case.is_active:
        problems.append(("use_case", f"Use case {use_case.clause} is no longer in force."))
    disallowed = set(deployment.watchlist_categories) - set(use_case.allowed_categories)
    if disallowed:
        problems.append(
            (
                "watchlist_categories",
                f"Use case {use_case.clause} does not allow these watchlist categories: "
                f"{', '.join(sorted(disallowed))}.",
            )
        )
    return problems


_CHECKS: tuple[SubmissionCheck, ...] = (
    _missing_fields,
    _window,
    _legal_documents,
    _limits,
    _use_case,
)


def submission_problems(deployment: Deployment, *, at: datetime) -> list[Problem]:
    """The register's own checks, then those the apps built on it registered."""
    problems: list[Problem] = []
    for check in (*_CHECKS, *hooks.submission_checks):
        problems.extend(check(deployment, at))
    return problems

"""The force's policy rules a deployment request must meet before it can be submitted.

Each check returns problems as (field, message) pairs; field is "" for problems that are not
about one field. The request form shows them as its checklist and `deployment_submit` refuses
while any remain. Apps built on the register add checks through `hooks.submission_checks`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings

from legal.selectors import missing_required_documents

from . import hooks
from .hooks import Problem, SubmissionCheck
from .models import Deployment

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

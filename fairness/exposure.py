"""Exposure analysis: who the force's deployments scan, against who lives in London.

The London Policing Ethics Panel (2018) asked that trial sites be chosen to minimise
perceptions of bias against particular communities. This module puts that in numbers:

- a deployment scans its expected faces, shared between the census groups in the proportions
  of its site's area (Census 2021 TS021: the residents are the best published estimate of who
  passes, and the figures a member of the public can check);
- the portfolio is every approved, suspended, completed or reported deployment approved in the
  last 12 months (``OVERSIGHT_EXPOSURE_WINDOW_DAYS``), plus the proposal;
- a group's disparity ratio is its share of all faces scanned over its share of the reference
  population (London, ``OVERSIGHT_REFERENCE_AREA_CODE``): 1 is proportionate, 1.5 means the
  group is scanned half as much again as its share of Londoners;
- a proposal is flagged when any group's ratio after it exceeds ``OVERSIGHT_DISPARITY_LIMIT``
  or when it makes the worst ratio worse; a flagged request cannot be submitted without a
  site-selection justification that names the groups the flag is about;
- better sites are the register's other sites for the same use case, ranked by how much
  moving the proposal there (the same number of faces) would reduce the worst ratio.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from deployments.hooks import Problem
from deployments.models import Area, Deployment, Site, State

from .maths import (
    EPSILON,
    Exposure,
    Group,
    Population,
    add,
    exposure_of,
    faces_at,
    flags_for,
    ratio_text,
)
from .models import AreaGroupCount, EthnicGroup

PORTFOLIO_STATES = (State.APPROVED, State.SUSPENDED, State.COMPLETED, State.REPORT_PUBLISHED)
# The word for each group a justification must use to address it (the official names are long).
SHORT_NAMES: dict[str, str] = {
    EthnicGroup.ASIAN: "Asian",
    EthnicGroup.BLACK: "Black",
    EthnicGroup.MIXED: "Mixed",
    EthnicGroup.WHITE: "White",
    EthnicGroup.OTHER: "Other ethnic group",
}
BETTER_SITES_SHOWN = 5
GROUPS: tuple[Group, ...] = tuple(Group(g.value, g.label, SHORT_NAMES[g]) for g in EthnicGroup)


def _exposure(
    faces_by_group: dict[str, float], deployments: int, reference: Population
) -> Exposure:
    return exposure_of(faces_by_group, deployments, reference, GROUPS)


def _faces_at(faces: float, population: Population) -> dict[str, float]:
    return faces_at(faces, population, GROUPS)


def disparity_limit() -> float:
    return float(settings.OVERSIGHT_DISPARITY_LIMIT)


# --- Census figures ------------------------------------------------------------------------
def _populations(area_ids: Iterable[int]) -> dict[int, Population]:
    """The census counts of these areas, in one query; areas without figures are left out."""
    ids = set(area_ids)
    found: dict[int, dict[str, int]] = {}
    names: dict[int, tuple[str, str]] = {}
    rows = AreaGroupCount.objects.filter(area_id__in=ids).values_list(
        "area_id", "area__code", "area__name", "group", "count"
    )
    for area_id, code, name, group, count in rows:
        found.setdefault(area_id, {})[group] = count
        names[area_id] = (code, name)
    return {
        area_id: Population(code=names[area_id][0], name=names[area_id][1], counts=counts)
        for area_id, counts in found.items()
        if sum(counts.values()) > 0
    }


def reference_population() -> Population | None:
    """London's residents by group (or the configured reference area), if loaded."""
    area = Area.objects.filter(code=settings.OVERSIGHT_REFERENCE_AREA_CODE).first()
    if area is None:
        return None
    return _populations([area.pk]).get(area.pk)


def expected_faces(deployment: Deployment) -> tuple[int | None, bool]:
    """The faces a deployment is expected to scan, and whether that is our estimate.

    The planner's figure when given; otherwise the site's footfall times the hours deployed.
    """
    if deployment.expected_faces is not None:
        return deployment.expected_faces, False
    duration = deployment.duration
    if deployment.site is not None and duration is not None:
        hours = duration.total_seconds() / 3600
        return round(deployment.site.footfall_per_hour * hours), True
    return None, False


def _window(at: datetime, year: int | None) -> tuple[datetime, datetime]:
    if year is None:
        return at - timedelta(days=settings.OVERSIGHT_EXPOSURE_WINDOW_DAYS), at
    zone = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def portfolio_deployments(
    *, at: datetime, year: int | None = None, exclude: int | None = None
) -> list[Deployment]:
    """Approved, suspended, completed and reported deployments approved in the window."""
    start, end = _window(at, year)
    query = Deployment.objects.filter(
        state__in=PORTFOLIO_STATES, approved_at__gt=start, approved_at__lte=end
    ).select_related("site__area")
    if exclude is not None:
        query = query.exclude(pk=exclude)
    return list(query.order_by("approved_at", "pk"))


@dataclass(frozen=True)
class Contribution:
    deployment: Deployment
    faces: int
    is_estimate: bool
    faces_by_group: dict[str, float]


@dataclass(frozen=True)
class Portfolio:
    exposure: Exposure
    contributions: list[Contribution]
    # Deployments left out because their area has no census figures or they have no faces.
    uncounted: list[Deployment]


def _contributions(
    deployments: list[Deployment], populations: dict[int, Population]
) -> tuple[list[Contribution], list[Deployment]]:
    counted, uncounted = [], []
    for deployment in deployments:
        faces, estimated = expected_faces(deployment)
        area_id = deployment.site.area_id if deployment.site else None
        population = populations.get(area_id) if area_id is not None else None
        if faces is None or population is None:
            uncounted.append(deployment)
            continue
        counted.append(
            Contribution(deployment, faces, estimated, _faces_at(float(faces), population))
        )
    return counted, uncounted


def portfolio(
    *, at: datetime, reference: Population, year: int | None = None, exclude: int | None = None
) -> Portfolio:
    deployments = portfolio_deployments(at=at, year=year, exclude=exclude)
    populations = _populations(d.site.area_id for d in deployments if d.site)
    counted, uncounted = _contributions(deployments, populations)
    totals: dict[str, float] = {}
    for contribution in counted:
        totals = add(totals, contribution.faces_by_group)
    return Portfolio(_exposure(totals, len(counted), reference), counted, uncounted)


def portfolio_exposure(*, at: datetime | None = None, year: int | None = None) -> dict[str, Any]:
    """The portfolio's exposure as plain data, for the annual report and the public page.

    With ``year``, the deployments approved in that calendar year; otherwise those approved
    in the 12 months to ``at``. ``available`` is False when the census figures are not loaded.
    """
    at = at or timezone.now()
    reference = reference_population()
    if reference is None:
        return {"available": False, "reason": _NO_REFERENCE, "summary": _NO_REFERENCE, "rows": []}
    result = portfolio(at=at, reference=reference, year=year)
    exposure = result.exposure
    limit = disparity_limit()
    over = exposure.over_limit(limit)
    period = f"approved in {year}" if year is not None else "approved in the last 12 months"
    if not exposure.deployments:
        summary = f"No trial {period} could be counted."
    else:
        summary = (
            f"{exposure.deployments} trial{'s' if exposure.deployments != 1 else ''} {period}, "
            f"expected to scan about {round(exposure.total_faces):,} faces. "
            + (
                f"{' and '.join(g.short_label for g in over)} residents were scanned more than "
                f"{limit:.2f} times their share of {reference.name}'s population."
                if over
                else f"No group was scanned more than {limit:.2f} times its share of "
                f"{reference.name}'s population."
            )
        )
    return {
        "available": True,
        "year": year,
        "at": at,
        "limit": limit,
        **exposure.as_data(),
        "groups_over_limit": [g.group for g in over],
        "uncounted": [d.reference for d in result.uncounted],
        "summary": summary,
        # Formatted for a table: share of faces scanned, share of residents, ratio.
        "rows": [
            {
                "group": g.group,
                "label": g.label,
                "share_scanned": "0%" if g.share is None else f"{g.share * 100:.1f}%",
                "share_reference": f"{g.population_share * 100:.1f}%",
                "ratio": ratio_text(g.ratio),
                "is_over": g.is_over(limit),
            }
            for g in exposure.groups
        ],
        "source": "Source: Office for National Statistics licensed under the Open Government "
        "Licence v.3.0 (Census 2021 TS021)",
    }


# --- The analysis of one proposal ----------------------------------------------------------
_NO_REFERENCE = (
    "The census figures for the reference population are not loaded, so exposure cannot be "
    "measured. Run `python manage.py import_area_demographics`."
)


@dataclass(frozen=True)
class BetterSite:
    site: Site
    expected_faces: int
    worst_ratio: float
    worst_group: str
    reduction: float
    clears_flag: bool


@dataclass(frozen=True)
class ExposureAnalysis:
    """A proposal's effect on the portfolio, the flag, and fairer sites."""

    deployment: Deployment
    limit: float
    before: Exposure | None = None
    after: Exposure | None = None
    proposal: Contribution | None = None
    flags: list[str] = field(default_factory=list)
    flagged_groups: list[str] = field(default_factory=list)
    better_sites: list[BetterSite] = field(default_factory=list)
    uncounted: list[Deployment] = field(default_factory=list)
    # Why the analysis could not be made ("" when it was).
    unavailable: str = ""
    # True when the analysis cannot be made for a reason the planner or an administrator
    # must fix before submission (the site's area has no census figures).
    is_blocking: bool = False

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Before and after, side by side, one row per group (for the pages)."""
        if self.before is None or self.after is None:
            return []
        proposal = self.proposal.faces_by_group if self.proposal else {}
        return [
            {
                "before": b,
                "after": a,
                "proposal_faces": proposal.get(a.group, 0.0),
                "is_over": a.is_over(self.limit),
            }
            for b, a in zip(self.before.groups, self.after.groups, strict=True)
        ]

    @property
    def flagged_short_names(self) -> list[str]:
        return [SHORT_NAMES[EthnicGroup(g)] for g in self.flagged_groups]


def _better_sites(
    deployment: Deployment,
    totals_before: dict[str, float],
    deployments_before: int,
    worst_after: float,
    proposal_faces: int,
    reference: Population,
    limit: float,
) -> list[BetterSite]:
    if deployment.use_case_id is None or deployment.site is None:
        return []
    candidates = list(
        Site.objects.filter(use_cases=deployment.use_case_id)
        .exclude(pk=deployment.site.pk)
        .select_related("area")
    )
    populations = _populations(s.area_id for s in candidates)
    before_exposure = _exposure(totals_before, deployments_before, reference)
    better = []
    for site in candidates:
        population = populations.get(site.area_id)
        if population is None:
            continue
        # The same number of faces as the proposal, so that a site ranks by who lives around
        # it. Scaling by its footfall instead would rank a busier site higher just because
        # more faces dilute the portfolio: scanning more people must never look fairer.
        faces = proposal_faces
        moved = _exposure(
            add(totals_before, _faces_at(float(faces), population)),
            deployments_before + 1,
            reference,
        )
        worst = moved.worst
        if worst is None or worst.ratio is None:
            continue
        reduction = worst_after - worst.ratio
        if reduction <= EPSILON:
            continue
        flags, _ = flags_for(before_exposure, moved, limit)
        better.append(
            BetterSite(
                site=site,
                expected_faces=faces,
                worst_ratio=worst.ratio,
                worst_group=worst.short_label,
                reduction=reduction,
                clears_flag=not flags,
            )
        )
    better.sort(key=lambda b: (-b.reduction, b.site.name))
    return better[:BETTER_SITES_SHOWN]


def exposure_analysis(
    deployment: Deployment, *, at: datetime | None = None, with_better_sites: bool = True
) -> ExposureAnalysis:
    """The portfolio before and after this deployment, the flag, and fairer sites.

    "Before" is the portfolio without this deployment, so the analysis reads the same for a
    draft and for a deployment already approved.
    """
    at = at or timezone.now()
    limit = disparity_limit()
    reference = reference_population()
    if reference is None:
        return ExposureAnalysis(deployment, limit, unavailable=_NO_REFERENCE)
    current = portfolio(at=at, reference=reference, exclude=deployment.pk)
    base = ExposureAnalysis(deployment, limit, before=current.exposure, uncounted=current.uncounted)
    if deployment.site is None:
        return _replace(base, unavailable="Choose a site to see its effect on the portfolio.")
    population = _populations([deployment.site.area_id]).get(deployment.site.area_id)
    if population is None:
        return _replace(
            base,
            unavailable=(
                f"There are no census figures for {deployment.site.area}, so this site's "
                "exposure cannot be measured. Choose another site, or ask an administrator to "
                "import the area's figures (manage.py import_area_demographics)."
            ),
            is_blocking=True,
        )
    faces, estimated = expected_faces(deployment)
    if faces is None:
        return _replace(
            base, unavailable="Give the expected faces (or the window) to see the exposure."
        )
    totals: dict[str, float] = {}
    for contribution in current.contributions:
        totals = add(totals, contribution.faces_by_group)
    proposal = Contribution(deployment, faces, estimated, _faces_at(float(faces), population))
    after = _exposure(
        add(totals, proposal.faces_by_group), len(current.contributions) + 1, reference
    )
    flags, flagged_groups = flags_for(current.exposure, after, limit)
    better: list[BetterSite] = []
    if with_better_sites and after.worst_ratio is not None:
        better = _better_sites(
            deployment,
            totals,
            len(current.contributions),
            after.worst_ratio,
            faces,
            reference,
            limit,
        )
    return _replace(
        base,
        after=after,
        proposal=proposal,
        flags=flags,
        flagged_groups=flagged_groups,
        better_sites=better,
    )


def _replace(analysis: ExposureAnalysis, **changes: Any) -> ExposureAnalysis:
    return replace(analysis, **changes)


def justification_problems(analysis: ExposureAnalysis, justification: str) -> list[str]:
    """What a site-selection justification still lacks to address the flag."""
    if not analysis.is_flagged:
        return []
    text = (justification or "").strip()
    if not text:
        return [
            "The exposure analysis flags this site: "
            + " ".join(analysis.flags)
            + " Choose a fairer site (see “Fairer sites”), or write a site-selection "
            "justification that addresses the flag."
        ]
    lowered = text.lower()
    missing = [name for name in analysis.flagged_short_names if name.lower() not in lowered]
    if missing:
        return [
            "The site-selection justification must address each group the flag is about: "
            f"say what it means for {', '.join(missing)} residents."
        ]
    return []


def exposure_flag_check(deployment: Deployment, at: datetime) -> list[Problem]:
    """A flagged request needs a justification; a site without census figures cannot go."""
    analysis = exposure_analysis(deployment, at=at, with_better_sites=False)
    if analysis.is_blocking:
        return [("site", analysis.unavailable)]
    return [
        ("fairness_justification", message)
        for message in justification_problems(analysis, deployment.fairness_justification)
    ]


def portfolio_public_rows(contributions: list[Contribution]) -> list[dict[str, Any]]:
    """The deployments counted, with only what their public notices already publish."""
    return [
        {
            "reference": c.deployment.reference,
            "url": c.deployment.get_public_url() if c.deployment.is_notice_public else "",
            "site": c.deployment.site.name if c.deployment.site else "",
            "area": c.deployment.site.area.name if c.deployment.site else "",
            "starts_at": c.deployment.starts_at,
            "faces": c.faces,
            "is_estimate": c.is_estimate,
        }
        for c in contributions
    ]

"""Reads behind the public pages, open data, feed and PDFs.

Everything here is for people who are not signed in, so two rules hold throughout:
- Only deployments whose notice is public (signed off by the chair) are read, and their results
  only once the results report is published (`state == report_published`).
- Restricted fields (the intelligence case, reviewers' private notes, the people who filed,
  authorised, reviewed or operated, question emails) are never selected: reviews, questions,
  authorisations and suspensions are read with `values()` naming the public columns only, so a
  template cannot reach a restricted field even by mistake.

Each function runs a fixed number of queries whatever the number of rows (tested with 2,000
published deployments in tests/public/test_query_counts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from deployments.models import (
    AlertRates,
    Area,
    Authorisation,
    Deployment,
    DeploymentQuerySet,
    EngagementMeeting,
    Outcome,
    PublicStatus,
    Review,
    Site,
    State,
    Suspension,
)
from legal.models import DocumentVersion, Instrument, UseCase
from matching.selectors import PublicCameras, public_cameras

from .models import PublicQuestion

TRIALS_PER_PAGE = 25


def public_trials() -> DeploymentQuerySet:
    """Every deployment whose notice is public, with what a list row shows."""
    return Deployment.objects.public().select_related("site__area", "use_case", "outcome")


def public_outcome(deployment: Deployment) -> Outcome | None:
    """The outcome, only once the results report is published (loaded by `public_trials`)."""
    if not deployment.is_report_public:
        return None
    try:
        return deployment.outcome
    except Outcome.DoesNotExist:
        return None


# --- the home page ------------------------------------------------------------------------
def home_sections(*, at: datetime | None = None) -> dict[str, Any]:
    at = at or timezone.now()
    trials = public_trials()
    upcoming = list(
        trials.in_public_status(PublicStatus.UPCOMING, at).order_by("starts_at", "id")[:6]
    )
    return {
        # Urgent use before the panel decides is shown with the live trials, its status saying so.
        "live": list(
            (
                trials.in_public_status(PublicStatus.LIVE, at)
                | trials.in_public_status(PublicStatus.URGENT, at)
            ).order_by("ends_at", "id")
        ),
        "next_trial": upcoming[0] if upcoming else None,
        "upcoming": upcoming,
        "recent": list(trials.filter(ends_at__lte=at).order_by("-ends_at", "-id")[:6]),
        "suspended": list(
            trials.in_public_status(PublicStatus.SUSPENDED, at).order_by("-suspended_at", "-id")[:6]
        ),
        "watchlist_retention_hours": settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS,
        # COUNT(*) and the state: both answered from the published trials' index alone.
        "counts": Deployment.objects.public().aggregate(
            total=Count("*"), with_results=Count("state", filter=Q(state=State.REPORT_PUBLISHED))
        ),
    }


# --- the list of trials -------------------------------------------------------------------
@dataclass(frozen=True)
class TrialFilters:
    borough: str = ""  # ONS area code
    use_case: str = ""  # clause, e.g. "2.3(a)"
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, trials: DeploymentQuerySet, *, at: datetime) -> DeploymentQuerySet:
        if self.borough:
            trials = trials.filter(site__area__code=self.borough)
        if self.use_case:
            trials = trials.filter(use_case__clause=self.use_case)
        if self.status:
            trials = trials.in_public_status(self.status, at)
        # A trial is in the range when any part of its window falls on the days chosen.
        if self.date_from:
            trials = trials.filter(ends_at__date__gte=self.date_from)
        if self.date_to:
            trials = trials.filter(starts_at__date__lte=self.date_to)
        return trials

    @property
    def is_active(self) -> bool:
        return any((self.borough, self.use_case, self.status, self.date_from, self.date_to))


def trial_page(*, filters: TrialFilters, page: int | str | None) -> Page:
    """One page of published trials, newest first: two queries (count and rows)."""
    trials = filters.apply(public_trials(), at=timezone.now()).order_by("-starts_at", "-id")
    return Paginator(trials, TRIALS_PER_PAGE).get_page(page)


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Boroughs and use cases that have at least one published trial: two queries."""
    # One existence check per site and per use case (through the foreign keys' indexes), each
    # stopping at its first published trial: not a join over every published trial.
    published = Deployment.objects.public()
    sites_used = Site.objects.filter(area=OuterRef("pk")).filter(
        Exists(published.filter(site=OuterRef("pk")))
    )
    boroughs = Area.objects.filter(Exists(sites_used)).order_by("name").values_list("code", "name")
    use_cases = (
        UseCase.objects.filter(Exists(published.filter(use_case=OuterRef("pk"))))
        .order_by("clause")
        .values_list("clause", "title")
    )
    return {
        "boroughs": list(boroughs),
        "use_cases": [(clause, f"{title} (use case {clause})") for clause, title in use_cases],
        "statuses": list(PublicStatus.choices),
    }


# --- one notice ---------------------------------------------------------------------------
@dataclass
class Notice:
    """Everything the public notice of one trial shows, restricted fields left out."""

    trial: Deployment
    outcome: Outcome | None
    pinned: list[DocumentVersion]
    instruments: list[Instrument]
    authorisation: dict[str, Any] | None
    approvals: list[dict[str, Any]]
    dissent: list[dict[str, Any]]
    suspensions: list[dict[str, Any]]
    questions: list[dict[str, Any]] = field(default_factory=list)
    # The meetings held with Londoners before it (date, who, what was raised, what changed).
    engagement: list[dict[str, Any]] = field(default_factory=list)
    # Where the cameras pinned at sign-off stand (names and places only), if any were.
    cameras: PublicCameras | None = None

    @property
    def conditions(self) -> list[str]:
        """The chair's conditions and each approving panel member's, in that order."""
        found = [self.trial.panel_conditions] if self.trial.panel_conditions else []
        found += [r["conditions"] for r in self.approvals if r["conditions"]]
        return found


_REVIEW_COLUMNS = ("decision", "reasons", "conditions", "conflicts_declared", "signed_at")
_QUESTION_COLUMNS = (
    "id",
    "text",
    "name",
    "status",
    "submitted_at",
    "answer",
    "answered_at",
    "moderated_at",
    "removal_reason",
)
_DECISION_LABELS = dict(Review.Decision.choices)


def _first_as_dict(rows: Any) -> dict[str, Any] | None:
    row = rows.first()
    return dict(row) if row is not None else None


def public_notice(reference: str) -> Notice | None:
    """The notice of one published trial, or None. Nine queries, whatever its size."""
    trial = public_trials().filter(reference=reference).first()
    if trial is None:
        return None
    reviews = []
    for row in (
        Review.objects.filter(deployment=trial, revision=trial.revision)
        .order_by("signed_at", "id")
        .values(*_REVIEW_COLUMNS)
    ):
        row["decision_label"] = _DECISION_LABELS.get(row["decision"], row["decision"])
        reviews.append(row)
    questions = list(
        PublicQuestion.objects.filter(
            deployment=trial,
            status__in=(PublicQuestion.Status.PUBLISHED, PublicQuestion.Status.REMOVED),
        )
        .order_by("submitted_at", "id")
        .values(*_QUESTION_COLUMNS)
    )
    for question in questions:
        if question["status"] == PublicQuestion.Status.REMOVED:
            # The trace stays; the words of a removed question do not.
            question["text"] = question["name"] = question["answer"] = ""
    return Notice(
        trial=trial,
        outcome=public_outcome(trial),
        pinned=list(trial.pinned_documents.select_related("document").order_by("document__kind")),
        instruments=list(trial.use_case.instruments.order_by("kind", "citation"))
        if trial.use_case
        else [],
        authorisation=_first_as_dict(
            Authorisation.objects.filter(deployment=trial, revision=trial.revision)
            .order_by("-authorised_at")
            .values(
                "statement",
                "authorised_at",
                "officer__first_name",
                "officer__last_name",
                "officer__staff_profile__rank",
            )
        ),
        approvals=[r for r in reviews if r["decision"] in Review.APPROVING],
        dissent=[r for r in reviews if r["decision"] not in Review.APPROVING],
        suspensions=[
            dict(row)
            for row in Suspension.objects.filter(deployment=trial)
            .order_by("suspended_at")
            .values("reason", "suspended_at", "lifted_at", "lift_reason")
        ],
        questions=questions,
        engagement=engagement_record(trial),
        cameras=public_cameras(trial),
    )


_ENGAGEMENT_LABELS = dict(EngagementMeeting.Kind.choices)


def engagement_record(trial: Deployment) -> list[dict[str, Any]]:
    """The meetings held before the trial, with the public columns only (not who typed them)."""
    columns = ("held_on", "kind", "group_name", "raised", "changed")
    rows: list[dict[str, Any]] = []
    for values in (
        EngagementMeeting.objects.filter(deployment=trial)
        .order_by("held_on", "id")
        .values_list(*columns)
    ):
        row = dict(zip(columns, values, strict=True))
        row["kind_label"] = _ENGAGEMENT_LABELS.get(row["kind"], row["kind"])
        rows.append(row)
    return rows


# --- the annual report --------------------------------------------------------------------
@dataclass
class Totals(AlertRates):
    """Sums of the published-record columns over a group of trials."""

    label: str = ""
    trials: int = 0
    with_results: int = 0
    hours_planned: float = 0.0
    hours_deployed: float = 0.0
    faces_seen: int = 0
    true_alerts_confirmed: int = 0
    true_alerts_unconfirmed: int = 0
    false_alerts_confirmed: int = 0
    false_alerts_unconfirmed: int = 0
    arrests: int = 0
    other_outcomes: int = 0
    no_action: int = 0
    complaints: int = 0
    suspensions: int = 0

    def add(
        self,
        trial: Deployment,
        outcome: Outcome | None,
        suspensions: list[Suspension],
        at: datetime,
    ) -> None:
        self.trials += 1
        if trial.duration is not None:
            self.hours_planned += trial.duration.total_seconds() / 3600
        self.hours_deployed += trial.time_deployed(suspensions, at).total_seconds() / 3600
        if outcome is None:
            return
        self.with_results += 1
        for name in (*Outcome.ENGINE_FIELDS, "complaints"):
            setattr(self, name, getattr(self, name) + getattr(outcome, name))


@dataclass
class AnnualReport:
    year: int
    trials: list[Deployment]
    outcomes: dict[int, Outcome | None]
    totals: Totals
    by_use_case: list[Totals]
    by_borough: list[Totals]
    suspensions: list[dict[str, Any]]
    questions: dict[str, int]
    years: list[int]
    as_of: datetime
    # Meetings held with Londoners before the year's trials, by borough.
    engagement: list[EngagementTotals] = field(default_factory=list)


@dataclass
class EngagementTotals:
    label: str
    trials: int = 0
    trials_with_meetings: int = 0
    ward_panel: int = 0
    community_group: int = 0
    advisory_group: int = 0

    @property
    def meetings(self) -> int:
        return self.ward_panel + self.community_group + self.advisory_group


def engagement_by_borough(trials: list[Deployment]) -> list[EngagementTotals]:
    """Meetings before these trials, counted by the trial's borough and the kind of group, with
    the total for all of them last. One query, whatever the number of meetings."""
    borough_of = {t.pk: t.site.area.name if t.site else "No site" for t in trials}
    groups: dict[str, EngagementTotals] = {}
    for name in borough_of.values():
        groups.setdefault(name, EngagementTotals(label=name)).trials += 1
    met: set[int] = set()
    for deployment_id, kind in EngagementMeeting.objects.filter(
        deployment__in=list(borough_of)
    ).values_list("deployment_id", "kind"):
        group = groups[borough_of[deployment_id]]
        setattr(group, kind, getattr(group, kind) + 1)
        if deployment_id not in met:
            met.add(deployment_id)
            group.trials_with_meetings += 1
    rows = sorted(groups.values(), key=lambda g: g.label)
    total = EngagementTotals(label="All boroughs")
    for row in rows:
        for name in ("trials", "trials_with_meetings", *EngagementMeeting.Kind.values):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return [*rows, total]


def report_years() -> list[int]:
    """Years (London time) with at least one published trial, newest first.

    Two queries that read a few entries of the published trials' index per year, not every
    trial: the first and last start, then whether each year between them has a trial.
    """
    published = Deployment.objects.public().filter(starts_at__isnull=False)
    bounds = published.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    if bounds["first"] is None:
        return []
    first = timezone.localtime(bounds["first"]).year
    last = timezone.localtime(bounds["last"]).year
    candidates = list(range(last, first - 1, -1))
    # One probe, compiled once with stand-in bounds that each year's replace: compiling an ORM
    # query per year would cost more than the ten years' probes themselves.
    adapt = connection.ops.adapt_datetimefield_value
    low, high = _start_of_year(1901), _start_of_year(1902)
    probe = published.filter(starts_at__gte=low, starts_at__lt=high).values("pk")[:1]
    sql, params = probe.query.sql_with_params()
    stand_ins = {adapt(low): 0, adapt(high): 1}
    places = [(index, stand_ins[value]) for index, value in enumerate(params) if value in stand_ins]
    if len(places) != 2:  # pragma: no cover - the ORM's placeholders are not what they were
        raise RuntimeError("The years' probe could not be built.")
    values: list[Any] = []
    for year in candidates:
        year_bounds = (adapt(_start_of_year(year)), adapt(_start_of_year(year + 1)))
        year_params = list(params)
        for index, which in places:
            year_params[index] = year_bounds[which]
        values += year_params
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([f"EXISTS ({sql})"] * len(candidates)), values)
        found = cursor.fetchone()
    return [year for year, exists in zip(candidates, found, strict=True) if exists]


def _start_of_year(year: int) -> datetime:
    """The first moment of `year` in the time zone the public pages use (London)."""
    return timezone.make_aware(datetime(year, 1, 1))


def annual_report(year: int, at: datetime | None = None) -> AnnualReport | None:
    """Figures for the trials that started in `year` (London time), with hours deployed
    counted to `at` (now). Four queries."""
    at = at or timezone.now()
    trials = list(public_trials().filter(starts_at__year=year).order_by("starts_at", "id"))
    if not trials:
        return None
    stops = list(
        Suspension.objects.filter(deployment__in=[t.pk for t in trials]).order_by("suspended_at")
    )
    stops_of: dict[int, list[Suspension]] = {}
    for stop in stops:
        stops_of.setdefault(stop.deployment_id, []).append(stop)
    totals = Totals(label=str(year))
    by_use_case: dict[str, Totals] = {}
    by_borough: dict[str, Totals] = {}
    outcomes: dict[int, Outcome | None] = {}
    suspensions: list[dict[str, Any]] = []
    for trial in trials:
        outcome = public_outcome(trial)
        outcomes[trial.pk] = outcome
        use_case = str(trial.use_case) if trial.use_case else "No use case"
        borough = trial.site.area.name if trial.site else "No site"
        trial_stops = stops_of.get(trial.pk, [])
        for group in (
            totals,
            by_use_case.setdefault(use_case, Totals(label=use_case)),
            by_borough.setdefault(borough, Totals(label=borough)),
        ):
            group.add(trial, outcome, trial_stops, at)
            group.suspensions += len(trial_stops)
        suspensions += [
            {
                "deployment__reference": trial.reference,
                "deployment__site__name": trial.site.name if trial.site else "",
                "deployment__site__area__name": trial.site.area.name if trial.site else "",
                "reason": stop.reason,
                "suspended_at": stop.suspended_at,
                "lifted_at": stop.lifted_at,
                "lift_reason": stop.lift_reason,
            }
            for stop in trial_stops
        ]
    suspensions.sort(key=lambda row: row["suspended_at"])
    questions = PublicQuestion.objects.filter(deployment__in=[t.pk for t in trials]).aggregate(
        asked=Count("id"),
        published=Count("id", filter=Q(status=PublicQuestion.Status.PUBLISHED)),
        removed=Count("id", filter=Q(status=PublicQuestion.Status.REMOVED)),
        pending=Count("id", filter=Q(status=PublicQuestion.Status.PENDING)),
    )
    return AnnualReport(
        year=year,
        trials=trials,
        outcomes=outcomes,
        totals=totals,
        by_use_case=sorted(by_use_case.values(), key=lambda t: t.label),
        by_borough=sorted(by_borough.values(), key=lambda t: t.label),
        suspensions=suspensions,
        questions=questions,
        years=report_years(),
        as_of=at,
        engagement=engagement_by_borough(trials),
    )


# --- feed ---------------------------------------------------------------------------------
def feed_entries(*, limit: int = 50) -> list[tuple[str, Deployment, datetime]]:
    """Newest notices and results reports, as (kind, trial, when): two queries."""
    trials = public_trials()
    notices = [
        ("notice", t, t.notice_published_at)
        for t in trials.order_by("-notice_published_at", "-id")[:limit]
        if t.notice_published_at
    ]
    reports = [
        ("report", t, t.report_published_at)
        for t in trials.filter(
            state=State.REPORT_PUBLISHED, report_published_at__isnull=False
        ).order_by("-report_published_at", "-id")[:limit]
        if t.report_published_at
    ]
    entries = sorted(notices + reports, key=lambda e: (e[2], e[1].pk), reverse=True)
    return entries[:limit]


def notice_lead_time(trial: Deployment) -> timedelta | None:
    """How long before the start the notice was published."""
    if trial.notice_published_at and trial.starts_at:
        return trial.starts_at - trial.notice_published_at
    return None


# --- page and PDF contexts ----------------------------------------------------------------
def _where(trial: Deployment) -> dict[str, Any] | None:
    """The locator map and the OpenStreetMap link for the trial's site."""
    from .locator import ATTRIBUTION, locator_map, openstreetmap_url

    site = trial.site
    if site is None or site.latitude is None or site.longitude is None:
        return None
    latitude, longitude = float(site.latitude), float(site.longitude)
    return {
        "map": locator_map(
            latitude=latitude, longitude=longitude, area_code=site.area.code, place=site.name
        ),
        "osm_url": openstreetmap_url(latitude, longitude),
        "attribution": ATTRIBUTION,
    }


def notice_context(notice: Notice) -> dict[str, Any]:
    """What the notice page and the trial report PDF render (the same includes)."""
    from .charts import alerts_chart, faces_chart

    context: dict[str, Any] = {
        "notice": notice,
        "trial": notice.trial,
        "outcome": notice.outcome,
        "lead_time": notice_lead_time(notice.trial),
        "max_threshold": settings.OVERSIGHT_MAX_MATCH_THRESHOLD,
        "urgent_decision_hours": settings.OVERSIGHT_URGENT_DECISION_HOURS,
        "where": _where(notice.trial),
        "authorised_by": decider_words(
            notice.authorisation.get("officer__first_name", ""),
            notice.authorisation.get("officer__last_name", ""),
            notice.authorisation.get("officer__staff_profile__rank"),
            "authorising officer",
        )
        if notice.authorisation
        else "",
        "rights": {
            "crop_days": settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS,
            "watchlist_hours": settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS,
        },
    }
    if notice.outcome is not None:
        context["alerts_chart"] = alerts_chart(notice.outcome)
        context["faces_chart"], context["faces_hourly"] = faces_chart(
            notice.outcome, notice.outcome.faces_timeline()
        )
    return context


def annual_context(report: AnnualReport) -> dict[str, Any]:
    """What the annual report page and its PDF render."""
    return {
        "report": report,
        "year": report.year,
        "rows": [(t, report.outcomes[t.pk]) for t in report.trials],
        "report_groups": [
            ("By use case", report.by_use_case, "by-use-case-h"),
            ("By borough", report.by_borough, "by-borough-h"),
        ],
        # Exposure by census group over the year's trials (the Ethics Panel's ask on sites).
        "fairness": fairness_figures(report),
    }


def fairness_figures(report: AnnualReport) -> dict[str, Any]:
    """Exposure by census group over the trials approved in the report's year.

    Plain data (`available`, `summary`, `rows`, `source`) from `fairness.exposure`; the
    annual report shows it in `public/includes/annual_fairness.html`.
    """
    from fairness.exposure import portfolio_exposure

    return portfolio_exposure(year=report.year)


# --- who decided -------------------------------------------------------------------------------
def decider_words(first_name: str, last_name: str, rank: str | None, role: str) -> str:
    """How the public record names a person who decided: rank and role, and the name only
    where the force publishes names (`OVERSIGHT_PUBLISH_DECIDER_NAMES`)."""
    words = f"{rank}, {role}" if rank else role[0].upper() + role[1:]
    name = f"{first_name} {last_name}".strip()
    if settings.OVERSIGHT_PUBLISH_DECIDER_NAMES and name:
        return f"{name}, {words[0].lower() + words[1:] if not rank else words}"
    return words


@dataclass
class PanelListing:
    members: list[dict[str, str]]
    unlisted: int


def panel_listing() -> PanelListing:
    """The ethics panel's members who agreed to be listed, with their declared interests, and
    how many did not. Two queries."""
    from django.contrib.auth import get_user_model

    from core.roles import Role

    people = (
        get_user_model()
        .objects.filter(
            is_active=True, groups__name__in=[Role.PANEL_MEMBER.value, Role.PANEL_CHAIR.value]
        )
        .distinct()
        .select_related("staff_profile")
        .prefetch_related("groups")
        .order_by("last_name", "first_name", "pk")
    )
    members, unlisted = [], 0
    for person in people:
        profile = getattr(person, "staff_profile", None)
        if profile is None or not profile.listed_publicly:
            unlisted += 1
            continue
        is_chair = any(g.name == Role.PANEL_CHAIR.value for g in person.groups.all())
        members.append(
            {
                "name": person.get_full_name() or "A member who gave no name",
                "role": "Chair of the ethics panel" if is_chair else "Member of the ethics panel",
                "interests": profile.declared_interests,
            }
        )
    return PanelListing(members=members, unlisted=unlisted)

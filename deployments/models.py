"""The deployment register: where, when, why, who decided, and what happened."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.roles import Role, has_role
from core.types import User
from legal.models import DocumentVersion, UseCase, WatchlistCategory


class Area(models.Model):
    """A local authority (or finer geography) with its census population."""

    code = models.CharField(max_length=12, unique=True, help_text="ONS area code.")
    name = models.CharField(max_length=100)
    population = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    name = models.CharField(max_length=150)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="sites")
    latitude = models.DecimalField(
        max_digits=8, decimal_places=5, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        max_digits=8, decimal_places=5, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    footfall_per_hour = models.PositiveIntegerField(
        help_text="Expected number of people passing the cameras per hour."
    )
    description = models.TextField(blank=True)
    use_cases = models.ManyToManyField(UseCase, blank=True, related_name="sites")

    class Meta:
        ordering = ["area__name", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="unique_site_in_area")]

    def __str__(self) -> str:
        return f"{self.name}, {self.area.name}"


class ReferenceSequence(models.Model):
    """The last reference number issued in a year (LFR-2026-0042)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for authorisation"
    RETURNED = "returned", "Returned for changes"
    AUTHORISED = "authorised", "Authorised, with the ethics panel"
    APPROVED = "approved", "Approved"
    SUSPENDED = "suspended", "Suspended"
    COMPLETED = "completed", "Completed"
    REPORT_PUBLISHED = "report_published", "Results published"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


# States in which a signed-off deployment is shown to the public.
PUBLIC_STATES = (State.APPROVED, State.SUSPENDED, State.COMPLETED, State.REPORT_PUBLISHED)
# The trials the public record shows (`DeploymentQuerySet.public`, `Deployment.is_public`): signed
# off and not since withdrawn from it; or put to urgent use, whose notice is public from the
# urgency and stays public after it is refused, saying so. Also the condition of the partial
# index the public pages read through, so the index and the filter cannot drift apart.
PUBLIC_TRIALS = models.Q(notice_published_at__isnull=False) & (
    models.Q(state__in=PUBLIC_STATES) | models.Q(urgent_declared_at__isnull=False)
)


class PublicStatus(models.TextChoices):
    """Where a public trial stands, as every public page, filter, export and feed says it.

    Derived from the state and the time, never stored: `Deployment.public_status_at` for one
    trial and `DeploymentQuerySet.in_public_status` for a filter, which must agree.
    """

    UPCOMING = "upcoming", "Upcoming"
    LIVE = "live", "Live now"
    SUSPENDED = "suspended", "Suspended"
    ENDED = "ended", "Ended, results to come"
    RESULTS = "results", "Results published"
    # Urgent use before the panel's decision (EU AI Act, Article 5(3)): see `Deployment.urgent_*`.
    URGENT = "urgent", "Urgent use, before the panel decides"
    URGENT_REFUSED = "urgent_refused", "Stopped: urgent use refused; its data deleted"
    URGENT_LAPSED = "urgent_lapsed", "Stopped: no decision in time; urgent use data deleted"


class UrgentOutcome(models.TextChoices):
    """How an urgent use before the panel's decision ended ("" while it awaits the decision)."""

    SIGNED_OFF = "signed_off", "Signed off in time by the panel's chair"
    REFUSED = "refused", "Refused"
    LAPSED = "lapsed", "No decision in time"


class DeploymentQuerySet(models.QuerySet["Deployment"]):
    def published(self) -> DeploymentQuerySet:
        """Deployments whose notice is public: signed off by the chair."""
        return self.filter(notice_published_at__isnull=False)

    def public(self) -> DeploymentQuerySet:
        """The trials the public record shows (`PUBLIC_TRIALS`)."""
        return self.filter(PUBLIC_TRIALS)

    def live_at(self, at: datetime) -> DeploymentQuerySet:
        return self.filter(state=State.APPROVED, starts_at__lte=at, ends_at__gt=at)

    def in_public_status(self, status: str, at: datetime) -> DeploymentQuerySet:
        """The trials whose `public_status_at(at)` is `status`."""
        approved = models.Q(state=State.APPROVED)
        pending = models.Q(urgent_declared_at__isnull=False, urgent_outcome="")
        condition = {
            PublicStatus.UPCOMING: approved & models.Q(starts_at__gt=at),
            PublicStatus.LIVE: approved & models.Q(starts_at__lte=at, ends_at__gt=at),
            PublicStatus.SUSPENDED: models.Q(state=State.SUSPENDED),
            # Approved trials whose window has passed are completed by a beat task within
            # minutes; until then they have ended too.
            PublicStatus.ENDED: models.Q(state=State.COMPLETED)
            | (approved & models.Q(ends_at__lte=at)),
            PublicStatus.RESULTS: models.Q(state=State.REPORT_PUBLISHED),
            # Outside the public states, a trial is public only because of its urgent use.
            PublicStatus.URGENT: ~models.Q(state__in=PUBLIC_STATES)
            & pending
            & models.Q(urgent_decision_due_at__gt=at),
            PublicStatus.URGENT_REFUSED: ~models.Q(state__in=PUBLIC_STATES)
            & models.Q(urgent_outcome=UrgentOutcome.REFUSED),
            # The deadline closes the urgent use at once, before the beat task records it.
            PublicStatus.URGENT_LAPSED: ~models.Q(state__in=PUBLIC_STATES)
            & (
                models.Q(urgent_outcome=UrgentOutcome.LAPSED)
                | (pending & models.Q(urgent_decision_due_at__lte=at))
            ),
        }[PublicStatus(status)]
        return self.filter(condition)


class Deployment(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    # Incremented at each submission, so reviews can say which version they were given on.
    revision = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deployments_filed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Where and when.
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="deployments"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    # Why: the use case and the case for necessity and proportionality.
    use_case = models.ForeignKey(
        UseCase, null=True, blank=True, on_delete=models.PROTECT, related_name="deployments"
    )
    purpose = models.TextField("policing purpose", blank=True)
    necessity = models.TextField(blank=True)
    proportionality = models.TextField(blank=True)
    alternatives_considered = models.TextField(blank=True)
    # Restricted: never shown on a public page, feed, export or PDF.
    intelligence_case = models.TextField(blank=True)

    # The watchlist: criteria, never identities.
    watchlist_categories = models.JSONField(default=list, blank=True)
    watchlist_criteria = models.TextField(blank=True)
    watchlist_size_cap = models.PositiveIntegerField(null=True, blank=True)
    match_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("1.0"))],
        help_text="Largest Euclidean distance between encodings that counts as a match.",
    )

    # Site selection and engagement.
    site_selection_rationale = models.TextField(blank=True)
    # Required when the exposure analysis flags the proposal (fairness/exposure.py).
    fairness_justification = models.TextField(
        blank=True,
        help_text="Why this site despite the exposure flag, addressing the flag in numbers.",
    )
    community_engagement_plan = models.TextField(blank=True)
    expected_faces = models.PositiveIntegerField(null=True, blank=True)

    # Decisions, filled by the services.
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    panel_statement = models.TextField(blank=True)
    panel_conditions = models.TextField(blank=True)
    pinned_documents = models.ManyToManyField(DocumentVersion, blank=True, related_name="pinned_by")
    # Frozen at sign-off by the engine (SHA-256 over the watchlist's entries and encodings).
    watchlist_fingerprint = models.CharField(max_length=64, blank=True)
    # Frozen at sign-off by the engine (SHA-256 over the cameras, their places and streams).
    cameras_fingerprint = models.CharField(max_length=64, blank=True)
    # How many people the watchlist held when the chair signed off: published beside the cap.
    watchlist_size_at_sign_off = models.PositiveIntegerField(null=True, blank=True)
    approved_threshold = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    notice_published_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)
    state_before_suspension = models.CharField(max_length=20, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    report_published_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True, help_text="Why it was rejected or withdrawn.")

    # Urgent use before the panel's sign-off (EU AI Act, Article 5(3)): an authorising officer
    # lets an authorised deployment run for a short window; the chair's decision is due by
    # `urgent_decision_due_at`, and a refusal or no decision deletes what the use produced.
    urgent_declared_at = models.DateTimeField(null=True, blank=True)
    urgent_declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgent_reason = models.TextField(blank=True, help_text="Why it is urgent; published at once.")
    urgent_ends_at = models.DateTimeField(null=True, blank=True)
    urgent_decision_due_at = models.DateTimeField(null=True, blank=True)
    urgent_outcome = models.CharField(max_length=12, choices=UrgentOutcome.choices, blank=True)
    urgent_closed_at = models.DateTimeField(null=True, blank=True)
    # What the deletion after a refusal or lapse removed, counted by the engine.
    urgent_data_deleted_at = models.DateTimeField(null=True, blank=True)
    urgent_data_deleted = models.JSONField(default=dict, blank=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        permissions = [
            ("review_deployment", "Review a deployment as an assigned panel member"),
            ("operate_deployment", "Run the engine for a deployment"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at"))
                | models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True),
                name="deployment_ends_after_start",
            )
        ]
        # The public pages find the live, next and recent trials and the newest notices and
        # reports by these, reading only the rows they show (the home page, /trials/, the feed).
        indexes = [
            models.Index(fields=["starts_at"], name="deployment_starts_at"),
            models.Index(fields=["ends_at"], name="deployment_ends_at"),
            models.Index(fields=["notice_published_at"], name="deployment_notice_published"),
            models.Index(fields=["report_published_at"], name="deployment_report_published"),
            # The published trials only, by start: the lists' pages and counts, the years with
            # a report and the trials of one year read this index, not the register's rows.
            models.Index(
                fields=["starts_at", "state"], condition=PUBLIC_TRIALS, name="deployment_public"
            ),
            # The suspended trials; the urgent uses awaiting the panel's decision.
            models.Index(fields=["state"], name="deployment_state"),
            models.Index(
                fields=["urgent_decision_due_at"],
                condition=models.Q(urgent_declared_at__isnull=False),
                name="deployment_urgent_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("staff:deployment_detail", args=[self.reference])

    def get_public_url(self) -> str:
        return reverse("public:trial_detail", args=[self.reference])

    # --- who stands where -----------------------------------------------------------------
    # Object rights are django-guardian permissions that the services grant: the planner's
    # when filing, a reviewer's when assigned (removed on a declared conflict), an operator's
    # when assigned. A role alone is not enough; neither is the permission without the role.
    def is_filed_by(self, user: User) -> bool:
        """Did this person file the request? They never decide on it."""
        return user is not None and user.pk is not None and self.created_by_id == user.pk

    def is_planner(self, user: User) -> bool:
        """Is this person the planner of this deployment?"""
        return has_role(user, Role.PLANNER) and user.has_perm("deployments.change_deployment", self)

    def is_reviewer(self, user: User) -> bool:
        """Is this person an assigned panel reviewer of it, with no conflict declared?"""
        return has_role(user, Role.PANEL_MEMBER) and user.has_perm(
            "deployments.review_deployment", self
        )

    def is_operator(self, user: User) -> bool:
        """Is this person an operator assigned to run the engine for it?"""
        return has_role(user, Role.OPERATOR) and user.has_perm(
            "deployments.operate_deployment", self
        )

    # --- questions about the deployment ---------------------------------------------------
    def is_live(self, at: datetime | None = None) -> bool:
        """Live is derived, never stored: approved and inside the window."""
        at = at or timezone.now()
        return (
            self.state == State.APPROVED
            and self.starts_at is not None
            and self.ends_at is not None
            and self.starts_at <= at < self.ends_at
        )

    @property
    def is_editable(self) -> bool:
        return self.state in (State.DRAFT, State.RETURNED)

    @property
    def is_notice_public(self) -> bool:
        return self.notice_published_at is not None

    @property
    def is_public(self) -> bool:
        """Shown on the public record: signed off, and in a state the public record shows, or
        put to urgent use (the same rule as `DeploymentQuerySet.public`)."""
        return self.is_notice_public and (self.state in PUBLIC_STATES or self.is_urgent)

    @property
    def is_report_public(self) -> bool:
        return self.state == State.REPORT_PUBLISHED

    @property
    def duration(self) -> timedelta | None:
        if self.starts_at and self.ends_at:
            return self.ends_at - self.starts_at
        return None

    def time_deployed(self, suspensions: list[Suspension], at: datetime) -> timedelta:
        """How much of the window had passed by `at` outside any suspension: the time the
        deployment was authorised to run. `duration` is the time planned."""
        if self.starts_at is None or self.ends_at is None:
            return timedelta(0)
        start, end = self.starts_at, min(self.ends_at, at)
        if self.is_urgent and self.urgent_outcome != UrgentOutcome.SIGNED_OFF:
            # Urgent use not signed off: authorised only for its urgent window, and only until
            # the refusal or lapse stopped it.
            run_from, run_until = self.urgent_run_from, self.urgent_run_until
            if run_from is None or run_until is None:
                return timedelta(0)
            start, end = run_from, min(end, run_until, self.urgent_closed_at or end)
        if end <= start:
            return timedelta(0)
        stopped = timedelta(0)
        covered_to = start
        for suspension in sorted(suspensions, key=lambda s: s.suspended_at):
            begins = max(suspension.suspended_at, covered_to)
            ends = min(suspension.lifted_at or end, end)
            if ends > begins:
                stopped += ends - begins
                covered_to = ends
        return end - start - stopped

    @property
    def duration_display(self) -> str:
        """The window's length as people say it: "6 hours", "2 hours 30 minutes"."""
        if self.duration is None:
            return ""
        minutes = int(self.duration.total_seconds() // 60)
        hours, minutes = divmod(minutes, 60)
        parts = []
        if hours:
            parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
        if minutes:
            parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        return " ".join(parts) or "0 minutes"

    def watchlist_category_labels(self) -> list[str]:
        labels = dict(WatchlistCategory.choices)
        return [labels.get(c, c) for c in self.watchlist_categories]

    # --- urgent use (EU AI Act, Article 5(3)) ----------------------------------------------
    @property
    def is_urgent(self) -> bool:
        """Was it ever put to urgent use before the panel's decision?"""
        return self.urgent_declared_at is not None

    @property
    def is_urgent_pending(self) -> bool:
        """Put to urgent use, and the panel's decision not yet recorded."""
        return self.is_urgent and not self.urgent_outcome

    def is_urgent_overdue(self, at: datetime | None = None) -> bool:
        """Urgent use awaiting a decision that was due by now: closed, whether or not the beat
        task has recorded the lapse yet."""
        at = at or timezone.now()
        return (
            self.is_urgent_pending
            and self.urgent_decision_due_at is not None
            and at >= self.urgent_decision_due_at
        )

    @property
    def urgent_run_from(self) -> datetime | None:
        """The urgent window opens at the urgency or the deployment's start, whichever is later."""
        if self.urgent_declared_at is None or self.starts_at is None:
            return None
        return max(self.urgent_declared_at, self.starts_at)

    @property
    def urgent_run_until(self) -> datetime | None:
        """... and closes at the urgent cap, the decision deadline or the end, whichever first."""
        ends = [self.urgent_ends_at, self.urgent_decision_due_at, self.ends_at]
        if any(e is None for e in ends):
            return None
        return min(e for e in ends if e is not None)

    def urgent_window_phase(self, at: datetime | None = None) -> str:
        """ "before", "open" or "after" the urgent window, for the words on the notice (the gate
        asks its own questions)."""
        at = at or timezone.now()
        start, end = self.urgent_run_from, self.urgent_run_until
        if start is None or end is None or at >= end:
            return "after"
        return "before" if at < start else "open"

    @property
    def urgent_data_was_deleted(self) -> bool:
        return self.urgent_outcome in (UrgentOutcome.REFUSED, UrgentOutcome.LAPSED)

    def public_status_at(self, at: datetime | None = None) -> PublicStatus | None:
        """Where this trial stands for the public; None while it is not public."""
        at = at or timezone.now()
        if not self.is_public:
            return None
        if self.state not in PUBLIC_STATES:
            # Public only because of its urgent use.
            if self.urgent_outcome == UrgentOutcome.REFUSED:
                return PublicStatus.URGENT_REFUSED
            if self.urgent_outcome == UrgentOutcome.LAPSED or self.is_urgent_overdue(at):
                return PublicStatus.URGENT_LAPSED
            return PublicStatus.URGENT
        if self.state == State.APPROVED:
            if self.starts_at is not None and at < self.starts_at:
                return PublicStatus.UPCOMING
            if self.is_live(at):
                return PublicStatus.LIVE
            return PublicStatus.ENDED
        return {
            State.SUSPENDED: PublicStatus.SUSPENDED,
            State.COMPLETED: PublicStatus.ENDED,
            State.REPORT_PUBLISHED: PublicStatus.RESULTS,
        }[State(self.state)]

    def public_status(self, at: datetime | None = None) -> str:
        """The words the public pages use for where this trial stands."""
        status = self.public_status_at(at)
        return status.label if status is not None else self.get_state_display()


class DeploymentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Deployment, on_delete=models.CASCADE)


class DeploymentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Deployment, on_delete=models.CASCADE)


class ReviewAssignment(models.Model):
    """A panel member asked by the chair to review a deployment."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    conflict_declared_at = models.DateTimeField(null=True, blank=True)
    conflict_details = models.TextField(blank=True)

    class Meta:
        ordering = ["assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "reviewer"], name="one_assignment_each")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviewing {self.deployment}"

    @property
    def is_active(self) -> bool:
        return self.conflict_declared_at is None


class StaffProfile(models.Model):
    """What the public record may say about a member of staff who decides.

    The notice names an authorising officer by rank and role only, unless the force publishes
    names (`OVERSIGHT_PUBLISH_DECIDER_NAMES`); the ethics panel's public page lists only the
    members who agreed to be listed, with the interests they declared.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    rank = models.CharField(
        max_length=60, blank=True, help_text='Your police rank, if any: "Superintendent".'
    )
    listed_publicly = models.BooleanField(
        default=False,
        help_text="Panel members only: list my name and declared interests on the public "
        "page of the ethics panel.",
    )
    declared_interests = models.TextField(
        blank=True,
        help_text="Panel members only: your interests, paid and unpaid, that a member of the "
        'public might think bear on your decisions. Write "None" if you have none.',
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Authorisation(models.Model):
    """An authorising officer's statement that the deployment is necessary and proportionate."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="authorisations"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revision = models.PositiveIntegerField()
    statement = models.TextField()
    authorised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-authorised_at"]

    def __str__(self) -> str:
        return f"Authorisation of {self.deployment} by {self.officer}"


class Review(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        APPROVE_WITH_CONDITIONS = "approve_with_conditions", "Approve with conditions"
        REQUEST_CHANGES = "request_changes", "Request changes"
        REJECT = "reject", "Reject"

    APPROVING = (Decision.APPROVE, Decision.APPROVE_WITH_CONDITIONS)

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revision = models.PositiveIntegerField()
    decision = models.CharField(max_length=32, choices=Decision.choices)
    reasons = models.TextField(help_text="Published with the panel's decision.")
    conditions = models.TextField(blank=True)
    conflicts_declared = models.TextField(
        blank=True, help_text="Interests declared that did not prevent the review."
    )
    # Required to approve when the threshold is looser than the evaluated parity threshold.
    threshold_justification = models.TextField(blank=True)
    # Restricted: never published.
    private_notes = models.TextField(blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "reviewer", "revision"], name="one_review_per_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer} on {self.deployment}"

    @property
    def is_approval(self) -> bool:
        return self.decision in self.APPROVING

    def is_on_current_revision(self) -> bool:
        return self.revision == self.deployment.revision


class Suspension(models.Model):
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="suspensions")
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    suspended_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["suspended_at"]

    def __str__(self) -> str:
        return f"Suspension of {self.deployment}"


class AlertRates:
    """The published-record figures derived from the counts (an outcome, or a sum of them)."""

    faces_seen: int
    true_alerts_confirmed: int
    true_alerts_unconfirmed: int
    false_alerts_confirmed: int
    false_alerts_unconfirmed: int

    @property
    def true_alerts(self) -> int:
        return self.true_alerts_confirmed + self.true_alerts_unconfirmed

    @property
    def false_alerts(self) -> int:
        return self.false_alerts_confirmed + self.false_alerts_unconfirmed

    @property
    def total_alerts(self) -> int:
        return self.true_alerts + self.false_alerts

    @property
    def false_alert_rate_per_face(self) -> float | None:
        return self.false_alerts / self.faces_seen if self.faces_seen else None

    @property
    def false_alert_rate_per_alert(self) -> float | None:
        return self.false_alerts / self.total_alerts if self.total_alerts else None


class Outcome(AlertRates, models.Model):
    """What happened: the published-record columns, filled from the engine's own counts."""

    deployment = models.OneToOneField(Deployment, on_delete=models.CASCADE, related_name="outcome")
    faces_seen = models.PositiveIntegerField(default=0)
    true_alerts_confirmed = models.PositiveIntegerField(default=0)
    true_alerts_unconfirmed = models.PositiveIntegerField(default=0)
    false_alerts_confirmed = models.PositiveIntegerField(default=0)
    false_alerts_unconfirmed = models.PositiveIntegerField(default=0)
    arrests = models.PositiveIntegerField("outcome: arrest", default=0)
    other_outcomes = models.PositiveIntegerField("outcome: other", default=0)
    no_action = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True, help_text="A public summary of what happened.")
    # Faces seen in each clock hour, as [[ISO hour, count], ...], when the engine counted them;
    # they add up to faces_seen (the engine fills both at once), else the list is empty.
    faces_hourly = models.JSONField(default=list, blank=True)
    # Set when the engine filled the counts from its own runs: from then on nobody types them.
    engine_counted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The counts the engine fills from its runs and adjudications.
    ENGINE_FIELDS = (
        "faces_seen",
        "true_alerts_confirmed",
        "true_alerts_unconfirmed",
        "false_alerts_confirmed",
        "false_alerts_unconfirmed",
        "arrests",
        "other_outcomes",
        "no_action",
    )

    def __str__(self) -> str:
        return f"Outcome of {self.deployment}"

    @property
    def is_counted_by_engine(self) -> bool:
        return self.engine_counted_at is not None

    def faces_timeline(self) -> list[tuple[datetime, int]]:
        """Faces seen hour by hour, only if the hours add up to the total published beside them."""
        try:
            timeline = [(datetime.fromisoformat(hour), int(n)) for hour, n in self.faces_hourly]
        except (TypeError, ValueError):
            return []
        if not timeline or sum(n for _, n in timeline) != self.faces_seen:
            return []
        return sorted(timeline)

    def as_counts(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in self._meta.fields
            if isinstance(f, models.PositiveIntegerField)
        }


class EngagementMeeting(models.Model):
    """A meeting the planner held with Londoners before the deployment, and what came of it.

    The London Policing Ethics Panel (2018) asked the force to set out how it engages with
    Londoners: the panel sees these when it reviews, the notice publishes them and the annual
    report totals them by borough.
    """

    class Kind(models.TextChoices):
        WARD_PANEL = "ward_panel", "Safer neighbourhood ward panel"
        COMMUNITY_GROUP = "community_group", "Community group"
        ADVISORY_GROUP = "advisory_group", "Independent advisory group"

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="engagement_meetings"
    )
    held_on = models.DateField("date of the meeting")
    kind = models.CharField("who", max_length=20, choices=Kind.choices)
    group_name = models.CharField(
        "name of the panel or group",
        max_length=200,
        help_text="For example “Brixton Hill ward panel”. Name the group, not the people.",
    )
    raised = models.TextField("what was raised")
    changed = models.TextField(
        "what changed as a result",
        help_text="Say “Nothing changed” and why, if nothing did.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.group_name} ({self.held_on:%-d %B %Y})"

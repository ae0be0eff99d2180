"""The public record's own tables: questions from the public, the PDFs it publishes, and the
subscriptions to its notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.storage import storages_reports
from deployments.models import Area, Deployment


class PublicQuestion(models.Model):
    """A question from the public on a notice, moderated and answered in public."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for moderation"
        PUBLISHED = "published", "Published"
        REMOVED = "removed", "Removed by a moderator"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    name = models.CharField(max_length=100, blank=True)
    # Never published: used only to reply.
    email = models.EmailField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    removal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["submitted_at"]

    def __str__(self) -> str:
        return f"Question {self.pk} on {self.deployment}"


class ReportPdf(models.Model):
    """A generated PDF (trial report, annual report), stored and served."""

    class Kind(models.TextChoices):
        TRIAL = "trial", "Trial report"
        ANNUAL = "annual", "Annual report"
        HOW_IT_WORKS = "how_it_works", "How the force decides"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    # "LFR-2026-0042" or "2026": what the PDF is of.
    key = models.CharField(max_length=40)
    file = models.FileField(storage=storages_reports, upload_to="pdf/", max_length=200)
    sha256 = models.CharField(max_length=64)
    # Hash of the record the PDF was rendered from, so it is regenerated when that changes.
    source_hash = models.CharField(max_length=64)
    generated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_pdf_per_subject")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class PolicyRecord(models.Model):
    """The rules /how-it-works/ describes, as last recorded, and when they last changed.

    One row (`key` "current"). When the rules in force (settings, the gate's reasons, the
    lifecycle, the use cases) differ from `rules`, `public.services.policy_record` replaces them
    and writes the change to the audit trail as a change of policy; the history is in the trail.
    """

    key = models.CharField(max_length=20, unique=True, default="current")
    # SHA-256 of `rules` in canonical JSON: compared on every read of the page.
    fingerprint = models.CharField(max_length=64)
    # {name: {"words": what it is, "value": as the page says it}}
    rules = models.JSONField(default=dict)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Rules as of {self.changed_at:%Y-%m-%d %H:%M}"


class Subscription(models.Model):
    """Someone who asked to be e-mailed new notices and results, for London or some boroughs.

    The address is used for these messages and nothing else, and the row is deleted (never
    flagged) when its owner unsubscribes, or when it is not confirmed in time: double opt-in,
    so nothing but the confirmation message goes to an address its owner has not confirmed.
    """

    email = models.EmailField(unique=True)
    all_london = models.BooleanField(default=False)
    areas = models.ManyToManyField(Area, blank=True, related_name="+")
    # Random, in the signed links (confirm, unsubscribe): a link names this row and no other,
    # even if a deleted row's id is used again.
    key = models.CharField(max_length=32)
    requested_at = models.DateTimeField()
    # How many times the subscription was asked for: each request's e-mail is sent once.
    requests = models.PositiveIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        # Never the address: a subscription may be named in logs and errors.
        return f"Subscription {self.pk}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class SubscriptionDelivery(models.Model):
    """One message sent to one subscription, so a job that runs twice sends nothing twice.

    `message` names what was sent ("confirm:2", "notice:17", "results:17"), never to whom;
    the rows go with the subscription when it is deleted.
    """

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message = models.CharField(max_length=40)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "message"], name="one_delivery_per_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message} to subscription {self.subscription_id}"


class CacheVersion(models.Model):
    """The version of one part of the public record (`core.public_changes` scopes).

    `public.cache` replaces `token` in the same transaction as a change to that part, and reads
    it to build the key the page is cached under (from its copy in Redis when there is one,
    else one indexed query per request); so a cached page is never served after the change
    that altered it has committed, whatever the cache.
    """

    scope = models.CharField(max_length=60, unique=True)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.scope} at {self.token}"


class PublicFile(models.Model):
    """A stored rendering of a public page or export (open data, the annual report).

    Regenerated by a task after each change that alters it (at once in the embedded default)
    and served with its ETag, Last-Modified and a gzipped copy; `token` is the version of the
    record it was rendered from, and `valid_until` when a trial's status next changes with time.
    """

    path = models.CharField(max_length=200, unique=True)
    token = models.CharField(max_length=400)
    valid_until = models.DateTimeField(null=True, blank=True)
    content_type = models.CharField(max_length=100)
    file = models.FileField(storage=storages_reports, upload_to="public/", max_length=200)
    gzip_file = models.FileField(storage=storages_reports, upload_to="public/", max_length=200)
    sha256 = models.CharField(max_length=64)
    headers = models.JSONField(default=dict)
    generated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Stored {self.path}"

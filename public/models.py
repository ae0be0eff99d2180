"""The public record's own tables: questions from the public, and the PDFs it publishes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.storage import storages_reports
from deployments.models import Deployment


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

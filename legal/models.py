"""Instruments, force documents, their versions, and the use cases of the LFR policy."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from .diff import DiffRow, rows_from_json


class ImmutableVersionError(Exception):
    """Raised when code tries to change a document version that is no longer a draft."""


class WatchlistCategory(models.TextChoices):
    """Who may be put on a watchlist. A use case allows a subset of these."""

    WANTED_BY_COURT = "wanted_by_court", "Wanted by the courts (warrant issued)"
    WANTED_SUSPECT = "wanted_suspect", "Suspected of an offence and wanted for arrest"
    MISSING_PERSON = "missing_person", "Missing person at risk"
    RISK_OF_HARM = "risk_of_harm", "At risk of causing harm to themselves or others"
    BAIL_CONDITIONS = "bail_conditions", "Subject to bail or court-imposed conditions"
    SEX_OFFENDER_CONDITIONS = (
        "sex_offender_conditions",
        "Subject to a sexual harm prevention order or notification requirements",
    )


class Instrument(models.Model):
    class Kind(models.TextChoices):
        STATUTE = "statute", "Statute"
        COMMON_LAW = "common_law", "Common-law power"
        CODE_OF_PRACTICE = "code_of_practice", "Code of practice"
        CASE_LAW = "case_law", "Case law"
        GUIDANCE = "guidance", "Guidance"

    citation = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="What it allows or requires, in plain language.")
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["kind", "citation"]

    def __str__(self) -> str:
        return self.citation


class Document(models.Model):
    class Kind(models.TextChoices):
        LEGAL_MANDATE = "legal_mandate", "Legal mandate"
        DPIA = "dpia", "Data protection impact assessment"
        EQUALITY_IMPACT = "equality_impact", "Equality impact assessment"
        APPROPRIATE_POLICY = "appropriate_policy", "Appropriate policy document"
        SOP = "sop", "Standard operating procedure"
        LFR_POLICY = "lfr_policy", "Live facial recognition policy"

    # One document of each kind: the force's current text lives in its versions.
    kind = models.CharField(max_length=32, choices=Kind.choices, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    # The four kinds a deployment cannot be submitted without (DESIGN.md, legal/).
    REQUIRED_FOR_SUBMISSION = (
        Kind.LEGAL_MANDATE,
        Kind.DPIA,
        Kind.EQUALITY_IMPACT,
        Kind.APPROPRIATE_POLICY,
    )

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:legal_document", args=[self.kind])

    def current_version(self) -> DocumentVersion | None:
        return self.versions.filter(status=DocumentVersion.Status.PUBLISHED).first()


class DocumentVersionQuerySet(models.QuerySet["DocumentVersion"]):
    """Bulk changes bypass `save` and `delete`, so they may touch drafts only."""

    def _refuse_if_any_left_draft(self, doing: str) -> None:
        if self.exclude(status=DocumentVersion.Status.DRAFT).exists():
            raise ImmutableVersionError(
                f"Versions that have left draft cannot be {doing} in bulk: they are part of "
                "the public record. Use the legal services, one version at a time."
            )

    def update(self, **kwargs: Any) -> int:
        self._refuse_if_any_left_draft("changed")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_if_any_left_draft("deleted")
        return super().delete()


class DocumentVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Fields that are frozen once a version leaves draft.
    CONTENT_FIELDS = ("document_id", "number", "title", "body", "change_summary", "sha256")
    # What a version's status may become once it has left draft, with the fields each move
    # sets; nothing else about a published, superseded or withdrawn version ever changes.
    MOVES: dict[tuple[str, str], tuple[str, ...]] = {
        ("published", "superseded"): ("superseded_at",),
        ("published", "withdrawn"): ("withdrawn_at", "withdrawn_reason"),
    }
    RECORD_FIELDS = (
        *CONTENT_FIELDS,
        "diff_against_id",
        "diff",
        "status",
        "created_by_id",
        "published_at",
        "published_by_id",
        "superseded_at",
        "withdrawn_at",
        "withdrawn_reason",
    )

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="The full text of this version.")
    change_summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # What changed from the public version before it: computed once, when it is published
    # (legal/diff.py), and only read by the pages. Frozen with the rest of the record.
    diff_against = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    diff = models.JSONField(null=True, blank=True)

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_version_number"),
            # At most one published version per document: the current one.
            models.UniqueConstraint(
                fields=["document"],
                condition=models.Q(status="published"),
                name="one_published_version_per_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.title}, version {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = DocumentVersion.objects.filter(pk=self.pk).values(*self.RECORD_FIELDS).first()
            if stored is not None and stored["status"] != self.Status.DRAFT:
                self._refuse_changes_to(stored)
        if self.status == self.Status.DRAFT:
            self.sha256 = self.digest(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("public:legal_version", args=[self.document.kind, self.number])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        stored = DocumentVersion.objects.filter(pk=self.pk).values_list("status", flat=True)
        status = stored.first() or self.status
        if status != self.Status.DRAFT:
            raise ImmutableVersionError(
                f"{self} is {status}: it is part of the public record and cannot be deleted."
            )
        return super().delete(*args, **kwargs)

    def _refuse_changes_to(self, stored: dict[str, Any]) -> None:
        """A version out of draft is part of the public record: only its listed moves apply."""
        allowed = self.MOVES.get((stored["status"], self.status), ())
        if stored["status"] == self.status:
            allowed = ()
        elif (stored["status"], self.status) not in self.MOVES:
            raise ImmutableVersionError(
                f"{self} is {stored['status']} and cannot become {self.status}. "
                "Draft a new version instead."
            )
        changed = [
            f
            for f in self.RECORD_FIELDS
            if f != "status" and f not in allowed and stored[f] != getattr(self, f)
        ]
        if changed:
            raise ImmutableVersionError(
                f"{self} is {stored['status']} and cannot be edited "
                f"(tried to change {', '.join(changed)}). Draft a new version instead."
            )

    @staticmethod
    def length_limit_text() -> str:
        limit = settings.OVERSIGHT_MAX_DOCUMENT_CHARS
        return f"{limit:,} characters (about {limit // 6_500 * 1_000:,} words)"

    @classmethod
    def length_problem(cls, body: str) -> str:
        """Why `body` is over the document size limit, or "" when it fits.

        The limit keeps every page and every publish-time diff bounded; the form states it.
        """
        if len(body) <= settings.OVERSIGHT_MAX_DOCUMENT_CHARS:
            return ""
        return (
            f"The text is {len(body):,} characters; a version may have at most "
            f"{cls.length_limit_text()}. Shorten it, or publish a long annex as a separate "
            "document."
        )

    @staticmethod
    def digest(body: str) -> str:
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def is_current(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def diff_rows(self) -> list[DiffRow]:
        """The stored diff from `diff_against`, as rows; empty when there is none."""
        return rows_from_json(self.diff or [])


class UseCase(models.Model):
    """A clause of the force's LFR policy under which a deployment may be made."""

    clause = models.CharField(max_length=20, unique=True, help_text='For example "2.3(a)".')
    title = models.CharField(max_length=120)
    description = models.TextField()
    instruments = models.ManyToManyField(Instrument, related_name="use_cases")
    allowed_categories = models.JSONField(
        default=list, help_text="Watchlist categories this use case allows."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clause"]

    def __str__(self) -> str:
        # Plain words first, the clause after: "Crime hotspot (use case 2.3(a))".
        return f"{self.title} (use case {self.clause})"

    def allowed_category_labels(self) -> list[str]:
        labels = dict(WatchlistCategory.choices)
        return [labels.get(c, c) for c in self.allowed_categories]

    def allows(self, categories: list[str]) -> bool:
        return set(categories) <= set(self.allowed_categories)


class EngineEvaluation(models.Model):
    """The engine's error rates by demographic group on a labelled image set.

    Written by `manage.py evaluate_engine` (matching/); a legal officer attaches it to an
    equality impact assessment version, and the panel sees the latest when reviewing.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    manifest_name = models.CharField(max_length=200)
    manifest_sha256 = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=100)
    thresholds = models.JSONField(default=list)
    # Per group and threshold: FMR, FNMR, counts and Wilson intervals; see matching/evaluation.py.
    results = models.JSONField(default=dict)
    # Images that could not be read or did not hold exactly one face, with the reason.
    excluded = models.JSONField(default=list)
    # Largest threshold at which the worst-to-best false match ratio was within the setting.
    parity_threshold = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    attached_to = models.ForeignKey(
        DocumentVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluations",
        limit_choices_to={"document__kind": Document.Kind.EQUALITY_IMPACT},
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Engine evaluation {self.pk} ({self.created_at:%d %b %Y})"

    def parity_evidence(self) -> list[ParityEvidence]:
        """Per threshold, what the 95% intervals let anyone say about the worst-to-best false
        match ratio against the limit: within it, beyond it, or too few photographs to tell.

        "Within" needs every group's upper bound within the limit of every group's lower bound;
        "beyond" needs some group's lower bound beyond the limit of another's upper bound. The
        point estimates alone (`parity_threshold`) can say neither when the intervals are wide.
        """
        limit = float(self.results.get("parity_ratio_limit") or 1.0)
        evidence = []
        for row in self.results.get("by_threshold", []):
            measured = [g for g in row.get("groups", []) if g.get("fmr") is not None]
            if len(measured) < 2:
                evidence.append(ParityEvidence(float(row["threshold"]), "unknown", 0.0, 1.0))
                continue
            lows = [float(g["fmr_low"]) for g in measured]
            highs = [float(g["fmr_high"]) for g in measured]
            if max(highs) <= limit * min(lows):
                verdict = "within"
            elif max(lows) > limit * min(highs):
                verdict = "beyond"
            else:
                verdict = "unknown"
            evidence.append(ParityEvidence(float(row["threshold"]), verdict, min(lows), max(highs)))
        return evidence

    def parity_summary(self) -> tuple[float | None, ParityEvidence | None]:
        """The largest threshold up to which the evidence shows parity (None if none), and
        the first threshold after it where it does not, with its verdict."""
        within_to = None
        for evidence in self.parity_evidence():
            if evidence.verdict != "within":
                return within_to, evidence
            within_to = evidence.threshold
        return within_to, None


@dataclass(frozen=True)
class ParityEvidence:
    """One threshold's verdict on group parity, with the range the groups' intervals span."""

    threshold: float
    verdict: str  # "within", "beyond" or "unknown" (too few photographs to tell)
    low: float
    high: float

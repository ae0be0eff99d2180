"""Watchlists, runs and alerts of the bundled engine, built on the register.

Biometric data lives in two places only: a watchlist entry's image and encoding, and an alert's
crop of a matched face. Images and crops are in private storage, which no URL serves; the
retention task (`services.retention_purge`) deletes them. Nothing here can describe a face
that matched no one: a run only counts frames and faces, and an alert exists only for a match.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from core.storage import storages_private
from deployments.models import Deployment
from legal.models import WatchlistCategory

ENCODING_BYTES = 128 * 8  # 128 float64 values, as the engine produces them


def _private_name(prefix: str) -> str:
    # A random name: the uploaded file's own name could carry a person's name.
    return f"{prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


def entry_image_path(instance: Any, filename: str) -> str:
    return _private_name("watchlist")


def alert_crop_path(instance: Any, filename: str) -> str:
    return _private_name("alerts") + ".jpg"


class Watchlist(models.Model):
    """The people one deployment looks for. Frozen by fingerprint at the chair's sign-off."""

    deployment = models.OneToOneField(
        Deployment, on_delete=models.PROTECT, related_name="watchlist"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when retention deleted every image and encoding (the entries' records stay).
    purged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Watchlist of {self.deployment}"


subject_reference_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9/._-]{2,39}$",
    "Use the pseudonymous reference from the source system (3 to 40 letters, digits, "
    "hyphens, slashes, dots or underscores, no spaces), never a name.",
)


class WatchlistEntry(models.Model):
    class Status(models.TextChoices):
        ENROLLING = "enrolling", "Enrolling"
        ENROLLED = "enrolled", "Enrolled"
        REFUSED = "refused", "Refused"
        REMOVED = "removed", "Removed"

    # Entries that are on the watchlist: the fingerprint covers these, and the cap counts them.
    ACTIVE = (Status.ENROLLING, Status.ENROLLED)

    watchlist = models.ForeignKey(Watchlist, on_delete=models.PROTECT, related_name="entries")
    subject_reference = models.CharField(
        max_length=40,
        validators=[subject_reference_validator],
        help_text="The pseudonymous reference from the source system. Never a name.",
    )
    category = models.CharField(max_length=32, choices=WatchlistCategory.choices)
    image_provenance = models.TextField(
        help_text="Where the image comes from: the system, its record reference and the date "
        "it was taken."
    )
    legal_basis = models.TextField(
        help_text="The legal basis on which the force holds this image (for example a custody "
        "image taken under PACE s.64A)."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    image = models.FileField(
        storage=storages_private, upload_to=entry_image_path, blank=True, max_length=200
    )
    # 128 float64 values (1,024 bytes), little-endian; empty until enrolled and after purge.
    encoding = models.BinaryField(null=True, blank=True, editable=False)
    # Where enrolment found the face, (top, right, bottom, left): the console shows the operator
    # this face beside each alert's crop, at the same scale.
    face_box = models.JSONField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ENROLLING)
    refusal_code = models.CharField(max_length=32, blank=True)
    refusal_reason = models.TextField(blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removal_reason = models.TextField(blank=True)
    # When retention deleted the image and encoding.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["watchlist", "id"]
        verbose_name_plural = "watchlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["watchlist", "subject_reference"],
                condition=models.Q(status__in=["enrolling", "enrolled"]),
                name="one_active_entry_per_subject",
            )
        ]

    def __str__(self) -> str:
        return self.subject_reference

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def encoding_array(self) -> npt.NDArray[np.float64] | None:
        if not self.encoding:
            return None
        return np.frombuffer(bytes(self.encoding), dtype="<f8").copy()


def camera_stream_validator(value: str) -> None:
    """A stream the ingest worker may open: RTSP or HTTP(S), or a file under the allowed root.

    Files are for tests and the demo: a planner must not be able to make the server read any
    file it can see, so a path is accepted only under `OVERSIGHT_CAMERA_FILE_ROOT` (unset in
    production, where every camera is a network stream).
    """
    from pathlib import Path
    from urllib.parse import urlsplit

    from django.core.exceptions import ValidationError

    parts = urlsplit(value)
    if parts.scheme in ("rtsp", "rtsps", "http", "https"):
        if not parts.hostname:
            raise ValidationError("Give the camera's host, for example rtsp://10.0.0.5/stream1.")
        return
    root = settings.OVERSIGHT_CAMERA_FILE_ROOT
    if parts.scheme == "file" and root:
        path = Path(parts.path).resolve()
        if path.is_relative_to(Path(root).resolve()) and path.is_file():
            return
        raise ValidationError(f"A video file must exist under {root}.")
    raise ValidationError(
        "Give the stream's address starting rtsp://, rtsps://, http:// or https:// "
        "(for example rtsp://10.0.0.5/stream1)."
    )


class Camera(models.Model):
    """One camera of a deployment: set by the planner, pinned at the chair's sign-off.

    The label and position are public (the notice says where cameras stand); the stream address
    is restricted, since it may carry a password and says how to reach the camera.
    """

    class Kind(models.TextChoices):
        STREAM = "stream", "Stream: the register reads the camera's stream"
        BOX = "box", "Ingest box: a box beside the camera sends frames to the register"

    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="cameras")
    label = models.CharField(
        max_length=60, help_text="A short public name, for example “Camera 2, north exit”."
    )
    position = models.TextField(
        help_text="Where it stands and what it looks at, in words for the public notice."
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.STREAM)
    stream_url = models.CharField(max_length=500, blank=True, validators=[camera_stream_validator])
    frames_per_second = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("10"))],
        help_text="How many frames a second are matched (0.5 to 10).",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deployment", "label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "label"], name="one_camera_per_label")
        ]

    def __str__(self) -> str:
        return self.label


class Run(models.Model):
    """One operator's session on one camera or source, and what it counted."""

    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="runs")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source_label = models.CharField(
        max_length=120, help_text="The camera or source, for example “Camera 2, north exit”."
    )
    threshold = models.DecimalField(max_digits=4, decimal_places=3)
    started_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_code = models.CharField(max_length=32, blank=True)
    stop_reason = models.TextField(blank=True)
    frames = models.PositiveIntegerField(default=0)
    faces_seen = models.PositiveIntegerField(default=0)
    # The approved camera this run reads (none for files given to `manage.py watch`).
    camera = models.ForeignKey(
        Camera, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    # Set by the ingest worker as it reads a camera's stream; the console shows a stale one.
    ingest_seen_at = models.DateTimeField(null=True, blank=True)
    # The last batch number the ingest worker used: a worker taking the run over goes on from it.
    batches_sent = models.PositiveIntegerField(default=0)
    # SHA-256 of the run's API bearer token: the token itself is shown once and never stored.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Run {self.pk}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None


class Batch(models.Model):
    """A batch of frames a matching worker has finished: its effects are written once.

    The queue may deliver a batch twice (a worker dies after writing but before acknowledging
    it); the unique (run, seq) makes the second delivery change nothing, so no alert is raised
    twice and no face is counted twice. It holds numbers only.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="batches")
    seq = models.PositiveIntegerField()
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_batch_per_seq")]

    def __str__(self) -> str:
        return f"Batch {self.seq} of run {self.run_id}"


class HourlyCount(models.Model):
    """Frames and faces a run counted in one clock hour: aggregates, nothing of anyone."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="hourly_counts")
    hour = models.DateTimeField()
    frames = models.PositiveIntegerField(default=0)
    faces_seen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hour", "run"]
        constraints = [models.UniqueConstraint(fields=["run", "hour"], name="one_count_per_hour")]

    def __str__(self) -> str:
        return f"Run {self.run_id} at {self.hour:%Y-%m-%d %H}:00"


class Alert(models.Model):
    """A face that matched a watchlist entry, for the operator to adjudicate."""

    class Verdict(models.TextChoices):
        TRUE = "true", "True alert (the person is the one on the watchlist)"
        FALSE = "false", "False alert (a different person)"

    class Confirmation(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed (identity checked after engagement)"
        UNCONFIRMED = "unconfirmed", "Unconfirmed (no engagement, or identity not checked)"

    class Outcome(models.TextChoices):
        ARREST = "arrest", "Arrest"
        OTHER = "other", "Other outcome"
        NO_ACTION = "no_action", "No action"

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="alerts")
    entry = models.ForeignKey(WatchlistEntry, on_delete=models.PROTECT, related_name="alerts")
    distance = models.FloatField(help_text="Euclidean distance between the encodings.")
    seen_at = models.DateTimeField()
    # When the engine saved it: seen_at to raised_at is the pipeline's latency.
    raised_at = models.DateTimeField(default=timezone.now, editable=False)
    # Which batch of the run and which face in it: one alert per face per frame, however often
    # the queue delivers the batch. Empty for alerts from before batches were numbered.
    batch_seq = models.PositiveIntegerField(null=True, blank=True)
    face_index = models.PositiveSmallIntegerField(null=True, blank=True)
    crop = models.FileField(
        storage=storages_private, upload_to=alert_crop_path, blank=True, max_length=200
    )
    crop_purged_at = models.DateTimeField(null=True, blank=True)
    is_evidence = models.BooleanField(
        default=False, help_text="Kept past the retention period because it is evidence."
    )
    evidence_reason = models.TextField(blank=True)
    verdict = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    confirmation = models.CharField(max_length=12, choices=Confirmation.choices, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    notes = models.TextField(blank=True)
    adjudicated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjudicated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "batch_seq", "face_index"], name="one_alert_per_face_per_batch"
            )
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk}"

    @property
    def is_pending(self) -> bool:
        return not self.verdict

    @property
    def crop_expires_at(self) -> Any:
        """When retention deletes the crop, unless it is kept as evidence."""
        return self.seen_at + timedelta(days=settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS)

    @property
    def kind(self) -> str:
        """The published-record column this alert counts in, once adjudicated."""
        if self.is_pending:
            return "pending"
        return f"{self.verdict}_alerts_{self.confirmation}"

"""Watchlists: adding and removing entries, enrolment (encoding) and the sign-off pin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from audit.services import audit_record
from core import outbox
from core.errors import PreconditionsFailed, TransitionNotAllowed
from deployments.models import Deployment
from legal.models import WatchlistCategory
from matching import engine
from matching.models import Watchlist, WatchlistEntry, subject_reference_validator
from matching.selectors import (
    WATCHLIST_OPEN_STATES,
    watchlist_fingerprint,
)

from ._common import (
    _ENGINE_LOCK,
    User,
    _delete_file,
    _locked_watchlist,
    _watchlist_cap,
    check_manage_watchlist,
)


# --- watchlist ----------------------------------------------------------------------------------
@transaction.atomic
def watchlist_entry_add(
    *,
    deployment: Deployment,
    by: User,
    subject_reference: str,
    category: str,
    image_provenance: str,
    legal_basis: str,
    image: File[Any] | IO[bytes],
) -> WatchlistEntry:
    """Add a person to the watchlist; the image is encoded by a task once this commits.

    Allowed until the chair's sign-off, which pins the watchlist: after that an addition would
    be a watchlist the panel never saw, and the gate would refuse every batch.
    """
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    check_manage_watchlist(deployment, by)
    if deployment.is_urgent and deployment.state in WATCHLIST_OPEN_STATES:
        raise TransitionNotAllowed(
            f"{deployment} has been put to urgent use, which fixed its watchlist: no one can be "
            "added before the panel's decision."
        )
    if deployment.state not in WATCHLIST_OPEN_STATES:
        state = deployment.get_state_display().lower()
        if deployment.approved_at is None:
            raise TransitionNotAllowed(f"{deployment} is {state}: no one can be added to it.")
        raise TransitionNotAllowed(
            f"{deployment} is {state}: its watchlist was fixed when the panel chair signed it "
            "off, so no one can be added. A different watchlist needs a new deployment request."
        )
    watchlist = _locked_watchlist(deployment)
    problems: dict[str, list[str]] = {}
    reference = (subject_reference or "").strip()
    try:
        subject_reference_validator(reference)
    except ValidationError as error:
        problems["subject_reference"] = list(error.messages)
    if (
        reference
        and watchlist.entries.filter(
            subject_reference=reference, status__in=WatchlistEntry.ACTIVE
        ).exists()
    ):
        problems.setdefault("subject_reference", []).append(
            f"{reference} is already on this watchlist."
        )
    allowed = deployment.use_case.allowed_categories if deployment.use_case else []
    if category not in WatchlistCategory.values:
        problems["category"] = ["Choose the watchlist category this person is in."]
    elif category not in allowed:
        clause = deployment.use_case.clause if deployment.use_case else "(none chosen)"
        problems["category"] = [
            f"Use case {clause} does not allow “{WatchlistCategory(category).label}”. "
            "Only people in a category the use case allows can be on the watchlist."
        ]
    elif deployment.watchlist_categories and category not in deployment.watchlist_categories:
        named = ", ".join(deployment.watchlist_category_labels())
        problems["category"] = [
            f"The request names other categories ({named}); choose one of those. A new "
            "category needs a new request."
        ]
    if not (image_provenance or "").strip():
        problems["image_provenance"] = ["Say where the image comes from."]
    if not (legal_basis or "").strip():
        problems["legal_basis"] = ["Give the legal basis for holding the image."]
    active = watchlist.entries.filter(status__in=WatchlistEntry.ACTIVE).count()
    cap = _watchlist_cap(deployment)
    if active >= cap:
        problems.setdefault("", []).append(
            f"The watchlist is full: it has {active:,} people and the size cap is {cap:,}. "
            "Remove someone first, or ask for a larger cap in a new request."
        )
    if problems:
        raise PreconditionsFailed(problems)

    entry = WatchlistEntry(
        watchlist=watchlist,
        subject_reference=reference,
        category=category,
        image_provenance=image_provenance.strip(),
        legal_basis=legal_basis.strip(),
        added_by=by,
    )
    size = getattr(image, "size", None)
    if size is None:
        image.seek(0, 2)
        size = image.tell()
        image.seek(0)
    limit = settings.OVERSIGHT_MAX_IMAGE_BYTES
    if size > limit:
        # Refused at once and never stored: there is nothing for enrolment to try.
        entry.status = WatchlistEntry.Status.REFUSED
        entry.refusal_code = "too_large"
        entry.refusal_reason = (
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(limit)}. "
            "Upload a smaller image."
        )
        entry.save()
    elif (header := _too_many_pixels(image)) is not None:
        # Refused from the header alone, before anything is stored or decoded. Other faults
        # (a damaged or truncated file) are refused by enrolment, with their reasons.
        entry.status = WatchlistEntry.Status.REFUSED
        entry.refusal_code, entry.refusal_reason = header.reason_code, header.message
        entry.save()
    else:
        entry.save()
        entry.image.save("upload", image if isinstance(image, File) else File(image), save=True)
    try:
        _record_entry_added(entry=entry, deployment=deployment, by=by)
    except BaseException:
        # The row rolls back with this transaction; the image on disk must go with it, or it
        # would be biometric data that no entry names and no retention rule ever deletes.
        _delete_file(entry.image)
        raise
    return entry


def _record_entry_added(*, entry: WatchlistEntry, deployment: Deployment, by: User) -> None:
    audit_record(
        actor=by,
        action="watchlist.entry_added",
        obj=deployment,
        details={"entry": entry.pk, "category": entry.category, "status": entry.status},
    )
    if entry.status == WatchlistEntry.Status.ENROLLING:
        # In the outbox, in this transaction: the entry stays "enrolling" until the worker
        # encodes it, and a broker that is down delays its enrolment but never loses it.
        outbox.enqueue(
            "matching.tasks.enrol_entry",
            about=f"watchlist_entry:{entry.pk}",
            description=f"Enrol a watchlist image for {deployment.reference}",
            entry_id=entry.pk,
        )


def _too_many_pixels(image: Any) -> engine.ImageRejected | None:
    """The refusal when the header declares more pixels than a watchlist image may have."""
    try:
        engine.check_image(
            cast(BinaryIO, image),
            max_bytes=settings.OVERSIGHT_MAX_IMAGE_BYTES,
            max_pixels=settings.OVERSIGHT_MAX_WATCHLIST_IMAGE_PIXELS,
        )
    except engine.ImageRejected as rejected:
        return rejected if rejected.reason_code == "too_many_pixels" else None
    finally:
        if hasattr(image, "seek"):
            image.seek(0)
    return None


@dataclass(frozen=True)
class _Encoded:
    encoding: npt.NDArray[np.float64] | None = None
    location: tuple[int, int, int, int] | None = None
    code: str = ""
    reason: str = ""


def _encode_for_enrolment(entry: WatchlistEntry) -> _Encoded:
    try:
        with entry.image.open("rb") as stored:
            image = engine.load_image(
                cast(BinaryIO, stored),
                max_bytes=settings.OVERSIGHT_MAX_IMAGE_BYTES,
                max_pixels=settings.OVERSIGHT_MAX_WATCHLIST_IMAGE_PIXELS,
            )
    except engine.ImageRejected as rejected:
        return _Encoded(code=rejected.reason_code, reason=rejected.message)
    except (FileNotFoundError, ValueError):
        return _Encoded(
            code="missing", reason="The stored image could not be found. Upload it again."
        )
    with _ENGINE_LOCK:
        locations = engine.detect_faces(image, upsample=settings.OVERSIGHT_ENROL_UPSAMPLE)
        if len(locations) == 1:
            encoding = engine.encode_faces(image, locations)[0].copy()
    if not locations:
        return _Encoded(
            code="no_face",
            reason="No face was found in the image. Upload a clear, front-facing photograph "
            "in which the person's whole face is visible.",
        )
    if len(locations) > 1:
        return _Encoded(
            code="several_faces",
            reason=f"{len(locations)} faces were found in the image, so the engine cannot tell "
            "which is the person. Upload an image of the person alone, or crop it to their face.",
        )
    return _Encoded(encoding=encoding, location=locations[0])


def watchlist_enrol(*, entry: WatchlistEntry) -> WatchlistEntry:
    """Encode an entry's image: enrolled with its encoding, or refused with the reason.

    The work is done before the row is locked (encoding takes a second or two); the result is
    written only if the entry is still waiting for it. A refused image is deleted: it may show
    someone else, and the planner needs only the reason.
    """
    entry = WatchlistEntry.objects.get(pk=entry.pk)
    if entry.status != WatchlistEntry.Status.ENROLLING:
        return entry
    result = _encode_for_enrolment(entry)
    with transaction.atomic():
        locked = (
            WatchlistEntry.objects.select_for_update()
            .select_related("watchlist__deployment")
            .get(pk=entry.pk)
        )
        if (
            locked.status != WatchlistEntry.Status.ENROLLING
            or locked.image.name != entry.image.name
        ):
            return locked
        deployment = locked.watchlist.deployment
        if result.encoding is not None:
            locked.encoding = result.encoding.astype("<f8").tobytes()
            locked.face_box = list(result.location) if result.location else None
            locked.status = WatchlistEntry.Status.ENROLLED
            locked.enrolled_at = timezone.now()
            locked.save(update_fields=["encoding", "face_box", "status", "enrolled_at"])
            audit_record(
                actor="enrolment",
                action="watchlist.entry_enrolled",
                obj=deployment,
                details={"entry": locked.pk},
            )
        else:
            _delete_file(locked.image)
            locked.image = ""
            locked.status = WatchlistEntry.Status.REFUSED
            locked.refusal_code = result.code
            locked.refusal_reason = result.reason
            locked.save(update_fields=["image", "status", "refusal_code", "refusal_reason"])
            audit_record(
                actor="enrolment",
                action="watchlist.entry_refused",
                obj=deployment,
                details={"entry": locked.pk, "reason_code": result.code, "reason": result.reason},
            )
    if result.encoding is not None:
        result.encoding.fill(0.0)
    return locked


@transaction.atomic
def watchlist_entry_remove(*, entry: WatchlistEntry, by: User, reason: str) -> WatchlistEntry:
    """Take a person off the watchlist and delete their image and encoding at once.

    Allowed at any time (the legal basis for holding an image can lapse), but after sign-off
    the watchlist is no longer the one approved, so the gate refuses every later batch.
    """
    # The watchlist row first, as sign-off takes it: a removal and a sign-off run one after
    # the other, so the pinned fingerprint never includes a half-removed entry.
    Watchlist.objects.select_for_update().get(pk=entry.watchlist_id)
    locked = (
        WatchlistEntry.objects.select_for_update()
        .select_related("watchlist__deployment")
        .get(pk=entry.pk)
    )
    deployment = locked.watchlist.deployment
    check_manage_watchlist(deployment, by)
    if not (reason or "").strip():
        raise PreconditionsFailed({"reason": ["Say why the person is being removed."]})
    if locked.status == WatchlistEntry.Status.REMOVED:
        return locked
    was_pinned = bool(deployment.watchlist_fingerprint)
    _delete_file(locked.image)
    locked.image = ""
    locked.encoding = None
    locked.face_box = None
    locked.status = WatchlistEntry.Status.REMOVED
    locked.removed_at = timezone.now()
    locked.removed_by = by
    locked.removal_reason = reason.strip()
    locked.save()
    audit_record(
        actor=by,
        action="watchlist.entry_removed",
        obj=deployment,
        details={
            "entry": locked.pk,
            "reason": reason.strip(),
            "after_approval": was_pinned,
        },
    )
    return locked


def watchlist_pin_at_sign_off(*, deployment: Deployment, by: User) -> dict[str, str | int]:
    """What sign-off pins of the watchlist, inside the chair's sign-off transaction.

    Refuses an empty watchlist, one still enrolling, one over its cap or holding a category the
    use case does not allow; otherwise gives its fingerprint, which the sign-off service pins
    on the deployment with the approval.
    """
    watchlist = _locked_watchlist(deployment)
    active = watchlist.entries.filter(status__in=WatchlistEntry.ACTIVE)
    counts = dict(active.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    enrolled = counts.get(WatchlistEntry.Status.ENROLLED, 0)
    enrolling = counts.get(WatchlistEntry.Status.ENROLLING, 0)
    if enrolling:
        raise TransitionNotAllowed(
            f"{enrolling} watchlist {'entry is' if enrolling == 1 else 'entries are'} still "
            "being enrolled. Sign off once enrolment has finished; the deployment page shows "
            "its progress."
        )
    if not enrolled:
        raise TransitionNotAllowed(
            f"The watchlist of {deployment} is empty. The planner must enrol at least one "
            "person before the deployment can be signed off: an engine with nobody to look "
            "for would scan faces for no purpose."
        )
    cap = _watchlist_cap(deployment)
    if enrolled > cap:
        raise TransitionNotAllowed(
            f"The watchlist has {enrolled:,} people, more than its size cap of {cap:,}. The "
            "planner must remove people before sign-off."
        )
    allowed = set(deployment.use_case.allowed_categories if deployment.use_case else [])
    outside = sorted(set(active.values_list("category", flat=True)) - allowed)
    if outside:
        labels = ", ".join(str(WatchlistCategory(c).label) for c in outside)
        raise TransitionNotAllowed(
            f"The watchlist holds people in categories the use case does not allow ({labels}). "
            "The planner must remove them before sign-off."
        )
    return {
        "watchlist_fingerprint": watchlist_fingerprint(deployment=deployment),
        "watchlist_size_at_sign_off": enrolled,
    }

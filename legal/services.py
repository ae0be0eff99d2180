"""Writes to the legal-basis register: drafting, publishing and withdrawing versions."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import audit_record
from core import public_changes
from core.errors import NotPermitted, TransitionNotAllowed
from core.roles import Role, has_role
from core.types import User

from .diff import rows_to_json, version_diff
from .models import Document, DocumentVersion
from .selectors import public_versions_before


def _require_legal_officer(user: User) -> None:
    if not has_role(user, Role.LEGAL_OFFICER):
        raise NotPermitted("Only legal officers can draft, publish or withdraw legal documents.")


def _require_within_limit(body: str) -> None:
    problem = DocumentVersion.length_problem(body)
    if problem:
        raise TransitionNotAllowed(problem, field="body")


@transaction.atomic
def document_version_draft(
    *, document: Document, title: str, body: str, change_summary: str, by: User
) -> DocumentVersion:
    _require_legal_officer(by)
    _require_within_limit(body)
    # Lock the document so two drafts cannot take the same number.
    document = Document.objects.select_for_update().get(pk=document.pk)
    last = document.versions.aggregate(n=Max("number"))["n"] or 0
    version = DocumentVersion.objects.create(
        document=document,
        number=last + 1,
        title=title,
        body=body,
        change_summary=change_summary,
        created_by=by,
    )
    audit_record(
        actor=by, action="legal.version_drafted", obj=version, details={"sha256": version.sha256}
    )
    return version


@transaction.atomic
def document_version_update(
    *, version: DocumentVersion, title: str, body: str, change_summary: str, by: User
) -> DocumentVersion:
    _require_legal_officer(by)
    _require_within_limit(body)
    version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_editable:
        raise TransitionNotAllowed(
            f"{version} is {version.get_status_display().lower()} and cannot be edited. "
            "Draft a new version instead."
        )
    version.title, version.body, version.change_summary = title, body, change_summary
    version.save()
    audit_record(
        actor=by, action="legal.version_edited", obj=version, details={"sha256": version.sha256}
    )
    return version


@transaction.atomic
def document_version_publish(*, version: DocumentVersion, by: User) -> DocumentVersion:
    """Publish a draft; the version it replaces becomes superseded."""
    _require_legal_officer(by)
    # Lock the document first: publishing is a change to the document's current version.
    Document.objects.select_for_update().get(pk=version.document_id)
    version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != DocumentVersion.Status.DRAFT:
        raise TransitionNotAllowed(f"Only a draft can be published; {version} is {version.status}.")
    if not version.body.strip():
        raise TransitionNotAllowed("A version with no text cannot be published.", field="body")
    _require_within_limit(version.body)
    now = timezone.now()
    superseded = []
    for previous in DocumentVersion.objects.select_for_update().filter(
        document_id=version.document_id, status=DocumentVersion.Status.PUBLISHED
    ):
        previous.status = DocumentVersion.Status.SUPERSEDED
        previous.superseded_at = now
        previous.save()
        superseded.append(previous.number)
    # The diff the public pages show is computed here, once, and stored with the version:
    # a page view never diffs (README, "Bounded work").
    earlier = public_versions_before(version)
    version.diff_against = earlier
    version.diff = (
        rows_to_json(version_diff(earlier.body, version.body)) if earlier is not None else None
    )
    version.status = DocumentVersion.Status.PUBLISHED
    version.published_at = now
    version.published_by = by
    version.save()
    audit_record(
        actor=by,
        action="legal.version_published",
        obj=version,
        details={"sha256": version.sha256, "superseded": superseded},
    )
    public_changes.announce(public_changes.LEGAL)
    return version


@transaction.atomic
def document_version_withdraw(
    *, version: DocumentVersion, reason: str, by: User
) -> DocumentVersion:
    """Withdraw a published version. Deployments that pinned it can no longer run."""
    _require_legal_officer(by)
    if not reason.strip():
        raise TransitionNotAllowed("Give the reason for withdrawing this version.", field="reason")
    version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != DocumentVersion.Status.PUBLISHED:
        raise TransitionNotAllowed(
            f"Only the published version can be withdrawn; {version} is {version.status}."
        )
    version.status = DocumentVersion.Status.WITHDRAWN
    version.withdrawn_at = timezone.now()
    version.withdrawn_reason = reason.strip()
    version.save()
    audit_record(
        actor=by, action="legal.version_withdrawn", obj=version, details={"reason": reason}
    )
    public_changes.announce(public_changes.LEGAL)
    return version

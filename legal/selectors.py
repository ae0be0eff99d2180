"""Reads of the legal-basis register."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Document, DocumentVersion


def documents_with_versions() -> QuerySet[Document]:
    return Document.objects.prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"))
    )


def current_versions() -> dict[str, DocumentVersion]:
    """The published version of each document kind, keyed by kind."""
    versions = DocumentVersion.objects.filter(
        status=DocumentVersion.Status.PUBLISHED
    ).select_related("document")
    return {v.document.kind: v for v in versions}


def missing_required_documents() -> list[str]:
    """Labels of the documents a submission needs that have no published version."""
    current = current_versions()
    labels = dict(Document.Kind.choices)
    return [labels[k] for k in Document.REQUIRED_FOR_SUBMISSION if k not in current]


def public_documents() -> QuerySet[Document]:
    """Documents with their public versions (drafts are never public)."""
    public = DocumentVersion.objects.exclude(status=DocumentVersion.Status.DRAFT).order_by(
        "-number"
    )
    return Document.objects.prefetch_related(Prefetch("versions", queryset=public))


PUBLIC_STATUSES = (
    DocumentVersion.Status.PUBLISHED,
    DocumentVersion.Status.SUPERSEDED,
    DocumentVersion.Status.WITHDRAWN,
)


def public_versions_before(version: DocumentVersion) -> DocumentVersion | None:
    """The latest public version of the same document numbered below `version`: the one a
    published version's diff is taken from."""
    return (
        DocumentVersion.objects.filter(
            document_id=version.document_id, number__lt=version.number, status__in=PUBLIC_STATUSES
        )
        .order_by("-number")
        .first()
    )

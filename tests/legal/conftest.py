"""Fixtures of the legal-basis register: one document's versions in each state."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from legal import services as ls
from legal.models import Document, DocumentVersion

# Everyone who holds a role other than legal officer, and a signed-in person with no role.
NOT_LEGAL_OFFICERS = ["planner", "authoriser", "chair", "operator", "moderator", "stranger"]


@pytest.fixture(params=NOT_LEGAL_OFFICERS)
def not_a_legal_officer(request: pytest.FixtureRequest, actors: Any) -> Any:
    """Each person in turn who may not manage the force's legal documents."""
    return getattr(actors, request.param)


@pytest.fixture
def published_version(documents: dict[str, Any]) -> DocumentVersion:
    """Version 1 of the data protection impact assessment, the current one."""
    return documents[Document.Kind.DPIA]


@pytest.fixture
def draft_version(actors: Any, published_version: DocumentVersion) -> DocumentVersion:
    """Version 2 of the same document, still a draft."""
    return ls.document_version_draft(
        document=published_version.document,
        title="Data protection impact assessment, revised",
        body="Revised text of the assessment.",
        change_summary="Revises the retention section.",
        by=actors.legal_officer,
    )


@pytest.fixture
def superseded_version(
    actors: Any, published_version: DocumentVersion, draft_version: DocumentVersion
) -> DocumentVersion:
    """Version 1 once version 2 has been published over it."""
    ls.document_version_publish(version=draft_version, by=actors.legal_officer)
    published_version.refresh_from_db()
    return published_version


@pytest.fixture
def withdrawn_version(actors: Any, published_version: DocumentVersion) -> DocumentVersion:
    """Version 1 after a legal officer withdrew it."""
    return ls.document_version_withdraw(
        version=published_version, reason="Overtaken by a court ruling.", by=actors.legal_officer
    )


@pytest.fixture
def register_state() -> Any:
    """A callable that records every version's contents and status, and the audit trail's length.

    Comparing two records shows whether a refused action left the register as it was.
    """

    def take() -> dict[str, Any]:
        return {
            "versions": list(
                DocumentVersion.objects.order_by("pk").values_list(
                    "pk", "document_id", "number", "status", "title", "body", "sha256"
                )
            ),
            "audit_events": AuditEvent.objects.count(),
        }

    return take

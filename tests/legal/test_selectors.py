"""Reads of the legal register: the current version of each document, and what is missing."""

from __future__ import annotations

from typing import Any

import pytest

from legal import services as ls
from legal.models import Document, DocumentVersion
from legal.selectors import current_versions, missing_required_documents
from tests import factories

pytestmark = pytest.mark.django_db

REQUIRED_LABELS = [
    "Legal mandate",
    "Data protection impact assessment",
    "Equality impact assessment",
    "Appropriate policy document",
]


def test_with_no_documents_every_required_document_is_missing():
    assert current_versions() == {}
    assert missing_required_documents() == REQUIRED_LABELS


def test_when_every_document_is_published_nothing_is_missing(documents: dict[str, Any]):
    assert current_versions() == documents
    assert missing_required_documents() == []


def test_the_current_version_is_the_newly_published_one(
    actors: Any, superseded_version: Any, draft_version: Any
):
    current = current_versions()[Document.Kind.DPIA]
    assert current == draft_version
    assert current.status == DocumentVersion.Status.PUBLISHED


def test_a_withdrawn_version_leaves_its_document_missing(withdrawn_version: Any):
    assert Document.Kind.DPIA not in current_versions()
    assert missing_required_documents() == ["Data protection impact assessment"]


def test_a_draft_does_not_count_as_a_current_version(actors: Any, withdrawn_version: Any):
    ls.document_version_draft(
        document=withdrawn_version.document,
        title="Replacement",
        body="Replacement text.",
        change_summary="",
        by=actors.legal_officer,
    )
    assert Document.Kind.DPIA not in current_versions()
    assert missing_required_documents() == ["Data protection impact assessment"]


def test_documents_that_a_submission_does_not_need_are_never_reported_missing(actors: Any):
    factories.publish_documents(actors.legal_officer, kinds=tuple(Document.REQUIRED_FOR_SUBMISSION))
    assert Document.Kind.SOP not in current_versions()
    assert Document.Kind.LFR_POLICY not in current_versions()
    assert missing_required_documents() == []

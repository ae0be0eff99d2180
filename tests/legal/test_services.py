"""The legal register's services: who may draft, edit, publish and withdraw, and what each does."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from core.errors import NotPermitted, TransitionNotAllowed
from legal import services as ls
from legal.models import Document, DocumentVersion

pytestmark = pytest.mark.django_db

Status = DocumentVersion.Status


def audit_actions(version: DocumentVersion) -> list[str]:
    return list(AuditEvent.objects.for_object(version).values_list("action", flat=True))


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


# --- drafting ------------------------------------------------------------------------------
def test_a_legal_officer_drafts_the_next_version_of_a_document(actors: Any, published_version: Any):
    version = ls.document_version_draft(
        document=published_version.document,
        title="Revised",
        body="New text.",
        change_summary="Rewrites it.",
        by=actors.legal_officer,
    )
    assert version.number == published_version.number + 1
    assert version.status == Status.DRAFT
    assert version.created_by == actors.legal_officer
    assert version.sha256 == DocumentVersion.digest("New text.")
    event = last_event("legal.version_drafted")
    assert event.object_id == str(version.pk)
    assert event.actor == actors.legal_officer
    assert event.details == {"sha256": version.sha256}


def test_the_first_draft_of_a_new_document_is_version_1(actors: Any):
    document = Document.objects.create(kind=Document.Kind.SOP, title="Standard operating procedure")
    version = ls.document_version_draft(
        document=document, title="SOP", body="Steps.", change_summary="", by=actors.legal_officer
    )
    assert version.number == 1


def test_someone_who_is_not_a_legal_officer_cannot_draft_a_version(
    not_a_legal_officer: Any, published_version: Any, register_state: Any
):
    before = register_state()
    with pytest.raises(NotPermitted):
        ls.document_version_draft(
            document=published_version.document,
            title="Unofficial",
            body="Unofficial text.",
            change_summary="",
            by=not_a_legal_officer,
        )
    assert register_state() == before
    assert not DocumentVersion.objects.filter(title="Unofficial").exists()


# --- editing a draft -----------------------------------------------------------------------
def test_a_legal_officer_edits_a_draft_and_its_sha256_is_recomputed(
    actors: Any, draft_version: Any
):
    ls.document_version_update(
        version=draft_version,
        title="Edited",
        body="Edited text.",
        change_summary="Edited.",
        by=actors.legal_officer,
    )
    draft_version.refresh_from_db()
    assert (draft_version.title, draft_version.body) == ("Edited", "Edited text.")
    assert draft_version.sha256 == DocumentVersion.digest("Edited text.")
    assert audit_actions(draft_version) == ["legal.version_drafted", "legal.version_edited"]


def test_someone_who_is_not_a_legal_officer_cannot_edit_a_draft(
    not_a_legal_officer: Any, draft_version: Any, register_state: Any
):
    before = register_state()
    with pytest.raises(NotPermitted):
        ls.document_version_update(
            version=draft_version,
            title="Tampered",
            body="Tampered text.",
            change_summary="",
            by=not_a_legal_officer,
        )
    assert register_state() == before
    draft_version.refresh_from_db()
    assert draft_version.body == "Revised text of the assessment."


@pytest.mark.parametrize("state", ["published_version", "superseded_version", "withdrawn_version"])
def test_a_version_that_has_left_draft_cannot_be_edited_through_the_service(
    request: pytest.FixtureRequest, actors: Any, register_state: Any, state: str
):
    version = request.getfixturevalue(state)
    before = register_state()
    with pytest.raises(TransitionNotAllowed, match="Draft a new version"):
        ls.document_version_update(
            version=version,
            title="Changed",
            body="Changed text.",
            change_summary="",
            by=actors.legal_officer,
        )
    assert register_state() == before


# --- publishing ----------------------------------------------------------------------------
def test_publishing_a_draft_supersedes_the_current_version_and_is_audited(
    actors: Any, published_version: Any, draft_version: Any
):
    published = ls.document_version_publish(version=draft_version, by=actors.legal_officer)

    published.refresh_from_db()
    assert published.status == Status.PUBLISHED
    assert published.published_by == actors.legal_officer
    assert published.published_at is not None
    assert published.sha256 == DocumentVersion.digest("Revised text of the assessment.")

    published_version.refresh_from_db()
    assert published_version.status == Status.SUPERSEDED
    assert published_version.superseded_at == published.published_at
    assert published_version.document.current_version() == published

    event = last_event("legal.version_published")
    assert event.object_id == str(published.pk)
    assert event.actor == actors.legal_officer
    assert event.details == {"sha256": published.sha256, "superseded": [published_version.number]}


def test_publishing_keeps_the_sha256_of_the_published_text(actors: Any, draft_version: Any):
    drafted_hash = draft_version.sha256
    published = ls.document_version_publish(version=draft_version, by=actors.legal_officer)
    published.refresh_from_db()
    assert published.sha256 == drafted_hash == DocumentVersion.digest(published.body)


def test_publishing_leaves_other_documents_alone(
    actors: Any, documents: dict[str, Any], draft_version: Any
):
    ls.document_version_publish(version=draft_version, by=actors.legal_officer)
    sop = documents[Document.Kind.SOP]
    sop.refresh_from_db()
    assert sop.status == Status.PUBLISHED


def test_the_first_version_of_a_document_is_published_with_nothing_superseded(actors: Any):
    document = Document.objects.create(kind=Document.Kind.SOP, title="Standard operating procedure")
    draft = ls.document_version_draft(
        document=document, title="SOP", body="Steps.", change_summary="", by=actors.legal_officer
    )
    ls.document_version_publish(version=draft, by=actors.legal_officer)
    assert document.current_version() == draft
    assert last_event("legal.version_published").details["superseded"] == []


def test_someone_who_is_not_a_legal_officer_cannot_publish_a_version(
    not_a_legal_officer: Any, published_version: Any, draft_version: Any, register_state: Any
):
    before = register_state()
    with pytest.raises(NotPermitted):
        ls.document_version_publish(version=draft_version, by=not_a_legal_officer)
    assert register_state() == before
    draft_version.refresh_from_db()
    published_version.refresh_from_db()
    assert draft_version.status == Status.DRAFT
    assert published_version.status == Status.PUBLISHED


def test_a_deactivated_legal_officer_cannot_publish_a_version(
    actors: Any, draft_version: Any, register_state: Any
):
    actors.legal_officer.is_active = False
    actors.legal_officer.save()
    before = register_state()
    with pytest.raises(NotPermitted):
        ls.document_version_publish(version=draft_version, by=actors.legal_officer)
    assert register_state() == before


@pytest.mark.parametrize("state", ["published_version", "superseded_version", "withdrawn_version"])
def test_only_a_draft_can_be_published(
    request: pytest.FixtureRequest, actors: Any, register_state: Any, state: str
):
    version = request.getfixturevalue(state)
    before = register_state()
    with pytest.raises(TransitionNotAllowed, match="Only a draft can be published"):
        ls.document_version_publish(version=version, by=actors.legal_officer)
    assert register_state() == before


def test_a_draft_with_no_text_cannot_be_published(
    actors: Any, published_version: Any, register_state: Any
):
    empty = ls.document_version_draft(
        document=published_version.document,
        title="Empty",
        body="   ",
        change_summary="",
        by=actors.legal_officer,
    )
    before = register_state()
    with pytest.raises(TransitionNotAllowed) as excinfo:
        ls.document_version_publish(version=empty, by=actors.legal_officer)
    assert excinfo.value.field == "body"
    assert register_state() == before


# --- withdrawing ---------------------------------------------------------------------------
def test_a_legal_officer_withdraws_the_published_version_with_a_reason(
    actors: Any, published_version: Any
):
    ls.document_version_withdraw(
        version=published_version, reason="  Overtaken by a ruling.  ", by=actors.legal_officer
    )
    published_version.refresh_from_db()
    assert published_version.status == Status.WITHDRAWN
    assert published_version.withdrawn_reason == "Overtaken by a ruling."
    assert published_version.withdrawn_at is not None
    assert published_version.document.current_version() is None
    assert audit_actions(published_version)[-1] == "legal.version_withdrawn"


def test_someone_who_is_not_a_legal_officer_cannot_withdraw_a_version(
    not_a_legal_officer: Any, published_version: Any, register_state: Any
):
    before = register_state()
    with pytest.raises(NotPermitted):
        ls.document_version_withdraw(
            version=published_version, reason="I object.", by=not_a_legal_officer
        )
    assert register_state() == before
    published_version.refresh_from_db()
    assert published_version.status == Status.PUBLISHED
    assert published_version.withdrawn_reason == ""


@pytest.mark.parametrize("state", ["draft_version", "superseded_version", "withdrawn_version"])
def test_only_the_published_version_can_be_withdrawn(
    request: pytest.FixtureRequest, actors: Any, register_state: Any, state: str
):
    version = request.getfixturevalue(state)
    before = register_state()
    with pytest.raises(TransitionNotAllowed, match="Only the published version can be withdrawn"):
        ls.document_version_withdraw(version=version, reason="Again.", by=actors.legal_officer)
    assert register_state() == before


def test_a_version_cannot_be_withdrawn_without_a_reason(
    actors: Any, published_version: Any, register_state: Any
):
    before = register_state()
    with pytest.raises(TransitionNotAllowed) as excinfo:
        ls.document_version_withdraw(
            version=published_version, reason="  ", by=actors.legal_officer
        )
    assert excinfo.value.field == "reason"
    assert register_state() == before

"""DocumentVersion in the model layer: drafts change freely, other versions are frozen."""

from __future__ import annotations

from typing import Any

import pytest

from legal.models import Document, DocumentVersion, ImmutableVersionError

pytestmark = pytest.mark.django_db

Status = DocumentVersion.Status

# The fixture that makes each frozen version, and the state it leaves it in.
FROZEN = {
    "published_version": Status.PUBLISHED,
    "superseded_version": Status.SUPERSEDED,
    "withdrawn_version": Status.WITHDRAWN,
}

# One new value for each field that is frozen once a version leaves draft.
CONTENT_CHANGES = [
    ("title", "A quietly changed title"),
    ("body", "A quietly changed text."),
    ("change_summary", "A quietly changed summary."),
    ("number", 99),
    ("sha256", "0" * 64),
]


@pytest.fixture(params=list(FROZEN))
def frozen_version(request: pytest.FixtureRequest) -> DocumentVersion:
    """A published, a superseded and a withdrawn version in turn, fresh from the database."""
    version = request.getfixturevalue(request.param)
    version.refresh_from_db()
    assert version.status == FROZEN[request.param]
    return version


def stored(version: DocumentVersion) -> dict[str, Any]:
    return DocumentVersion.objects.filter(pk=version.pk).values().get()


# --- drafts --------------------------------------------------------------------------------
def test_a_draft_can_be_edited_and_its_sha256_follows_the_new_text(draft_version: Any):
    draft_version.title = "Retitled draft"
    draft_version.body = "Rewritten text."
    draft_version.save()
    draft_version.refresh_from_db()
    assert draft_version.title == "Retitled draft"
    assert draft_version.body == "Rewritten text."
    assert draft_version.sha256 == DocumentVersion.digest("Rewritten text.")


def test_a_draft_can_be_deleted(draft_version: Any):
    pk = draft_version.pk
    draft_version.delete()
    assert not DocumentVersion.objects.filter(pk=pk).exists()


def test_a_draft_is_editable_and_other_versions_are_not(draft_version: Any, frozen_version: Any):
    assert draft_version.is_editable
    assert not frozen_version.is_editable


# --- published, superseded and withdrawn versions ------------------------------------------
@pytest.mark.parametrize(("field", "value"), CONTENT_CHANGES, ids=[f for f, _ in CONTENT_CHANGES])
def test_a_version_that_has_left_draft_refuses_an_edit(frozen_version: Any, field: str, value: Any):
    before = stored(frozen_version)
    setattr(frozen_version, field, value)
    with pytest.raises(ImmutableVersionError, match=field):
        frozen_version.save()
    assert stored(frozen_version) == before


def test_a_version_that_has_left_draft_cannot_be_moved_to_another_document(
    frozen_version: Any, documents: dict[str, Any]
):
    before = stored(frozen_version)
    frozen_version.document = documents[Document.Kind.SOP].document
    with pytest.raises(ImmutableVersionError, match="document_id"):
        frozen_version.save()
    assert stored(frozen_version) == before


def test_a_version_that_has_left_draft_refuses_an_edit_that_also_sets_it_back_to_draft(
    frozen_version: Any,
):
    # The stored status decides, not the one on the object being saved.
    stale = DocumentVersion.objects.get(pk=frozen_version.pk)
    stale.status = Status.DRAFT
    stale.body = "Text from an old form."
    with pytest.raises(ImmutableVersionError):
        stale.save()
    assert stored(frozen_version)["body"] == frozen_version.body


def test_a_version_that_has_left_draft_cannot_be_deleted(frozen_version: Any):
    with pytest.raises(ImmutableVersionError):
        frozen_version.delete()
    assert DocumentVersion.objects.filter(pk=frozen_version.pk).exists()


def test_saving_a_frozen_version_unchanged_is_allowed(frozen_version: Any):
    before = stored(frozen_version)
    frozen_version.save()
    assert stored(frozen_version) == before


# --- the status and the record of publication ----------------------------------------------
def test_a_frozen_version_cannot_be_moved_back_to_draft_or_republished(
    frozen_version: DocumentVersion,
):
    before = stored(frozen_version)
    for status in {Status.DRAFT, Status.PUBLISHED} - {frozen_version.status}:
        frozen_version.status = status
        with pytest.raises(ImmutableVersionError, match="cannot become"):
            frozen_version.save()
        assert stored(frozen_version) == before


@pytest.mark.parametrize(
    "field, value",
    [("withdrawn_reason", "A different reason."), ("published_at", None), ("published_by", None)],
)
def test_the_record_of_publication_and_withdrawal_is_frozen(
    withdrawn_version: DocumentVersion, field: str, value: Any
):
    withdrawn_version.refresh_from_db()
    before = stored(withdrawn_version)
    setattr(withdrawn_version, field, value)
    with pytest.raises(ImmutableVersionError, match="cannot be edited"):
        withdrawn_version.save()
    assert stored(withdrawn_version) == before


def test_bulk_updates_and_deletes_cannot_reach_a_version_out_of_draft(
    frozen_version: DocumentVersion,
):
    before = stored(frozen_version)
    rows = DocumentVersion.objects.filter(pk=frozen_version.pk)
    with pytest.raises(ImmutableVersionError, match="in bulk"):
        rows.update(body="Rewritten behind the services' back.")
    with pytest.raises(ImmutableVersionError, match="in bulk"):
        rows.delete()
    assert stored(frozen_version) == before


def test_bulk_changes_to_drafts_still_work(draft_version: DocumentVersion):
    DocumentVersion.objects.filter(pk=draft_version.pk).update(title="Bulk retitled")
    assert stored(draft_version)["title"] == "Bulk retitled"


def test_a_stale_copy_that_still_says_draft_cannot_delete_a_published_version(
    published_version: DocumentVersion,
):
    stale = DocumentVersion.objects.get(pk=published_version.pk)
    stale.status = Status.DRAFT  # as an object loaded before publication would say
    with pytest.raises(ImmutableVersionError, match="cannot be deleted"):
        stale.delete()
    assert DocumentVersion.objects.filter(pk=published_version.pk).exists()

"""Bounded work for the legal diffs: a version's diff is computed once, when it is published,
stored with it, and only read by the public page; documents have a size limit the form states
and the services enforce; request bodies have a sensible limit."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db.models import QuerySet

from core.errors import TransitionNotAllowed
from legal import diff as legal_diff
from legal import services as ls
from legal.diff import DiffRow, version_diff
from legal.models import Document, DocumentVersion, ImmutableVersionError
from tests.conftest import StaffClient as Client

pytestmark = pytest.mark.django_db

WORDS = ["the", "force", "may", "deploy", "live", "facial", "recognition", "where", "necessary"]


def long_text(words: int, *, seed: int = 1, paragraph: int = 0) -> str:
    """Repetitive legal-sounding text: the kind that made the old word diff quadratic. With
    `paragraph` > 0, a blank line every so many words; with 0, one long paragraph."""
    rng = random.Random(seed)
    tokens = [rng.choice(WORDS) for _ in range(words)]
    if paragraph:
        for i in range(paragraph, len(tokens), paragraph):
            tokens[i] = "\n\n" + tokens[i]
    return " ".join(tokens).replace(" \n\n", "\n\n")


def edited(text: str, *, every: int = 97, seed: int = 2) -> str:
    rng = random.Random(seed)
    tokens = text.split(" ")
    for i in range(0, len(tokens), every):
        tokens[i] = rng.choice(["must", "shall", "cannot", tokens[i] + "s"])
    return " ".join(tokens)


def sides(rows: list[DiffRow]) -> tuple[list[str], list[str]]:
    """Both texts, paragraph by paragraph, rebuilt from the rows alone."""
    old, new = [], []
    for row in rows:
        if row.kind in ("same", "removed", "changed"):
            old.append(" ".join(p.text for p in row.pieces if p.kind in ("same", "removed")))
        if row.kind in ("same", "added", "changed"):
            new.append(" ".join(p.text for p in row.pieces if p.kind in ("same", "added")))
    return old, new


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


# --- the diff itself ----------------------------------------------------------------------------
@pytest.mark.parametrize("paragraph", [0, 60])
def test_the_diff_of_a_long_document_rebuilds_both_versions_exactly(paragraph):
    old = long_text(8_500, paragraph=paragraph)
    new = edited(old)
    rows = version_diff(old, new)
    assert sides(rows) == (paragraphs(old), paragraphs(new))
    changed = [p for row in rows for p in row.pieces if p.kind != "same"]
    # A minimal word diff: about one removed and one added piece per edited word, not the
    # whole paragraph replaced.
    assert 0 < len(changed) <= 2 * (8_500 // 97 + 1)


def test_past_its_deadline_the_diff_is_coarser_but_still_true():
    old = long_text(3_000)
    new = edited(old, every=13)
    rows = version_diff(old, new, seconds=-1.0)
    assert sides(rows) == (paragraphs(old), paragraphs(new))


def test_a_paragraph_changed_word_by_word_and_paragraphs_added_and_removed():
    rows = version_diff("One.\n\nTwo old words.\n\nThree.", "One.\n\nTwo new words.\n\nFour.")
    assert [r.kind for r in rows] == ["same", "changed", "changed"]
    assert [(p.text, p.kind) for p in rows[1].pieces] == [
        ("Two", "same"),
        ("old", "removed"),
        ("new", "added"),
        ("words.", "same"),
    ]
    rows = version_diff("One.\n\nTwo.", "One.\n\nTwo.\n\nThree.\n\nFour.")
    assert [r.kind for r in rows] == ["same", "same", "added", "added"]


# --- computed once, at publication ----------------------------------------------------------------
def _publish(actors: Any, document: Document, body: str) -> DocumentVersion:
    draft = ls.document_version_draft(
        document=document, title="Version", body=body, change_summary="", by=actors.legal_officer
    )
    return ls.document_version_publish(version=draft, by=actors.legal_officer)


@pytest.fixture
def long_versions(actors: Any, documents: dict[str, Any]) -> tuple[DocumentVersion, Any]:
    first = documents[Document.Kind.DPIA]
    old = long_text(8_500)
    base = _publish(actors, first.document, old)
    second = _publish(actors, first.document, edited(old))
    return base, second


def test_publishing_stores_the_diff_from_the_version_before(long_versions):
    base, second = long_versions
    second.refresh_from_db()
    assert second.diff_against == base
    assert sides(second.diff_rows()) == (paragraphs(base.body), paragraphs(second.body))
    # The first public version has nothing to compare with.
    first = DocumentVersion.objects.get(document=base.document, number=1)
    assert first.diff_against is None and first.diff is None


def test_the_page_reads_the_stored_diff_and_never_diffs(long_versions, monkeypatch):
    _, second = long_versions

    def no_diffing(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a page view computed a diff")

    monkeypatch.setattr(legal_diff, "version_diff", no_diffing)
    monkeypatch.setattr(legal_diff, "_grouped", no_diffing)
    # Put a marker in the stored diff, behind the model's guards, as only a test may: the
    # page must show it, so it is the stored diff that the page shows.
    stored = list(second.diff)
    stored[0] = ["changed", [["STOREDDIFFMARKER", "added"]]]
    QuerySet.update(DocumentVersion.objects.filter(pk=second.pk), diff=stored)
    response = Client().get(second.get_absolute_url())
    assert response.status_code == 200
    assert "STOREDDIFFMARKER" in response.content.decode()


def test_a_stored_diff_is_frozen_with_the_rest_of_the_version(long_versions):
    _, second = long_versions
    second.diff = []
    with pytest.raises(ImmutableVersionError, match="diff"):
        second.save()


def test_comparing_with_any_version_but_the_one_before_is_a_404(long_versions):
    base, second = long_versions
    assert Client().get(f"{second.get_absolute_url()}?against={base.number}").status_code == 200
    assert Client().get(f"{second.get_absolute_url()}?against=1").status_code == 404


# --- size limits --------------------------------------------------------------------------------
def test_the_form_states_the_document_size_limit(actors, documents):
    client = Client()
    client.force_login(actors.legal_officer)
    html = client.get(f"/staff/legal/{Document.Kind.DPIA}/new/").content.decode()
    assert f"{django_settings.OVERSIGHT_MAX_DOCUMENT_CHARS:,} characters" in html


def test_a_document_over_the_limit_is_refused_with_the_reason_and_nothing_saved(
    actors, documents, settings
):
    settings.OVERSIGHT_MAX_DOCUMENT_CHARS = 1_000
    client = Client()
    client.force_login(actors.legal_officer)
    before = DocumentVersion.objects.count()
    response = client.post(
        f"/staff/legal/{Document.Kind.DPIA}/new/",
        {"title": "Too long", "body": "x" * 1_001, "change_summary": ""},
    )
    assert response.status_code == 200
    assert "The text is 1,001 characters; a version may have at most 1,000" in (
        response.content.decode()
    )
    assert DocumentVersion.objects.count() == before
    with pytest.raises(TransitionNotAllowed, match="at most 1,000 characters"):
        ls.document_version_draft(
            document=documents[Document.Kind.DPIA].document,
            title="Too long",
            body="x" * 1_001,
            change_summary="",
            by=actors.legal_officer,
        )


def test_the_request_body_limit_fits_the_longest_document_and_no_more_than_needed():
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert django_settings.OVERSIGHT_MAX_DOCUMENT_CHARS * 3 <= limit <= 2 * 1024 * 1024


def test_a_body_over_the_request_limit_is_refused_and_nothing_saved(actors, documents):
    client = Client()
    client.force_login(actors.legal_officer)
    before = DocumentVersion.objects.count()
    size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    response = client.post(
        f"/staff/legal/{Document.Kind.DPIA}/new/",
        {"title": "Huge", "body": "x" * size, "change_summary": ""},
    )
    assert response.status_code == 400
    assert DocumentVersion.objects.count() == before


def test_the_migration_stores_the_diffs_of_versions_published_before_it(long_versions):
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("legal.migrations.0003_version_diff")
    # The models as the migration sees them (without the application's guards).
    apps = MigrationLoader(connection).project_state(("legal", "0003_version_diff")).apps
    base, second = long_versions
    QuerySet.update(DocumentVersion.objects.all(), diff=None, diff_against=None)
    migration.store_existing_diffs(apps, None)
    second.refresh_from_db()
    assert second.diff_against_id == base.pk
    assert sides(second.diff_rows()) == (paragraphs(base.body), paragraphs(second.body))

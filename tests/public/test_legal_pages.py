"""/legal/: the force's documents, each version's SHA-256 and a readable diff between versions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from legal import services as ls
from legal.diff import version_diff
from legal.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(actors: Any, documents: dict[str, Any]) -> tuple[Any, Any]:
    first = documents[Document.Kind.DPIA]
    draft = ls.document_version_draft(
        document=first.document,
        title=first.title,
        body=first.body + "\n\nA new paragraph <script>x</script>.",
        change_summary="Adds a paragraph.",
        by=actors.legal_officer,
    )
    second = ls.document_version_publish(version=draft, by=actors.legal_officer)
    first.refresh_from_db()
    return first, second


def test_the_history_lists_every_public_version_with_its_sha256_and_a_compare_link(
    client: Any, two_versions: Any
):
    first, second = two_versions
    html = client.get(first.document.get_absolute_url()).content.decode()
    assert first.sha256 in html and second.sha256 in html
    assert "Superseded" in html and "Adds a paragraph." in html
    assert f"{second.get_absolute_url()}?against={first.number}" in html


def test_the_version_page_shows_what_changed_as_escaped_text(client: Any, two_versions: Any):
    first, second = two_versions
    html = client.get(second.get_absolute_url()).content.decode()
    assert f"What changed from version {first.number} to version {second.number}" in html
    assert '<tr class="diff--added">' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html


def test_comparing_with_a_version_that_is_not_earlier_is_a_404(client: Any, two_versions: Any):
    _, second = two_versions
    response = client.get(second.get_absolute_url() + f"?against={second.number}")
    assert response.status_code == 404


def test_a_changed_paragraph_is_diffed_word_by_word():
    rows = version_diff("One.\n\nThe threshold is 0.6.", "One.\n\nThe threshold is 0.5.")
    assert [r.kind for r in rows] == ["same", "changed"]
    pieces = [(p.kind, p.text) for p in rows[1].pieces]
    assert ("removed", "0.6.") in pieces and ("added", "0.5.") in pieces


def test_drafts_are_never_public(client: Any, actors: Any, documents: dict[str, Any]):
    current = documents[Document.Kind.SOP]
    draft = ls.document_version_draft(
        document=current.document,
        title="t",
        body="Secret draft",
        change_summary="",
        by=actors.legal_officer,
    )
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Secret draft" not in client.get(current.get_absolute_url()).content.decode()


def test_the_legal_index_lists_documents_and_instruments(client: Any, documents: Any):
    response = client.get(reverse("public:legal_index"))
    assert response.status_code == 200

"""The legal officers' staff pages: sign-in, a 403 for everyone else, and the drafting flow."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from legal.models import DocumentVersion

pytestmark = pytest.mark.django_db

Status = DocumentVersion.Status

PAGES_SHOWN_ON_GET = ["legal_documents", "legal_version_create", "legal_version_edit"]
ALL_PAGES = [*PAGES_SHOWN_ON_GET, "legal_version_publish", "legal_version_withdraw"]
POST_ONLY_PAGES = ["legal_version_publish", "legal_version_withdraw"]

NEW_VERSION = {
    "title": "Data protection impact assessment, third edition",
    "body": "The third edition of the assessment.",
    "change_summary": "Adds a section on retention.",
}


@pytest.fixture
def pages(published_version: Any, draft_version: Any) -> dict[str, tuple[str, dict[str, str]]]:
    """Each staff page's address, and what a form on it would post."""
    kind = published_version.document.kind
    return {
        "legal_documents": (reverse("staff:legal_documents"), {}),
        "legal_version_create": (reverse("staff:legal_version_create", args=[kind]), NEW_VERSION),
        "legal_version_edit": (
            reverse("staff:legal_version_edit", args=[draft_version.pk]),
            NEW_VERSION,
        ),
        "legal_version_publish": (
            reverse("staff:legal_version_publish", args=[draft_version.pk]),
            {},
        ),
        "legal_version_withdraw": (
            reverse("staff:legal_version_withdraw", args=[published_version.pk]),
            {"reason": "Overtaken by a ruling."},
        ),
    }


# --- anonymous visitors --------------------------------------------------------------------
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(
    client: Any, pages: dict[str, Any], register_state: Any, page: str, method: str
):
    address, data = pages[page]
    before = register_state()
    response = client.post(address, data) if method == "post" else client.get(address)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("staff:login")
    assert parse_qs(location.query)["next"] == [address]
    assert register_state() == before


# --- signed-in people who are not legal officers -------------------------------------------
@pytest.mark.parametrize("page", PAGES_SHOWN_ON_GET)
def test_someone_who_is_not_a_legal_officer_is_refused_each_page(
    client: Any, not_a_legal_officer: Any, pages: dict[str, Any], page: str
):
    client.force_login(not_a_legal_officer)
    response = client.get(pages[page][0])
    assert response.status_code == 403
    assert "Only legal officers" in response.content.decode()


@pytest.mark.parametrize("page", ALL_PAGES)
def test_someone_who_is_not_a_legal_officer_cannot_post_to_any_page(
    client: Any, not_a_legal_officer: Any, pages: dict[str, Any], register_state: Any, page: str
):
    client.force_login(not_a_legal_officer)
    address, data = pages[page]
    before = register_state()
    response = client.post(address, data)
    assert response.status_code == 403
    assert register_state() == before


@pytest.mark.parametrize("page", POST_ONLY_PAGES)
def test_the_publish_and_withdraw_actions_refuse_a_get_from_anyone(
    client: Any, actors: Any, pages: dict[str, Any], register_state: Any, page: str
):
    before = register_state()
    for person in (actors.planner, actors.legal_officer):
        client.force_login(person)
        assert client.get(pages[page][0]).status_code == 405
    assert register_state() == before


# --- legal officers ------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES_SHOWN_ON_GET)
def test_a_legal_officer_sees_each_page(client: Any, actors: Any, pages: dict[str, Any], page: str):
    client.force_login(actors.legal_officer)
    assert client.get(pages[page][0]).status_code == 200


def test_the_new_version_form_starts_from_the_current_text(
    client: Any, actors: Any, published_version: Any
):
    client.force_login(actors.legal_officer)
    response = client.get(
        reverse("staff:legal_version_create", args=[published_version.document.kind])
    )
    assert response.context["form"].initial == {
        "title": published_version.title,
        "body": published_version.body,
    }


def test_a_legal_officer_drafts_a_version_and_then_publishes_it(
    client: Any, actors: Any, published_version: Any
):
    client.force_login(actors.legal_officer)
    document = published_version.document

    response = client.post(reverse("staff:legal_version_create", args=[document.kind]), NEW_VERSION)
    version = document.versions.get(number=published_version.number + 1)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:legal_version_edit", args=[version.pk])
    assert version.status == Status.DRAFT
    assert version.title == NEW_VERSION["title"]
    assert version.body == NEW_VERSION["body"]
    assert version.change_summary == NEW_VERSION["change_summary"]
    assert version.created_by == actors.legal_officer

    response = client.post(reverse("staff:legal_version_publish", args=[version.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:legal_documents")
    version.refresh_from_db()
    published_version.refresh_from_db()
    assert version.status == Status.PUBLISHED
    assert version.sha256 == DocumentVersion.digest(NEW_VERSION["body"])
    assert published_version.status == Status.SUPERSEDED


def test_a_draft_without_a_body_is_not_saved(client: Any, actors: Any, published_version: Any):
    client.force_login(actors.legal_officer)
    document = published_version.document
    response = client.post(
        reverse("staff:legal_version_create", args=[document.kind]), {"title": "No text"}
    )
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert document.versions.count() == 1


def test_a_legal_officer_edits_a_draft_through_the_page(
    client: Any, actors: Any, draft_version: Any
):
    client.force_login(actors.legal_officer)
    response = client.post(
        reverse("staff:legal_version_edit", args=[draft_version.pk]), NEW_VERSION
    )
    assert response.status_code == 302
    draft_version.refresh_from_db()
    assert draft_version.body == NEW_VERSION["body"]


def test_editing_a_published_version_through_the_page_is_refused_with_a_form_error(
    client: Any, actors: Any, published_version: Any, register_state: Any
):
    client.force_login(actors.legal_officer)
    before = register_state()
    response = client.post(
        reverse("staff:legal_version_edit", args=[published_version.pk]), NEW_VERSION
    )
    assert response.status_code == 200
    assert "cannot be edited" in " ".join(response.context["form"].non_field_errors())
    assert register_state() == before


def test_publishing_a_version_that_is_already_published_is_a_conflict(
    client: Any, actors: Any, published_version: Any, register_state: Any
):
    client.force_login(actors.legal_officer)
    before = register_state()
    response = client.post(reverse("staff:legal_version_publish", args=[published_version.pk]))
    assert response.status_code == 409
    assert register_state() == before


def test_a_legal_officer_withdraws_the_published_version_through_the_page(
    client: Any, actors: Any, published_version: Any
):
    client.force_login(actors.legal_officer)
    response = client.post(
        reverse("staff:legal_version_withdraw", args=[published_version.pk]),
        {"reason": "Overtaken by a ruling."},
    )
    assert response.status_code == 302
    published_version.refresh_from_db()
    assert published_version.status == Status.WITHDRAWN
    assert published_version.withdrawn_reason == "Overtaken by a ruling."


def test_withdrawing_without_a_reason_is_refused_by_the_form(
    client: Any, actors: Any, published_version: Any, register_state: Any
):
    client.force_login(actors.legal_officer)
    before = register_state()
    response = client.post(
        reverse("staff:legal_version_withdraw", args=[published_version.pk]), {"reason": ""}
    )
    assert response.status_code == 400
    assert "reason" in response.context["withdraw_form"].errors
    assert register_state() == before


def test_a_document_kind_that_does_not_exist_is_a_404(client: Any, actors: Any, documents: Any):
    client.force_login(actors.legal_officer)
    response = client.get(reverse("staff:legal_version_create", args=["no_such_kind"]))
    assert response.status_code == 404

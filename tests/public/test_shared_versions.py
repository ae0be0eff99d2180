"""The version tokens copied to Redis: a cached page costs no query, and is still never stale.

`public.cache.SharedVersions` keeps a copy of the database's tokens in the shared cache. These
tests need Redis (CI); with each worker's local memory there is no copy and every request reads
the database (tests/public/test_page_cache.py covers both).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from core import public_changes
from deployments import services as ds
from public.cache import STATUS_HEADER, _tokens, bump, shared_versions, versions

from ..conftest import needs_real_services
from .conftest import approved

pytestmark = pytest.mark.django_db

HOME = reverse("public:home")
CSV = reverse("public:open_data_csv")
REGISTER = public_changes.REGISTER


@pytest.fixture(autouse=True)
def _redis() -> None:
    needs_real_services(postgres=False, redis=True)


@pytest.fixture
def other(actors: Any, documents: Any) -> Any:
    """A published trial. The test's transaction never commits, so the changes that built it
    leave their scopes pending; forgetting the copies stands for their commits."""
    trial = approved(actors)
    shared_versions.forget()
    return trial


def raw(name: str) -> bytes | None:
    return shared_versions._client().get(shared_versions.key(name))  # type: ignore[union-attr]


def test_a_cached_page_costs_no_query_once_its_versions_are_copied(
    client: Any, other: Any, django_assert_num_queries: Any
):
    for _ in range(2):
        client.get(HOME)
    assert raw(REGISTER) is not None
    with django_assert_num_queries(0):
        response = client.get(HOME)
    assert response[STATUS_HEADER] == "hit"


def test_a_committed_change_replaces_the_copy_and_the_next_request_is_fresh(
    client: Any, actors: Any, other: Any, django_capture_on_commit_callbacks: Any
):
    client.get(CSV)
    assert client.get(CSV)[STATUS_HEADER] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        ds.deployment_suspend(deployment=other, by=actors.chair, reason="Checked by the panel.")

    assert raw(REGISTER) == _tokens([REGISTER])[REGISTER].encode()
    # Regenerated on commit by the stored files' task (at once here), under the new versions.
    response = client.get(CSV)
    assert f"{other.reference},".encode() in response.content
    assert b",suspended," in response.content
    assert client.get(CSV)[STATUS_HEADER] == "hit"


def test_a_change_not_yet_committed_marks_its_scopes_pending_so_readers_ask_the_database(
    django_capture_on_commit_callbacks: Any,
):
    versions([REGISTER])  # copied
    before = raw(REGISTER)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bump([REGISTER])
        # Until the commit, the copy is a mark no reader takes as a token: the database answers.
        assert raw(REGISTER).startswith(b"~")  # type: ignore[union-attr]
        assert shared_versions.read([REGISTER]) == ({}, [])
        assert versions([REGISTER]) == f"{REGISTER}={_tokens([REGISTER])[REGISTER]}"
    assert before != raw(REGISTER)
    for callback in callbacks:
        callback()
    assert raw(REGISTER) == _tokens([REGISTER])[REGISTER].encode()


def test_a_reader_never_copies_an_old_token_over_a_change_in_progress():
    old = versions([REGISTER]).split("=", 1)[1]
    shared_versions._client().delete(shared_versions.key(REGISTER))  # type: ignore[union-attr]
    # A change marks the scope while a reader that read the old token has yet to copy it back.
    bump([REGISTER])
    shared_versions.fill({REGISTER: old})
    assert raw(REGISTER).startswith(b"~")  # type: ignore[union-attr]


def test_a_slow_commit_never_overwrites_a_later_change(django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=False) as first:
        bump([REGISTER])
    with django_capture_on_commit_callbacks(execute=False) as second:
        bump([REGISTER])
    latest = _tokens([REGISTER])[REGISTER]
    for callback in second + first:  # the first change's on-commit work runs last
        callback()
    assert raw(REGISTER) == latest.encode()


def test_a_rolled_back_change_leaves_the_database_answering_and_the_pages_cached(
    client: Any, other: Any
):
    client.get(HOME)
    assert client.get(HOME)[STATUS_HEADER] == "hit"
    with pytest.raises(RuntimeError), transaction.atomic():
        bump([REGISTER])
        raise RuntimeError("rolled back")
    assert shared_versions.read([REGISTER]) == ({}, [])  # still marked: the database answers
    assert client.get(HOME)[STATUS_HEADER] == "hit"


def test_without_the_copy_the_database_answers_and_fills_it(client: Any, other: Any):
    shared_versions.forget()
    assert raw(REGISTER) is None
    assert client.get(HOME).status_code == 200
    assert raw(REGISTER) == _tokens([REGISTER])[REGISTER].encode()

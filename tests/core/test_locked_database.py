"""A write that still finds SQLite locked after its busy timeout is a 409, never a 500: the
transaction rolled back whole, so nothing was saved and the person may simply try again."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.test import RequestFactory

from core.middleware import DomainErrorMiddleware


def test_a_locked_database_is_a_conflict_saying_nothing_was_saved(db):
    middleware = DomainErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    request = RequestFactory().post("/")
    request.user = AnonymousUser()
    response = middleware.process_exception(request, OperationalError("database is locked"))
    assert response is not None and response.status_code == 409
    assert "Nothing was saved" in response.content.decode()


def test_other_database_errors_are_not_hidden(db):
    middleware = DomainErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    request = RequestFactory().post("/")
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None

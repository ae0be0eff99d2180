"""Turns domain refusals that reach the top of a view into pages with their message."""

from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import DomainError, NotPermitted


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotPermitted):
            return render(request, "403.html", {"message": exception.message}, status=403)
        if isinstance(exception, DomainError):
            # The action does not fit the object's state: a conflict, not a server error.
            return render(request, "409.html", {"message": exception.message}, status=409)
        if isinstance(exception, OperationalError) and "database is locked" in str(exception):
            # SQLite (the embedded default) waited its busy timeout for another writer; the
            # transaction rolled back whole, so nothing was saved and trying again is safe.
            return render(
                request,
                "409.html",
                {
                    "message": "The register is busy with other changes. Nothing was saved: "
                    "please try again in a moment."
                },
                status=409,
            )
        return None

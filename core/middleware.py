"""Middleware: domain refusals as pages, security headers, and the second factor for staff."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from .errors import DomainError, NotPermitted

STAFF_PREFIX = "/staff/"


class DomainErrorMiddleware:
    """Turns domain refusals that reach the top of a view into pages with their message."""

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


def _is_private(request: HttpRequest) -> bool:
    # Staff pages show restricted material (the intelligence case, watchlist images, alert
    # crops) and the engine's API returns alerts: no browser or proxy may keep a copy.
    return request.path.startswith((STAFF_PREFIX, "/api/"))


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; `Cache-Control: no-store` on staff pages and files."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        # Staff pages, and a signed-in person's pages (even public ones, which carry their
        # name and roles), are never stored; a view that already said no-store is left alone.
        is_signed_in = getattr(request, "user", None) and request.user.is_authenticated
        if (_is_private(request) or is_signed_in) and "no-store" not in response.get(
            "Cache-Control", ""
        ):
            add_never_cache_headers(response)  # max-age=0, no-cache, no-store, ..., private
        return response


# Reachable with a password alone: signing in and out, and setting up or using a second factor.
SECOND_FACTOR_EXEMPT_NAMES = frozenset(
    {
        "staff:login",
        "staff:logout",
        "staff:second_factor_verify",
        "staff:second_factor_enrol",
        "staff:second_factor_backup_codes",
    }
)


class SecondFactorMiddleware:
    """Without a verified second factor a signed-in person reaches no staff page.

    A person with a factor is sent to verify it; a person with none to the enrolment page,
    which is all they can reach. The demo (OVERSIGHT_DEMO) turns this off and says so on
    every page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        if settings.OVERSIGHT_DEMO:
            return None
        if not request.path.startswith(STAFF_PREFIX):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[union-attr,attr-defined]
            return None
        match = request.resolver_match
        name = f"{match.namespace}:{match.url_name}" if match else ""
        if name in SECOND_FACTOR_EXEMPT_NAMES or (match and match.namespace == "otp_webauthn"):
            return None
        from django_otp import user_has_device

        target = (
            "staff:second_factor_verify" if user_has_device(user) else ("staff:second_factor_enrol")
        )
        return HttpResponseRedirect(
            reverse(target) + "?" + urlencode({"next": request.get_full_path()})
        )


class ErrorTitleMiddleware:
    """A page that shows the error summary starts its title with "Error: " (the GOV.UK
    pattern), so the first thing a screen reader announces is that the form needs fixing.

    Done here rather than in each template: every form page, whatever its form is called,
    gets it from the one error summary (templates/includes/error_summary.html)."""

    MARK = b'<div class="error-summary"'

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and self.MARK in response.content
            and b"<title>Error: " not in response.content
        ):
            response.content = response.content.replace(b"<title>", b"<title>Error: ", 1)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response

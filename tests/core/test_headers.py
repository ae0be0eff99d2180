"""Strict headers: CSP with no inline script or style, Permissions-Policy, no-store for staff."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories

from ..conftest import StaffClient
from ..public.conftest import approved_trial  # noqa: F401  (a published notice)

PUBLIC_PAGES = [
    "/",
    "/trials/",
    "/legal/",
    "/fairness/",
    "/open-data/",
    "/reports/2026/",
    "/staff/login/",
    "/no-such-page/",
]
STAFF_PAGES = [
    "/staff/",
    "/staff/deployments/",
    "/staff/account/",
    "/staff/account/password/",
    "/staff/account/reset-factors/",
    "/staff/second-factor/set-up/",
    "/staff/evaluations/",
    "/staff/legal/",
]

# An executable <script> without src, any <style> element, style="" or an on...="" handler.
# <script type="application/json"> (Django's json_script) is data, which CSP does not block.
INLINE = [
    (
        re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
        "script",
    ),
    (re.compile(r"<style\b", re.I), "<style>"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "event handler attribute"),
]


def inline_problems(html: str) -> list[str]:
    return [
        f"{what}: {m.group(0)[:80]}" for pattern, what in INLINE for m in pattern.finditer(html)
    ]


def test_no_template_has_inline_script_or_style():
    found = {}
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        problems = inline_problems(path.read_text(encoding="utf-8"))
        if problems:
            found[str(path)] = problems
    assert found == {}


def test_the_scan_finds_inline_code():
    # The scanner itself must catch what CSP would block, or the test above proves nothing.
    assert inline_problems('<script>alert(1)</script><p style="x" onclick="y()">')
    assert not inline_problems('<script src="/static/a.js"></script>')
    assert not inline_problems('<script id="c" type="application/json">{}</script>')


def policy_of(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict(response: Any, url: str) -> None:
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"], url
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], url
    assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
    assert policy["frame-ancestors"] == ["'none'"], url
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions, url
    assert response["Referrer-Policy"] == "same-origin", url
    assert not inline_problems(response.content.decode()), url


@pytest.mark.django_db
def test_every_public_page_has_the_strict_policy_and_no_inline_code(approved_trial: Any):  # noqa: F811
    client = Client()
    for url in [*PUBLIC_PAGES, f"/trials/{approved_trial.reference}/"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_strict(response, url)
        if not url.startswith("/staff/"):
            # Public pages may be cached; they show nothing restricted.
            assert "no-store" not in response.get("Cache-Control", ""), url


def test_every_staff_page_has_the_policy_and_is_never_stored(actors: Any):
    client = StaffClient()
    client.force_login(actors.legal_officer)
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, url)
        assert "no-store" in response["Cache-Control"], url


def test_staff_pages_with_the_intelligence_case_are_never_stored(actors: Any, draft: Any):
    client = StaffClient()
    client.force_login(actors.planner)
    response = client.get(reverse("staff:deployment_detail", args=[draft.reference]))
    assert response.status_code == 200 and draft.intelligence_case in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_passkey_pages_load_only_static_scripts(actors: Any):
    client = StaffClient()
    client.force_login(actors.planner, second_factor=False)
    html = client.get(reverse("staff:second_factor_enrol")).content.decode()
    assert 'type="module" src="/static/django_otp_webauthn/otp_webauthn_register.js"' in html
    assert not inline_problems(html)


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/"])
def test_admin_is_closed(db: None, path: str):
    assert Client().get(path).status_code == 404
    staff = StaffClient()
    user = factories.make_user("root")
    user.is_superuser = user.is_staff = True
    user.save()
    staff.force_login(user)
    assert staff.get(path).status_code == 404

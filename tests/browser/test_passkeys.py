"""A passkey as the second factor, in Chromium with a virtual authenticator (CDP WebAuthn).

A planner who has an authenticator app adds a passkey on their account page, signs out, signs
in with their password and confirms with the passkey instead of a code. No CSP violation.
"""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from core.roles import Role

from .. import factories
from .test_story import PASSWORD, browser  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_passkey_registers_and_then_confirms_a_sign_in(
    browser: Any,  # noqa: F811
    live_server: Any,
    settings: Any,
):
    base = live_server.url
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]
    assert base.startswith("http://localhost:")
    user = factories.make_user("planner", Role.PLANNER)
    device = factories.give_authenticator_app(user)

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on(
        "response",
        lambda response: (
            console.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    def password_step() -> None:
        page.goto(f"{base}/staff/login/")
        page.fill("input[name=username]", "planner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{base}/staff/second-factor/?next=*")

    password_step()
    page.fill("input[name=code]", factories.totp_code(device))
    page.click("button:has-text('Continue')")
    page.wait_for_url(f"{base}/staff/")

    page.goto(f"{base}/staff/account/")
    with page.expect_response("**/staff/webauthn/registration/complete/") as completed:
        page.click("#passkey-register-button")
    assert completed.value.status == 200, completed.value.text()
    page.wait_for_selector(".factor-list >> nth=1")  # the page reloads listing the passkey
    added = AuditEvent.objects.filter(action="staff.factor_added", actor=user)
    assert added.filter(details__kind="passkey").exists(), console

    page.click("button:has-text('Sign out')")
    password_step()
    page.click("#passkey-verification-button")
    page.wait_for_url(f"{base}/staff/")
    verified = AuditEvent.objects.filter(action="staff.second_factor_verified", actor=user)
    assert verified.filter(details__kind="passkey").exists()
    assert [m for m in console if "Content Security Policy" in m] == [], console
    context.close()

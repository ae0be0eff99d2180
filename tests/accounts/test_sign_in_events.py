"""Lockout after failures, and an audit event for every sign-in event."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import Role
from tests import factories

from ..conftest import StaffClient

PASSWORD = "pw-for-tests-only"


def attempt(client: Client, username: str, password: str, address: str = "203.0.113.7") -> Any:
    return client.post(
        reverse("staff:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture
def planner(db: None) -> Any:
    return factories.make_user("planner", Role.PLANNER)


def test_after_the_set_number_of_failures_even_the_right_password_is_refused(
    planner: Any, settings: Any
):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        assert attempt(client, "planner", "wrong").status_code == 200
    locked = attempt(client, "planner", "wrong")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Try again after" in html and "15 minutes" in html
    refused = attempt(client, "planner", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="staff.locked_out").exists()
    assert AuditEvent.objects.filter(action="staff.sign_in_failed").count() >= 3


def test_the_lockout_is_per_username_from_any_address(planner: Any, settings: Any):
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        attempt(Client(), "planner", "wrong", address=f"198.51.100.{n}")
    assert attempt(Client(), "planner", PASSWORD, address="192.0.2.99").status_code == 429


def test_the_lockout_is_per_address_for_any_username(planner: Any, settings: Any):
    settings.AXES_FAILURE_LIMIT = 3
    for name in ("alice", "bob", "carol"):
        attempt(Client(), name, "wrong", address="203.0.113.50")
    assert attempt(Client(), "planner", PASSWORD, address="203.0.113.50").status_code == 429
    # Another address is not locked out.
    assert attempt(Client(), "planner", PASSWORD, address="203.0.113.51").status_code == 302


def test_success_before_the_limit_clears_the_count(planner: Any, settings: Any):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    attempt(client, "planner", "wrong")
    attempt(client, "planner", "wrong")
    assert attempt(client, "planner", PASSWORD).status_code == 302
    client.post(reverse("staff:logout"))
    attempt(client, "planner", "wrong")
    assert attempt(client, "planner", PASSWORD).status_code == 302


def test_sign_in_and_sign_out_are_audited_with_the_address(planner: Any):
    client = Client()
    assert attempt(client, "planner", PASSWORD).status_code == 302
    signed_in = AuditEvent.objects.get(action="staff.signed_in")
    assert signed_in.actor == planner and signed_in.details["address"] == "203.0.113.7"
    client.post(reverse("staff:logout"))
    assert AuditEvent.objects.filter(action="staff.signed_out", actor=planner).exists()


def test_a_failure_is_audited_with_the_name_typed_and_the_address(planner: Any):
    attempt(Client(), "planner", "wrong")
    failed = AuditEvent.objects.get(action="staff.sign_in_failed")
    assert failed.details == {"username": "planner", "address": "203.0.113.7"}
    assert failed.actor is None


def test_changing_the_password_is_audited_and_signs_out_every_other_session(planner: Any):
    elsewhere = StaffClient()
    elsewhere.force_login(planner)
    assert elsewhere.get(reverse("staff:dashboard")).status_code == 200
    here = StaffClient()
    here.force_login(planner)
    response = here.post(
        reverse("staff:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-passphrase-42",
            "new_password2": "a-much-longer-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("staff:dashboard")).status_code == 200
    signed_out = elsewhere.get(reverse("staff:dashboard"))
    assert signed_out.status_code == 302 and reverse("staff:login") in signed_out["Location"]
    assert AuditEvent.objects.filter(action="staff.password_changed", actor=planner).exists()


def test_the_password_validators_apply_to_a_change(planner: Any):
    client = StaffClient()
    client.force_login(planner)
    response = client.post(
        reverse("staff:password_change"),
        {"old_password": PASSWORD, "new_password1": "a", "new_password2": "a"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    planner.refresh_from_db()
    assert planner.check_password(PASSWORD)


def test_sessions_end_after_inactivity_and_at_browser_close(planner: Any, settings: Any):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    response = attempt(client, "planner", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # ends when the browser closes
    session = Session.objects.get(session_key=cookie.value)
    first_expiry = session.expire_date
    # Each request pushes the end back: it is inactivity that ends a session.
    client.get(reverse("staff:second_factor_enrol"))
    session.refresh_from_db()
    assert session.expire_date >= first_expiry
    # Past the idle time, the session is gone.
    Session.objects.filter(pk=session.pk).update(expire_date=first_expiry.replace(year=2000))
    response = client.get(reverse("staff:second_factor_enrol"))
    assert response.status_code == 302 and reverse("staff:login") in response["Location"]

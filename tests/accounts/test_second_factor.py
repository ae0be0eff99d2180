"""Every staff role needs its second factor (production settings: OVERSIGHT_DEMO off)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from core.roles import Role
from tests import factories

PASSWORD = "pw-for-tests-only"


def sign_in_with_password(username: str) -> Client:
    client = Client()
    response = client.post(reverse("staff:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


STAFF_PAGES = ["staff:dashboard", "staff:deployment_list", "staff:account", "staff:password_change"]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_only_the_enrolment_page_with_a_password_alone(db: None, role: Role):
    factories.make_user("someone", role)
    client = sign_in_with_password("someone")
    for name in STAFF_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("staff:second_factor_enrol")), name
    assert client.get(reverse("staff:second_factor_enrol")).status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_each_role_with_an_app_must_enter_its_code_before_any_staff_page(db: None, role: Role):
    user = factories.make_user("someone", role)
    device = factories.give_authenticator_app(user)
    client = sign_in_with_password("someone")
    response = client.get(reverse("staff:dashboard"))
    assert response["Location"].startswith(reverse("staff:second_factor_verify"))
    # Not even the enrolment page: a stolen password must not add its own app.
    enrol = client.get(reverse("staff:second_factor_enrol"))
    assert enrol["Location"].startswith(reverse("staff:second_factor_verify"))
    response = client.post(
        reverse("staff:second_factor_verify"),
        {"code": factories.totp_code(device), "next": reverse("staff:dashboard")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("staff:dashboard")
    assert client.get(reverse("staff:dashboard")).status_code == 200


def test_a_wrong_code_is_refused_and_audited(db: None):
    user = factories.make_user("planner", Role.PLANNER)
    device = factories.give_authenticator_app(user)
    client = sign_in_with_password("planner")
    wrong = f"{(int(factories.totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("staff:second_factor_verify"), {"code": wrong})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("staff:dashboard")).status_code == 302
    assert AuditEvent.objects.filter(action="staff.second_factor_failed", actor=user).exists()


def test_enrolment_shows_a_qr_code_and_the_key_and_a_real_code_confirms_it(db: None):
    user = factories.make_user("chair", Role.PANEL_CHAIR)
    client = sign_in_with_password("chair")
    page = client.get(reverse("staff:second_factor_enrol"))
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html and 'id="totp-secret"' in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # The key on the page is the device's key, so an app that cannot scan can type it.
    import base64

    shown = page.context["secret"].replace(" ", "")
    assert base64.b32decode(shown + "=" * (-len(shown) % 8)) == device.bin_key

    response = client.post(
        reverse("staff:second_factor_enrol"),
        {"code": factories.totp_code(device), "next": reverse("staff:dashboard")},
    )
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("staff:dashboard")).status_code == 200
    added = AuditEvent.objects.get(action="staff.factor_added", actor=user)
    assert added.details["kind"] == "authenticator app"


def test_enrolment_refuses_a_wrong_code(db: None):
    user = factories.make_user("chair", Role.PANEL_CHAIR)
    client = sign_in_with_password("chair")
    client.get(reverse("staff:second_factor_enrol"))
    response = client.post(reverse("staff:second_factor_enrol"), {"code": "000000"})
    if response.status_code == 200:  # 000000 happened to be the right code: vanishingly rare
        pytest.skip("the random key's current code was 000000")
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get(reverse("staff:dashboard")).status_code == 302


def test_a_backup_code_works_once(db: None):
    user = factories.make_user("operator", Role.OPERATOR)
    factories.give_authenticator_app(user)
    from accounts.services import backup_codes_issue

    code = backup_codes_issue(user=user)[0]
    client = sign_in_with_password("operator")
    assert client.post(reverse("staff:second_factor_verify"), {"code": code}).status_code == 302
    assert client.get(reverse("staff:dashboard")).status_code == 200
    assert not StaticToken.objects.filter(token=code).exists()
    again = sign_in_with_password("operator")
    assert again.post(reverse("staff:second_factor_verify"), {"code": code}).status_code == 400


def test_the_public_pages_need_no_sign_in(db: None):
    assert Client().get(reverse("public:home")).status_code == 200


def test_the_demo_setting_turns_two_factors_off_and_shows_the_banner(db: None, settings: Any):
    settings.OVERSIGHT_DEMO = True
    factories.make_user("planner", Role.PLANNER)
    client = sign_in_with_password("planner")
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 200
    assert "two factors are off in this demo" in response.content.decode()
    assert "two factors are off" in Client().get(reverse("public:home")).content.decode()


def test_production_pages_show_no_demo_banner(db: None):
    assert "Demonstration." not in Client().get(reverse("public:home")).content.decode()


def _every_staff_path() -> list[tuple[str, str]]:
    import re

    from core.middleware import SECOND_FACTOR_EXEMPT_NAMES
    from oversight.urls import staff_urlpatterns

    paths = []
    for pattern in staff_urlpatterns:
        if f"staff:{pattern.name}" in SECOND_FACTOR_EXEMPT_NAMES:
            continue
        route = re.sub(
            r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", str(pattern.pattern)
        )
        paths.append((pattern.name or route, "/staff/" + route))
    return paths


def test_no_staff_page_at_all_opens_without_the_second_factor(db: None):
    factories.make_user("someone", *Role)
    client = sign_in_with_password("someone")
    paths = _every_staff_path()
    assert len(paths) > 20
    for name, path in paths:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, (name, path, response.status_code)
            assert response["Location"].startswith(reverse("staff:second_factor_enrol")), name

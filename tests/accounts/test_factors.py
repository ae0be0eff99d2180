"""A person's own factors, and resetting someone else's."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_otp import user_has_device

from accounts import services
from audit.models import AuditEvent
from core.errors import NotPermitted
from core.roles import Role
from tests import factories

from ..conftest import StaffClient


@pytest.fixture
def person(db: None) -> Any:
    user = factories.make_user("lost_phone", Role.OPERATOR)
    factories.give_authenticator_app(user)
    services.backup_codes_issue(user=user)
    return user


def test_a_legal_officer_resets_anothers_factors_and_it_is_audited(actors: Any, person: Any):
    client = StaffClient()
    client.force_login(actors.legal_officer)
    response = client.post(
        reverse("staff:factors_reset"), {"person": "lost_phone", "reason": "Lost phone, 3 March"}
    )
    assert response.status_code == 302
    assert not user_has_device(person, confirmed=None)
    event = AuditEvent.objects.get(action="staff.factors_reset")
    assert event.actor == actors.legal_officer
    assert event.object_id == str(person.pk) and event.details["reason"] == "Lost phone, 3 March"
    assert {r["kind"] for r in event.details["removed"]} == {"authenticator app", "backup codes"}


def test_an_administrator_may_reset_factors(db: None, person: Any):
    admin = factories.make_user("admin")
    admin.is_superuser = True
    admin.save()
    assert services.factors_reset(target=person, by=admin, reason="Left the force") == 2


@pytest.mark.parametrize(
    "who", ["planner", "authoriser", "panel_a", "chair", "operator", "moderator", "stranger"]
)
def test_no_other_role_may_reset_factors(actors: Any, person: Any, who: str):
    client = StaffClient()
    client.force_login(getattr(actors, who))
    assert client.get(reverse("staff:factors_reset")).status_code == 403
    response = client.post(
        reverse("staff:factors_reset"), {"person": "lost_phone", "reason": "because"}
    )
    assert response.status_code == 403
    assert user_has_device(person)
    with pytest.raises(NotPermitted):
        services.factors_reset(target=person, by=getattr(actors, who), reason="because")
    assert not AuditEvent.objects.filter(action="staff.factors_reset").exists()


def test_nobody_resets_their_own_factors(actors: Any):
    factories.give_authenticator_app(actors.legal_officer)
    with pytest.raises(NotPermitted):
        services.factors_reset(target=actors.legal_officer, by=actors.legal_officer, reason="x")


def test_new_backup_codes_replace_the_old_and_are_audited(person: Any):
    client = StaffClient()
    client.force_login(person)
    first = client.post(reverse("staff:second_factor_backup_codes")).context["codes"]
    second = client.post(reverse("staff:second_factor_backup_codes")).context["codes"]
    assert set(first).isdisjoint(second)
    assert AuditEvent.objects.filter(action="staff.backup_codes_issued", actor=person).count() >= 2


def test_the_only_app_cannot_be_removed_but_a_second_can(person: Any):
    client = StaffClient()
    client.force_login(person)
    app = person.totpdevice_set.get()
    client.post(reverse("staff:factor_remove", args=[app.persistent_id]))
    assert person.totpdevice_set.count() == 1
    second = person.totpdevice_set.create(name="Spare phone", confirmed=True)
    client.post(reverse("staff:factor_remove", args=[second.persistent_id]))
    assert person.totpdevice_set.count() == 1
    removed = AuditEvent.objects.get(action="staff.factor_removed", actor=person)
    assert removed.details["device"] == "Spare phone"


def test_the_account_page_lists_the_factors_and_offers_passkeys(person: Any):
    client = StaffClient()
    client.force_login(person)
    html = client.get(reverse("staff:account")).content.decode()
    assert "Authenticator app" in html and "10 unused backup codes" in html
    assert 'id="passkey-register-button"' in html
    assert "django_otp_webauthn/otp_webauthn_register.js" in html

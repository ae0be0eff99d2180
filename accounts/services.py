"""Staff sign-in events and second factors: each change is audited.

Factors are django-otp's devices: an authenticator app (TOTP, RFC 6238) with one-time backup
codes, and passkeys (WebAuthn, django-otp-webauthn). A person enrols their own; a legal officer
or an administrator (a superuser) may reset someone else's, for example after a lost phone.
"""

from __future__ import annotations

import base64
from typing import Any

from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record
from core.errors import DomainError, NotPermitted
from core.roles import Role, has_role
from core.types import User

BACKUP_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"


class InvalidCode(DomainError):
    """A one-time code that does not match."""

    code = "invalid_code"


def _kind(device: Device) -> str:
    if isinstance(device, TOTPDevice):
        return "authenticator app"
    if isinstance(device, StaticDevice):
        return "backup codes"
    return "passkey"


# --- Sign-in events (called by accounts.receivers) -------------------------------------------


def sign_in_record(*, user: User, address: str) -> None:
    audit_record(actor=user, action="staff.signed_in", obj=user, details={"address": address})


def sign_in_failure_record(*, username: str, address: str) -> None:
    # The actor is unknown: whoever typed the username. Record what was typed, not a person.
    audit_record(
        actor="sign-in",
        action="staff.sign_in_failed",
        details={"username": username[:150], "address": address},
    )


def lockout_record(*, username: str, address: str) -> None:
    audit_record(
        actor="sign-in",
        action="staff.locked_out",
        details={"username": username[:150], "address": address},
    )


def sign_out_record(*, user: User | None, address: str) -> None:
    audit_record(
        actor=user or "sign-in",
        action="staff.signed_out",
        obj=user,
        details={"address": address},
    )


def password_change_record(*, user: User, address: str) -> None:
    audit_record(
        actor=user, action="staff.password_changed", obj=user, details={"address": address}
    )


# --- Second factors --------------------------------------------------------------------------


def second_factor_verify(*, user: User, token: str, address: str) -> Device:
    """The device whose code this is (an app's current code or an unused backup code)."""
    from django_otp import match_token

    device = match_token(user, token.replace(" ", "").strip())
    if device is None:
        audit_record(
            actor=user,
            action="staff.second_factor_failed",
            obj=user,
            details={"address": address},
        )
        raise InvalidCode(
            "That code is not right. Enter the 6-digit code your authenticator app shows now, "
            "or one of your unused backup codes."
        )
    second_factor_verified_record(user=user, device=device, address=address)
    return device


def second_factor_verified_record(*, user: User, device: Device, address: str) -> None:
    audit_record(
        actor=user,
        action="staff.second_factor_verified",
        obj=user,
        details={"kind": _kind(device), "device": device.name, "address": address},
    )


def totp_enrol_begin(*, user: User) -> TOTPDevice:
    """The person's unconfirmed authenticator-app device, made if they have none pending."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as a QR code, an SVG data URI for an <img> (no inline markup)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def totp_secret(device: TOTPDevice) -> str:
    """The key in base32, grouped in fours, for typing into an app that cannot scan."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def totp_enrol_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the app with its current code; returns fresh backup codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed:
        raise DomainError("This authenticator app is already set up.")
    if not device.verify_token(token.replace(" ", "").strip()):
        raise InvalidCode(
            "That code is not right. Check the app shows Oversight, then enter the 6-digit "
            "code it shows now (codes change every 30 seconds)."
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        actor=user,
        action="staff.factor_added",
        obj=user,
        details={"kind": _kind(device), "device": device.name},
    )
    return backup_codes_issue(user=user)


@transaction.atomic
def backup_codes_issue(*, user: User) -> list[str]:
    """Ten new one-time backup codes; any earlier ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_NAME)
    device = StaticDevice.objects.select_for_update().get(pk=device.pk)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(
        actor=user,
        action="staff.backup_codes_issued",
        obj=user,
        details={"count": len(codes)},
    )
    return codes


def passkey_added_record(*, user: User, device: Device) -> None:
    audit_record(
        actor=user,
        action="staff.factor_added",
        obj=user,
        details={"kind": _kind(device), "device": device.name},
    )


@transaction.atomic
def factor_remove(*, user: User, device: Device) -> None:
    """A person removes one of their own factors (not the last app or passkey)."""
    if device.user_id != user.pk:
        raise NotPermitted("You can remove only your own sign-in factors.")
    others = [
        d
        for d in devices_for_user(user)
        if not isinstance(d, StaticDevice) and d.persistent_id != device.persistent_id
    ]
    if not isinstance(device, StaticDevice) and not others:
        raise DomainError(
            "This is your only authenticator app or passkey. Add another before removing it."
        )
    details: dict[str, Any] = {"kind": _kind(device), "device": device.name}
    device.delete()
    audit_record(actor=user, action="staff.factor_removed", obj=user, details=details)


def may_reset_factors(user: User) -> bool:
    return bool(user.is_superuser) or has_role(user, Role.LEGAL_OFFICER)


@transaction.atomic
def factors_reset(*, target: User, by: User, reason: str) -> int:
    """Remove every second factor of `target`; they enrol again at their next sign-in."""
    if not may_reset_factors(by):
        raise NotPermitted(
            "Only a legal officer or an administrator can reset another person's sign-in factors."
        )
    if target.pk == by.pk:
        raise NotPermitted(
            "You cannot reset your own factors: ask another legal officer or an administrator."
        )
    if not reason.strip():
        raise DomainError("Say why the factors are being reset.", field="reason")
    removed = [
        {"kind": _kind(d), "device": d.name} for d in devices_for_user(target, confirmed=None)
    ]
    for device in devices_for_user(target, confirmed=None):
        device.delete()
    audit_record(
        actor=by,
        action="staff.factors_reset",
        obj=target,
        details={"removed": removed, "reason": reason.strip()},
    )
    return len(removed)


def has_second_factor(user: User) -> bool:
    return user_has_device(user)

"""Sign-in, failure, lockout and sign-out, from Django's and django-axes's signals, audited."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from core.client import client_address

from . import services


def _address(request: HttpRequest | None) -> str:
    return client_address(request) if request is not None else ""


@receiver(user_logged_in, dispatch_uid="accounts.signed_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    services.sign_in_record(user=user, address=_address(request))


@receiver(user_login_failed, dispatch_uid="accounts.sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    services.sign_in_failure_record(
        username=str(credentials.get("username") or ""), address=_address(request)
    )


@receiver(user_logged_out, dispatch_uid="accounts.signed_out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    services.sign_out_record(user=user, address=_address(request))


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def _locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    services.lockout_record(username=username or "", address=ip_address or _address(request))

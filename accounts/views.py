"""Staff sign-in pages: password, second factor, enrolment, own factors, password, resets.

Thin: each view calls one service in accounts.services and renders. The second-factor
requirement itself is core.middleware.SecondFactorMiddleware.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.utils import get_credential_model

from core.client import client_address
from core.errors import DomainError, NotPermitted
from core.types import StaffRequest

from . import services
from .forms import CodeForm, FactorResetForm


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("staff:dashboard")


def _with_next(name: str, next_url: str) -> str:
    return reverse(name) + "?" + urlencode({"next": next_url})


class LoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes's lockout page: says when the person may try again (AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    until = timezone.localtime(timezone.now() + cool_off)
    return render(
        request,
        "staff/accounts/locked_out.html",
        {"until": until, "minutes": int(cool_off.total_seconds() // 60)},
        status=429,
    )


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: StaffRequest) -> HttpResponse:
    if not user_has_device(request.user):
        return redirect(_with_next("staff:second_factor_enrol", _next_url(request)))
    if request.user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(
                user=request.user, token=form.cleaned_data["code"], address=client_address(request)
            )
        except services.InvalidCode as error:
            form.add_error("code", error.message)
            status = 400
        else:
            otp_login(request, device)
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    has_passkey = any(
        not isinstance(d, (TOTPDevice, StaticDevice)) for d in devices_for_user(request.user)
    )
    return render(
        request,
        "staff/accounts/verify.html",
        {"form": form, "next": _next_url(request), "has_passkey": has_passkey},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_enrol(request: StaffRequest) -> HttpResponse:
    """Set up an authenticator app: the only staff page a person with no factor can reach."""
    user = request.user
    if user_has_device(user) and not user.is_verified():  # type: ignore[attr-defined]
        # Adding a factor needs the existing one first, or a stolen password could add its own.
        return redirect(_with_next("staff:second_factor_verify", request.path))
    device = services.totp_enrol_begin(user=user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrol_confirm(
                user=user, device=device, token=form.cleaned_data["code"]
            )
        except DomainError as error:
            form.add_error("code", error.message)
            status = 400
        else:
            device.refresh_from_db()
            if not user.is_verified():  # type: ignore[attr-defined]
                otp_login(request, device)
            return render(
                request,
                "staff/accounts/backup_codes.html",
                {"codes": codes, "next": _next_url(request), "first": True},
            )
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "qr": services.totp_qr_data_uri(device),
        "secret": services.totp_secret(device),
        "next": _next_url(request),
        "first_factor": not user_has_device(user),
    }
    return render(request, "staff/accounts/enrol.html", context, status=status)


@login_required
@require_POST
def backup_codes(request: StaffRequest) -> HttpResponse:
    codes = services.backup_codes_issue(user=request.user)
    return render(
        request,
        "staff/accounts/backup_codes.html",
        {"codes": codes, "next": reverse("staff:account"), "first": False},
    )


@login_required
def account(request: StaffRequest) -> HttpResponse:
    """The person's own sign-in: factors (apps, passkeys, backup codes) and password."""
    devices = list(devices_for_user(request.user))
    backup = next((d for d in devices if isinstance(d, StaticDevice)), None)
    context = {
        "apps": [d for d in devices if isinstance(d, TOTPDevice)],
        "passkeys": [d for d in devices if not isinstance(d, (TOTPDevice, StaticDevice))],
        "backup_left": backup.token_set.count() if backup else 0,
        "may_reset": services.may_reset_factors(request.user),
    }
    return render(request, "staff/accounts/account.html", context)


@login_required
@require_POST
def factor_remove(request: StaffRequest, persistent_id: str) -> HttpResponse:
    device = next(
        (d for d in devices_for_user(request.user) if d.persistent_id == persistent_id), None
    )
    if device is None:
        messages.error(request, "That factor is not one of yours, or it was already removed.")
        return redirect("staff:account")
    try:
        services.factor_remove(user=request.user, device=device)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Removed: {device.name}.")
    return redirect("staff:account")


@login_required
@require_http_methods(["GET", "POST"])
def factors_reset(request: StaffRequest) -> HttpResponse:
    """A legal officer or an administrator resets another person's factors."""
    if not services.may_reset_factors(request.user):
        # The service refuses too; refusing here first keeps the form from listing everyone.
        raise NotPermitted(
            "Only a legal officer or an administrator can reset another person's sign-in factors."
        )
    form = FactorResetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                removed = services.factors_reset(
                    target=form.cleaned_data["person"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = 403 if error.code == "not_permitted" else 400
            else:
                person = form.cleaned_data["person"].get_username()
                messages.success(
                    request,
                    f"Reset {person}'s sign-in factors ({removed} removed). They set up an "
                    "authenticator app at their next sign-in.",
                )
                return redirect("staff:account")
        else:
            status = 400
    return render(request, "staff/accounts/factors_reset.html", {"form": form}, status=status)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password. Every other session of the person ends (their session hash
    no longer matches); this one is kept by Django's update_session_auth_hash."""

    template_name = "staff/accounts/password_change.html"
    success_url = reverse_lazy("staff:account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_change_record(
            user=self.request.user,  # type: ignore[arg-type]
            address=client_address(self.request),
        )
        messages.success(
            self.request, "Your password is changed. You are signed out everywhere else."
        )
        return response


# --- Passkeys: django-otp-webauthn's views, with the audit trail ------------------------------


class PasskeyRegistrationComplete(webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(*args, **kwargs)
        created = json.loads(response.content).get("id")
        device = get_credential_model().objects.filter(pk=created).first()
        if device is not None:
            services.passkey_added_record(user=self.request.user, device=device)  # type: ignore[arg-type]
        return response


class PasskeyAuthenticationComplete(webauthn_views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> Any:
        result = super().complete_auth(device)
        services.second_factor_verified_record(
            user=device.user, device=device, address=client_address(self.request)
        )
        return result

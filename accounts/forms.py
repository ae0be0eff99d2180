"""Forms for the second factor and for resetting another person's factors."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the code from your authenticator app."},
    )


class FactorResetForm(forms.Form):
    person = forms.ModelChoiceField(
        label="Person",
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        error_messages={"required": "Choose whose sign-in factors to reset."},
    )
    reason = forms.CharField(
        label="Why",
        max_length=500,
        help_text="For example: lost phone, reported on 3 March. Written to the audit trail.",
        error_messages={"required": "Say why the factors are being reset."},
    )

"""Forms for legal officers."""

from django import forms


class VersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="The full text. Once published it cannot be changed; its SHA-256 is published.",
    )
    change_summary = forms.CharField(
        max_length=300, required=False, help_text="What changed since the previous version."
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Published. Deployments that relied on this version can no longer run.",
    )

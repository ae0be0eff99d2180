"""Forms for legal officers."""

from typing import Any

from django import forms

from .models import DocumentVersion


class VersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18}))
    change_summary = forms.CharField(
        max_length=300, required=False, help_text="What changed since the previous version."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The limit is stated where the text is typed, and enforced by the service too.
        self.fields["body"].help_text = (
            f"The full text, at most {DocumentVersion.length_limit_text()}. Once published it "
            "cannot be changed; its SHA-256 is published."
        )

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        problem = DocumentVersion.length_problem(body)
        if problem:
            raise forms.ValidationError(problem)
        return body


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Published. Deployments that relied on this version can no longer run.",
    )

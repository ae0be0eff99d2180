"""Forms of the watchlist pages and the operator console. Rules live in the services; their
refusals are attached back to the fields with `core.forms.attach_problems`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from deployments.models import Deployment
from legal.models import WatchlistCategory

from .models import Alert

IMAGE_TYPES = "image/jpeg,image/png,image/webp,image/tiff,image/bmp,image/gif"


class WatchlistEntryForm(forms.Form):
    subject_reference = forms.CharField(
        label="Subject reference",
        max_length=40,
        help_text="The pseudonymous reference from the source system (for example a warrant or "
        "custody record number). Never a name.",
    )
    category = forms.ChoiceField(label="Watchlist category", widget=forms.RadioSelect)
    image = forms.FileField(
        label="Image of the person's face",
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES}),
    )
    image_provenance = forms.CharField(
        label="Where the image comes from",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The system, its record reference and the date the image was taken.",
    )
    legal_basis = forms.CharField(
        label="Legal basis for holding the image",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: a custody image taken under PACE s.64A.",
    )

    def __init__(self, *args: Any, deployment: Deployment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = deployment.use_case.allowed_categories if deployment.use_case else []
        named = deployment.watchlist_categories or allowed
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [
            (value, label) for value, label in WatchlistCategory.choices if value in named
        ]
        if len(category.choices) == 1:
            category.initial = category.choices[0][0]
        self.fields["image"].help_text = (
            "One photograph with the person alone in it: JPEG, PNG, WebP, TIFF, BMP or GIF, up "
            f"to {filesizeformat(settings.OVERSIGHT_MAX_IMAGE_BYTES)} and "
            f"{settings.OVERSIGHT_MAX_WATCHLIST_IMAGE_PIXELS / 1_000_000:g} megapixels (for "
            "example 2,000 by 2,000 pixels; crop a larger photograph to the head and shoulders). "
            "It is kept in private "
            "storage and deleted "
            f"{settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS} hours after the deployment ends."
        )


class RemoveEntryForm(forms.Form):
    reason = forms.CharField(
        label="Why is this person being removed?",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Written to the audit trail. The image and encoding are deleted at once.",
    )


class RunStartForm(forms.Form):
    """Start one of the deployment's approved cameras: each camera's Start button sends its id.

    Runs from the console are always a camera's; runs over files stay with `manage.py watch`.
    """

    camera = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("camera"):
            # A hidden field's error would not reach the error summary: say it for the form.
            raise forms.ValidationError(
                "Choose the camera to start: press Start in that camera's row."
            )
        return cleaned


class AdjudicationForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Was it the person on the watchlist?",
        choices=Alert.Verdict.choices,
        widget=forms.RadioSelect,
    )
    confirmation = forms.ChoiceField(
        label="Was their identity confirmed?",
        choices=Alert.Confirmation.choices,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label="Outcome", choices=Alert.Outcome.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Restricted: never published.",
    )
    is_evidence = forms.BooleanField(
        label="Keep the face crop as evidence",
        required=False,
        help_text="Otherwise it is deleted "
        f"{settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS} days after the alert.",
    )
    evidence_reason = forms.CharField(
        label="Why it is evidence",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

"""Forms of the watchlist and cameras pages and the operator console. Rules live in the
services; their refusals are attached back to the fields with `core.forms.attach_problems`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from deployments.models import Deployment
from legal.models import WatchlistCategory

from .models import Alert, Camera

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


class CameraForm(forms.Form):
    """A camera for the planner to add. The service checks the values (the stream's address,
    the frame rate, a name used twice) and its refusals are attached back here."""

    label = forms.CharField(
        label="Name of the camera",
        max_length=60,
        help_text="A short name, for example “Camera 2, north exit”. It is published on the "
        "trial's notice once the panel's chair signs the deployment off.",
        error_messages={
            "required": "Give the camera a short name, for example “Camera 2, north exit”."
        },
    )
    position = forms.CharField(
        label="Where it stands and what it looks at",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In words for the public, for example “On the lamp post outside 12 High "
        "Street, facing the station entrance”. It is published on the notice.",
        error_messages={"required": "Say where the camera stands and what it looks at."},
    )
    kind = forms.ChoiceField(
        label="How do its frames reach the register?",
        choices=Camera.Kind.choices,
        initial=Camera.Kind.STREAM,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether the register reads a stream or a box sends frames."
        },
    )
    stream_url = forms.CharField(
        label="Address of the camera's stream",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text="Starting rtsp://, rtsps://, http:// or https://, for example "
        "rtsp://10.0.0.5/stream1. Restricted: only you and the deployment's operators see it, "
        "and a password in it is never shown again.",
    )
    frames_per_second = forms.CharField(
        label="Frames matched a second",
        required=False,
        initial="2",
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "input--short"}),
        help_text="From 0.5 to 10; 2 if left empty. More frames find a passing face more surely "
        "and need more matching workers.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Needed for a stream, but not for a box: no "(optional)" beside it.
        self.fields["stream_url"].needed_to_submit = True  # type: ignore[attr-defined]


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

"""Forms of the staff pages. Validation of one field lives here; rules across the register
live in `policy.py` and the services, and their refusals are attached back to the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator

from core import dates
from core.roles import Role
from legal.models import UseCase, WatchlistCategory

from .hooks import approval_requirements_for
from .models import Deployment, EngagementMeeting, Outcome, Review, Site, StaffProfile
from .policy import REQUIRED_FIELDS
from .services import EDITABLE_FIELDS, ENGAGEMENT_FIELDS, OUTCOME_FIELDS


class DeploymentForm(forms.ModelForm):
    """The request, in the sections a planner fills it in."""

    SECTIONS = (
        ("Where and when", ("site", "starts_at", "ends_at", "expected_faces")),
        (
            "Purpose and legal basis",
            ("use_case", "purpose", "necessity", "proportionality", "alternatives_considered"),
        ),
        (
            "Watchlist",
            ("watchlist_categories", "watchlist_criteria", "watchlist_size_cap", "match_threshold"),
        ),
        (
            "Site selection and communities",
            ("site_selection_rationale", "fairness_justification", "community_engagement_plan"),
        ),
        ("Restricted", ("intelligence_case",)),
    )

    watchlist_categories = forms.MultipleChoiceField(
        choices=WatchlistCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Only the categories the chosen use case allows can be submitted.",
    )

    class Meta:
        model = Deployment
        fields = EDITABLE_FIELDS
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "necessity": forms.Textarea(attrs={"rows": 4}),
            "proportionality": forms.Textarea(attrs={"rows": 4}),
            "alternatives_considered": forms.Textarea(attrs={"rows": 3}),
            "intelligence_case": forms.Textarea(attrs={"rows": 4}),
            "watchlist_criteria": forms.Textarea(attrs={"rows": 3}),
            "site_selection_rationale": forms.Textarea(attrs={"rows": 4}),
            "community_engagement_plan": forms.Textarea(attrs={"rows": 4}),
            "fairness_justification": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "intelligence_case": "Restricted: never shown on any public page, export or PDF.",
            "expected_faces": "Usually the site's footfall per hour times the hours deployed.",
            "site_selection_rationale": (
                "Why this site, and its effect on the communities who live and pass there."
            ),
            "fairness_justification": (
                "Needed only when the exposure analysis flags the site (see the sidebar): why "
                "this site is still right, naming each group the flag is about."
            ),
        }
        labels = {"fairness_justification": "Justification for the exposure flag"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site, use_case = self.fields["site"], self.fields["use_case"]
        assert isinstance(site, forms.ModelChoiceField)
        assert isinstance(use_case, forms.ModelChoiceField)
        site.queryset = Site.objects.select_related("area")
        use_case.queryset = UseCase.objects.filter(is_active=True)
        # The GOV.UK date input with a time: day, month, year, hour and minute boxes.
        for name in ("starts_at", "ends_at"):
            model_field = self.fields[name]
            self.fields[name] = dates.DateTimeField(
                label=model_field.label,
                required=model_field.required,
                help_text=model_field.help_text or "For example, 27 3 2026, 14 30 (London time).",
            )
        # A draft may be saved half-filled, but these are needed before it can be submitted:
        # the form does not call them optional.
        for name in REQUIRED_FIELDS:
            self.fields[name].needed_to_submit = True  # type: ignore[attr-defined]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "The end must be after the start.")
        return data

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class StatementForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the deployment is necessary and proportionate. Published with the notice.",
    )


class ReasonsForm(forms.Form):
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ConflictForm(forms.Form):
    details = forms.CharField(
        label="Interest declared",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Declaring a conflict removes you as a reviewer of this deployment.",
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=Review.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a decision"},
    )
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="Published with the panel's decision."
    )
    conditions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when approving with conditions; published.",
    )
    conflicts_declared = forms.CharField(
        required=False,
        label="Interests declared",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Interests that you judge do not prevent you reviewing; published.",
    )
    threshold_justification = forms.CharField(
        required=False,
        label="Justification for the match threshold",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to approve when the request's threshold is looser than the latest "
        "engine evaluation's parity threshold (shown on the request page).",
    )
    private_notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Restricted: seen by staff only, never published.",
    )

    def __init__(self, *args: Any, deployment: Deployment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if deployment is None:
            return
        # The service refuses an approval without these; the form says so up front.
        for name, reason in approval_requirements_for(deployment).items():
            field = self.fields[name]
            field.needed_to_submit = True  # type: ignore[attr-defined]
            field.help_text = f"{reason} Needed to approve; published with your review."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("decision") == Review.Decision.APPROVE_WITH_CONDITIONS
            and not (data.get("conditions") or "").strip()
        ):
            self.add_error("conditions", "State the conditions of your approval.")
        return data


class SignOffForm(forms.Form):
    statement = forms.CharField(
        label="Panel decision", widget=forms.Textarea(attrs={"rows": 4}), help_text="Published."
    )
    conditions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Published."
    )


def _users_in(role: Role) -> Any:
    return (
        get_user_model()
        .objects.filter(groups__name=role.value, is_active=True)
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class AssignReviewerForm(forms.Form):
    reviewer = UserChoiceField(queryset=_users_in(Role.PANEL_MEMBER))


class AssignOperatorForm(forms.Form):
    operator = UserChoiceField(queryset=_users_in(Role.OPERATOR))


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = OUTCOME_FIELDS
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_counted_by_engine:
            for name in Outcome.ENGINE_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Counted by the engine."


class EmptyForm(forms.Form):
    pass


class UrgentUseForm(forms.Form):
    """An authorising officer's declaration of urgent use before the panel's sign-off."""

    reason = forms.CharField(
        label="Why this is urgent",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Published on the notice at once. Say what cannot wait for the panel's "
        "decision (EU AI Act, Article 5(3): a duly justified situation of urgency).",
    )
    hours = forms.IntegerField(
        label="How many hours it may run before the panel's decision",
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input--short"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cap = settings.OVERSIGHT_URGENT_MAX_HOURS
        hours = self.fields["hours"]
        assert isinstance(hours, forms.IntegerField)
        hours.max_value = cap
        hours.validators.append(MaxValueValidator(cap))
        hours.help_text = (
            f"At most {cap} hours. The chair's decision is due within "
            f"{settings.OVERSIGHT_URGENT_DECISION_HOURS} hours; if the panel refuses, or does "
            "not decide in time, the cameras stop and every alert from the urgent use is deleted."
        )


class Radios(forms.RadioSelect):
    def id_for_label(self, id_: str, index: str | None = None) -> str:
        # The error summary links to the first option (the group itself has no id).
        return super().id_for_label(id_, "0" if index is None else index)


class EngagementForm(forms.ModelForm):
    """One meeting with Londoners before the deployment."""

    held_on = dates.DateField(label="Date of the meeting", help_text="For example, 27 3 2026.")

    class Meta:
        model = EngagementMeeting
        fields = ENGAGEMENT_FIELDS
        widgets = {
            "kind": Radios,
            "raised": forms.Textarea(attrs={"rows": 4}),
            "changed": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "kind": {"required": "Choose who the meeting was with."},
            "group_name": {"required": "Name the panel or group."},
            "raised": {"required": "Say what was raised at the meeting."},
            "changed": {"required": "Say what changed as a result, or that nothing did and why."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = EngagementMeeting.Kind.choices  # no blank "---------" radio

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ENGAGEMENT_FIELDS}


class StaffProfileForm(forms.ModelForm):
    """A member of staff's public details (deployments.services.staff_profile_update)."""

    class Meta:
        model = StaffProfile
        fields = ["rank", "listed_publicly", "declared_interests"]
        labels = {
            "listed_publicly": "List me on the public page of the ethics panel",
            "declared_interests": "Your declared interests",
        }
        widgets = {"declared_interests": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, is_panel: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_panel:
            del self.fields["listed_publicly"]
            del self.fields["declared_interests"]

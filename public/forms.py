"""Forms of the public pages (trial filters, questions, subscriptions) and of the moderation
queue."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from core import dates
from deployments.models import Area, PublicStatus

from .selectors import TrialFilters


class TrialFilterForm(forms.Form):
    """The filters above the list of trials. Every field is optional; choices come from data."""

    borough = forms.ChoiceField(required=False, label="Borough")
    use_case = forms.ChoiceField(required=False, label="Use case")
    status = forms.ChoiceField(required=False, label="Status")
    # The GOV.UK date input: day, month and year boxes (core/dates.py).
    date_from = dates.DateField(
        required=False,
        require_all_fields=False,
        label="From",
        help_text="Trials running on or after this day, for example 27 3 2026.",
    )
    date_to = dates.DateField(
        required=False,
        require_all_fields=False,
        label="To",
        help_text="Trials running on or before this day, for example 27 3 2026.",
    )

    def __init__(self, *args: Any, choices: dict[str, list[tuple[str, str]]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        options = {
            "borough": [("", "Any borough"), *choices["boroughs"]],
            "use_case": [("", "Any use case"), *choices["use_cases"]],
            "status": [("", "Any status"), *PublicStatus.choices],
        }
        for name, values in options.items():
            cast(forms.ChoiceField, self.fields[name]).choices = values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end of the range must be on or after its start.")
        return data

    def filters(self) -> TrialFilters:
        """The filters to apply; an invalid form filters nothing (its errors are shown)."""
        if not self.is_valid():
            return TrialFilters()
        data = self.cleaned_data
        return TrialFilters(
            borough=data["borough"],
            use_case=data["use_case"],
            status=data["status"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )


class QuestionForm(forms.Form):
    """A question from the public on a notice. The `website` field is a honeypot."""

    text = forms.CharField(
        label="Your question",
        max_length=2000,
        error_messages={
            "required": "Enter your question",
            "max_length": "Your question must be 2,000 characters or fewer",
        },
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="It is published with the force's answer once a moderator has checked it.",
    )
    name = forms.CharField(
        label="Your name",
        max_length=100,
        required=False,
        help_text="Published with your question. Leave it empty to ask anonymously.",
    )
    email = forms.EmailField(
        label="Your email address",
        required=False,
        help_text=(
            "Never published. Used only to email you once when the answer is online, then deleted."
        ),
    )
    # People never see this field (hidden by CSS and from screen readers); form-filling bots
    # fill every field they find, so a value here marks the submission as automated.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class PublishQuestionForm(forms.Form):
    answer = forms.CharField(
        label="The force's answer",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Published under the question. Write for the public: plain words, no jargon.",
    )


class RemoveQuestionForm(forms.Form):
    reason = forms.CharField(
        label="Reason for removal",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=(
            "Published in place of the question: \u201cremoved by a moderator on <date>: "
            "<reason>\u201d. Do not repeat personal details from the question."
        ),
    )


class SubscribeForm(forms.Form):
    """Ask to be e-mailed new notices and results, for London or for chosen boroughs."""

    LONDON, BOROUGHS = "london", "boroughs"

    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text=(
            "We send a message to check it is yours. It is used only for these emails and "
            "deleted when you unsubscribe."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    where = forms.ChoiceField(
        label="Which trials do you want to hear about?",
        choices=[
            (LONDON, "Every trial in London"),
            (BOROUGHS, "Only trials in the boroughs I choose"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose every trial in London, or only some boroughs."},
    )
    boroughs = forms.ModelMultipleChoiceField(
        label="Boroughs",
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="If you chose only some boroughs, select one or more.",
    )

    def __init__(self, *args: Any, areas: QuerySet[Area], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["boroughs"]).queryset = areas

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("where") == self.BOROUGHS and not data.get("boroughs"):
            self.add_error(
                "boroughs", "Choose at least one borough, or choose every trial in London."
            )
        return data

    @property
    def all_london(self) -> bool:
        return self.cleaned_data["where"] == self.LONDON

    @property
    def areas(self) -> list[Area]:
        return [] if self.all_london else list(self.cleaned_data["boroughs"])

"""The one error summary every form shows, and a service's refusals attached to a form."""

from __future__ import annotations

from django import forms
from django.template import Context, Template

from core.errors import PreconditionsFailed
from core.forms import ErrorLink, attach_problems, error_summary


class ExampleForm(forms.Form):
    reason = forms.CharField(label="Reason")
    hours = forms.IntegerField(label="Hours")


def test_the_summary_lists_form_errors_first_then_each_field_linking_to_its_input():
    form = ExampleForm(data={"hours": "many"})
    form.is_valid()
    form.add_error(None, "The request cannot be submitted yet.")
    assert error_summary(form) == [
        ErrorLink("", "The request cannot be submitted yet."),
        ErrorLink("#id_reason", "Reason: This field is required."),
        ErrorLink("#id_hours", "Hours: Enter a whole number."),
    ]


def test_a_valid_form_has_an_empty_summary_and_the_tag_draws_nothing():
    form = ExampleForm(data={"reason": "Because.", "hours": "2"})
    assert form.is_valid()
    assert error_summary(form) == []
    html = Template("{% load forms %}{% error_summary form %}").render(Context({"form": form}))
    assert html.strip() == ""


def test_the_tag_draws_the_gov_uk_pattern_with_a_heading_and_links():
    form = ExampleForm(data={})
    form.is_valid()
    html = Template('{% load forms %}{% error_summary form "Your question was not sent" %}').render(
        Context({"form": form})
    )
    assert 'role="alert"' in html
    assert "<h2" in html and "Your question was not sent" in html
    assert '<a href="#id_reason">Reason: This field is required.</a>' in html


def test_a_service_refusal_lands_on_the_field_it_names_or_on_the_form():
    form = ExampleForm(data={"reason": "x", "hours": "1"})
    assert form.is_valid()
    attach_problems(
        form,
        PreconditionsFailed({"hours": ["Too long."], "elsewhere": ["Publish the DPIA first."]}),
    )
    assert form.errors["hours"] == ["Too long."]
    assert form.non_field_errors() == ["Publish the DPIA first."]


def test_a_specific_message_stands_alone_in_the_summary_and_the_page_title_says_error(
    client, actors, documents
):
    from django.urls import reverse

    from tests.public.conftest import approved

    trial = approved(actors)
    response = client.post(
        reverse("public:trial_detail", args=[trial.reference]),
        {"text": ""},
        REMOTE_ADDR="203.0.113.9",
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_text">Enter your question</a>' in html
    assert "<title>Error: " in html
    # A page without errors keeps its title.
    assert "<title>Error: " not in client.get(trial.get_public_url()).content.decode()


class ChoiceForm(forms.Form):
    where = forms.ChoiceField(
        label="Where", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )


def test_an_error_on_a_group_of_radios_links_to_its_first_option():
    form = ChoiceForm(data={})
    form.is_valid()
    assert error_summary(form) == [ErrorLink("#id_where_0", "Where: This field is required.")]
    assert 'id="id_where_0"' in str(form["where"])

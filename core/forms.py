"""Form helpers every app's pages use: the error summary, and a service's refusals on a form."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from .errors import PreconditionsFailed


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: the message, and the field it links to ("" if none)."""

    href: str
    text: str


def error_summary(form: forms.BaseForm) -> list[ErrorLink]:
    """Every error on the form, in the order of the page, each linking to its field.

    The GOV.UK Design System's error summary: the form's own errors first, then each field's,
    so that a keyboard or screen-reader user can go straight to what needs fixing.
    """
    links = [ErrorLink("", str(error)) for error in form.non_field_errors()]
    for field in form:
        if field.is_hidden:
            continue
        # A group of radios or checkboxes has no one input for its label; the GOV.UK pattern
        # links to its first option (Django numbers them `<id>_0`).
        target = field.id_for_label or f"{field.auto_id}_0"
        links.extend(ErrorLink(f"#{target}", f"{field.label}: {error}") for error in field.errors)
    return links


def attach_problems(form: forms.BaseForm, error: PreconditionsFailed) -> None:
    """Show a service's refusals on the fields they name (or at the top of the form)."""
    for field, messages in error.problems.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)

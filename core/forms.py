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
        generic = _generic_messages(field.field)
        links.extend(
            ErrorLink(
                f"#{target}",
                f"{field.label}: {error}" if _is_generic(str(error), generic) else str(error),
            )
            for error in field.errors
        )
    return links


def _generic_messages(field: forms.Field) -> set[str]:
    """Django's own messages for this kind of field ("This field is required.", "Enter a whole
    number."): they do not say which field they are about, so the summary names it. A specific
    message ("Enter your question") stands alone, as the GOV.UK pattern has it."""
    messages: set[str] = set()
    for klass in type(field).__mro__:
        messages.update(str(m) for m in getattr(klass, "default_error_messages", {}).values())
    return messages


def _is_generic(error: str, generic: set[str]) -> bool:
    return error in generic or error.startswith(("Ensure this value", "Select a valid choice"))


def attach_problems(form: forms.BaseForm, error: PreconditionsFailed) -> None:
    """Show a service's refusals on the fields they name (or at the top of the form)."""
    for field, messages in error.problems.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)

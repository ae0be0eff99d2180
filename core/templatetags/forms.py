"""`{% error_summary form %}`: the one error summary every form shows (core.forms)."""

from __future__ import annotations

from typing import Any

from django import forms, template

from core.forms import error_summary as summary_of

register = template.Library()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form: forms.BaseForm | None, title: str = "There is a problem") -> dict[str, Any]:
    return {"title": title, "errors": summary_of(form) if form is not None else []}


def hint_id(field: forms.BoundField) -> str:
    return f"{field.auto_id}_helptext"


def error_id(field: forms.BoundField) -> str:
    return f"{field.auto_id}_error"


@register.filter
def described(field: forms.BoundField) -> str:
    """The field's widget, announcing its hint and its error: `aria-describedby` names only
    elements the field's template renders (`{{ field.auto_id }}_helptext` and `_error`), and an
    invalid field says so (`aria-invalid`). A group of radios or checkboxes is described by its
    fieldset instead, so its inputs carry neither."""
    attrs: dict[str, Any] = {}
    if not is_group(field):
        ids = ([hint_id(field)] if field.help_text else []) + (
            [error_id(field)] if field.errors else []
        )
        if ids:
            attrs["aria-describedby"] = " ".join(ids)
        if field.errors:
            attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_group(field: forms.BoundField) -> bool:
    """A set of radios or checkboxes: it goes in a fieldset whose legend is the label."""
    widget = field.field.widget
    return isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


@register.filter
def is_date_input(field: forms.BoundField) -> bool:
    from core.dates import DatePartsWidget

    return isinstance(field.field.widget, DatePartsWidget)


@register.filter
def date_parts(field: forms.BoundField) -> list[dict[str, Any]]:
    from core.dates import date_parts as parts_of

    return parts_of(field)

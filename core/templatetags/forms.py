"""`{% error_summary form %}`: the one error summary every form shows (core.forms)."""

from __future__ import annotations

from typing import Any

from django import forms, template

from core.forms import error_summary as summary_of

register = template.Library()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form: forms.BaseForm | None, title: str = "There is a problem") -> dict[str, Any]:
    return {"title": title, "errors": summary_of(form) if form is not None else []}

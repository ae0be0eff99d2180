"""Number formats for the fairness pages and the evaluation report: rates, ratios, counts."""

from __future__ import annotations

import math
from typing import Any

from django import template

register = template.Library()

DASH = "\u2013"


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@register.filter
def pct(value: Any) -> str:
    """A proportion as a percentage with three significant figures: 0.000123 -> 0.0123%."""
    number = _number(value)
    if number is None:
        return DASH
    percent = number * 100
    if percent == 0:
        return "0%"
    # Enough decimals for three significant figures, never scientific notation.
    decimals = max(1, 2 - math.floor(math.log10(abs(percent))))
    return f"{percent:.{decimals}f}%"


@register.filter
def ratio(value: Any) -> str:
    number = _number(value)
    if number is None:
        return DASH
    if math.isinf(number):
        return "unbounded"
    return f"{number:.2f}"


@register.filter
def whole(value: Any) -> str:
    """A count rounded to a whole number with thousands separators: 12345.6 -> 12,346."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{round(number):,}"


@register.filter
def alerts(value: Any) -> str:
    """Expected false alerts per 10,000 faces, to one decimal place (two below 1)."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{number:,.2f}" if number < 1 else f"{number:,.1f}"


@register.filter
def pct1(value: Any) -> str:
    """A share as a percentage to one decimal place: 0.2066 -> 20.7%."""
    number = _number(value)
    return DASH if number is None else f"{number * 100:.1f}%"

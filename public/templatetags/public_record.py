"""Filters that put the register's numbers in words the public reads easily."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def hours(value: timedelta | None) -> str:
    """'8 hours', '1 hour 30 minutes'."""
    if value is None:
        return "\u2013"
    minutes = int(value.total_seconds() // 60)
    h, m = divmod(minutes, 60)
    parts = []
    if h:
        parts.append(f"{h} hour{'s' if h != 1 else ''}")
    if m or not parts:
        parts.append(f"{m} minute{'s' if m != 1 else ''}")
    return " ".join(parts)


@register.filter
def percent(value: float | None, places: int = 4) -> str:
    """A rate as a percentage with significant digits kept: 0.0000467 -> '0.0047%'."""
    if value is None:
        return "\u2013"
    if value == 0:
        return "0%"
    text = f"{value * 100:.{int(places)}f}".rstrip("0").rstrip(".")
    if text in ("0", ""):
        # Too small for the places asked: give two significant figures instead of "0%".
        text = f"{value * 100:.2g}"
    return f"{text}%"


@register.filter
def one_in(value: float | None) -> str:
    """A rate as 'about 1 in N' (rounded to a readable N), or '' when there is none."""
    if not value:
        return ""
    n = 1 / value
    rounded = round(n) if n < 100 else round(n, -len(str(int(n))) + 2)
    return f"about 1 in {intcomma(int(rounded))}"

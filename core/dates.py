"""The GOV.UK date input: a date as day, month and year boxes, and a date and time as day,
month, year, hour and minute boxes, instead of the browser's date-time picker (which some
screen readers announce poorly and which cannot be typed into the same way everywhere).

`DateField` and `DateTimeField` are form fields; `templates/includes/field.html` draws any
field whose widget is a `DatePartsWidget` as a fieldset with a legend, the hint, the error and
one labelled box per part (`{{ field|date_parts }}` gives the boxes). Times are in the
project's time zone (London).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone

LABELS = {"day": "Day", "month": "Month", "year": "Year", "hour": "Hour", "minute": "Minute"}
WIDTHS = {"day": 2, "month": 2, "year": 4, "hour": 2, "minute": 2}
RANGES = {
    "day": (1, 31),
    "month": (1, 12),
    "year": (1900, 9999),
    "hour": (0, 23),
    "minute": (0, 59),
}


class DatePartsWidget(forms.MultiWidget):
    """One numeric text box per part of a date (and time)."""

    def __init__(self, parts: tuple[str, ...]) -> None:
        self.parts = parts
        super().__init__({part: forms.TextInput(attrs={"inputmode": "numeric"}) for part in parts})

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the first box, as the GOV.UK pattern does.
        return f"{id_}_{self.parts[0]}" if id_ else ""

    def decompress(self, value: Any) -> list[Any]:
        if not value:
            return [None] * len(self.parts)
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return [getattr(value, part) for part in self.parts]


class _PartsField(forms.MultiValueField):
    parts: tuple[str, ...] = ()
    example = ""

    def __init__(self, **kwargs: Any) -> None:
        words = f"Enter a real {self.what}, for example {self.example}"
        real = {"invalid": words, "min_value": words, "max_value": words}
        super().__init__(
            fields=tuple(
                forms.IntegerField(
                    min_value=RANGES[part][0], max_value=RANGES[part][1], error_messages=real
                )
                for part in self.parts
            ),
            widget=DatePartsWidget(self.parts),
            require_all_fields=kwargs.pop("require_all_fields", True),
            error_messages={
                "required": f"Enter the {self.what}, for example {self.example}",
                "incomplete": f"Enter every part of the {self.what}, for example {self.example}",
                "invalid": words,
            },
            **kwargs,
        )
        self._words = words

    what = "date"

    def _invalid(self) -> forms.ValidationError:
        return forms.ValidationError(self._words, code="invalid")

    def _parts_given(self, data_list: list[Any]) -> bool:
        """False when nothing was typed; a refusal when only some boxes were."""
        if not data_list or all(part in (None, "") for part in data_list):
            return False
        if any(part in (None, "") for part in data_list):
            raise forms.ValidationError(self.error_messages["incomplete"], code="incomplete")
        return True


class DateField(_PartsField):
    parts = ("day", "month", "year")
    example = "27 3 2026"

    def compress(self, data_list: list[Any]) -> date | None:
        if not self._parts_given(data_list):
            return None
        day, month, year = data_list
        try:
            return date(year, month, day)
        except (TypeError, ValueError):
            raise self._invalid() from None


class DateTimeField(_PartsField):
    parts = ("day", "month", "year", "hour", "minute")
    example = "27 3 2026, 14 30"
    what = "date and time"

    def compress(self, data_list: list[Any]) -> datetime | None:
        if not self._parts_given(data_list):
            return None
        day, month, year, hour, minute = data_list
        try:
            return timezone.make_aware(datetime(year, month, day, hour, minute))
        except (TypeError, ValueError):
            raise self._invalid() from None


def date_parts(field: forms.BoundField) -> list[dict[str, Any]]:
    """The boxes of a date input, with their labels, names, ids, values and widths."""
    widget = field.field.widget
    assert isinstance(widget, DatePartsWidget)
    value = field.value()
    if not isinstance(value, list | tuple):
        value = widget.decompress(value)
    return [
        {
            "label": LABELS[part],
            "name": f"{field.html_name}_{part}",
            "id": f"{field.auto_id}_{part}",
            "value": "" if given in (None, "") else given,
            "width": WIDTHS[part],
        }
        for part, given in zip(widget.parts, value, strict=True)
    ]

"""Charts for the results of a trial, drawn on the server as SVG (no JavaScript, no CDN).

The same markup is embedded in the web page and in the PDF (WeasyPrint draws inline SVG).
Each chart has a <title> and <desc> for screen readers, and the numbers it shows are also in
the results table beside it. Nothing is invented: without counts of the faces seen hour by
hour, the faces chart shows the single total the outcome holds and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from deployments.models import Outcome

# (start of the hour, faces seen in that hour), in time order.
FacesTimeline = list[tuple[datetime, int]]


# Colours from the stylesheet's palette, with enough contrast on white (WCAG AA for text).
INK = "#0b0c0c"
MUTED = "#505a5f"
TRUE_COLOUR = "#00703c"
FALSE_COLOUR = "#b3261e"
NEUTRAL_COLOUR = "#1d3557"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    colour: str
    hatched: bool = False  # unconfirmed alerts are drawn hatched, confirmed solid


def _hbar_chart(
    *, title: str, desc: str, groups: list[tuple[str, list[Bar]]], width: int = 520
) -> SafeString:
    """Horizontal bars in labelled groups; the value is printed at the end of each bar."""
    label_w, value_w, bar_h, gap, group_gap, top = 200, 64, 22, 8, 30, 10
    chart_id = _slug(title)
    plot_w = width - label_w - value_w
    largest = max((b.value for _, bars in groups for b in bars), default=0) or 1
    rows: list[str] = []
    y = top
    for heading, bars in groups:
        rows.append(
            format_html(
                '<text x="0" y="{}" font-weight="700" fill="{}" font-size="15">{}</text>',
                y + 14,
                INK,
                heading,
            )
        )
        y += 24
        for bar in bars:
            length = round(plot_w * bar.value / largest)
            fill = f"url(#{chart_id}-hatch)" if bar.hatched else bar.colour
            rows.append(
                format_html(
                    '<g><text x="0" y="{}" fill="{}" font-size="14">{}</text>'
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"/>'
                    '<text x="{}" y="{}" fill="{}" font-size="14">{}</text></g>',
                    y + 16,
                    INK,
                    bar.label,
                    label_w,
                    y,
                    max(length, 1),
                    bar_h,
                    fill,
                    bar.colour,
                    label_w + max(length, 1) + 6,
                    y + 16,
                    INK,
                    f"{bar.value:,}",
                )
            )
            y += bar_h + gap
        y += group_gap - gap
    height = y
    pattern = format_html(
        '<defs><pattern id="{}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="{}" stroke-width="3"/></pattern></defs>',
        chart_id,
        MUTED,
    )
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-labelledby="{id}-t {id}-d">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{pattern}{rows}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        pattern=pattern,
        rows=mark_safe("".join(rows)),  # noqa: S308 - each row was built with format_html
    )


def _slug(text: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in text.lower())[:40]


def alerts_chart(outcome: Outcome) -> SafeString:
    """Alerts by kind (true or false, confirmed or not) and what happened after them."""
    groups = [
        (
            "Alerts, by kind",
            [
                Bar("True alert, confirmed", outcome.true_alerts_confirmed, TRUE_COLOUR),
                Bar("True alert, unconfirmed", outcome.true_alerts_unconfirmed, TRUE_COLOUR, True),
                Bar("False alert, confirmed", outcome.false_alerts_confirmed, FALSE_COLOUR),
                Bar(
                    "False alert, unconfirmed", outcome.false_alerts_unconfirmed, FALSE_COLOUR, True
                ),
            ],
        ),
        (
            "What happened after the alerts",
            [
                Bar("Arrest", outcome.arrests, NEUTRAL_COLOUR),
                Bar("Other outcome", outcome.other_outcomes, NEUTRAL_COLOUR),
                Bar("No action", outcome.no_action, NEUTRAL_COLOUR),
            ],
        ),
    ]
    desc = (
        f"{outcome.total_alerts:,} alerts: {outcome.true_alerts_confirmed:,} true and confirmed, "
        f"{outcome.true_alerts_unconfirmed:,} true but unconfirmed, "
        f"{outcome.false_alerts_confirmed:,} false and confirmed, "
        f"{outcome.false_alerts_unconfirmed:,} false but unconfirmed. Afterwards: "
        f"{outcome.arrests:,} arrests, {outcome.other_outcomes:,} other outcomes, "
        f"{outcome.no_action:,} with no action."
    )
    return _hbar_chart(title="Alerts by kind and outcome", desc=desc, groups=groups)


def faces_chart(outcome: Outcome, timeline: FacesTimeline | None = None) -> tuple[SafeString, bool]:
    """Faces seen over the window. Returns the SVG and whether it is hour by hour.

    Hour by hour when given the counts for each hour; otherwise one bar with the total,
    because the outcome holds only the total and a chart must not suggest more than it knows.
    """
    if not timeline:
        bars = [Bar("Whole deployment window", outcome.faces_seen, NEUTRAL_COLOUR)]
        desc = (
            f"{outcome.faces_seen:,} faces seen over the whole window. Hour-by-hour counts "
            "are not available for this trial."
        )
        return _hbar_chart(
            title="Faces seen (estimate)", desc=desc, groups=[("Faces seen", bars)]
        ), False
    bars = [
        Bar(
            f"{localtime(start):%H:%M} to {localtime(start).hour + 1:02d}:00", count, NEUTRAL_COLOUR
        )
        for start, count in timeline
    ]
    total = sum(count for _, count in timeline)
    desc = f"{total:,} faces seen, hour by hour: " + "; ".join(
        f"{b.label}: {b.value:,}" for b in bars
    )
    return _hbar_chart(
        title="Faces seen per hour", desc=desc, groups=[("Faces seen, hour by hour", bars)]
    ), True

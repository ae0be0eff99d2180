"""The public fairness page, and the exposure figures the staff pages show.

``/fairness/`` needs no sign-in and shows only group totals and what the trials' public
notices already publish (reference, site, date, expected faces): never a restricted field.
The chart is SVG drawn on the server, so it works without JavaScript and in the PDF, and the
same numbers are in the table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from deployments.models import Deployment
from legal.models import DocumentVersion, EngineEvaluation

from .census import ATTRIBUTION, DATASET_NAME, OGL_URL
from .exposure import (
    Exposure,
    disparity_limit,
    exposure_analysis,
    portfolio,
    portfolio_public_rows,
    reference_population,
)

TRIALS_PER_PAGE = 50
# Colours from the stylesheet's palette (static/css/oversight.css), AA contrast on white.
POPULATION_COLOUR = "#858688"
FACES_COLOUR = "#1d3557"
OVER_COLOUR = "#b3261e"


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: float
    bars: list[ChartBar]
    ratio_text: str
    ratio_y: float
    is_over: bool


def exposure_chart(exposure: Exposure, *, limit: float, title: str) -> dict[str, Any]:
    """Geometry of a grouped bar chart: per group, its share of residents and of faces."""
    # Room on the right for the longest bar's label and then the ratio, right-aligned.
    left, right, top, row_height, bar_height = 70.0, 210.0, 56.0, 62.0, 20.0
    width = 760.0
    plot = width - left - right
    shares = [g.population_share for g in exposure.groups] + [
        g.share or 0.0 for g in exposure.groups
    ]
    step = 0.1 if max(shares, default=0) > 0.3 else 0.05
    top_share = max(step, step * -(-max(shares, default=0) // step))
    if top_share < max(shares, default=0):  # floating point can round just below
        top_share += step

    def x_of(share: float) -> float:
        return round(left + plot * share / top_share, 1)

    rows = []
    for index, group in enumerate(exposure.groups):
        y = top + index * row_height
        over = group.is_over(limit)
        bars = []
        for offset, share, colour, name in (
            (0.0, group.population_share, POPULATION_COLOUR, "residents"),
            (bar_height + 2, group.share or 0.0, OVER_COLOUR if over else FACES_COLOUR, "faces"),
        ):
            end = x_of(share)
            bars.append(
                ChartBar(
                    x=left,
                    y=y + offset,
                    width=round(max(0.0, end - left), 1),
                    height=bar_height,
                    colour=colour,
                    label=f"{share * 100:.1f}% of {name}",
                    label_x=end + 4,
                    label_y=y + offset + bar_height - 5,
                )
            )
        rows.append(
            ChartRow(
                label=group.short_label,
                label_y=y + bar_height + 6,
                bars=bars,
                ratio_text="no ratio" if group.ratio is None else f"ratio {group.ratio:.2f}",
                ratio_y=y + bar_height + 6,
                is_over=over,
            )
        )
    ticks = []
    value = 0.0
    while value <= top_share + 1e-9:
        ticks.append({"x": x_of(value), "label": f"{value * 100:.0f}%"})
        value += step
    height = top + len(rows) * row_height + 10
    return {
        "title": title,
        "description": "; ".join(
            f"{g.label}: {g.population_share * 100:.1f}% of residents, "
            f"{(g.share or 0) * 100:.1f}% of faces scanned, ratio "
            + ("not measurable" if g.ratio is None else f"{g.ratio:.2f}")
            for g in exposure.groups
        ),
        "width": width,
        "height": height,
        "plot_left": left,
        "label_x": left - 8,
        "plot_bottom": height - 10,
        "ratio_x": width - 8,
        "rows": rows,
        "ticks": ticks,
        "legend": [
            {"x": x, "text_x": x + 18, "colour": colour, "label": label}
            for x, colour, label in (
                (left, POPULATION_COLOUR, "Share of residents"),
                (left + 165, FACES_COLOUR, "Share of faces scanned"),
                (left + 355, OVER_COLOUR, f"Over the limit of {limit:.2f}"),
            )
        ],
    }


def _source() -> dict[str, str]:
    return {"attribution": ATTRIBUTION, "dataset": DATASET_NAME, "licence_url": OGL_URL}


def fairness(request: HttpRequest) -> HttpResponse:
    """Public: the portfolio's exposure by group against London's population."""
    now = timezone.now()
    limit = disparity_limit()
    reference = reference_population()
    context: dict[str, Any] = {
        "limit": limit,
        "source": _source(),
        "now": now,
        "evaluation": (evaluation := published_evaluation()),
    }
    if evaluation is not None:
        context["parity_within_to"], context["parity_next"] = evaluation.parity_summary()
    if reference is not None:
        current = portfolio(at=now, reference=reference)
        # The page lists the trials a page at a time (`?page=`), newest approvals last; only
        # the page shown is put into rows (each needs its notice's address).
        shown = Paginator(current.contributions, TRIALS_PER_PAGE).get_page(request.GET.get("page"))
        rows = portfolio_public_rows(list(shown.object_list))
        trials: Page[dict[str, Any]] = Page(rows, shown.number, shown.paginator)  # type: ignore[arg-type]
        context.update(
            reference=reference,
            exposure=current.exposure,
            trials=trials,
            uncounted=len(current.uncounted),
            over=current.exposure.over_limit(limit),
            chart=exposure_chart(
                current.exposure,
                limit=limit,
                title="Share of faces scanned by trials in the last 12 months, by ethnic group, "
                f"against the share of {reference.name}'s residents",
            )
            if current.exposure.total_faces > 0
            else None,
        )
    return render(request, "fairness/public.html", context)


def published_evaluation() -> EngineEvaluation | None:
    """The latest engine evaluation attached to a published equality impact assessment.

    Only its aggregate figures go on the public page: never the image set's file names or
    person identifiers (the excluded list).
    """
    return (
        EngineEvaluation.objects.filter(attached_to__status=DocumentVersion.Status.PUBLISHED)
        .select_related("attached_to__document")
        .order_by("-created_at", "-pk")
        .first()
    )


def detail_context(deployment: Deployment) -> dict[str, Any]:
    """For the deployment page the panel reviews from: exposure, chart, evaluation, guard."""
    analysis = exposure_analysis(deployment)
    chart = None
    if analysis.after is not None:
        chart = exposure_chart(
            analysis.after,
            limit=analysis.limit,
            title=f"The portfolio with {deployment}: share of faces scanned by ethnic group "
            f"against the share of {analysis.after.reference_name}'s residents",
        )
    return {
        "exposure": analysis,
        "exposure_chart": chart,
        "census_source": _source(),
    }

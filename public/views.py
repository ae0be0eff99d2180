"""Public pages about trials: no login, never a restricted field.

Thin views: parse the request, call one selector or service, render. What may be shown is
decided in `public.selectors` (which never selects a restricted column); the same includes
render the web pages and the PDFs.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.client import client_address
from core.errors import PreconditionsFailed
from core.public_changes import CENSUS, LEGAL, PEOPLE, QUESTIONS, REGISTER, notice_scope

from . import opendata, services, transparency
from .cache import cached_page
from .forms import QuestionForm, TrialFilterForm
from .models import ReportPdf
from .selectors import (
    TRIALS_PER_PAGE,
    Notice,
    TrialFilters,
    annual_context,
    annual_report,
    filter_choices,
    home_sections,
    notice_context,
    panel_listing,
    public_notice,
    report_years,
    trial_page,
)

logger = logging.getLogger(__name__)

# What each page shows (`public.cache`): the trials and the areas they are in.
TRIALS = (REGISTER, CENSUS)
# The trial filters' query parameters; the dates are GOV.UK date inputs (core/dates.py).
FILTER_PARAMS = (
    "borough",
    "use_case",
    "status",
    *(f"date_{end}_{part}" for end in ("from", "to") for part in ("day", "month", "year")),
    "page",
)


def _notice_scopes(reference: str) -> tuple[str, ...]:
    # The notice names its site's area and its pinned legal documents.
    return (notice_scope(reference), LEGAL, CENSUS)


@require_GET
@cached_page(TRIALS)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html", {**home_sections(), "years": report_years()})


@require_GET
@cached_page(TRIALS, params=FILTER_PARAMS)
def trial_list(request: HttpRequest) -> HttpResponse:
    form = TrialFilterForm(request.GET or None, choices=filter_choices())
    filters = form.filters() if form.is_bound else TrialFilters()
    page = trial_page(filters=filters, page=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "public/trial_list.html",
        {"form": form, "filters": filters, "page": page, "query": query.urlencode()},
    )


@require_GET
@cached_page(TRIALS, params=FILTER_PARAMS)
def trial_record_table(request: HttpRequest) -> HttpResponse:
    """The published record as one table, with the open data's columns, filterable."""
    form = TrialFilterForm(request.GET or None, choices=filter_choices())
    filters = form.filters() if form.is_bound else TrialFilters()
    page = trial_page(filters=filters, page=request.GET.get("page"))
    at = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "public/trial_record_table.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "rows": [(trial, opendata.row(trial, at)) for trial in page.object_list],
            "columns": opendata.RECORD_TABLE_COLUMNS,
        },
    )


def _notice_or_404(reference: str) -> Notice:
    notice = public_notice(reference)
    if notice is None:
        # Unpublished and non-existent look the same, so a 404 never confirms a request exists.
        raise Http404("There is no published trial with this reference.")
    return notice


@require_http_methods(["GET", "POST"])
@cached_page(_notice_scopes)
def trial_detail(request: HttpRequest, reference: str) -> HttpResponse:
    notice = _notice_or_404(reference)
    form = QuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if form.is_bot():
                # Answer as if it worked, so the bot learns nothing; keep no record of it.
                logger.info("Honeypot filled on %s; question dropped.", reference)
                messages.success(request, _THANKS)
                return redirect(reverse("public:trial_detail", args=[reference]) + "#questions")
            try:
                services.question_submit(
                    deployment=notice.trial,
                    text=form.cleaned_data["text"],
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    address=client_address(request),
                )
            except services.RateLimited as error:
                form.add_error(None, error.message)
                status = 429
            except PreconditionsFailed as error:
                for field, problems in error.problems.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                status = 400
            else:
                messages.success(request, _THANKS)
                return redirect(reverse("public:trial_detail", args=[reference]) + "#questions")
        else:
            status = 400
    response = render(
        request,
        "public/trial_detail.html",
        {**notice_context(notice), "question_form": form},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = "3600"
    return response


_THANKS = (
    "Thank you. Your question has been received; a moderator will check it and publish it "
    "here with the force's answer."
)


def _pdf_response(pdf: ReportPdf, filename: str) -> FileResponse:
    response = FileResponse(pdf.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = f'"{pdf.sha256[:32]}"'
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def trial_report_pdf(request: HttpRequest, reference: str) -> HttpResponseBase:
    """The stored results report; rendered here and now if the stored one is missing or stale."""
    pdf = services.report_pdf_current(kind=ReportPdf.Kind.TRIAL, key=reference)
    if pdf is None:
        raise Http404("This trial has no published results report yet.")
    return _pdf_response(pdf, f"{reference}-results.pdf")


@require_GET
def annual_report_index(request: HttpRequest) -> HttpResponse:
    years = report_years()
    if years:
        return redirect("public:annual_report", year=years[0])
    return render(request, "public/annual_report.html", {"report": None, "years": []})


@require_GET
@cached_page((*TRIALS, QUESTIONS), params=("page",), stored=True)
def annual_report_page(request: HttpRequest, year: int) -> HttpResponse:
    report = annual_report(year)
    if report is None:
        raise Http404(f"No trial was published for {year}.")
    context = annual_context(report)
    # The page shows the year's trials a page at a time; the PDF and the open data have all.
    context["rows_page"] = Paginator(context["rows"], TRIALS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context["rows"] = context["rows_page"].object_list
    return render(request, "public/annual_report.html", context)


@require_GET
def annual_report_pdf(request: HttpRequest, year: int) -> HttpResponseBase:
    pdf = services.report_pdf_current(kind=ReportPdf.Kind.ANNUAL, key=str(year))
    if pdf is None:
        raise Http404(f"No trial was published for {year}.")
    return _pdf_response(pdf, f"oversight-annual-report-{year}.pdf")


@require_GET
@cached_page(())
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/privacy.html",
        {
            "crop_days": settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS,
            "watchlist_hours": settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS,
            "subscription_days": settings.OVERSIGHT_SUBSCRIPTION_CONFIRM_DAYS,
        },
    )


@require_GET
@cached_page(())
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "public/accessibility.html")


@require_GET
@cached_page((*TRIALS, LEGAL))
def transparency_record(request: HttpRequest) -> HttpResponse:
    return render(request, "public/transparency.html", {"record": transparency.atrs_record()})


def _json(
    request: HttpRequest, body: bytes, content_type: str = "application/json"
) -> HttpResponse:
    return opendata.conditional_response(
        request, body=body, content_type=content_type, last_modified=None
    )


@require_GET
@cached_page((*TRIALS, LEGAL))
def transparency_json(request: HttpRequest) -> HttpResponse:
    return _json(request, transparency.as_json(transparency.atrs_record()))


@require_GET
@cached_page((*TRIALS, LEGAL))
def ai_act_json(request: HttpRequest) -> HttpResponse:
    return _json(request, transparency.as_json(transparency.ai_act_registration()))


@require_GET
@cached_page(())
def transparency_schema(request: HttpRequest, name: str) -> HttpResponse:
    path = transparency.SCHEMA_FILES.get(name)
    if path is None:
        raise Http404("There is no schema of that name.")
    return _json(request, path.read_bytes(), "application/schema+json")


@require_GET
@cached_page(())
def open_data_index(request: HttpRequest) -> HttpResponse:
    return render(request, "public/open_data.html", {"columns": opendata.COLUMN_NAMES})


@require_GET
@cached_page(TRIALS, stored=True)
def open_data_csv(request: HttpRequest) -> HttpResponse:
    export = opendata.export_rows()
    return opendata.conditional_response(
        request,
        body=opendata.render_csv(export),
        content_type="text/csv; charset=utf-8",
        last_modified=export.last_modified,
        filename="deployments.csv",
    )


@require_GET
@cached_page(TRIALS, stored=True)
def open_data_json(request: HttpRequest) -> HttpResponse:
    export = opendata.export_rows()
    return opendata.conditional_response(
        request,
        body=opendata.render_json(export),
        content_type="application/json",
        last_modified=export.last_modified,
    )


@require_GET
@cached_page(())
def open_data_schema(request: HttpRequest) -> HttpResponse:
    return opendata.conditional_response(
        request,
        body=opendata.schema_bytes(),
        content_type="application/schema+json",
        last_modified=None,
    )


@require_GET
def how_it_works(request: HttpRequest) -> HttpResponse:
    """How the force decides where and when, generated from the rules the register enforces.

    Not cached: reading it records a change of the rules in force (`policy_record`), which a
    cached page would skip."""
    from .how_it_works import how_it_works_context

    return render(request, "public/how_it_works.html", how_it_works_context())


@require_GET
def how_it_works_pdf(request: HttpRequest) -> HttpResponseBase:
    pdf = services.report_pdf_current(kind=ReportPdf.Kind.HOW_IT_WORKS, key=services.POLICY_KEY)
    if pdf is None:  # pragma: no cover - the explanation is always public
        raise Http404("The explanation could not be rendered.")
    return _pdf_response(pdf, "how-the-force-decides.pdf")


@require_GET
@cached_page((PEOPLE,))
def ethics_panel(request: HttpRequest) -> HttpResponse:
    """The panel's members who agreed to be listed, with their declared interests."""
    return render(request, "public/ethics_panel.html", {"listing": panel_listing()})

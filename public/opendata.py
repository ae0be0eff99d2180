"""Open data: every published trial as CSV and JSON, with the published-record columns.

The columns are those of the Metropolitan Police's published per-deployment record (DESIGN.md,
"Published record: the columns") plus stable identifiers: the reference, the ONS area code, the
use-case clause, coordinates, status and the URLs of the notice and the report. The schema is
`docs/open-data-schema.json`, explained in `docs/open-data.md`; a test keeps the three in step.

Rows are in the order the requests were filed (a new trial is always added at the end), so a
client can diff two downloads line by line. Each response carries an ETag (a hash of the body)
and a Last-Modified time, and answers a conditional GET with 304 Not Modified, so polling is
cheap. Results columns are empty (null) until the results report is published.

One query builds the whole file, whatever the number of rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from deployments.models import Deployment, PublicStatus

from .selectors import public_outcome, public_trials

SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "open-data-schema.json"
# Clients may cache for a minute; after that they revalidate with If-None-Match.
CACHE_CONTROL = "public, max-age=60"


def _status(trial: Deployment, at: datetime) -> PublicStatus:
    status = trial.public_status_at(at)
    if status is None:  # `public_trials` holds public trials only
        raise ValueError(f"{trial} is not public")
    return status


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@dataclass(frozen=True)
class Column:
    name: str
    get: Callable[[Deployment, Any, datetime], Any]


def _outcome_column(name: str, attribute: str | None = None) -> Column:
    attribute = attribute or name
    return Column(name, lambda t, o, at: getattr(o, attribute) if o is not None else None)


COLUMNS: tuple[Column, ...] = (
    Column("reference", lambda t, o, at: t.reference),
    Column("notice_url", lambda t, o, at: _absolute(t.get_public_url())),
    Column(
        "report_url",
        lambda t, o, at: _absolute(t.get_public_url() + "#results") if o is not None else None,
    ),
    Column(
        "report_pdf_url",
        lambda t, o, at: (
            _absolute(reverse("public:trial_report_pdf", args=[t.reference]))
            if o is not None
            else None
        ),
    ),
    Column("status", lambda t, o, at: _status(t, at).value),
    Column("status_label", lambda t, o, at: _status(t, at).label),
    Column(
        "deployment_location",
        lambda t, o, at: f"{t.site.name}, {t.site.area.name}" if t.site else None,
    ),
    Column("site_name", lambda t, o, at: t.site.name if t.site else None),
    Column("area_code", lambda t, o, at: t.site.area.code if t.site else None),
    Column("borough", lambda t, o, at: t.site.area.name if t.site else None),
    Column("latitude", lambda t, o, at: _number(t.site.latitude) if t.site else None),
    Column("longitude", lambda t, o, at: _number(t.site.longitude) if t.site else None),
    Column(
        "date",
        lambda t, o, at: (
            timezone.localtime(t.starts_at).date().isoformat() if t.starts_at else None
        ),
    ),
    Column("starts_at", lambda t, o, at: _iso(t.starts_at)),
    Column("ends_at", lambda t, o, at: _iso(t.ends_at)),
    Column(
        "duration_minutes",
        lambda t, o, at: int(t.duration.total_seconds() // 60) if t.duration else None,
    ),
    Column("use_case_clause", lambda t, o, at: t.use_case.clause if t.use_case else None),
    Column("use_case_title", lambda t, o, at: t.use_case.title if t.use_case else None),
    Column("watchlist_categories", lambda t, o, at: list(t.watchlist_categories)),
    Column("watchlist_size", lambda t, o, at: t.watchlist_size_at_sign_off),
    Column("watchlist_size_cap", lambda t, o, at: t.watchlist_size_cap),
    Column("min_threshold_setting", lambda t, o, at: _number(t.approved_threshold)),
    Column("notice_published_at", lambda t, o, at: _iso(t.notice_published_at)),
    Column(
        "report_published_at",
        lambda t, o, at: _iso(t.report_published_at) if o is not None else None,
    ),
    _outcome_column("faces_seen"),
    _outcome_column("total_alerts"),
    _outcome_column("true_alerts_confirmed"),
    _outcome_column("true_alerts_unconfirmed"),
    _outcome_column("false_alerts_confirmed"),
    _outcome_column("false_alerts_unconfirmed"),
    _outcome_column("false_alert_rate_per_face"),
    _outcome_column("false_alert_rate_per_alert"),
    _outcome_column("outcome_arrest", "arrests"),
    _outcome_column("outcome_other", "other_outcomes"),
    _outcome_column("no_action"),
    _outcome_column("complaints"),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)


@dataclass(frozen=True)
class Export:
    rows: list[dict[str, Any]]
    last_modified: datetime | None


def _last_modified(trial: Deployment, outcome: Any, at: datetime) -> datetime:
    """When this row last changed, including status changes that only time brings about."""
    moments = [trial.updated_at]
    if outcome is not None:
        moments.append(outcome.updated_at)
    # "Upcoming" becomes "live" at the start and "ended" at the end with no write to the row.
    moments += [m for m in (trial.starts_at, trial.ends_at) if m is not None and m <= at]
    return max(moments)


def row(trial: Deployment, at: datetime) -> dict[str, Any]:
    """One trial's open-data columns: the CSV's, the JSON's and the record table's."""
    outcome = public_outcome(trial)
    return {c.name: c.get(trial, outcome, at) for c in COLUMNS}


def export_rows(*, at: datetime | None = None) -> Export:
    """Every published trial as a dict of the open-data columns: one query."""
    at = at or timezone.now()
    rows = []
    last_modified: datetime | None = None
    for trial in public_trials().order_by("id"):
        outcome = public_outcome(trial)
        rows.append(row(trial, at))
        changed = _last_modified(trial, outcome, at)
        last_modified = changed if last_modified is None else max(last_modified, changed)
    return Export(rows=rows, last_modified=last_modified)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Positional notation with every digit: 4.67e-05 reads badly in a spreadsheet.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def render_csv(export: Export) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    for row in export.rows:
        writer.writerow([_csv_value(row[name]) for name in COLUMN_NAMES])
    return buffer.getvalue().encode("utf-8")


def render_json(export: Export) -> bytes:
    document = {
        "schema": _absolute(reverse("public:open_data_schema")),
        "description": (
            "Every live facial recognition trial whose public notice has been published, in "
            "the order the requests were filed. Results columns are null until the results "
            "report is published."
        ),
        "last_modified": _iso(export.last_modified),
        "count": len(export.rows),
        "deployments": export.rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def conditional_response(
    request: HttpRequest,
    *,
    body: bytes,
    content_type: str,
    last_modified: datetime | None,
    filename: str | None = None,
) -> HttpResponse:
    """Answer with the body, or 304 when the client's copy is current (ETag or date)."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    timestamp = int(last_modified.timestamp()) if last_modified else None
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    response["Cache-Control"] = CACHE_CONTROL
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    # RFC 9110: If-None-Match wins over If-Modified-Since when a client sends both.
    conditional = get_conditional_response(
        request, etag=etag, last_modified=timestamp, response=response
    )
    return conditional if conditional is not None else response


def schema_bytes() -> bytes:
    return SCHEMA_PATH.read_bytes()


# The record table on /trials/table/: the columns the Metropolitan Police publishes per
# deployment, by their open-data names, with the heading each has on the page.
RECORD_TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("date", "Date"),
    ("starts_at", "Start"),
    ("ends_at", "Finish"),
    ("site_name", "Place"),
    ("borough", "Borough"),
    ("use_case_title", "Use case"),
    ("watchlist_size", "Watchlist size"),
    ("faces_seen", "Faces seen"),
    ("total_alerts", "Alerts"),
    ("true_alerts_confirmed", "True alerts, confirmed"),
    ("true_alerts_unconfirmed", "True alerts, unconfirmed"),
    ("false_alerts_confirmed", "False alerts, confirmed"),
    ("false_alerts_unconfirmed", "False alerts, unconfirmed"),
    ("outcome_arrest", "Arrests"),
)

"""/trials/table/: every published trial in one table with the record's columns, the same
figures as the open data, filterable like /trials/."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from public.opendata import COLUMN_NAMES, RECORD_TABLE_COLUMNS

from .. import factories
from .conftest import approved, reported

pytestmark = pytest.mark.django_db


def cells(html: str) -> list[list[str]]:
    import re

    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]


def test_the_table_has_the_csvs_figures_and_filters(client: Any, actors: Any, documents: Any):
    camden = factories.make_site("Camden High Street", area_code="E09000007")
    done = reported(actors, site=camden)
    approved(actors)
    assert {name for name, _ in RECORD_TABLE_COLUMNS} <= set(COLUMN_NAMES)
    csv_rows = {
        r["site_name"]: r
        for r in csv.DictReader(
            io.StringIO(client.get(reverse("public:open_data_csv")).content.decode())
        )
    }
    page = client.get(reverse("public:trial_record_table"))
    assert page.status_code == 200
    html = page.content.decode()
    for name, heading in RECORD_TABLE_COLUMNS:
        assert f'{heading}<br><code class="meta">{name}</code>' in html
    rows = cells(html)
    assert len(rows) == 2
    camden_row = next(r for r in rows if r[3] == "Camden High Street")
    expected = csv_rows["Camden High Street"]
    by_name = dict(zip([n for n, _ in RECORD_TABLE_COLUMNS], camden_row, strict=True))
    for name in (
        "date",
        "site_name",
        "borough",
        "use_case_title",
        "watchlist_size",
        "total_alerts",
        "true_alerts_confirmed",
        "false_alerts_confirmed",
        "outcome_arrest",
    ):
        assert by_name[name] == expected[name], name
    assert by_name["faces_seen"] == f"{int(expected['faces_seen']):,}"
    assert f'href="{done.get_public_url()}"' in html
    # Filtered to Camden's borough: one row.
    filtered = client.get(reverse("public:trial_record_table"), {"borough": "E09000007"})
    assert [r[3] for r in cells(filtered.content.decode())] == ["Camden High Street"]
    # The list links to the table with the same filters.
    listing = client.get(reverse("public:trial_list"), {"borough": "E09000007"}).content.decode()
    assert f"{reverse('public:trial_record_table')}?borough=E09000007" in listing


def test_the_table_scrolls_inside_a_labelled_focusable_region(
    client: Any, actors: Any, documents: Any
):
    approved(actors)
    html = client.get(reverse("public:trial_record_table")).content.decode()
    assert (
        'class="table-scroll" role="region" aria-labelledby="record-caption" tabindex="0"' in html
    )
    assert '<caption id="record-caption">' in html

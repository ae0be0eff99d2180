"""Open data (/open-data/deployments.csv and .json): schema, ordering, caching, and agreement
with the pages."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from deployments import services as ds
from deployments.models import Deployment
from public.opendata import COLUMN_NAMES

from .. import factories
from .conftest import approved, completed, reported

pytestmark = pytest.mark.django_db
DOCS = Path(settings.BASE_DIR) / "docs"


def schema() -> dict[str, Any]:
    return json.loads((DOCS / "open-data-schema.json").read_text())


def get_json(client: Any) -> dict[str, Any]:
    return json.loads(client.get(reverse("public:open_data_json")).content)


def get_csv(client: Any) -> list[dict[str, str]]:
    text = client.get(reverse("public:open_data_csv")).content.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def trials(actors: Any, documents: Any) -> list[Any]:
    """One trial at each public stage, plus a draft that must not appear."""
    made = [reported(actors), completed(actors), approved(actors)]
    factories.make_draft(actors.planner)
    return made


def test_the_json_validates_against_the_documented_schema(client: Any, trials: Any):
    document = get_json(client)
    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())
    assert document["count"] == 3


def test_an_empty_register_still_validates(client: Any, db: None):
    document = get_json(client)
    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())
    assert document["deployments"] == []


def test_schema_docs_and_code_list_the_same_columns_in_the_same_order():
    properties = list(schema()["$defs"]["deployment"]["properties"])
    assert properties == list(COLUMN_NAMES)
    documented = (DOCS / "open-data.md").read_text()
    for name in COLUMN_NAMES:
        assert f"`{name}`" in documented, name


def test_csv_has_the_same_rows_and_values_as_json(client: Any, trials: Any):
    rows, objects = get_csv(client), get_json(client)["deployments"]
    assert list(rows[0]) == list(COLUMN_NAMES)
    assert [r["reference"] for r in rows] == [o["reference"] for o in objects]
    for row, obj in zip(rows, objects, strict=True):
        for name in COLUMN_NAMES:
            value = obj[name]
            if value is None:
                assert row[name] == "", name
            elif isinstance(value, list):
                assert row[name].split(";") == value
            elif isinstance(value, float):
                assert float(row[name]) == value, name
            else:
                assert row[name] == str(value), name


def test_rows_are_in_filing_order_and_new_trials_are_appended(
    client: Any, trials: Any, actors: Any
):
    before = [o["reference"] for o in get_json(client)["deployments"]]
    assert before == sorted(before)
    later = approved(actors)
    after = [o["reference"] for o in get_json(client)["deployments"]]
    assert after == [*before, later.reference]


def test_results_are_null_until_the_report_is_published(client: Any, trials: Any):
    by_ref = {o["reference"]: o for o in get_json(client)["deployments"]}
    done, waiting, upcoming = (by_ref[t.reference] for t in trials)
    assert done["status"] == "results" and done["faces_seen"] == 21_400
    assert done["false_alert_rate_per_alert"] == pytest.approx(0.2)
    assert done["report_pdf_url"].endswith(f"/trials/{done['reference']}/report.pdf")
    assert waiting["status"] == "ended" and waiting["faces_seen"] is None
    assert waiting["report_url"] is None
    assert upcoming["status"] == "upcoming" and upcoming["total_alerts"] is None


def test_open_data_matches_the_notice_pages(client: Any, trials: Any):
    for obj in get_json(client)["deployments"]:
        path = obj["notice_url"].removeprefix(settings.SITE_URL)
        html = client.get(path).content.decode()
        assert obj["reference"] in html
        assert obj["site_name"] in html and obj["borough"] in html and obj["area_code"] in html
        assert obj["use_case_clause"] in html
        assert f"{obj['min_threshold_setting']:.3f}" in html
        assert f"of at most {obj['watchlist_size_cap']:,}" in html
        assert (
            f"{obj['watchlist_size']:,} {'person' if obj['watchlist_size'] == 1 else 'people'} when"
            in html
        )
        assert str(obj["latitude"]) in html
        if obj["faces_seen"] is not None:
            for column in ("faces_seen", "total_alerts", "true_alerts_confirmed", "outcome_arrest"):
                assert f">{obj[column]:,}<" in html, column
        else:
            assert 'id="results"' not in html


def test_last_modified_moves_when_a_trial_starts_with_no_write_to_its_row(
    client: Any, actors: Any, documents: Any
):
    trial = factories.backdate(approved(actors), timedelta(days=2, hours=1))
    # The row was last written three days ago; the trial started an hour ago.
    Deployment.objects.filter(pk=trial.pk).update(updated_at=timezone.now() - timedelta(days=3))
    response = client.get(reverse("public:open_data_json"))
    assert json.loads(response.content)["deployments"][0]["status"] == "live"
    assert response["Last-Modified"] == http_date(trial.starts_at.timestamp())


@pytest.mark.parametrize("name", ["public:open_data_csv", "public:open_data_json"])
def test_a_client_with_the_current_etag_gets_304(client: Any, trials: Any, name: str):
    first = client.get(reverse(name))
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    again = client.get(reverse(name), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    by_date = client.get(reverse(name), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert by_date.status_code == 304


@pytest.mark.parametrize("name", ["public:open_data_csv", "public:open_data_json"])
def test_a_change_to_the_record_changes_the_etag(client: Any, trials: Any, actors: Any, name: str):
    first = client.get(reverse(name))
    ds.deployment_suspend(deployment=trials[2], by=actors.chair, reason="Community concerns.")
    changed = client.get(reverse(name), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_the_schema_is_served(client: Any, db: None):
    response = client.get(reverse("public:open_data_schema"))
    assert response.status_code == 200
    assert json.loads(response.content) == schema()

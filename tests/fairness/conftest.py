"""Fixtures for the fairness tests: the shipped census figures, and deployments in a portfolio.

The expected numbers in these tests are computed from the CSV's rows directly, never through
fairness/census.py, so that a fault in the import cannot hide in both.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

import pytest

from deployments.models import Deployment, Site
from fairness.census import DEFAULT_CENSUS_CSV, area_demographics_import_default
from tests import factories

# Names every group, as a justification that addresses any flag must.
JUSTIFICATION = (
    "The Asian, Black, Mixed, White and Other ethnic group residents of the borough were "
    "compared with "
    "London's; the intelligence places the people sought here."
)
GROUP_COLUMNS = ("asian", "black", "mixed", "white", "other")


@pytest.fixture
def census_rows() -> dict[str, dict[str, int | str]]:
    """The shipped CSV's rows by area code, read with the csv module alone."""
    with DEFAULT_CENSUS_CSV.open(newline="", encoding="utf-8") as fh:
        rows: dict[str, dict[str, int | str]] = {}
        for row in csv.DictReader(fh):
            rows[row["area_code"]] = {
                "name": row["area_name"],
                "population": int(row["population"]),
                **{g: int(row[g]) for g in GROUP_COLUMNS},
            }
    return rows


@pytest.fixture
def census(db: None) -> None:
    area_demographics_import_default()


def approved_at(
    actors: Any, site: Site, *, faces: int, days_ago: float = 1, **extra: Any
) -> Deployment:
    """An approved deployment at ``site`` scanning ``faces``, approved ``days_ago`` days ago."""
    deployment = factories.make_draft(
        actors.planner,
        site=site,
        expected_faces=faces,
        fairness_justification=JUSTIFICATION,
        **extra,
    )
    factories.to_approved(deployment, actors)
    Deployment.objects.filter(pk=deployment.pk).update(
        approved_at=deployment.approved_at - timedelta(days=days_ago)
    )
    deployment.refresh_from_db()
    return deployment


def expected_ratios(
    rows: dict[str, dict[str, int | str]], parts: list[tuple[str, int]]
) -> dict[str, float]:
    """Hand computation: each part is (area code, faces); London is E12000007."""
    faces = {g: 0.0 for g in GROUP_COLUMNS}
    for code, count in parts:
        row = rows[code]
        for g in GROUP_COLUMNS:
            faces[g] += count * int(row[g]) / int(row["population"])
    total = sum(faces.values())
    london = rows["E12000007"]
    return {
        g: (faces[g] / total) / (int(london[g]) / int(london["population"])) for g in GROUP_COLUMNS
    }

"""Area demographics: census counts by ethnic group, read from CSV and stored on the areas.

Two formats are read, told apart by their header:

- the file shipped with Oversight, ``fairness/data/london-census-2021-ethnic-group.csv``
  (columns ``area_code, area_name, population, asian, black, mixed, white, other``), the
  default for the 33 London boroughs and London itself;
- the Nomis bulk download of Census 2021 table TS021 (``census2021-ts021-*.csv``), with the
  columns ``geography code``, ``geography``, ``Ethnic group: Total: All usual residents`` and
  one ``Ethnic group: <official group name>`` column per high-level group (the detailed
  columns beside them are ignored), so that finer geographies can be loaded.

A file is checked completely before anything is written, and the write is one transaction: a
malformed file is refused with the line and the reason, and nothing is half-imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from django.db import transaction

from audit.services import audit_record
from core import public_changes
from core.errors import MalformedFile
from core.types import User
from deployments.models import Area
from deployments.services import areas_upsert

from .models import AreaGroupCount, EthnicGroup

DEFAULT_CENSUS_CSV: Final = (
    Path(__file__).resolve().parent / "data" / "london-census-2021-ethnic-group.csv"
)
DATASET_NAME: Final = "Census 2021 table TS021 “Ethnic group” (ONS, edition 2021, version 1)"
ATTRIBUTION: Final = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0"
)
OGL_URL: Final = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

# ONS GSS codes: a letter for the country, two digits for the entity, six for the instance.
_AREA_CODE: Final = re.compile(r"^[A-Z]\d{8}$")
_SHIPPED_COLUMNS: Final = {
    "code": "area_code",
    "name": "area_name",
    "total": "population",
    **{group.value: group.value for group in EthnicGroup},
}
_NOMIS_COLUMNS: Final = {
    "code": "geography code",
    "name": "geography",
    "total": "Ethnic group: Total: All usual residents",
    # Nomis names each high-level column "Ethnic group: " + the ONS's official group name,
    # which is what EthnicGroup's labels hold.
    **{group.value: f"Ethnic group: {group.label}" for group in EthnicGroup},
}
_MAX_COUNT: Final = 2_147_483_647  # PositiveIntegerField's ceiling on PostgreSQL


@dataclass(frozen=True)
class AreaCounts:
    """One row of a census file, checked."""

    line: int
    code: str
    name: str
    population: int
    counts: dict[str, int]


@dataclass(frozen=True)
class ImportSummary:
    format: str
    areas: int
    created: int
    updated: int
    sha256: str


def _column_map(header: list[str]) -> tuple[str, dict[str, int]]:
    """Which format the header is, and where each needed column sits."""
    cleaned = [h.strip() for h in header]
    for name, columns in (("oversight", _SHIPPED_COLUMNS), ("nomis", _NOMIS_COLUMNS)):
        if columns["code"] in cleaned:
            missing = [c for c in columns.values() if c not in cleaned]
            if missing:
                raise MalformedFile(
                    1,
                    "the header lacks "
                    + ", ".join(f"“{c}”" for c in missing)
                    + ". Use the Nomis TS021 bulk CSV or the format of the shipped file.",
                )
            return name, {key: cleaned.index(column) for key, column in columns.items()}
    raise MalformedFile(
        1,
        "the header is neither the Nomis TS021 format (it needs “geography code”) nor the "
        "shipped format (it needs “area_code”).",
    )


def _count(value: str, column: str, line: int) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise MalformedFile(
            line, f"“{column}” is “{value}”, which is not a whole number of people."
        )
    number = int(text)
    if number > _MAX_COUNT:
        raise MalformedFile(line, f"“{column}” is {number:,}, which is too large.")
    return number


def read_census_csv(data: bytes) -> tuple[str, list[AreaCounts]]:
    """Parse and check a whole file. Returns its format and its rows; raises on the first fault."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            0,
            f"The file is not UTF-8 text (byte {exc.start} cannot be read). Save it as UTF-8 CSV.",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        # The csv module reads NUL as an ordinary character, and PostgreSQL refuses it in text:
        # refuse it here, with its line, rather than fail half-way through the write.
        raise MalformedFile(
            text.count("\n", 0, nul) + 1,
            "it contains a NUL byte (character 0), which a CSV file never holds: the file may "
            "be damaged, or saved as UTF-16 (which puts one after every letter). Save it again "
            "as UTF-8 CSV.",
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise MalformedFile(0, "The file is empty.") from None
    except csv.Error as exc:
        raise MalformedFile(1, f"the header is not valid CSV ({exc}).") from None
    kind, where = _column_map(header)
    columns = _SHIPPED_COLUMNS if kind == "oversight" else _NOMIS_COLUMNS
    rows: list[AreaCounts] = []
    seen: dict[str, int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise MalformedFile(reader.line_num, f"this is not valid CSV ({exc}).") from None
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise MalformedFile(
                line, f"it has {len(cells)} values but the header has {len(header)} columns."
            )
        code = cells[where["code"]].strip()
        name = cells[where["name"]].strip()
        if not _AREA_CODE.match(code):
            raise MalformedFile(
                line,
                f"“{code}” is not an ONS area code (a letter and eight digits, like E09000033).",
            )
        if code in seen:
            raise MalformedFile(
                line, f"area {code} is already on line {seen[code]}; list each area once."
            )
        seen[code] = line
        if not name:
            raise MalformedFile(line, f"area {code} has no name.")
        if len(name) > Area._meta.get_field("name").max_length:  # type: ignore[operator]
            raise MalformedFile(line, f"the name of area {code} is too long.")
        total = _count(cells[where["total"]], columns["total"], line)
        counts = {
            group.value: _count(cells[where[group.value]], columns[group.value], line)
            for group in EthnicGroup
        }
        if sum(counts.values()) != total:
            raise MalformedFile(
                line,
                f"the five groups of area {code} add up to {sum(counts.values()):,} but its "
                f"total is {total:,}; the file may be cut or edited.",
            )
        if total == 0:
            raise MalformedFile(line, f"area {code} has no residents.")
        rows.append(AreaCounts(line, code, name, total, counts))
    if not rows:
        raise MalformedFile(0, "The file has a header but no areas.")
    return kind, rows


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def area_demographics_import(
    *, data: bytes, source: str, by: User | str | None = None
) -> ImportSummary:
    """Import a census file: create or update each area and replace its group counts.

    All or nothing: the file is checked in full first and written in one transaction. Areas
    are never deleted (sites refer to them); an area missing from the file keeps its figures.
    """
    kind, rows = read_census_csv(data)
    # The areas are the register's: it creates or renames them and sets their populations.
    areas = areas_upsert(areas=[(row.code, row.name, row.population) for row in rows])
    ids = areas.ids
    area_ids = list(ids.values())
    for chunk in _chunks(area_ids):
        AreaGroupCount.objects.filter(area_id__in=chunk).delete()
    AreaGroupCount.objects.bulk_create(
        [
            AreaGroupCount(area_id=ids[row.code], group=group, count=count)
            for row in rows
            for group, count in row.counts.items()
        ],
        batch_size=1000,
    )
    summary = ImportSummary(
        format=kind,
        areas=len(rows),
        created=areas.created,
        updated=areas.updated,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    audit_record(
        actor=by or "import_area_demographics",
        action="demographics.imported",
        details={
            "source": source,
            "format": kind,
            "sha256": summary.sha256,
            "areas": summary.areas,
            "created": summary.created,
            "updated": summary.updated,
        },
    )
    # Area names and populations appear on every public page that names a borough.
    public_changes.announce(public_changes.CENSUS)
    return summary


def area_demographics_import_default(*, by: User | str | None = None) -> ImportSummary:
    """Load the shipped Census 2021 figures for London's boroughs (safe to run again)."""
    return area_demographics_import(
        data=DEFAULT_CENSUS_CSV.read_bytes(), source=DEFAULT_CENSUS_CSV.name, by=by
    )


class _DryRunDone(Exception):
    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary


def area_demographics_import_dry_run(*, data: bytes, source: str) -> ImportSummary:
    """What `area_demographics_import` would do with this file, and nothing done.

    It runs the real import and rolls it back, so the answer (areas created and updated, or the
    fault) is the real import's, database constraints included, not a second guess at it.
    """
    try:
        with transaction.atomic():
            raise _DryRunDone(area_demographics_import(data=data, source=source))
    except _DryRunDone as done:
        return done.summary

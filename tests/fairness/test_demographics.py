"""Importing census counts by group: the shipped file, the Nomis TS021 format, refusals."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from core.errors import MalformedFile
from deployments.models import Area
from fairness.census import (
    DEFAULT_CENSUS_CSV,
    area_demographics_import,
    area_demographics_import_default,
)
from fairness.models import AreaGroupCount

from .conftest import GROUP_COLUMNS

NOMIS_HEADER = [
    "date",
    "geography",
    "geography code",
    "Ethnic group: Total: All usual residents",
    "Ethnic group: Asian, Asian British or Asian Welsh",
    "Ethnic group: Asian, Asian British or Asian Welsh: Bangladeshi",
    "Ethnic group: Black, Black British, Black Welsh, Caribbean or African",
    "Ethnic group: Black, Black British, Black Welsh, Caribbean or African: African",
    "Ethnic group: Mixed or Multiple ethnic groups",
    "Ethnic group: White",
    "Ethnic group: White: Irish",
    "Ethnic group: Other ethnic group",
    "Ethnic group: Other ethnic group: Arab",
]


def nomis_csv(*rows: list[object]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(NOMIS_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def shipped_csv(*lines: str) -> bytes:
    return (
        "area_code,area_name,population,asian,black,mixed,white,other\n"
        + "".join(line + "\n" for line in lines)
    ).encode()


def counts(code: str) -> dict[str, int]:
    return dict(AreaGroupCount.objects.filter(area__code=code).values_list("group", "count"))


def test_the_shipped_file_loads_the_33_boroughs_and_london(db, census_rows):
    summary = area_demographics_import_default()

    assert summary.areas == 34
    assert Area.objects.filter(code__startswith="E09").count() == 33
    westminster = Area.objects.get(code="E09000033")
    assert westminster.name == "Westminster"
    assert westminster.population == census_rows["E09000033"]["population"]
    assert counts("E09000033") == {g: census_rows["E09000033"][g] for g in GROUP_COLUMNS}
    assert sum(counts("E12000007").values()) == 8_799_736
    assert AuditEvent.objects.filter(action="demographics.imported").count() == 1


def test_importing_again_updates_the_areas_rather_than_adding_them(db):
    area_demographics_import_default()
    Area.objects.filter(code="E09000001").update(name="Renamed", population=1)

    summary = area_demographics_import_default()

    assert (summary.created, summary.updated) == (0, 34)
    assert Area.objects.get(code="E09000001").name == "City of London"
    assert AreaGroupCount.objects.count() == 34 * 5


def test_a_nomis_ts021_bulk_file_is_read_with_its_detailed_columns_ignored(db):
    data = nomis_csv(
        [2021, "Westminster 018A", "E01004734", 1500, 300, 100, 200, 50, 100, 800, 40, 100, 20],
        [2021, "Westminster 018B", "E01004735", 1000, 100, 20, 100, 30, 50, 700, 10, 50, 5],
    )

    summary = area_demographics_import(data=data, source="census2021-ts021-lsoa.csv")

    assert summary.format == "nomis"
    assert Area.objects.get(code="E01004734").population == 1500
    assert counts("E01004734") == {
        "asian": 300,
        "black": 200,
        "mixed": 100,
        "white": 800,
        "other": 100,
    }


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("E09000002,Barking,100,10,10,10,10,10", "add up to 50 but its total is 100"),
        ("E09000002,Barking,100,10,ten,10,60,10", "“black” is “ten”, which is not a whole"),
        ("E09000002,Barking,100,10,-10,10,80,10", "“black” is “-10”"),
        ("X123,Barking,50,10,10,10,10,10", "“X123” is not an ONS area code"),
        ("E09000001,Again,50,10,10,10,10,10", "area E09000001 is already on line 2"),
        ("E09000002,Barking,50,10,10,10,10", "it has 7 values but the header has 8 columns"),
        ("E09000002,,50,10,10,10,10,10", "area E09000002 has no name"),
    ],
)
def test_a_malformed_file_is_refused_with_its_line_and_nothing_is_imported(db, bad_row, reason):
    area_demographics_import(data=shipped_csv("E09000005,Brent,10,2,2,2,2,2"), source="first.csv")
    data = shipped_csv(
        "E09000001,City of London,50,10,10,10,10,10",
        "E09000005,Brent changed,50,10,10,10,10,10",
        bad_row,
    )

    with pytest.raises(MalformedFile) as refused:
        area_demographics_import(data=data, source="bad.csv")

    assert refused.value.line == 4
    assert reason in refused.value.reason
    # The good rows before the bad one were not written either.
    assert not Area.objects.filter(code="E09000001").exists()
    assert Area.objects.get(code="E09000005").name == "Brent"
    assert counts("E09000005") == dict.fromkeys(GROUP_COLUMNS, 2)


def test_a_file_without_the_needed_columns_is_refused_on_its_header(db):
    data = b"geography code,geography,Ethnic group: White\nE09000001,City,10\n"

    with pytest.raises(MalformedFile) as refused:
        area_demographics_import(data=data, source="bad.csv")

    assert refused.value.line == 1
    assert "Ethnic group: Total: All usual residents" in refused.value.reason
    assert not Area.objects.exists()


def test_a_file_that_is_not_utf8_or_is_empty_is_refused(db):
    with pytest.raises(MalformedFile, match="not UTF-8"):
        area_demographics_import(data=b"\xff\xfe\x00garbage", source="x.csv")
    with pytest.raises(MalformedFile, match="empty"):
        area_demographics_import(data=b"", source="x.csv")
    with pytest.raises(MalformedFile, match="no areas"):
        area_demographics_import(data=shipped_csv(), source="x.csv")


def test_the_command_loads_the_shipped_file_by_default(db):
    out = io.StringIO()

    call_command("import_area_demographics", stdout=out)

    assert "Imported 34 areas" in out.getvalue()
    assert AreaGroupCount.objects.count() == 170


def test_the_command_refuses_a_malformed_file_naming_the_line(db, tmp_path):
    bad = tmp_path / "ts021.csv"
    bad.write_bytes(shipped_csv("E09000001,City,50,10,10,10,10,10", "E09000002,B,9,1,1,1,1,1"))

    with pytest.raises(CommandError) as refused:
        call_command("import_area_demographics", str(bad))

    assert "Line 3" in str(refused.value)
    assert "Nothing was imported" in str(refused.value)
    assert not Area.objects.exists()


def test_the_commands_dry_run_checks_and_changes_nothing(db):
    out = io.StringIO()

    call_command("import_area_demographics", str(DEFAULT_CENSUS_CSV), dry_run=True, stdout=out)

    assert "34 areas" in out.getvalue()
    assert not Area.objects.exists()


def dry_run(path: object) -> str:
    out = io.StringIO()
    call_command("import_area_demographics", str(path), dry_run=True, stdout=out)
    return out.getvalue()


def test_the_dry_run_says_what_the_real_import_would_do(db, tmp_path):
    first = tmp_path / "first.csv"
    first.write_bytes(shipped_csv("E09000001,City,50,10,10,10,10,10"))
    assert "would import 1 areas: 1 new, 0 updated" in dry_run(first)
    assert not Area.objects.exists()
    assert not AuditEvent.objects.exists()
    call_command("import_area_demographics", str(first), stdout=io.StringIO())

    second = tmp_path / "second.csv"
    second.write_bytes(
        shipped_csv("E09000001,City,60,20,10,10,10,10", "E09000002,Barking,5,1,1,1,1,1")
    )
    said = dry_run(second)
    assert "would import 2 areas: 1 new, 1 updated" in said
    assert "Nothing was changed" in said
    assert Area.objects.get(code="E09000001").population == 50
    out = io.StringIO()
    call_command("import_area_demographics", str(second), stdout=out)
    assert "1 new, 1 updated" in out.getvalue()


@pytest.mark.parametrize("dry", [False, True], ids=["import", "dry run"])
def test_a_nul_byte_is_refused_with_its_line(db, tmp_path, dry):
    bad = tmp_path / "ts021.csv"
    bad.write_bytes(
        shipped_csv("E09000001,City,50,10,10,10,10,10", "E09000002,Bark\x00ing,5,1,1,1,1,1")
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_area_demographics", str(bad), dry_run=dry, stdout=io.StringIO())
    assert "Line 3" in str(refused.value)
    assert "NUL byte" in str(refused.value)
    assert not Area.objects.exists()

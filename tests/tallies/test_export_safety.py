"""Exports a spreadsheet opens safely, and filters refused before a byte is streamed.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (OWASP "CSV Injection"): an organization could name itself
``=HYPERLINK(...)`` and every city official opening the export would get a live link.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from service.core.spreadsheet import csv_row, xlsx_row

HOSTILE_NAMES = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def hostile(city, make_org):
    """One completion for each organization with a formula-like name."""
    learner = city.add_learner()
    for i, name in enumerate(HOSTILE_NAMES):
        org = make_org(name=name)
        city.completion(learner, city.add_offering(org=org), date(2025, 3, i + 1))
    return city


def _admin(make_user, login):
    return login(make_user("admin"))


def test_csv_cells_that_start_a_formula_are_quoted_as_text(hostile, client, make_user, login):
    r = client.get(
        "/api/v1/tallies/export.csv?group_by=organization",
        headers=_admin(make_user, login),
    )
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    names = {row["organization_name"] for row in rows}
    assert names == {"'" + name for name in HOSTILE_NAMES}
    for row in rows:
        # figures stay plain numbers: only text is neutralised
        assert row["person_times"] == "1" and row["distinct_learners"] == "1"


def test_xlsx_cells_that_start_a_formula_are_strings(hostile, client, make_user, login):
    r = client.get(
        "/api/v1/tallies/export.xlsx?group_by=organization",
        headers=_admin(make_user, login),
    )
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    name_at, times_at = header.index("organization_name"), header.index("person_times")
    cells = [row[name_at] for row in rows[1:]]
    # Every name comes back as typed, carriage return included: openpyxl writes through lxml,
    # which escapes it (&#13;) where a literal one would read back as a line feed (XML 1.0
    # section 2.11).
    assert {c.value for c in cells} == set(HOSTILE_NAMES)
    assert all(c.data_type == "s" for c in cells)
    assert all(row[times_at].data_type == "n" and row[times_at].value == 1 for row in rows[1:])


TEXT_FILTERS = [
    "group_by",
    "district",
    "cluster",
    "cluster_version",
    "type",
    "funding",
    "group",
    "occupation_code",
]


@pytest.mark.parametrize("path", ["", "/export.csv", "/export.xlsx"])
def test_control_characters_in_filters_are_a_422_before_streaming(
    city, client, make_user, login, path
):
    admin = _admin(make_user, login)
    for name in TEXT_FILTERS:
        for value in ("33\x00", "a\x1bb", "a\rb", "a\x7fb"):
            r = client.get(f"/api/v1/tallies{path}", params={name: value}, headers=admin)
            assert r.status_code == 422, (name, repr(value), r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["errors"][0]["field"] == f"query.{name}"


def test_a_control_character_in_a_target_code_is_a_422(city, client, make_user, login):
    r = client.get("/api/v1/tallies/target?code=a%00", headers=_admin(make_user, login))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.code"


def test_only_text_is_neutralised():
    values = [-3, Decimal("-1.50"), 0, None, "-", "3-1", "=", "名称", "a\x00b"]
    assert csv_row(values) == [-3, Decimal("-1.50"), 0, "", "'-", "3-1", "'=", "名称", "a\x00b"]
    sheet = Workbook(write_only=True).create_sheet("t")
    cells = xlsx_row(sheet, values)
    assert [c.data_type for c in cells] == ["n", "n", "n", "n", "s", "s", "s", "s", "s"]
    assert cells[-1].value == "ab"  # XML 1.0 cannot carry NUL: dropped, not a broken file

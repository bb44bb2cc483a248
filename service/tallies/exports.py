"""CSV and XLSX exports of a breakdown, streamed.

Rows come from :func:`service.tallies.queries.iter_breakdown` (server-side cursor, distinct
learners per chunk), so an export of a large breakdown never sits in memory:

- CSV: UTF-8 with a BOM (Excel opens it as UTF-8 and shows the Chinese names), one line
  written and yielded at a time;
- XLSX: openpyxl's write-only workbook into a temporary file (the format is a ZIP and needs a
  seekable file), then streamed back in 64 KiB chunks and deleted.

Text cells go through :mod:`service.core.spreadsheet`, so a name that looks like a formula
opens as text.

Each export opens its own database session: the response body is produced after the request
handler has returned.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

from sqlmodel import Session

from service.core import spreadsheet
from service.core.db import get_engine
from service.tallies.dimensions import build_query
from service.tallies.labels import LABEL_COLUMNS, Labeller
from service.tallies.queries import iter_breakdown

METRIC_COLUMNS = ("person_times", "distinct_learners", "minutes", "hours", "credentials")


def header(group_by: list[str]) -> list[str]:
    cols: list[str] = []
    for dim in group_by:
        if dim == "cluster":
            cols += ["cluster_version", "cluster"]
        else:
            cols.append(dim)
        if dim in LABEL_COLUMNS:
            cols.append(LABEL_COLUMNS[dim])
    return cols + list(METRIC_COLUMNS)


def validated_group_by(group_by, filters: dict, organization_id) -> list[str]:
    """Validate before the response starts (errors must be a 422, not a broken stream)."""
    return list(build_query(group_by, filters, organization_id).group_by)


def _rows(group_by, filters, organization_id) -> Iterator[list]:
    with Session(get_engine()) as session:
        labeller = Labeller(session)
        cols = header(group_by)
        for item in iter_breakdown(session, group_by, filters, organization_id):
            labeller.apply(item, group_by)
            yield [item.get(c) for c in cols]


def csv_stream(
    group_by: list[str], filters: dict, organization_id: uuid.UUID | None
) -> Iterator[bytes]:
    yield from spreadsheet.csv_stream(
        itertools.chain([header(group_by)], _rows(group_by, filters, organization_id))
    )


def xlsx_stream(
    group_by: list[str], filters: dict, organization_id: uuid.UUID | None
) -> Iterator[bytes]:
    yield from spreadsheet.xlsx_stream(
        "tallies", itertools.chain([header(group_by)], _rows(group_by, filters, organization_id))
    )

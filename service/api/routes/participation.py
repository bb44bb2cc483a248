"""Enterprises' participation in training per year (the plan's 50% target): citywide, by
district, by industry cluster and by enterprise, with CSV and XLSX exports, for administrators
(a district or cluster with one enterprise is that enterprise's figures; the public dashboard
shows the same breakdowns with small groups left out). An enterprise sees its own rate here
(``organization_id`` = its own)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from service.api.deps import CurrentPrincipal, SessionDep
from service.api.problems import forbidden
from service.core.spreadsheet import csv_stream, xlsx_stream
from service.workforce.access import WORKFORCE_ROLES
from service.workforce.rates import enterprise_rows, participation

router = APIRouter(prefix="/api/v1/tallies/participation", tags=["tallies"])
Group = Literal["district", "cluster", "organization"]
COLUMNS = {
    None: [],
    "district": ["district"],
    "cluster": ["cluster_version", "cluster"],
    "organization": [
        "organization_id",
        "organization_name",
        "district",
        "cluster_version",
        "cluster",
    ],
}
FIGURES = ["enterprises", "headcount", "participants", "rate_percent"]


def _figures(
    principal, session, year: int, group_by: str | None, organization_id: uuid.UUID | None
) -> dict:
    if organization_id is not None:  # one enterprise: its admins, its own staff
        if not principal.is_admin and not (
            principal.role in WORKFORCE_ROLES and principal.org_id == organization_id
        ):
            raise forbidden("Only the enterprise itself or an administrator sees its rate.")
        rows = enterprise_rows(session, year, organization_id)
        return {"year": year, "group_by": "organization", "items": rows}
    if not principal.is_admin:
        raise forbidden(
            "City participation figures are for administrators; the public dashboard shows "
            "them by district and cluster."
        )
    return participation(session, year, group_by)


@router.get("", summary="Participation rate for a year")
def get_participation(
    principal: CurrentPrincipal,
    session: SessionDep,
    year: int = Query(ge=2000, le=2100),
    group_by: Group | None = None,
    organization_id: uuid.UUID | None = None,
):
    return _figures(principal, session, year, group_by, organization_id)


@router.get("/export.{kind}", summary="Participation rate for a year, as CSV or XLSX")
def export_participation(
    kind: Literal["csv", "xlsx"],
    principal: CurrentPrincipal,
    session: SessionDep,
    year: int = Query(ge=2000, le=2100),
    group_by: Group | None = None,
):
    data = _figures(principal, session, year, group_by, None)
    keys = ["year", *COLUMNS[group_by], *FIGURES]
    rows = [{"year": year, **item} for item in data["items"]] or []
    rows.append({"year": year, **{k: "" for k in COLUMNS[group_by]}, **data["totals"]})
    table = [keys, *([row.get(k, "") for k in keys] for row in rows)]
    if kind == "csv":
        body, media = csv_stream(table), "text/csv; charset=utf-8"
    else:
        body = xlsx_stream("participation", table)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"participation-{year}-{group_by or 'city'}.{kind}"
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )

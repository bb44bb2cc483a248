"""Tallies: breakdowns, exports, targets and reconcile reports.

Organization staff (org_admin, trainer) see their own organization's figures only: the
organization filter is forced by :func:`service.api.deps.org_filter`; the city (admin) sees all.
Learners and the platform get a 403. Target progress is a city figure (also on the public
dashboard), readable by staff and admins.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse
from sqlmodel import func, select

from service.accounts.access import Principal, org_filter
from service.api.deps import AdminPrincipal, SessionDep, StaffPrincipal
from service.api.idempotency import run_idempotent
from service.api.pagination import PLAIN_TEXT, PageParamsDep
from service.api.problems import Problem, as_problem, not_found
from service.jobs.outbox import enqueue
from service.tallies import exports, targets
from service.tallies.dimensions import InvalidQuery
from service.tallies.labels import Labeller
from service.tallies.models import RefTallyTarget, TallyReconcileRun
from service.tallies.projection import UnknownTarget, target_progress
from service.tallies.queries import breakdown
from service.tallies.reconcile import run_as_dict
from service.tallies.tasks import RECONCILE_JOB

router = APIRouter(prefix="/api/v1/tallies", tags=["tallies"])


def _invalid(exc: InvalidQuery) -> Problem:
    return Problem(
        422,
        "invalid-tally-query",
        str(exc),
        errors=[{"field": exc.field, "message": str(exc), "kind": "invalid"}],
    )


class TallyParams:
    """The breakdown's query parameters (shared by the JSON and export routes).

    Everything is checked here, while the query is parsed: an export streams its body after
    the handler returns, so a filter found bad then could no longer become a 422.
    """

    def __init__(
        self,
        group_by: str | None = Query(
            None,
            max_length=200,
            pattern=PLAIN_TEXT,
            description="Comma-separated: year, district, cluster, cluster_version, "
            "training_type, funding, group, organization, occupation, level",
        ),
        year: int | None = Query(None, ge=2000, le=2100),
        district: str | None = Query(None, max_length=6, pattern=PLAIN_TEXT),
        cluster: str | None = Query(None, max_length=60, pattern=PLAIN_TEXT),
        cluster_version: str | None = Query(None, max_length=10, pattern=PLAIN_TEXT),
        type: str | None = Query(
            None, max_length=30, pattern=PLAIN_TEXT, description="Training type"
        ),
        funding: str | None = Query(None, max_length=30, pattern=PLAIN_TEXT),
        group: str | None = Query(None, max_length=30, pattern=PLAIN_TEXT),
        organization_id: Annotated[uuid.UUID | None, Query()] = None,
        occupation_code: str | None = Query(None, max_length=12, pattern=PLAIN_TEXT),
        level: int | None = Query(None, ge=1, le=5),
        period_from: Annotated[date | None, Query()] = None,
        period_to: Annotated[date | None, Query()] = None,
    ):
        self.group_by = group_by
        self.filters = {
            "year": year,
            "district": district,
            "cluster": cluster,
            "cluster_version": cluster_version,
            "type": type,
            "funding": funding,
            "group": group,
            "organization_id": organization_id,
            "occupation_code": occupation_code,
            "level": level,
            "period_from": period_from,
            "period_to": period_to,
        }


TallyQuery = Annotated[TallyParams, Depends()]


@router.get("")
def tallies(
    params: TallyQuery,
    page: PageParamsDep,
    principal: StaffPrincipal,
    session: SessionDep,
    sort: str = Query("dims", pattern="^(dims|person_times|-person_times)$"),
):
    """Person-times, distinct learners, hours (学时) and credentials by any dimensions."""
    try:
        result = breakdown(
            session,
            params.group_by,
            params.filters,
            limit=page.limit,
            offset=page.offset,
            organization_id=org_filter(principal),
            sort=sort,
        )
    except InvalidQuery as exc:
        raise _invalid(exc) from None
    labeller = Labeller(session)
    for item in result["items"]:
        labeller.apply(item, result["group_by"])
    return result


def _export(params: TallyParams, principal: Principal, kind: str) -> StreamingResponse:
    org = org_filter(principal)
    try:
        group_by = exports.validated_group_by(params.group_by, params.filters, org)
    except InvalidQuery as exc:
        raise _invalid(exc) from None
    if kind == "csv":
        body = exports.csv_stream(group_by, params.filters, org)
        media = "text/csv; charset=utf-8"
    else:
        body = exports.xlsx_stream(group_by, params.filters, org)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = "tallies-" + ("-".join(group_by) or "total") + f".{kind}"
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/export.csv")
def export_csv(params: TallyQuery, principal: StaffPrincipal):
    return _export(params, principal, "csv")


@router.get("/export.xlsx")
def export_xlsx(params: TallyQuery, principal: StaffPrincipal):
    return _export(params, principal, "xlsx")


# --- targets --------------------------------------------------------------------------------


@router.get("/target")
def target(
    principal: StaffPrincipal,
    session: SessionDep,
    code: str = Query("person_times", max_length=40, pattern=PLAIN_TEXT),
):
    """Progress toward one target, with the pace needed and the projection."""
    try:
        return target_progress(session, code)
    except UnknownTarget:
        raise not_found("Target") from None


@router.get("/targets")
def list_targets(
    principal: StaffPrincipal,
    session: SessionDep,
    include_inactive: bool = False,
):
    items = [targets.as_dict(t) for t in targets.list_targets(session, include_inactive)]
    return {"items": items, "total": len(items)}


@router.post("/targets", status_code=201)
def create_target(
    body: targets.TargetIn,
    principal: AdminPrincipal,
    session: SessionDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    def create():
        try:
            return targets.as_dict(targets.create_target(session, principal, body))
        except targets.TargetRuleError as exc:
            raise as_problem(exc) from None

    response = run_idempotent(
        session,
        actor_key=principal.actor_key,
        route="POST /api/v1/tallies/targets",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
    )
    session.commit()
    return response


@router.patch("/targets/{code}")
def update_target(
    code: str,
    body: targets.TargetPatch,
    principal: AdminPrincipal,
    session: SessionDep,
):
    row = session.get(RefTallyTarget, code)
    if row is None:
        raise not_found("Target")
    try:
        targets.update_target(session, principal, row, body)
    except targets.TargetRuleError as exc:
        raise as_problem(exc) from None
    session.commit()
    return targets.as_dict(row)


# --- reconcile ------------------------------------------------------------------------------


@router.get("/reconcile/last")
def reconcile_last(principal: AdminPrincipal, session: SessionDep):
    """The last finished reconcile: when, what was checked and corrected, the differences."""
    row = session.exec(
        select(TallyReconcileRun)
        .where(TallyReconcileRun.finished_at.is_not(None))
        .order_by(TallyReconcileRun.started_at.desc())
    ).first()
    if row is None:
        raise not_found("A finished reconcile run")
    return run_as_dict(row)


@router.get("/reconcile/runs")
def reconcile_runs(
    principal: AdminPrincipal,
    page: PageParamsDep,
    session: SessionDep,
):
    total = session.exec(select(func.count()).select_from(TallyReconcileRun)).one()
    rows = session.exec(
        select(TallyReconcileRun)
        .order_by(TallyReconcileRun.started_at.desc(), TallyReconcileRun.id)
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return {
        "items": [run_as_dict(r) for r in rows],
        "total": int(total),
        "limit": page.limit,
        "offset": page.offset,
    }


@router.post("/reconcile", status_code=202)
def request_reconcile(principal: AdminPrincipal, session: SessionDep):
    """Queue a reconcile now (it runs as a background job; see ``/reconcile/last``)."""
    job = enqueue(session, RECONCILE_JOB, {"trigger": "api"}, dedupe_key=None)
    session.commit()
    return {"job_id": str(job.id), "status": job.status}

"""Enterprises' workforce: yearly headcount declarations, employee rosters by ID number, and
the enrolments that name the enterprise as employer (enterprise training), which it confirms.

Managed by the enterprise's own org_admin and employer staff, and by administrators
(``service.workforce.access``). Roster numbers are never returned, only masked.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from service.accounts.models import Organization, OrgKind
from service.api.deps import AnyRolePrincipal, CurrentPrincipal, SessionDep
from service.api.pagination import PLAIN_TEXT, PageParamsDep, paginate
from service.core.search import contains_text
from service.training.models import Learner, Offering
from service.workforce import declarations, enterprise_training, roster
from service.workforce.models import WorkforceEmployee, WorkforceYear
from service.workforce.roster import MAX_PER_REQUEST

router = APIRouter(prefix="/api/v1", tags=["workforce"])


class YearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    headcount: int = Field(ge=1, le=declarations.MAX_HEADCOUNT)
    cluster_version: str | None = Field(default=None, max_length=10)
    cluster_code: str | None = Field(default=None, max_length=60)


class EmployeesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_numbers: list[str] = Field(min_length=1, max_length=MAX_PER_REQUEST)


class EmployerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: uuid.UUID | None = Field(
        description="The enterprise the training is for; null takes it back"
    )


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirmed: bool = True


def _year_out(row: WorkforceYear) -> dict:
    return {
        "organization_id": str(row.organization_id),
        "year": row.year,
        "headcount": row.headcount,
        "cluster_version": row.cluster_version,
        "cluster_code": row.cluster_code,
        "updated_at": (row.updated_at or row.created_at).isoformat(),
    }


def _employee_out(row: WorkforceEmployee) -> dict:
    return {
        "id": str(row.id),
        "year": row.year,
        "id_number_masked": row.id_masked,
        "added_at": row.created_at.isoformat(),
    }


def _enrollment_out(row) -> dict:
    return {
        "id": str(row.id),
        "learner_id": str(row.learner_id),
        "offering_id": str(row.offering_id),
        "state": row.state,
        "employer_organization_id": str(row.employer_organization_id)
        if row.employer_organization_id
        else None,
        "employer_confirmed": row.employer_confirmed_at is not None,
        "completion_year": row.completion_year,
    }


def _named_out(session, row) -> dict:
    """What the employer needs to recognise its employee: the person named the employer, so
    their name and masked ID number (never the number) go with it, and the training."""
    learner = session.get(Learner, row.learner_id)
    offering = session.get(Offering, row.offering_id)
    return _enrollment_out(row) | {
        "learner_name": learner.name,
        "learner_id_number_masked": learner.id_masked,
        "offering_title": offering.title,
        "occupation_code": offering.occupation_code,
        "level": offering.level,
    }


@router.put(
    "/organizations/{organization_id}/workforce/years/{year}", summary="Declare a year's headcount"
)
def declare_year(
    organization_id: uuid.UUID,
    year: int,
    body: YearIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
):
    row, created = declarations.declare_year(
        session,
        principal,
        organization_id,
        year,
        headcount=body.headcount,
        cluster_version=body.cluster_version,
        cluster_code=body.cluster_code,
    )
    session.commit()
    response.status_code = 201 if created else 200
    return _year_out(row)


@router.get("/organizations/{organization_id}/workforce/years", summary="The declared years")
def list_years(organization_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep):
    rows = declarations.list_years(session, principal, organization_id)
    return {"items": [_year_out(r) for r in rows], "total": len(rows)}


@router.post(
    "/organizations/{organization_id}/workforce/years/{year}/employees",
    summary="Add employees to the year's roster by ID number (all or none)",
)
def add_employees(
    organization_id: uuid.UUID,
    year: int,
    body: EmployeesIn,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    result = roster.add_employees(session, principal, organization_id, year, body.id_numbers)
    session.commit()
    return result


@router.get(
    "/organizations/{organization_id}/workforce/years/{year}/employees",
    summary="The roster (masked)",
)
def list_employees(
    organization_id: uuid.UUID,
    year: int,
    params: PageParamsDep,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    rows, total = roster.list_employees(
        session, principal, organization_id, year, params.limit, params.offset
    )
    return {
        "items": [_employee_out(r) for r in rows],
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.delete(
    "/organizations/{organization_id}/workforce/years/{year}/employees/{employee_id}",
    status_code=204,
)
def remove_employee(
    organization_id: uuid.UUID,
    year: int,
    employee_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    roster.remove_employee(session, principal, organization_id, year, employee_id)
    session.commit()
    return Response(status_code=204)


@router.get(
    "/organizations/{organization_id}/workforce/enrollments",
    summary="Enrolments naming this enterprise as employer (enterprise training)",
)
def named_enrollments(
    organization_id: uuid.UUID,
    params: PageParamsDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    confirmed: bool | None = None,
):
    rows, total = enterprise_training.named_enrollments(
        session, principal, organization_id, confirmed, params.limit, params.offset
    )
    return {
        "items": [_named_out(session, r) for r in rows],
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.get("/enterprises", summary="Find an enterprise (to name an employer or share with one)")
def find_enterprises(
    principal: AnyRolePrincipal,
    session: SessionDep,
    params: PageParamsDep,
    q: str | None = Query(None, max_length=100, pattern=PLAIN_TEXT, description="Name contains"),
    district_code: str | None = Query(None, max_length=6, pattern=PLAIN_TEXT),
):
    """Active enterprises by name: what a learner (or the platform) needs to name an employer
    on an enrolment or address a credential share. Names and districts only."""
    stmt = (
        select(Organization)
        .where(Organization.kind == OrgKind.enterprise, Organization.is_active)
        .order_by(Organization.name, Organization.id)
    )
    if q:
        stmt = stmt.where(contains_text(Organization.name, q))
    if district_code:
        stmt = stmt.where(Organization.district_code == district_code)
    rows, total = paginate(session, stmt, params)
    return {
        "items": [
            {"id": str(o.id), "name": o.name, "district_code": o.district_code} for o in rows
        ],
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
    }


@router.put(
    "/enrollments/{enrollment_id}/employer", summary="Name the employer the training is for"
)
def name_employer(
    enrollment_id: uuid.UUID, body: EmployerIn, principal: AnyRolePrincipal, session: SessionDep
):
    row = enterprise_training.name_employer(session, principal, enrollment_id, body.organization_id)
    session.commit()
    return _enrollment_out(row)


@router.post(
    "/enrollments/{enrollment_id}/employer/confirmation",
    summary="The named employer confirms (or declines) the enterprise training",
)
def confirm_employer(
    enrollment_id: uuid.UUID, body: ConfirmIn, principal: CurrentPrincipal, session: SessionDep
):
    row = enterprise_training.confirm(session, principal, enrollment_id, body.confirmed)
    session.commit()
    return _enrollment_out(row)

"""Learners: create-or-find by ID number (in the body only), read, change, audited export.

Roles: create by admin, org staff, the platform, or a learner registering themselves; org staff
get an existing person only with the holder check (:mod:`service.training.consent`); reads and
changes per :mod:`service.training.access`; target groups only by staff or admins, with a
reason; the full-number export is admin-only and audited.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Body, Header, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.models import ORG_ROLES, Role
from service.api.acting import personal_learner
from service.api.deps import (
    AdminPrincipal,
    AnyRolePrincipal,
    CurrentPrincipal,
    PersonalOrAdminPrincipal,
    PersonalPrincipal,
    SessionDep,
    StaffOrPlatformPrincipal,
    StaffPrincipal,
)
from service.api.pagination import PLAIN_TEXT, Page, PageParamsDep, paginate
from service.core.errors import Conflict
from service.core.search import contains_text
from service.issuing.lifelong_record import build_record
from service.training import learners as service
from service.training.access import (
    ACTING_HEADER,
    ensure_can_view_learner,
    is_own,
    visible_learner_ids_clause,
)
from service.training.errors import not_found
from service.training.ledger import minutes_by_enrollment, totals
from service.training.models import Enrollment, Learner
from service.training.schemas import LearnerIn, LearnerOut, LearnerPatch

router = APIRouter(prefix="/api/v1", tags=["learners"])
NO_STORE = {"Cache-Control": "no-store"}


def load_learner(session: Session, learner_id: uuid.UUID, principal: Principal) -> Learner:
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise not_found("Learner")
    ensure_can_view_learner(session, principal, learner)
    return learner


def _out(learner: Learner, status: int) -> JSONResponse:
    body = jsonable_encoder(LearnerOut.model_validate(learner))
    return JSONResponse(body, status_code=status, headers=NO_STORE)


@router.post(
    "/learners",
    status_code=201,
    response_model=LearnerOut,
    responses={200: {"description": "The person is already registered"}},
)
def create_or_find_learner(body: LearnerIn, principal: AnyRolePrincipal, session: SessionDep):
    learner, created = service.create_or_find(
        session,
        principal,
        id_number=body.id_number,
        name=body.name,
        phone=body.phone,
        district_code=body.district_code,
        groups=[str(g) for g in body.groups],
        groups_reason=body.groups_reason,
        employer_organization_id=body.employer_organization_id,
        user_id=body.user_id,
    )
    session.commit()
    if not created and principal.role == Role.learner and not is_own(principal, learner):
        raise Conflict(
            "identity-verification-required",
            "This person is already registered; linking the record to your account needs "
            "identity verification through the platform or the city.",
        )
    return _out(learner, 201 if created else 200)


@router.post("/learners/lookup", response_model=LearnerOut)
def lookup_learner(
    principal: StaffOrPlatformPrincipal,
    session: SessionDep,
    id_number: str = Body(..., embed=True, max_length=40),
    name: str | None = Body(None, embed=True, max_length=100),
):
    """Find a person by ID number (sent in the body, never the URL). Organization staff also
    send the person's name (the holder check); any mismatch is one and the same refusal."""
    if principal.role in ORG_ROLES:
        return _out(service.find_for_holder(session, id_number, name), 200)
    learner = service.find_by_id_number(session, id_number)
    if learner is None:
        raise not_found("Learner")
    return _out(learner, 200)


@router.get("/learners", response_model=Page[LearnerOut])
def list_learners(
    principal: StaffPrincipal,
    params: PageParamsDep,
    session: SessionDep,
    district_code: str | None = Query(None, pattern=r"^\d{6}$"),
    q: str | None = Query(None, max_length=100, pattern=PLAIN_TEXT, description="Name contains"),
):
    stmt = select(Learner).order_by(Learner.created_at, Learner.id)
    clause = visible_learner_ids_clause(principal)
    if clause is not None:
        stmt = stmt.where(clause)
    if district_code:
        stmt = stmt.where(Learner.district_code == district_code)
    if q:
        stmt = stmt.where(contains_text(Learner.name, q))
    items, total = paginate(session, stmt, params)
    return Page(
        items=[LearnerOut.model_validate(i) for i in items],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


@router.get("/learners/{learner_id}", response_model=LearnerOut)
def get_learner(
    learner_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    return _out(load_learner(session, learner_id, principal), 200)


@router.patch("/learners/{learner_id}", response_model=LearnerOut)
def update_learner(
    learner_id: uuid.UUID,
    body: LearnerPatch,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    learner = load_learner(session, learner_id, principal)
    changes = body.model_dump(exclude_unset=True)
    groups_reason = changes.pop("groups_reason", None)
    if "groups" in changes and changes["groups"] is not None:
        changes["groups"] = [str(g) for g in changes["groups"]]
    learner = service.update(session, principal, learner, changes, groups_reason=groups_reason)
    session.commit()
    return _out(learner, 200)


@router.post("/learners/{learner_id}/pii-export")
def export_learner_pii(learner_id: uuid.UUID, principal: AdminPrincipal, session: SessionDep):
    """The full ID and phone numbers, for an authorised export. Admin only; audited."""
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise not_found("Learner")
    out = service.export_pii(session, principal, learner)
    session.commit()  # the audit row is stored before the numbers leave
    return JSONResponse(out, headers=NO_STORE)


@router.get("/learners/{learner_id}/record")
def learner_record(
    learner_id: uuid.UUID,
    principal: PersonalOrAdminPrincipal,
    session: SessionDep,
):
    """The lifelong skill record: for the learner, the platform acting for them, or an admin."""
    learner = load_learner(session, learner_id, principal)
    return JSONResponse(jsonable_encoder(build_record(session, learner)), headers=NO_STORE)


@router.get("/learners/{learner_id}/hours")
def learner_hours(
    learner_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    """Hours per enrollment and in total, in minutes and 学时."""
    learner = load_learner(session, learner_id, principal)
    return hours_summary(session, learner)


def hours_summary(session: Session, learner: Learner) -> dict:
    ids = session.exec(select(Enrollment.id).where(Enrollment.learner_id == learner.id)).all()
    per = minutes_by_enrollment(session, ids)
    return {
        "learner_id": str(learner.id),
        "total": totals(
            sum(v["minutes"] for v in per.values()), sum(v["online_minutes"] for v in per.values())
        ),
        "enrollments": [
            {"enrollment_id": str(eid), **totals(v["minutes"], v["online_minutes"])}
            for eid, v in sorted(per.items(), key=lambda kv: str(kv[0]))
        ],
    }


# --- the caller's own record (learner token, or platform with X-Learner-Id) -------------------


@router.get("/me/learner", response_model=LearnerOut, tags=["me"])
def my_learner(
    principal: PersonalPrincipal,
    session: SessionDep,
    x_learner_id: str | None = Header(default=None, alias=ACTING_HEADER),
):
    return _out(personal_learner(session, principal, x_learner_id), 200)


@router.get("/me/record", tags=["me"])
def my_record(
    principal: PersonalPrincipal,
    session: SessionDep,
    x_learner_id: str | None = Header(default=None, alias=ACTING_HEADER),
):
    learner = personal_learner(session, principal, x_learner_id)
    return JSONResponse(jsonable_encoder(build_record(session, learner)), headers=NO_STORE)


@router.get("/me/hours", tags=["me"])
def my_hours(
    principal: PersonalPrincipal,
    session: SessionDep,
    x_learner_id: str | None = Header(default=None, alias=ACTING_HEADER),
):
    return hours_summary(session, personal_learner(session, principal, x_learner_id))

"""Enrollments: enroll (idempotent), read, withdraw, assessment, SCORM runtime commits, hours.

Who: a learner for themselves; the platform for a learner (``learner_id`` in the body or
``X-Learner-Id``); organization staff for their own organization's offerings (rosters), with
proof of the person (:mod:`service.training.consent`); admins.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Header, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.models import ORG_ROLES, Role
from service.api.deps import (
    AnyRolePrincipal,
    CurrentPrincipal,
    PersonalPrincipal,
    SessionDep,
    StaffPrincipal,
)
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParamsDep, paginate
from service.api.problems import forbidden
from service.core.errors import Invalid
from service.core.timeutil import utcnow
from service.training import enrollments as service
from service.training.access import (
    ACTING_HEADER,
    acting_learner,
    ensure_can_act_for,
    ensure_can_manage,
    ensure_can_view_enrollment,
)
from service.training.consent import enrolment_proof
from service.training.errors import not_found
from service.training.learners import fingerprint_of
from service.training.learning_records import scorm_commit
from service.training.ledger import minutes_by_enrollment, totals
from service.training.models import Enrollment, HoursEntry, Learner, Offering
from service.training.schemas import AssessmentIn, EnrollmentIn, EnrollmentOut, ScormCommitIn

router = APIRouter(prefix="/api/v1/enrollments", tags=["enrollments"])


def _out(enrollment: Enrollment, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(EnrollmentOut.model_validate(enrollment)), status)


def load(session: Session, enrollment_id: uuid.UUID, principal: Principal):
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise not_found("Enrollment")
    offering = session.get(Offering, enrollment.offering_id)
    learner = session.get(Learner, enrollment.learner_id)
    ensure_can_view_enrollment(principal, enrollment, offering, learner)
    return enrollment, offering, learner


def _learner_for(session, principal, body: EnrollmentIn, header: str | None) -> Learner:
    if principal.role in (Role.learner, Role.platform):
        if principal.role == Role.platform and header is None and body.learner_id is not None:
            header = str(body.learner_id)
        learner = acting_learner(session, principal, header)
        if body.learner_id is not None and body.learner_id != learner.id:
            raise forbidden("You may only enroll the learner you act as.")
        return learner
    if body.learner_id is None:
        raise Invalid("learner-required", "learner_id is required.", field="learner_id")
    learner = session.get(Learner, body.learner_id)
    if learner is None:
        raise Invalid("unknown-learner", "The learner does not exist.")
    return learner


@router.post(
    "",
    status_code=201,
    response_model=EnrollmentOut,
    responses={200: {"description": "Already enrolled: the existing enrollment"}},
)
def enroll(
    body: EnrollmentIn,
    principal: AnyRolePrincipal,
    session: SessionDep,
    x_learner_id: str | None = Header(default=None, alias=ACTING_HEADER),
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
):
    learner = _learner_for(session, principal, body, x_learner_id)
    offering = session.get(Offering, body.offering_id)
    if offering is None:
        raise Invalid("unknown-offering", "The offering does not exist.")
    if principal.role in ORG_ROLES:
        ensure_can_manage(principal, offering)
    else:
        ensure_can_act_for(principal, learner)
    proof = enrolment_proof(
        principal,
        learner,
        holder_fingerprint=fingerprint_of(body.id_number) if body.id_number else None,
        name=body.name,
    )

    def create():
        enrollment = service.enroll(
            session,
            principal,
            learner,
            offering,
            require_subsidy=body.require_subsidy,
            now=utcnow(),
            proof=proof,
        )
        return EnrollmentOut.model_validate(enrollment)

    # The holder check's number and name stay out of the stored request fingerprint.
    fingerprinted = body.model_dump(mode="json", exclude={"id_number", "name"})
    try:
        return run_idempotent(
            session,
            actor_key=principal.actor_key,
            route="enrollments.create",
            key=idempotency_key,
            body={**fingerprinted, "learner": str(learner.id), "proof": proof},
            create=create,
        )
    except service.AlreadyEnrolled as exc:
        session.rollback()
        return _out(session.get(Enrollment, exc.enrollment.id), 200)


@router.get("", response_model=Page[EnrollmentOut])
def list_enrollments(
    principal: AnyRolePrincipal,
    params: PageParamsDep,
    session: SessionDep,
    offering_id: uuid.UUID | None = None,
    learner_id: uuid.UUID | None = None,
    state: str | None = Query(None, max_length=20),
    x_learner_id: str | None = Header(default=None, alias=ACTING_HEADER),
):
    stmt = select(Enrollment).order_by(Enrollment.created_at, Enrollment.id)
    if principal.role in (Role.learner, Role.platform):
        me = acting_learner(session, principal, x_learner_id)
        stmt = stmt.where(Enrollment.learner_id == me.id)
    elif principal.role in ORG_ROLES:
        stmt = stmt.join(Offering, Offering.id == Enrollment.offering_id).where(
            Offering.organization_id == principal.org_id
        )
    for column, value in (
        (Enrollment.offering_id, offering_id),
        (Enrollment.learner_id, learner_id),
        (Enrollment.state, state),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    rows, total = paginate(session, stmt, params)
    return Page(
        items=[EnrollmentOut.model_validate(r) for r in rows],
        total=total,
        limit=params.limit,
        offset=params.offset,
    )


@router.get("/{enrollment_id}", response_model=EnrollmentOut)
def get_enrollment(
    enrollment_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    enrollment, _, _ = load(session, enrollment_id, principal)
    return _out(enrollment)


@router.post("/{enrollment_id}/withdraw", response_model=EnrollmentOut)
def withdraw(
    enrollment_id: uuid.UUID,
    principal: AnyRolePrincipal,
    session: SessionDep,
):
    """Withdraw (from enrolled or in progress): the seat is given back."""
    enrollment, offering, learner = load(session, enrollment_id, principal)
    if principal.role in ORG_ROLES:
        ensure_can_manage(principal, offering)
    else:
        ensure_can_act_for(principal, learner)
    withdrawn = service.withdraw(session, principal, enrollment, utcnow())
    session.commit()
    return _out(withdrawn)


@router.post("/{enrollment_id}/assessment", response_model=EnrollmentOut)
def record_assessment(
    enrollment_id: uuid.UUID,
    body: AssessmentIn,
    principal: StaffPrincipal,
    session: SessionDep,
):
    """A trainer records the assessment score (0..100), compared with the pass mark. Passing
    completes the enrollment once the hours are reached; failing ends it as ``failed``."""
    enrollment, offering, _ = load(session, enrollment_id, principal)
    ensure_can_manage(principal, offering)
    assessed = service.record_assessment(
        session,
        principal,
        enrollment,
        offering,
        score=body.score,
        passed=body.passed,
        now=utcnow(),
    )
    session.commit()
    return _out(assessed)


@router.post("/{enrollment_id}/scorm-commit")
def commit_scorm_runtime(
    enrollment_id: uuid.UUID,
    body: ScormCommitIn,
    principal: PersonalPrincipal,
    session: SessionDep,
):
    """A SCORM 1.2 / 2004 runtime commit: session time -> hours, status -> progress."""
    enrollment, _, learner = load(session, enrollment_id, principal)
    ensure_can_act_for(principal, learner)
    result = scorm_commit(
        session,
        principal,
        enrollment,
        version=body.version,
        commit_id=body.commit_id,
        values=body.values,
        now=utcnow(),
        ended_at=body.ended_at,
    )
    session.commit()
    fresh = session.get(Enrollment, enrollment.id, populate_existing=True)
    return result | {"enrollment_state": fresh.state}


@router.get("/{enrollment_id}/hours")
def enrollment_hours(
    enrollment_id: uuid.UUID,
    principal: CurrentPrincipal,
    params: PageParamsDep,
    session: SessionDep,
):
    """Totals (minutes and 学时) and the ledger entries, oldest first."""
    enrollment, offering, _ = load(session, enrollment_id, principal)
    spent = minutes_by_enrollment(session, [enrollment.id]).get(
        enrollment.id, {"minutes": 0, "online_minutes": 0}
    )
    stmt = (
        select(HoursEntry)
        .where(HoursEntry.enrollment_id == enrollment.id)
        .order_by(HoursEntry.started_at, HoursEntry.id)
    )
    rows, total = paginate(session, stmt, params)
    return {
        "enrollment_id": str(enrollment.id),
        "required_minutes": offering.required_minutes,
        **totals(spent["minutes"], spent["online_minutes"]),
        "entries": Page(
            items=[
                {
                    "id": str(r.id),
                    "source": r.source,
                    "external_id": r.external_id,
                    "started_at": r.started_at,
                    "ended_at": r.ended_at,
                    "minutes": r.minutes,
                    "online": r.online,
                }
                for r in rows
            ],
            total=total,
            limit=params.limit,
            offset=params.offset,
        ),
    }

"""Enrollments: enroll (idempotent), read, withdraw, assessment, SCORM runtime, hours.

Who: a learner for themselves; the platform for a learner (``learner_id`` in the body or
``X-Learner-Id``); organization staff for their own organization's offerings (rosters), with
proof of the person (:mod:`service.training.consent`); admins.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import or_
from sqlmodel import Session, select

from content.models import PackageVersion
from content.versions import latest_published
from service.accounts.access import Principal, ensure_organization_active
from service.accounts.models import ORG_ROLES, Role, User
from service.accounts.tokens import TokenError
from service.api.acting import personal_learner
from service.api.deps import (
    AnyRolePrincipal,
    BearerToken,
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    StaffPrincipal,
    current_principal,
    require_roles,
    unauthorized,
)
from service.api.idempotency import run_idempotent
from service.api.pagination import Page, PageParamsDep, paginate
from service.api.problems import Problem, forbidden
from service.core.errors import Invalid
from service.core.timeutil import utcnow
from service.packages.launch_models import LaunchSession
from service.training import enrollments as service
from service.training.access import (
    ACTING_HEADER,
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
from service.training.runtime_state import runtime_summary, runtime_values
from service.training.runtime_tokens import RuntimeGrant, read_runtime_token
from service.training.schemas import (
    AssessmentIn,
    EnrollmentDetailOut,
    EnrollmentIn,
    EnrollmentOut,
    ScormCommitIn,
    ScoRuntimeOut,
)

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
        learner = personal_learner(session, principal, header, reading=False)
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
    target = service.load_target(session, body.offering_id)
    if target is None:
        raise Invalid("unknown-offering", "The offering does not exist.")
    if principal.role in ORG_ROLES:
        ensure_can_manage(principal, target.offering)
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
            target,
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
        existing = service.find(session, exc.learner_id, exc.offering_id)
        if existing is None:  # the insert failed for another reason
            raise (exc.__cause__ or exc) from None
        return _out(existing, 200)


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
        me = personal_learner(session, principal, x_learner_id)
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


@router.get("/{enrollment_id}", response_model=EnrollmentDetailOut)
def get_enrollment(
    enrollment_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
):
    """The enrolment, with the SCORM runtime state last committed per SCO (``runtime``)."""
    enrollment, _, _ = load(session, enrollment_id, principal)
    detail = EnrollmentDetailOut.model_validate(enrollment)
    detail.runtime = [
        ScoRuntimeOut.model_validate(row) for row in runtime_summary(session, enrollment.id)
    ]
    return JSONResponse(jsonable_encoder(detail))


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


# ---- SCORM runtime: the player's commits and what it preloads ----------------------------------

# Bodies of runtime commits (sendBeacon caps its own at 64 KiB; a commit with a long
# suspend_data and interactions stays well below this).
RUNTIME_BODY_MAX_BYTES = 512 * 1024
_RUNTIME_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ScormCommitIn.model_json_schema()},
            "text/plain": {
                "schema": {"type": "string"},
                "description": 'The same JSON with a "runtime_token" member (sendBeacon on '
                "page unload cannot set headers)",
            },
        },
    }
}


@dataclass(frozen=True)
class RuntimeCaller:
    """Who sends a runtime request: a principal, and the launch grant when by runtime token."""

    principal: Principal
    grant: RuntimeGrant | None = None


async def runtime_commit_body(request: Request) -> tuple[dict, str | None]:
    """The commit's JSON object and any ``runtime_token`` member: sent as JSON, or as text/plain
    holding the same JSON (a CORS-safelisted type, which is what sendBeacon sends; Fetch
    standard, "CORS-safelisted request-header"). Validated after the caller is known."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media not in ("", "application/json", "text/plain") and not media.endswith("+json"):
        raise Problem(
            415, "unsupported-media-type", "Send the commit as application/json or text/plain."
        )
    raw = await request.body()
    if len(raw) > RUNTIME_BODY_MAX_BYTES:
        raise Problem(
            413,
            "payload-too-large",
            f"A commit is at most {RUNTIME_BODY_MAX_BYTES} bytes.",
            limit=RUNTIME_BODY_MAX_BYTES,
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "invalid-json", "The commit is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise Problem(400, "invalid-json", "The commit must be a JSON object.")
    token = data.pop("runtime_token", None)
    if token is not None and not isinstance(token, str):
        raise Problem(400, "invalid-json", "runtime_token must be a string.")
    return data, token


def _validated_commit(data: dict) -> ScormCommitIn:
    """The commit body, answered as FastAPI answers a body that fails its model (422)."""
    try:
        return ScormCommitIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]
        ) from None


def _runtime_caller(
    request: Request, session: Session, settings, header_token: str | None, body_token: str | None
) -> RuntimeCaller:
    """A ``scorm-runtime`` token (header, else body) or, in the header, an access token.

    The runtime token is tried first: it is accepted here and nowhere else (every other route
    requires typ ``access``)."""
    token = header_token or body_token
    if not token:
        raise unauthorized("Authentication is required: send a bearer token.")
    try:
        grant = read_runtime_token(settings, token)
    except TokenError as runtime_error:
        if header_token is None:
            raise unauthorized(str(runtime_error)) from None
        return RuntimeCaller(current_principal(request, header_token, session, settings))
    user = session.get(User, grant.user_id)
    if user is None or not user.is_active:
        raise unauthorized("The account for this token is not active.")
    ensure_organization_active(session, user)
    principal = Principal(user.id, user.role, user.organization_id)
    request.state.principal = principal
    return RuntimeCaller(principal, grant)


def _runtime_enrollment(session: Session, enrollment_id: uuid.UUID, caller: RuntimeCaller):
    if caller.grant is not None and caller.grant.enrollment_id != enrollment_id:
        raise forbidden("This runtime token is for another enrolment.")
    return load(session, enrollment_id, caller.principal)


def _launch_of(
    session: Session, caller: RuntimeCaller, enrollment: Enrollment
) -> LaunchSession | None:
    """The launch the runtime token was issued for (named by its row or its session id); a
    runtime token whose launch does not exist is refused."""
    if caller.grant is None:
        return None
    wanted = caller.grant.launch_session_id
    row = session.exec(
        select(LaunchSession).where(
            LaunchSession.enrollment_id == enrollment.id,
            or_(LaunchSession.id == wanted, LaunchSession.session_id == wanted),
        )
    ).first()
    if row is None:
        raise forbidden("The launch of this runtime token does not exist; open the course again.")
    return row


def _launched_version_id(
    session: Session, caller: RuntimeCaller, enrollment: Enrollment
) -> uuid.UUID | None:
    launch = _launch_of(session, caller, enrollment)
    return launch.package_version_id if launch is not None else None


def _package_version(session: Session, caller: RuntimeCaller, enrollment, offering):
    """The version the runtime plays: the launch's, else the offering's first package's latest
    published version."""
    launched = _launched_version_id(session, caller, enrollment)
    if launched is not None:
        return session.get(PackageVersion, launched)
    for raw in offering.package_ids or []:
        try:
            package_id = uuid.UUID(str(raw))
        except ValueError:
            continue
        return latest_published(session, package_id)
    return None


@router.post("/{enrollment_id}/scorm-commit", openapi_extra=_RUNTIME_BODY_DOC)
def commit_scorm_runtime(
    enrollment_id: uuid.UUID,
    request: Request,
    parsed: Annotated[tuple[dict, str | None], Depends(runtime_commit_body)],
    token: BearerToken,
    session: SessionDep,
    settings: SettingsDep,
):
    """A SCORM 1.2 / 2004 runtime commit: session time -> hours, status and score -> progress,
    the SCO's runtime state for its next session. The learner (or the platform for them), or
    the player with the runtime token of this enrolment's launch."""
    data, body_token = parsed
    caller = _runtime_caller(request, session, settings, token, body_token)
    if caller.grant is None:
        require_roles(Role.learner, Role.platform)(caller.principal)
    enrollment, _, learner = _runtime_enrollment(session, enrollment_id, caller)
    ensure_can_act_for(caller.principal, learner)
    body = _validated_commit(data)
    launch = _launch_of(session, caller, enrollment)
    result = scorm_commit(
        session,
        caller.principal,
        enrollment,
        version=body.version,
        commit_id=body.commit_id,
        values=body.values,
        now=utcnow(),
        ended_at=body.ended_at,
        sco_id=body.sco_id,
        runtime_session=body.runtime_session,
        sequence=body.sequence,
        final=body.final,
        package_version_id=launch.package_version_id if launch is not None else None,
        # the player's time is bounded by its launch: content holding the runtime token cannot
        # place sessions before it
        not_before=launch.created_at if launch is not None else None,
    )
    session.commit()
    fresh = session.get(Enrollment, enrollment.id, populate_existing=True)
    return result | {"enrollment_state": fresh.state}


@router.get("/{enrollment_id}/scorm-runtime")
def scorm_runtime(
    enrollment_id: uuid.UUID,
    request: Request,
    token: BearerToken,
    session: SessionDep,
    settings: SettingsDep,
):
    """What the player preloads into each SCO before Initialize (SCORM 1.2 RTE 3.4, 2004 RTE
    4.2): the learner, credit and mode, the manifest's launch data and mastery score, and what
    the SCO's last session left (location, suspend_data, entry, total_time, statuses)."""
    caller = _runtime_caller(request, session, settings, token, None)
    enrollment, offering, learner = _runtime_enrollment(session, enrollment_id, caller)
    version = _package_version(session, caller, enrollment, offering)
    return runtime_values(session, enrollment, learner, version)


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

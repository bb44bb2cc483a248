"""The xAPI statements resource (the subset a cmi5/TinCan package needs), xAPI 1.0.3.

``POST /xAPI/statements`` (one statement or an array) -> 200 with the ids; ``PUT
/xAPI/statements?statementId=`` -> 204; ``GET /xAPI/statements?statementId=`` -> the statement.
Every request must send ``X-Experience-API-Version: 1.0.x``; every response carries it.
Callers: the platform's service token (for any registration) or a learner token (own
registrations only), or a package's launch token (``Authorization: Basic <auth-token>`` from
the cmi5 fetch URL or the TinCan ``auth`` parameter), which only these routes accept and only
for its one registration. The LRS endpoint handed to packages at launch is ``<base>/xAPI/``.

Of the State API only the cmi5 ``LMS.LaunchData`` document is served (read-only, built from
the launch session); every other state or agent-profile document is a 404 (the general
State and Agent Profile APIs are not implemented; cmi5 allows the learner-preferences profile
to be absent).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from content.models import PackageVersion
from service.accounts.access import Principal, ensure_organization_active
from service.accounts.models import Role, User
from service.accounts.tokens import TokenError
from service.api.deps import (
    BearerToken,
    SessionDep,
    SettingsDep,
    current_principal,
    unauthorized,
)
from service.api.problems import Problem, as_problem, forbidden
from service.core.errors import BadRequest, DomainError, Forbidden, NotFound, TooLarge
from service.core.timeutil import utcnow
from service.packages.enrollment_launch import (
    LAUNCH_DATA,
    find_session,
    launch_data,
    read_auth_token,
)
from service.training.learning_records import get_statement, store_statements

router = APIRouter(prefix="/xAPI", tags=["xAPI"])
VERSION_HEADER = "X-Experience-API-Version"
SERVED_VERSION = "1.0.3"
_VERSION = re.compile(r"1\.0(\.\d+)?")
MAX_BODY = 2 * 1024 * 1024
REPORTER_ROLES = frozenset({Role.platform, Role.learner})


def _with_version(exc: Problem | DomainError) -> Problem:
    problem = as_problem(exc)
    problem.headers = {**problem.headers, VERSION_HEADER: SERVED_VERSION}
    return problem


def xapi_version(request: Request) -> str:
    version = request.headers.get(VERSION_HEADER)
    if version is None or not _VERSION.fullmatch(version):
        raise _with_version(
            BadRequest("xapi-version", f"Send {VERSION_HEADER}: 1.0.3 (1.0.x is supported).")
        )
    return version


async def statement_body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise _with_version(TooLarge("payload-too-large", "At most 2 MiB per request."))
    try:
        return json.loads(raw)
    except ValueError:
        raise _with_version(BadRequest("xapi-bad-request", "The body must be JSON.")) from None


def xapi_principal(
    request: Request,
    token: BearerToken,
    session: SessionDep,
    settings: SettingsDep,
) -> Principal:
    """A bearer access token of the platform or a learner, or a package's Basic launch token
    (restricted to its registration). Only the ``/xAPI`` routes use this dependency."""
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    try:
        if scheme.lower() == "basic":
            try:
                user_id, registration, session_id = read_auth_token(settings, credentials)
            except TokenError as exc:
                raise unauthorized(str(exc)) from exc
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                raise unauthorized("The account for this token is not active.")
            ensure_organization_active(session, user)
            principal = Principal(user.id, user.role, user.organization_id, registration)
            request.state.principal = principal
            request.state.launch_session_id = session_id
        else:
            principal = current_principal(request, token, session, settings)
        if principal.role not in REPORTER_ROLES:
            raise forbidden("This action needs one of the roles: learner, platform.")
    except (Problem, DomainError) as exc:
        raise _with_version(exc) from None
    return principal


XapiVersion = Annotated[str, Depends(xapi_version)]
StatementBody = Annotated[Any, Depends(statement_body)]
Reporter = Annotated[Principal, Depends(xapi_principal)]


def _guarded(fn):
    try:
        return fn()
    except DomainError as exc:
        raise _with_version(exc) from None


@router.post("/statements")
def post_statements(
    _version: XapiVersion,
    payload: StatementBody,
    principal: Reporter,
    session: SessionDep,
):
    statements = payload if isinstance(payload, list) else [payload]

    def run():
        ids = store_statements(session, principal, statements, utcnow())
        session.commit()
        return ids

    ids = _guarded(run)
    return JSONResponse(ids, headers={VERSION_HEADER: SERVED_VERSION})


@router.put("/statements", status_code=204)
def put_statement(
    _version: XapiVersion,
    payload: StatementBody,
    principal: Reporter,
    session: SessionDep,
    statement_id: Annotated[uuid.UUID, Query(alias="statementId")],
):
    if not isinstance(payload, dict):
        raise _with_version(BadRequest("xapi-bad-request", "PUT takes one statement."))

    def run():
        store_statements(session, principal, [payload], utcnow(), statement_id=statement_id)
        session.commit()

    _guarded(run)
    return Response(status_code=204, headers={VERSION_HEADER: SERVED_VERSION})


@router.get("/statements")
def get_statement_by_id(
    _version: XapiVersion,
    principal: Reporter,
    session: SessionDep,
    statement_id: Annotated[uuid.UUID, Query(alias="statementId")],
):
    statement = _guarded(lambda: get_statement(session, principal, statement_id))
    return JSONResponse(statement, headers={VERSION_HEADER: SERVED_VERSION})


@router.get("/activities/state")
def get_state(
    request: Request,
    _version: XapiVersion,
    principal: Reporter,
    session: SessionDep,
    state_id: str = Query(alias="stateId", max_length=200),
    activity_id: str = Query(alias="activityId", max_length=500),
    agent: str = Query(max_length=2000),
    registration: Annotated[uuid.UUID | None, Query()] = None,
):
    """Only ``LMS.LaunchData`` of the caller's launch session (launch tokens); no general State
    API: any other document is a 404."""
    missing = NotFound("not-found", "No such state document.")
    if state_id != LAUNCH_DATA or principal.registration is None:
        raise _with_version(missing)
    if registration is not None and registration != principal.registration:
        raise _with_version(Forbidden("forbidden", "This token is for another registration."))
    row = find_session(session, request.state.launch_session_id)
    if row is None or row.registration != principal.registration or row.au_id != activity_id:
        raise _with_version(missing)
    version = session.get(PackageVersion, row.package_version_id)
    return JSONResponse(launch_data(row, version), headers={VERSION_HEADER: SERVED_VERSION})


@router.get("/agents/profile")
def get_agent_profile(
    _version: XapiVersion,
    _principal: Reporter,
    profile_id: str = Query(alias="profileId", max_length=200),
    agent: str = Query(max_length=2000),
):
    """The Agent Profile API is not implemented: cmi5's ``cmi5LearnerPreferences`` is absent."""
    raise _with_version(NotFound("not-found", "No such agent profile document."))

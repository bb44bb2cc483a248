"""The xAPI statements resource (the subset a cmi5/TinCan package needs), xAPI 1.0.3.

``POST /xAPI/statements`` (one statement or an array) -> 200 with the ids; ``PUT
/xAPI/statements?statementId=`` -> 204; ``GET /xAPI/statements?statementId=`` -> the statement.
Every request must send ``X-Experience-API-Version: 1.0.x``; every response carries it.
Callers: the platform's service token (for any registration) or a learner token (own
registrations only). The LRS endpoint handed to packages at launch is ``<base>/xAPI/``.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from service.accounts.models import Role
from service.api.deps import Principal, require_roles
from service.db import get_session
from service.timeutil import utcnow
from service.training.errors import TrainingError
from service.training.learning_records import get_statement, store_statements

router = APIRouter(prefix="/xAPI", tags=["xAPI"])
VERSION_HEADER = "X-Experience-API-Version"
SERVED_VERSION = "1.0.3"
_VERSION = re.compile(r"1\.0(\.\d+)?")
MAX_BODY = 2 * 1024 * 1024
Reporters = Depends(require_roles(Role.platform, Role.learner))


def _with_version(exc: TrainingError) -> TrainingError:
    exc.headers = {**exc.headers, VERSION_HEADER: SERVED_VERSION}
    return exc


def xapi_version(request: Request) -> str:
    version = request.headers.get(VERSION_HEADER)
    if version is None or not _VERSION.fullmatch(version):
        raise _with_version(
            TrainingError(
                400, "xapi-version", f"Send {VERSION_HEADER}: 1.0.3 (1.0.x is supported)."
            )
        )
    return version


async def statement_body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise _with_version(TrainingError(413, "payload-too-large", "At most 2 MiB per request."))
    try:
        return json.loads(raw)
    except ValueError:
        raise _with_version(
            TrainingError(400, "xapi-bad-request", "The body must be JSON.")
        ) from None


def _guarded(fn):
    try:
        return fn()
    except TrainingError as exc:
        raise _with_version(exc) from None


@router.post("/statements")
def post_statements(
    _version: str = Depends(xapi_version),
    payload: Any = Depends(statement_body),
    principal: Principal = Reporters,
    session: Session = Depends(get_session),
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
    statement_id: uuid.UUID = Query(alias="statementId"),
    _version: str = Depends(xapi_version),
    payload: Any = Depends(statement_body),
    principal: Principal = Reporters,
    session: Session = Depends(get_session),
):
    if not isinstance(payload, dict):
        raise _with_version(TrainingError(400, "xapi-bad-request", "PUT takes one statement."))

    def run():
        store_statements(session, principal, [payload], utcnow(), statement_id=statement_id)
        session.commit()

    _guarded(run)
    return Response(status_code=204, headers={VERSION_HEADER: SERVED_VERSION})


@router.get("/statements")
def get_statement_by_id(
    statement_id: uuid.UUID = Query(alias="statementId"),
    _version: str = Depends(xapi_version),
    principal: Principal = Reporters,
    session: Session = Depends(get_session),
):
    statement = _guarded(lambda: get_statement(session, principal, statement_id))
    return JSONResponse(statement, headers={VERSION_HEADER: SERVED_VERSION})

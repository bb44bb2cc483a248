"""RFC 9457 problem details for every error the API returns.

Each problem has a stable ``type`` (``urn:skills:problem:<code>``) and the same ``code`` as an
extension member so clients can switch on it; ``detail`` is for people. Messages never carry
personal data: validation errors drop the offending input values.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.core.db import is_connection_failure
from service.core.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unavailable,
)
from service.core.observability.logging import request_id_var, scrub

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("skills.http")

_STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


class Problem(Exception):  # noqa: N818 - it is the RFC's name
    """Raise from anywhere in request handling to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or code.replace("-", " ").replace("_", " ").capitalize()
        self.headers = headers or {}
        self.extra = extra


class BodyTooLarge(StarletteHTTPException):
    """Raised from the request's ``receive`` when its body passes the route's limit.

    An HTTPException, so FastAPI's own body parsing passes it on (it turns other errors into
    400) and the handler below answers 413.
    """

    def __init__(self, max_bytes: int):
        super().__init__(413, f"The request body exceeds the limit of {max_bytes} bytes.")
        self.max_bytes = max_bytes


def body_too_large_response(max_bytes: int) -> JSONResponse:
    return problem_response(
        413,
        "payload-too-large",
        f"The request body exceeds the limit of {max_bytes} bytes.",
        max_bytes=max_bytes,
    )


# How long a client should wait after a 503 because the database cannot be reached.
DATABASE_RETRY_AFTER_SECONDS = 10


# The one mapping from a domain error's kind to an HTTP status.
_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (BadRequest, 400),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Gone, 410),
    (PreconditionFailed, 412),
    (TooLarge, 413),
    (Invalid, 422),
    (Unavailable, 503),
)


def as_problem(exc: DomainError | Problem) -> Problem:
    """The problem document for a domain error (a Problem is returned as it is)."""
    if isinstance(exc, Problem):
        return exc
    # The most specific kind wins: an error class lists its kind first among its bases.
    statuses = dict(_DOMAIN_STATUS)
    status = next((statuses[k] for k in type(exc).__mro__ if k in statuses), 400)
    return Problem(status, exc.code, exc.detail, **exc.extra)


def problem_response(
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"urn:skills:problem:{code}",
        "title": title or code.replace("-", " ").replace("_", " ").capitalize(),
        "status": status,
        # Messages are written not to carry personal data; some name a client's own key (an
        # unexpected property), so they are scrubbed like log lines as a second line of defence.
        "detail": scrub(detail),
        "code": code,
        **extra,
    }
    rid = request_id_var.get()
    if rid:
        body["request_id"] = rid
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        # loc can hold the client's own keys (an unexpected field, a map key): scrub those too.
        loc = [scrub(str(p)) for p in err.get("loc", ())]
        errors.append(
            {
                "field": ".".join(loc),
                "message": err.get("msg", "invalid"),
                "kind": err.get("type", ""),
            }
        )
    return errors


# Constraint violations: PostgreSQL SQLSTATE, SQLite message prefix, and the answer.
_CONSTRAINTS = (
    ("23503", "FOREIGN KEY", 422, "invalid-reference", "It refers to a missing record."),
    ("23505", "UNIQUE", 409, "conflict", "It conflicts with a record that already exists."),
    ("23502", "NOT NULL", 422, "missing-value", "A required value is missing."),
    ("23514", "CHECK", 422, "constraint-violation", "A value is outside what is allowed."),
)  # fmt: skip


def database_refusal(exc: IntegrityError | DataError) -> tuple[int, str, str]:
    """``(status, code, detail)`` for a write the database refused because of the request.

    The safety net for a constraint a route did not check first (a route should say more
    precisely what is wrong). Only the driver's SQLSTATE or SQLite's message prefix is read:
    the exception text carries SQL parameters, which may be personal data, and never leaves.
    """
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    message = str(orig or "")
    if isinstance(exc, IntegrityError):
        for state, sqlite_prefix, status, code, detail in _CONSTRAINTS:
            if sqlstate == state or message.startswith(sqlite_prefix):
                return status, code, f"The request cannot be stored. {detail}"
        return 409, "conflict", "The request conflicts with the stored data."
    if "NUL (0x00)" in message:  # psycopg refuses these before PostgreSQL sees them
        return 422, "invalid-value", "Text must not contain NUL (0x00) characters."
    return 422, "invalid-value", "A value cannot be stored (too long, out of range or malformed)."


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_req: Request, exc: Problem):
        return problem_response(
            exc.status, exc.code, exc.detail, exc.title, exc.headers, **exc.extra
        )

    @app.exception_handler(DomainError)
    async def _domain(req: Request, exc: DomainError):
        return await _problem(req, as_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError):
        errors = _field_errors(exc)
        fields = ", ".join(e["field"] for e in errors[:5])
        return problem_response(
            422, "validation-error", f"The request is not valid: check {fields}.", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, f"http-{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such resource."
        return problem_response(exc.status_code, code, detail, headers=exc.headers)

    @app.exception_handler(IntegrityError)
    @app.exception_handler(DataError)
    async def _database_refusal(_req: Request, exc: IntegrityError | DataError):
        # The request's session is closed (rolled back) by its dependency; nothing was written.
        status, code, detail = database_refusal(exc)
        sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
        log.warning("database refused the request", extra={"problem": code, "sqlstate": sqlstate})
        return problem_response(status, code, detail)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(_req: Request, exc: BodyTooLarge):
        return body_too_large_response(exc.max_bytes)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_error(_req: Request, exc: OperationalError | InterfaceError):
        if not is_connection_failure(exc):
            log.exception("database error", extra={"error_type": type(exc).__name__})
            return problem_response(500, "internal-error", "An unexpected error occurred.")
        # An outage, not a bug: no traceback (the driver's message names the host), and the
        # client is told to come back (RFC 9110 §15.6.4, §10.2.3 Retry-After).
        log.error("database unavailable", extra={"error_type": type(exc.orig).__name__})
        return problem_response(
            503,
            "unavailable",
            "The service is temporarily unavailable; try again shortly.",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception):
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return problem_response(500, "internal-error", "An unexpected error occurred.")


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", f"{what} was not found.")


def forbidden(detail: str = "You do not have permission for this action.") -> Problem:
    return Problem(403, "forbidden", detail)


def conflict(detail: str, code: str = "conflict", **extra: Any) -> Problem:
    return Problem(409, code, detail, **extra)

"""Request id, access log, metrics and security headers for every response; request body
limits per route."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.problems import BodyTooLarge, body_too_large_response, problem_response
from service.core.observability.logging import request_id_var
from service.core.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS
from service.core.settings import Settings

log = logging.getLogger("skills.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Request id, access log line, metrics and security headers for every HTTP response.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware, which runs the rest of the app in a
    task of its own and relays the response through a memory stream: measured, that was a
    large share of a small request's CPU time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500
        started = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_context)
            except Exception:
                # Answered here, inside the request context, so the 500 and its log line carry
                # the request id like every other response.
                log.exception("unhandled error", extra={"route": _template(scope)})
                if started:
                    raise  # the status is out: the server closes the connection
                response = problem_response(500, "internal-error", "An unexpected error occurred.")
                await response(scope, receive, send_with_context)
            _finish(scope, status, time.perf_counter() - start)
        finally:
            request_id_var.reset(token)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _template(scope: Scope) -> str:
    return getattr(scope.get("route"), "path", "unmatched")


def _finish(scope: Scope, status: int, elapsed: float) -> None:
    # Route template, never the concrete path: ids in paths stay out of logs and metric labels.
    template = _template(scope)
    method = scope["method"]
    HTTP_REQUESTS.labels(method, template, str(status)).inc()
    HTTP_LATENCY.labels(method, template).observe(elapsed)
    log.info(
        "request",
        extra={
            "method": method,
            "route": template,
            "status": status,
            "ms": round(elapsed * 1000, 1),
        },
    )


# ---- request body limits ----------------------------------------------------------------------

# Room for the multipart headers and form fields around an uploaded file.
UPLOAD_ENVELOPE = 1024 * 1024
VERIFY_ENVELOPE = 64 * 1024  # the same allowance as request_bodies.read_bounded


def _package_upload(settings: Settings) -> int:
    return settings.package_max_upload_bytes + UPLOAD_ENVELOPE


def _verify_upload(settings: Settings) -> int:
    return settings.verify_max_upload_bytes + VERIFY_ENVELOPE


def _import_upload(settings: Settings) -> int:
    return settings.import_max_bytes + VERIFY_ENVELOPE


def _employer_checks(settings: Settings) -> int:
    """A list of up to SKILLS_EMPLOYER_CHECK_MAX_ITEMS tokens, or a file or images."""
    return settings.employer_check_max_upload_bytes + VERIFY_ENVELOPE


@dataclass(frozen=True)
class BodyRule:
    methods: frozenset[str]
    path: re.Pattern[str]
    limit: Callable[[Settings], int]
    # A page's form: its own bounded reader refuses a declared Content-Length over the limit
    # with a page a person can read; the count while streaming still applies.
    page: bool = False


# The one table of routes allowed more than SKILLS_MAX_REQUEST_BODY_BYTES. Every other request
# body, authenticated or not, gets the small default, so nothing is parsed in bulk before its
# caller is known (OWASP API Security Top 10 2023, API4 "Unrestricted Resource Consumption").
BODY_LIMITS = (
    BodyRule(frozenset({"POST"}), re.compile(r"/api/v1/packages/[^/]+/versions"), _package_upload),
    BodyRule(frozenset({"POST"}), re.compile(r"/objects-upload/.+"), _package_upload),
    BodyRule(frozenset({"POST"}), re.compile(r"/api/v1/verify(?:/batch)?"), _verify_upload),
    BodyRule(frozenset({"POST"}), re.compile(r"/api/v1/imports"), _import_upload),
    BodyRule(frozenset({"POST"}), re.compile(r"/api/v1/employer/checks"), _employer_checks),
    BodyRule(frozenset({"POST"}), re.compile(r"/verify"), _verify_upload, page=True),
    BodyRule(
        frozenset({"POST", "PUT"}), re.compile(r"/xAPI/statements"), lambda s: s.xapi_max_body_bytes
    ),
)


def body_rule(method: str, path: str) -> BodyRule | None:
    return next((r for r in BODY_LIMITS if method in r.methods and r.path.fullmatch(path)), None)


class BodyLimitMiddleware:
    """Refuses a request body over its route's limit with 413, without holding it.

    Pure ASGI, so it sees the body only as it streams: a declared Content-Length over the
    limit is answered before any of the body is read; otherwise (chunked, or a client that
    lies) ``receive`` is wrapped and counts, and the read that passes the limit raises
    :class:`BodyTooLarge`, which the problem handlers answer.
    """

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = body_rule(scope["method"], scope["path"])
        limit = rule.limit(self.settings) if rule else self.settings.max_request_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit and not (rule and rule.page):
            await body_too_large_response(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # Read outside the routes' exception handling (a middleware): answered here.
            if started:
                raise
            await body_too_large_response(limit)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None

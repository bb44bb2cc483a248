"""Request id, access log, metrics and security headers for every response."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from service.api.problems import problem_response
from service.core.observability.logging import request_id_var
from service.core.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("skills.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        start = time.perf_counter()
        try:
            try:
                response = await call_next(request)
            except Exception:
                # Answered here, inside the request context, so the 500 and its log line carry
                # the request id like every other response.
                log.exception("unhandled error", extra={"route": _template(request)})
                response = problem_response(500, "internal-error", "An unexpected error occurred.")
            _finish(request, response, rid, time.perf_counter() - start)
        finally:
            request_id_var.reset(token)
        return response


def _template(request: Request) -> str:
    return getattr(request.scope.get("route"), "path", "unmatched")


def _finish(request: Request, response: Response, rid: str, elapsed: float) -> None:
    # Route template, never the concrete path: ids in paths stay out of logs and metric labels.
    template = _template(request)
    HTTP_REQUESTS.labels(request.method, template, str(response.status_code)).inc()
    HTTP_LATENCY.labels(request.method, template).observe(elapsed)
    response.headers["X-Request-ID"] = rid
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    log.info(
        "request",
        extra={
            "method": request.method,
            "route": template,
            "status": response.status_code,
            "ms": round(elapsed * 1000, 1),
        },
    )

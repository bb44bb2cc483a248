"""Cross-origin rules.

Package content and the player run on the content origin (``SKILLS_CONTENT_BASE_URL``; see
:mod:`service.api.content_origin`), and they call the API origin, never with credentials (they
authenticate with an explicit ``Authorization`` header or a token in the body, never a cookie):

- ``/xAPI/…`` and ``/cmi5/…`` answer any origin: a cmi5 AU or an xAPI activity may live on any
  host (cmi5 section 13.1.4, url), and it reaches the LRS with the launch's token. The methods
  and headers are those of the xAPI resources, the document APIs included (xAPI 1.0.3 Part
  Three, sections 1.1 HEAD and 1.3 Concurrency: ``If-Match`` / ``If-None-Match``; ``DELETE``);
  ``ETag``, ``Last-Modified`` and the consistency header are readable.
- The SCORM runtime routes of the player, exactly ``POST /api/v1/enrollments/{id}/scorm-commit``
  and ``GET /api/v1/enrollments/{id}/scorm-runtime``, answer the content origin.

Everything else follows ``SKILLS_CORS_ORIGINS`` (none by default).
"""

from __future__ import annotations

import re

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from service.core.settings import Settings, url_origin

PACKAGE_FACING = ("/xAPI/", "/cmi5/")
# The runtime path -> the one method the content origin may use on it.
RUNTIME_PATHS = (
    (re.compile(r"^/api/v1/enrollments/[^/]+/scorm-commit$"), "POST"),
    (re.compile(r"^/api/v1/enrollments/[^/]+/scorm-runtime$"), "GET"),
)


def serialized_origin(url: str) -> str | None:
    """The origin of ``url`` as a browser writes it in ``Origin`` (RFC 6454 section 6.1)."""
    origin = url_origin(url)
    if origin is None:
        return None
    scheme, host, port = origin
    default = 443 if scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host
    return f"{scheme}://{name}" + ("" if port == default else f":{port}")


def _origin_header(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"origin":
            return value.decode("latin-1")
    return None


class ScopedCORSMiddleware:
    def __init__(self, app: ASGIApp, api_origins: list[str], settings: Settings | None = None):
        self.app = app
        self.settings = settings
        self.package_facing = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_credentials=False,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Experience-API-Version",
                "If-Match",
                "If-None-Match",
                "Accept-Language",
            ],
            expose_headers=[
                "X-Experience-API-Version",
                "X-Experience-API-Consistent-Through",
                "ETag",
                "Last-Modified",
                "Location",
            ],
            max_age=600,
        )
        self.api = (
            CORSMiddleware(
                app,
                allow_origins=api_origins,
                allow_credentials=False,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Idempotency-Key",
                    "X-Learner-Id",
                    "X-Request-ID",
                ],
                expose_headers=["X-Request-ID"],
            )
            if api_origins
            else app
        )
        # (content origin, method) -> its CORS handler; rebuilt if the content origin changes
        self._runtime: dict[tuple[str, str], CORSMiddleware] = {}

    def _runtime_cors(self, scope: Scope) -> ASGIApp | None:
        """The CORS handler for a runtime route called from the content origin, else None."""
        if self.settings is None:
            return None
        path = scope["path"]
        method = next((m for pattern, m in RUNTIME_PATHS if pattern.match(path)), None)
        if method is None:
            return None
        origin = serialized_origin(self.settings.resolved_content_base_url())
        if origin is None or _origin_header(scope) != origin:
            return None
        handler = self._runtime.get((origin, method))
        if handler is None:
            handler = CORSMiddleware(
                self.app,
                allow_origins=[origin],
                allow_credentials=False,
                allow_methods=[method],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
            if len(self._runtime) >= len(RUNTIME_PATHS):  # the content origin changed
                self._runtime.clear()
            self._runtime[(origin, method)] = handler
        return handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["path"].startswith(PACKAGE_FACING):
            await self.package_facing(scope, receive, send)
        elif (runtime := self._runtime_cors(scope)) is not None:
            await runtime(scope, receive, send)
        else:
            await self.api(scope, receive, send)

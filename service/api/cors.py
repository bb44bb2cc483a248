"""Cross-origin rules.

Package content runs in a sandboxed, opaque origin (``Origin: null``; see routes_content), and a
cmi5/xAPI AU must still reach the LRS subset (``/xAPI/…``) and the cmi5 fetch URL: those two
route groups answer any origin, without credentials (they authenticate by an explicit
Authorization header, never a cookie). Everything else follows ``SKILLS_CORS_ORIGINS`` (none by
default).
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PACKAGE_FACING = ("/xAPI/", "/cmi5/")


class ScopedCORSMiddleware:
    def __init__(self, app: ASGIApp, api_origins: list[str]):
        self.app = app
        self.package_facing = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Experience-API-Version"],
            expose_headers=["X-Experience-API-Version"],
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PACKAGE_FACING):
            await self.package_facing(scope, receive, send)
        else:
            await self.api(scope, receive, send)

"""Response rules common to every ``/xAPI`` response (xAPI 1.0.3 Communication §3.3, §3.2):
every response carries ``X-Experience-API-Version``; a request the framework refused as
unparseable (422) is a 400, the status xAPI names for a bad request.

Clients build resource URLs by appending ``/statements`` to the endpoint they were given, and
some add a slash of their own even when the endpoint ends with one (cmi5 content libraries do:
``.../xAPI//activities/state``). Repeated slashes in an ``/xAPI`` path are read as one, as a
file server would, so such content finds its resources."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/xAPI"
HEADER = b"x-experience-api-version"
# Every answer to a statements GET carries it, errors included (Communication §2.1.3.s2.b5).
CONSISTENT_THROUGH = b"x-experience-api-consistent-through"
STATEMENTS = PREFIX + "/statements"
# Learning records are personal and change (a document is rewritten, LMS.LaunchData differs
# per launch at the same URL): no cache may keep or reuse an answer, or content resumes a
# launch with an earlier one's session.
CACHE_CONTROL = b"cache-control"
NO_STORE = b"no-store"
_SLASHES = re.compile(r"/{2,}")


class XapiResponseMiddleware:
    def __init__(self, app: ASGIApp, default_version: str = "2.0.0") -> None:
        self.app = app
        self.default_version = default_version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        if "//" in scope["path"]:
            path = _SLASHES.sub("/", scope["path"])
            scope = {**scope, "path": path, "raw_path": path.encode()}

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                version = state.get("xapi_version", self.default_version)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append((HEADER, version.encode()))
                if not any(k.lower() == CACHE_CONTROL for k, _ in headers):
                    headers.append((CACHE_CONTROL, NO_STORE))
                if (
                    scope["path"] == STATEMENTS
                    and scope["method"] in ("GET", "HEAD")
                    and not any(k.lower() == CONSISTENT_THROUGH for k, _ in headers)
                ):
                    now = datetime.now(UTC).isoformat(timespec="milliseconds")
                    headers.append((CONSISTENT_THROUGH, now.replace("+00:00", "Z").encode()))
                status = 400 if message["status"] == 422 else message["status"]
                message = {**message, "status": status, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_version)

"""Response rules common to every ``/xAPI`` response (xAPI 1.0.3 Communication §3.3, §3.2):
every response carries ``X-Experience-API-Version``; a request the framework refused as
unparseable (422) is a 400, the status xAPI names for a bad request."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/xAPI"
HEADER = b"x-experience-api-version"
# Every answer to a statements GET carries it, errors included (Communication §2.1.3.s2.b5).
CONSISTENT_THROUGH = b"x-experience-api-consistent-through"
STATEMENTS = PREFIX + "/statements"


class XapiResponseMiddleware:
    def __init__(self, app: ASGIApp, default_version: str = "2.0.0") -> None:
        self.app = app
        self.default_version = default_version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                version = state.get("xapi_version", self.default_version)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append((HEADER, version.encode()))
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

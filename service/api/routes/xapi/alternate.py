"""Alternate Request Syntax (xAPI 1.0.3 Communication §1.3): a ``POST`` whose query string is
only ``method=GET|HEAD|PUT|POST|DELETE`` and whose form-urlencoded body carries the headers
(``Authorization``, ``X-Experience-API-Version``, ``Content-Type``, ``Content-Length``,
``If-Match``, ``If-None-Match``), the request body as ``content`` and the other parameters.

The request is rewritten here, before routing, into the request it stands for, so every
``/xAPI`` resource serves it unchanged. 9274.1.1 (xAPI 2.0) removed the syntax: a 2.0 request
using it is refused with 400. The body was already counted by the body limit (this middleware
sits inside :class:`~service.api.middleware.BodyLimitMiddleware`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.problems import problem_response

PREFIX = "/xAPI"
METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
FORM_TYPE = "application/x-www-form-urlencoded"
# The form parameters taken as headers (lowercase, as ASGI names headers).
HEADER_PARAMS = frozenset(
    {
        "authorization",
        "x-experience-api-version",
        "content-type",
        "content-length",
        "if-match",
        "if-none-match",
    }
)
_PARAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


class AlternateSyntaxError(Exception):
    pass


class AlternateSyntaxMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if not any(name == "method" for name, _ in query):
            await self.app(scope, receive, send)
            return
        try:
            _check_query(scope, query)
            body = await _read_body(receive)
            rewritten = _rewrite(scope, query[0][1], body)
        except AlternateSyntaxError as exc:
            if _header(scope, b"x-experience-api-version").strip().startswith("1.0"):
                scope.setdefault("state", {})["xapi_version"] = "1.0.3"  # answered in kind
            response = problem_response(400, "xapi-bad-request", str(exc))
            await response(scope, receive, send)
            return
        # A new scope: the server keeps answering the POST it received. ``state`` is shared so
        # the version negotiated inside reaches the response middleware outside.
        inner = {**scope, "state": scope.setdefault("state", {}), **rewritten[0]}
        if inner["method"] == "HEAD":
            send = _without_body(send)
        await self.app(inner, _replay(rewritten[1], receive), send)


def _without_body(send: Send) -> Send:
    """HEAD answered over a POST connection: no body, and no Content-Length announcing one
    (Communication §1.1 lets HEAD omit it), so the server ends the response correctly."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"
            ]
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_head


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise AlternateSyntaxError("The request ended before its body was read.")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


def _check_query(scope: Scope, query: list[tuple[str, str]]) -> None:
    if scope["method"] != "POST":
        raise AlternateSyntaxError("The alternate request syntax is sent as POST.")
    if len(query) != 1:
        raise AlternateSyntaxError(
            "With the alternate request syntax the query string holds only 'method'; "
            "send the other parameters in the form body."
        )
    if query[0][1] not in METHODS:
        raise AlternateSyntaxError("'method' must be GET, HEAD, PUT, POST or DELETE.")


def _rewrite(scope: Scope, method: str, body: bytes) -> tuple[dict, bytes]:
    """The scope changes and the body of the request the alternate syntax stands for."""
    form = _form(scope, body)
    headers = {k.lower(): v for k, v in form.items() if k.lower() in HEADER_PARAMS}
    version = headers.get("x-experience-api-version") or _header(scope, b"x-experience-api-version")
    if version.strip().startswith("2."):
        raise AlternateSyntaxError(
            "The alternate request syntax is not part of xAPI 2.0 (9274.1.1); send the request "
            "with its own method."
        )
    params = [(k, v) for k, v in form.items() if k.lower() not in HEADER_PARAMS and k != "content"]
    content = form.get("content")
    new_body = content.encode("utf-8") if content is not None else b""
    # Content-Type and Content-Length describe the form; they are set anew for the content.
    replaced = set(headers) | {"content-type", "content-length"}
    new_headers = [(k, v) for k, v in scope["headers"] if k.decode("latin-1") not in replaced]
    new_headers += [
        (name.encode(), value.encode())
        for name, value in headers.items()
        if name not in ("content-type", "content-length")
    ]
    if content is not None:
        content_type = headers.get("content-type") or "application/json"
        new_headers.append((b"content-type", content_type.encode()))
    new_headers.append((b"content-length", str(len(new_body)).encode()))
    changes = {
        "method": method,
        "query_string": urlencode(params).encode("ascii"),
        "headers": new_headers,
    }
    return changes, new_body


def _form(scope: Scope, body: bytes) -> dict[str, str]:
    if not body:
        return {}
    if _header(scope, b"content-type").split(";")[0].strip().lower() != FORM_TYPE:
        raise AlternateSyntaxError(f"The alternate request syntax sends its body as {FORM_TYPE}.")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise AlternateSyntaxError("The form body is not valid form-urlencoded UTF-8.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if not _PARAM_NAME.fullmatch(name) or name.lower() in {k.lower() for k in form}:
            raise AlternateSyntaxError("The form body has a malformed or repeated parameter.")
        if name.lower() in HEADER_PARAMS and not value.isascii():
            raise AlternateSyntaxError(f"The form parameter {name} must be ASCII (a header).")
        form[name] = value
    return form

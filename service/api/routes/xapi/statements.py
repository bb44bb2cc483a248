"""``/xAPI/statements`` (xAPI 1.0.3 Communication §2.1 / 9274.1.1 §9.3.3.1): PUT one statement,
POST one or a batch, GET one (``statementId``/``voidedStatementId``) or a page of a query, HEAD
for every GET. Every GET answer carries ``X-Experience-API-Consistent-Through`` (added for error
answers too by the /xAPI middleware)."""

from __future__ import annotations

import json
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from service.api.deps import SessionDep, SettingsDep
from service.api.routes.xapi.common import Caller, XapiVersion
from service.core.errors import BadRequest
from service.core.timeutil import as_utc
from service.lrs.attachments import build_multipart
from service.lrs.multipart import parse_statement_request
from service.lrs.query import (
    SingleRequest,
    StatementQuery,
    decode_more,
    encode_more,
    parse_params,
    run_query,
)
from service.lrs.statement_format import formatter
from service.lrs.statements import format_instant, get_statement, now_ms, store_statements

router = APIRouter()

CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
MORE_KEY_LABEL = "lrs-statements-more"


# The body is read by service.lrs.multipart, not by FastAPI, so OpenAPI learns of it only from
# here: a statement (or, for POST, an array of them) as JSON, or multipart/mixed with the
# statements first and then one part per attachment (xAPI 1.0.3 Communication 1.5.2).
_STATEMENTS_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object", "description": "One statement"},
                        {"type": "array", "items": {"type": "object"}},
                    ]
                }
            },
            "multipart/mixed": {
                "schema": {"type": "string", "format": "binary"},
                "description": "First part application/json (the statements), then each "
                "attachment with X-Experience-API-Hash set to its sha2 "
                "(Content-Transfer-Encoding: binary)",
            },
        },
    }
}


async def statement_body(request: Request) -> tuple[Any, dict]:
    """The statements and attachment parts, read here so that the handlers can be plain
    functions: storing is blocking database work, which FastAPI runs in its thread pool rather
    than on the event loop every other request shares."""
    body = await request.body()
    return parse_statement_request(request.headers.get("content-type"), body)


StatementBody = Annotated[tuple[Any, dict], Depends(statement_body)]


@router.put("/statements", status_code=204, openapi_extra=_STATEMENTS_BODY_DOC)
def put_statement(
    request: Request,
    session: SessionDep,
    caller: Caller,
    version: XapiVersion,
    body: StatementBody,
) -> Response:
    params = request.query_params
    if set(params) != {"statementId"}:
        raise BadRequest("xapi-query", "PUT takes exactly one parameter, statementId.")
    payload, parts = body
    if not isinstance(payload, dict):
        raise BadRequest("xapi-statement-invalid", "PUT takes one statement (a JSON object).")
    store_statements(session, [payload], caller, version, parts, params["statementId"])
    session.commit()
    return Response(status_code=204)


@router.post("/statements", openapi_extra=_STATEMENTS_BODY_DOC)
def post_statements(
    request: Request,
    session: SessionDep,
    caller: Caller,
    version: XapiVersion,
    body: StatementBody,
) -> Response:
    if request.query_params:
        raise BadRequest("xapi-query", "POST /statements takes no parameters.")
    payload, parts = body
    statements = payload if isinstance(payload, list) else [payload]
    ids = store_statements(session, statements, caller, version, parts)
    session.commit()
    return Response(json.dumps(ids), media_type="application/json")


def _params(request: Request) -> dict[str, str]:
    items = request.query_params.multi_items()
    params = dict(items)
    if len(params) != len(items):
        raise BadRequest("xapi-query", "A parameter is given more than once.")
    return params


def _answer(
    request: Request, session: SessionDep, body: Any, fmt_hashes: list[str], attachments: bool
) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {CONSISTENT_THROUGH: format_instant(now_ms())}
    if attachments:
        content, content_type = build_multipart(data, fmt_hashes, session)
        return Response(content, media_type=content_type, headers=headers)
    return Response(data, media_type="application/json", headers=headers)


@router.api_route("/statements", methods=["GET", "HEAD"])
def get_statements(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: Caller,
    version: XapiVersion,
) -> Response:
    request_ = parse_params(_params(request))
    key = settings.derived_key(MORE_KEY_LABEL)
    accept_language = request.headers.get("accept-language")
    if isinstance(request_, SingleRequest):
        row = get_statement(session, request_.statement_id, caller, voided=request_.voided)
        shape = formatter(session, request_.format, [row.content], accept_language)
        response = _answer(
            request,
            session,
            shape(row.content),
            list(row.attachment_hashes or []),
            request_.attachments,
        )
        response.headers["Last-Modified"] = format_datetime(as_utc(row.stored), usegmt=True)
    else:
        query = (
            request_ if isinstance(request_, StatementQuery) else decode_more(request_, caller, key)
        )
        page = run_query(session, query, caller)
        shape = formatter(session, query.format, page.statements, accept_language)
        more = ""
        if page.more is not None:
            more = f"{request.url.path}?more={encode_more(page.more, caller, key)}"
        body = {"statements": [shape(s) for s in page.statements], "more": more}
        response = _answer(request, session, body, page.attachment_hashes, query.attachments)
    if request.method == "HEAD":
        response.body = b""
    return response

"""Public verification for employers: no account, no authentication.

``POST /api/v1/verify`` takes one of
- JSON ``{"token": "<compact JWT>"}``, ``{"credential_id": "urn:uuid:..."}`` or
  ``{"credential": {...a JSON credential...}}``;
- ``multipart/form-data`` with a ``file`` part (.png, .svg, .jwt or .json; the name and
  declared type are ignored, the content is sniffed);
- a raw body of type ``application/jwt``, ``application/vc+jwt``, ``application/vc``,
  ``application/ld+json``, ``text/plain``, ``image/png`` or ``image/svg+xml``.
The answer is the verification report (``credentials.report``): 200 whatever the result
(``valid``, ``revoked``, ``invalid``, ...). Input that holds no readable credential (not a JWT,
no baked credential, two credentials, a broken image) is a 422 problem whose ``reason`` is the
baking/verify reason code; bodies over ``SKILLS_VERIFY_MAX_UPLOAD_BYTES`` are a 413 problem.

``GET /api/v1/credentials/{id}/verification`` verifies one of our credentials by id.

``POST /api/v1/verify/batch`` (employers checking many candidates): JSON
``{"items": [...]}``, at most ``MAX_BATCH`` items, each a compact JWT (a string) or an object
``{"token": "..."}`` or ``{"credential_id": "urn:uuid:..."}``. The answer is one line per item
in input order, each with its ``index``: JSON lines (``application/x-ndjson``, the full report
per line) or, with ``Accept: text/csv``, CSV with the columns of ``CSV_COLUMNS``. An item with
no readable credential has ``result: "unreadable"``, an unknown id ``result: "not_found"``;
the batch itself is refused (422) only when its shape is wrong, and with 413 past
``MAX_BATCH`` items or ``SKILLS_VERIFY_MAX_UPLOAD_BYTES``. Every way in verifies through
``service.issuing.verification.Verifier``, so a token gets the same report here, in a batch,
on the /verify page and from ``skills credentials verify``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from service.api.deps import SettingsDep
from service.api.problems import Problem, not_found
from service.api.request_bodies import read_bounded, read_multipart, too_large
from service.core.settings import Settings
from service.core.spreadsheet import csv_row
from service.issuing.service import normalise_credential_id
from service.issuing.verification import (
    BatchItem,
    is_unreadable,
    verify_batch,
    verify_submission,
)

router = APIRouter(prefix="/api/v1", tags=["verification (public)"])

RAW_TYPES = {
    "application/jwt",
    "application/vc+jwt",
    "text/plain",
    "image/png",
    "image/svg+xml",
    "application/octet-stream",
    "application/vc",
    "application/vc+ld+json",
    "application/ld+json",
}
MAX_BATCH = 1000
CSV_COLUMNS = (
    "index",
    "result",
    "reason",
    "credential_id",
    "achievement",
    "issuer",
    "issued_here",
)

_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "token": {"type": "string", "description": "A compact VC-JWT"},
                        "credential_id": {"type": "string", "example": "urn:uuid:..."},
                        "credential": {"type": "object", "description": "A JSON credential"},
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/jwt": {"schema": {"type": "string"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/svg+xml": {"schema": {"type": "string"}},
        },
    }
}


async def _from_multipart(request: Request, body: bytes, limit: int) -> bytes:
    data, _fields = await read_multipart(request, body, limit)
    if data is None:
        raise Problem(422, "file-missing", "Send the credential as a form part named 'file'.")
    if not data:
        raise Problem(422, "empty-file", "The uploaded file is empty.")
    return data


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "bad-json", "The body is not JSON.") from None


def _from_json(body: bytes) -> tuple[str, str]:
    """("token" | "credential_id", value); a ``credential`` object is verified as its text."""
    doc = _json_body(body)
    if not isinstance(doc, dict):
        raise Problem(
            422, "validation-error", "Send an object with 'token', 'credential_id' or 'credential'."
        )
    given = [k for k in ("token", "credential_id", "credential") if doc.get(k) is not None]
    if given == ["credential"] and isinstance(doc["credential"], dict):
        try:
            return "token", json.dumps(doc["credential"], ensure_ascii=False, allow_nan=False)
        except (ValueError, RecursionError):
            raise Problem(422, "validation-error", "'credential' is not plain JSON.") from None
    if len(given) != 1 or not isinstance(doc[given[0]], str) or not doc[given[0]].strip():
        raise Problem(
            422,
            "validation-error",
            "Send exactly one of 'token' or 'credential_id' as text, or 'credential' as an object.",
        )
    return given[0], doc[given[0]]


def _verify_sync(settings: Settings, data: str | bytes | None, credential_id: str | None):
    report = verify_submission(settings, data, credential_id)
    if report is None:
        return None
    return report.to_dict(), is_unreadable(report)


def _answer(outcome: tuple[dict, bool] | None) -> tuple[dict, bool]:
    if outcome is None:
        raise not_found("Credential")
    return outcome


@router.post(
    "/verify",
    summary="Verify a credential: JWT, baked PNG/SVG, or credential id",
    openapi_extra=_OPENAPI,
)
async def verify_credential(request: Request, settings: SettingsDep):
    limit = settings.verify_max_upload_bytes
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_bounded(request, limit)
    credential_id = None
    data: str | bytes | None = None
    if media_type == "application/json":
        field, value = _from_json(body)
        if field == "credential_id":
            credential_id = normalise_credential_id(value)
            if credential_id is None:
                raise Problem(422, "bad-credential-id", "credential_id must be urn:uuid:<uuid>.")
        else:
            data = value
    elif media_type == "multipart/form-data":
        data = await _from_multipart(request, body, limit)
    elif media_type in RAW_TYPES:
        if len(body) > limit:
            raise too_large(limit)
        data = body
    else:
        raise Problem(
            415,
            "unsupported-media-type",
            "Send JSON, multipart/form-data with a 'file', or a raw JWT, PNG or SVG.",
        )
    if not data and credential_id is None:
        raise Problem(422, "empty-input", "Nothing to verify.")
    report, unreadable = _answer(
        await run_in_threadpool(_verify_sync, settings, data, credential_id)
    )
    if unreadable:
        raise Problem(
            422,
            report["reason"].replace("_", "-"),
            _reason_message(report),
            title="No readable credential",
            reason=report["reason"],
        )
    return _json(report)


def _json(report: dict) -> JSONResponse:
    """The report as sent: already plain JSON types, so FastAPI's generic encoder (which walks
    every member of every check) is not needed."""
    return JSONResponse(report)


def _reason_message(report: dict) -> str:
    for check in report["checks"]:
        if check["reason"] == report["reason"] and check["message"]:
            return check["message"]
    return "The input holds no readable credential."


@router.get(
    "/credentials/{credential_id}/verification",
    summary="Verify one of our credentials by id (urn:uuid or bare uuid)",
)
async def verify_by_id(credential_id: str, settings: SettingsDep):
    normalised = normalise_credential_id(credential_id)
    if normalised is None:
        raise not_found("Credential")
    report, _unreadable = _answer(await run_in_threadpool(_verify_sync, settings, None, normalised))
    return _json(report)


def _batch_items(body: bytes) -> list[BatchItem]:
    doc = _json_body(body)
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise Problem(422, "validation-error", 'Send {"items": [...]}.')
    if len(items) > MAX_BATCH:
        raise Problem(
            413,
            "batch-too-large",
            f"A batch holds at most {MAX_BATCH} items; split it.",
            limit=MAX_BATCH,
        )
    out: list[BatchItem] = []
    for index, item in enumerate(items):
        if isinstance(item, str) and item.strip():
            out.append(BatchItem(data=item))
            continue
        if isinstance(item, dict) and len(item) == 1:
            token, ident = item.get("token"), item.get("credential_id")
            if isinstance(token, str) and token.strip():
                out.append(BatchItem(data=token))
                continue
            normalised = normalise_credential_id(ident) if isinstance(ident, str) else None
            if normalised is not None:
                out.append(BatchItem(credential_id=normalised))
                continue
        raise Problem(
            422,
            "validation-error",
            f'items[{index}] must be a token, {{"token": ...}} or '
            '{"credential_id": "urn:uuid:..."}.',
            index=index,
        )
    return out


def _csv_row(line: dict) -> list[Any]:
    """One item's line; names come from the submitted credential (anyone's text), so a cell
    that would open as a spreadsheet formula is defused (service.core.spreadsheet)."""
    cred = line.get("credential") or {}
    return csv_row(
        [
            line["index"],
            line["result"],
            line["reason"],
            cred.get("id") or "",
            cred.get("achievement_name") or cred.get("name") or "",
            cred.get("issuer_name") or cred.get("issuer_id") or "",
            "true" if cred.get("issued_here") else "false",
        ]
    )


@router.post(
    "/verify/batch",
    summary="Verify up to 1,000 credentials: JSON lines, or CSV with Accept: text/csv",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["items"],
                        "properties": {
                            "items": {
                                "type": "array",
                                "maxItems": MAX_BATCH,
                                "items": {
                                    "oneOf": [
                                        {"type": "string", "description": "A compact VC-JWT"},
                                        {
                                            "type": "object",
                                            "properties": {
                                                "token": {"type": "string"},
                                                "credential_id": {"type": "string"},
                                            },
                                        },
                                    ]
                                },
                            }
                        },
                    }
                }
            },
        }
    },
)
async def verify_many(request: Request, settings: SettingsDep):
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Problem(415, "unsupported-media-type", 'Send {"items": [...]} as JSON.')
    items = _batch_items(await read_bounded(request, settings.verify_max_upload_bytes))
    lines = await run_in_threadpool(verify_batch, settings, items)
    if "text/csv" in request.headers.get("accept", "").lower():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 §2
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_csv_row(line) for line in lines)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    return Response(body, media_type="application/x-ndjson")

"""Public verification for employers: no account, no authentication.

``POST /api/v1/verify`` takes one of
- JSON ``{"token": "<compact JWT>"}`` or ``{"credential_id": "urn:uuid:..."}``;
- ``multipart/form-data`` with a ``file`` part (.png, .svg or .jwt; the name and declared type
  are ignored, the content is sniffed);
- a raw body of type ``application/jwt``, ``application/vc+jwt``, ``text/plain``, ``image/png``
  or ``image/svg+xml``.
The answer is the verification report (``credentials.report``): 200 whatever the result
(``valid``, ``revoked``, ``invalid``, ...). Input that holds no readable credential (not a JWT,
no baked credential, two credentials, a broken image) is a 422 problem whose ``reason`` is the
baking/verify reason code; bodies over ``SKILLS_VERIFY_MAX_UPLOAD_BYTES`` are a 413 problem.

``GET /api/v1/credentials/{id}/verification`` verifies one of our credentials by id.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from service.api.deps import SettingsDep
from service.api.problems import Problem, not_found
from service.api.request_bodies import read_bounded, read_multipart, too_large
from service.core.settings import Settings
from service.issuing.service import normalise_credential_id
from service.issuing.verification import is_unreadable, verify_submission

router = APIRouter(prefix="/api/v1", tags=["verification (public)"])

RAW_TYPES = {
    "application/jwt",
    "application/vc+jwt",
    "text/plain",
    "image/png",
    "image/svg+xml",
    "application/octet-stream",
}

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


def _from_json(body: bytes) -> tuple[str, str]:
    """("token" | "credential_id", value)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "bad-json", "The body is not JSON.") from None
    if not isinstance(doc, dict):
        raise Problem(422, "validation-error", "Send an object with 'token' or 'credential_id'.")
    given = [k for k in ("token", "credential_id") if doc.get(k) is not None]
    if len(given) != 1 or not isinstance(doc[given[0]], str) or not doc[given[0]].strip():
        raise Problem(
            422, "validation-error", "Send exactly one of 'token' or 'credential_id' as text."
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
    return report


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
    return report

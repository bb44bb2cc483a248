"""Serving package files and local-storage signed URLs.

Packaged HTML is third-party content: it is served only under ``/content/<grant>/…`` with a
sandboxing Content-Security-Policy (an opaque origin: no access to this origin's storage or
cookies), ``nosniff`` and correct MIME types. Deployments can move it to a separate origin with
``SKILLS_CONTENT_BASE_URL``.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from content.mime import guess_content_type
from content.storage.base import InvalidKey, ObjectNotFound, validate_key
from service.api.deps import SettingsDep
from service.api.problems import Problem, not_found
from service.api.streaming_upload import receive_upload
from service.core.storage import get_storage
from service.packages.launch import open_grant

router = APIRouter(include_in_schema=False)

CONTENT_CSP = (
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; "
    "default-src 'self' data: blob:; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self' " + "{public}" + "; frame-ancestors *; base-uri 'self'; form-action 'self'"
)


def _stream(key: str, headers: dict[str, str], method: str) -> Response:
    storage = get_storage()
    info = storage.head(key)
    if info is None:
        raise not_found("File")
    headers = {**headers, "Content-Length": str(info.size)}
    media_type = guess_content_type(key)
    if method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=media_type)

    def chunks():
        try:
            yield from storage.iter(key)
        except ObjectNotFound:
            return

    return StreamingResponse(chunks(), headers=headers, media_type=media_type)


@router.api_route("/content/{grant}/{path:path}", methods=["GET", "HEAD"])
def package_file(grant: str, path: str, request: Request, settings: SettingsDep):
    decoded = open_grant(settings, grant)
    if decoded is None:
        raise Problem(403, "launch-expired", "This launch link is invalid or has expired.")
    try:
        key = validate_key(decoded.prefix + path)
    except InvalidKey:
        raise not_found("File") from None
    headers = {
        "Content-Security-Policy": CONTENT_CSP.format(public=settings.public_base_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, max-age=300",
        "Cross-Origin-Resource-Policy": "same-site",
    }
    return _stream(key, headers, request.method)


@router.get("/objects/{key:path}")
def signed_object(
    key: str,
    request: Request,
    expires: str = Query(..., max_length=20),
    sig: str = Query(..., max_length=200),
    ct: str | None = Query(None),
):
    storage = get_storage()
    verify = getattr(storage, "verify_signed_url", None)
    if verify is None or not verify(key, expires, sig, content_type=ct):
        raise Problem(403, "signature-invalid", "This link is invalid or has expired.")
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=60",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    response = _stream(key, headers, request.method)
    if ct:
        response.headers["Content-Type"] = ct
    return response


@router.post("/objects-upload/{key:path}", status_code=204)
async def signed_upload(key: str, request: Request, settings: SettingsDep):
    """The local backend's counterpart of an S3 presigned POST: fields first, then ``file``."""
    storage = get_storage()
    verify = getattr(storage, "verify_upload_fields", None)
    if verify is None:
        raise not_found("Upload target")
    spool = str(settings.spool_dir) if settings.spool_dir else None
    granted = []

    def authorize(fields: dict[str, str]) -> int:
        # The signed fields precede the file (as in S3's POST policy): they are checked before
        # a byte of the file is spooled, so an unsigned upload costs no disk.
        grant = verify(fields)
        if grant is None or grant.key != key:
            raise Problem(403, "signature-invalid", "This upload form is invalid or has expired.")
        granted.append(grant)
        return grant.max_bytes

    upload = await receive_upload(
        request,
        file_field="file",
        max_bytes=settings.package_max_upload_bytes,
        spool_dir=spool,
        authorize=authorize,
    )
    grant = granted[0]  # receive_upload returns only after authorize() accepted the file
    try:

        def store():
            with open(upload.path, "rb") as fh:
                storage.put(grant.key, fh, size=upload.size, content_type="application/zip")

        await run_in_threadpool(store)
    finally:
        upload.discard()
    return Response(status_code=204)

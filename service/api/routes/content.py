"""Serving package files and local-storage signed URLs.

Package content is third-party code, and it runs as its author wrote it: its own scripts,
styles, fonts, media, same-origin frames and ``localStorage``. No sandbox and no
``Cross-Origin-Resource-Policy`` narrows it (either breaks common courses: an opaque origin
cannot load its own subresources under CORP, nor reach the player's SCORM API in its parent, nor
use storage). Isolation comes instead from the origin: ``/content/<grant>/…`` is served only on
``SKILLS_CONTENT_BASE_URL``, another origin than the API's (see
:mod:`service.api.content_origin`), so the browser's same-origin policy keeps content away from
the API origin's cookies, storage and pages, and the API's tokens are never sent to it. The
launch grant in the path scopes each URL to one package version and expires. Files keep
``X-Content-Type-Options: nosniff`` with the types of :mod:`content.mime`, served without a
``charset`` so the file's own declaration counts; byte ranges and validators are in
:mod:`service.api.object_responses`.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from content.mime import guess_content_type
from content.storage.base import InvalidKey, validate_key
from service.api.deps import SettingsDep
from service.api.object_responses import object_response
from service.api.problems import Problem, not_found
from service.api.streaming_upload import receive_upload
from service.core.storage import get_storage
from service.packages.launch import open_grant

router = APIRouter(include_in_schema=False)

CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The grant in the URL changes with every launch; a revisit within a launch revalidates.
    "Cache-Control": "private, max-age=300",
}
#: Only where content has no origin of its own (no SKILLS_CONTENT_BASE_URL on a host without a
#: loopback twin; production refuses to start so): content would otherwise run as the API's
#: origin, so it is confined to an opaque origin, which keeps it away from the API's pages and
#: storage at the price of breaking most courses (start-up logs the warning).
SAME_ORIGIN_SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-modals"


def _serve(
    request: Request, key: str, headers: dict[str, str], content_type: str | None = None
) -> Response:
    storage = get_storage()
    info = storage.head(key)
    if info is None:
        raise not_found("File")
    return object_response(
        storage,
        info,
        method=request.method,
        request_headers=request.headers,
        content_type=content_type or guess_content_type(key),
        headers=headers,
    )


@router.api_route("/content/{grant}/{path:path}", methods=["GET", "HEAD"])
def package_file(grant: str, path: str, request: Request, settings: SettingsDep):
    decoded = open_grant(settings, grant)
    if decoded is None:
        raise Problem(403, "launch-expired", "This launch link is invalid or has expired.")
    try:
        key = validate_key(decoded.prefix + path)
    except InvalidKey:
        raise not_found("File") from None
    headers = CONTENT_HEADERS
    if settings.content_origin_warning() is not None:
        headers = {**headers, "Content-Security-Policy": SAME_ORIGIN_SANDBOX}
    return _serve(request, key, headers)


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
        # a signed object is a download from the API origin, never a page that runs there
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    return _serve(request, key, headers, content_type=ct)


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

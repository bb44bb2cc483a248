"""Bounded readers of request bodies, shared by the verification API and the /verify page.

Both read a small body whole (a token, a badge image) and refuse more than their limit with 413
before buffering it; multipart parsing works on the bytes already read.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from service.api.problems import BodyTooLarge, Problem


def too_large(limit: int) -> Problem:
    return Problem(
        413, "payload-too-large", f"The upload is larger than {limit} bytes.", limit=limit
    )


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` (plus room for a multipart envelope)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise too_large(limit)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit + 64 * 1024:  # the multipart envelope is allowed a little more
                raise too_large(limit)
    except BodyTooLarge:  # the route's body limit (middleware), said in this reader's terms
        raise too_large(limit) from None
    return bytes(body)


async def _single(data: bytes):
    yield data


async def read_multipart(
    request: Request, body: bytes, limit: int
) -> tuple[bytes | None, dict[str, str]]:
    """(the ``file`` part's content, None when there is no such part; the text fields).

    Shared with the ``/verify`` page, whose form sends an empty file part (``b""``) when only
    a token was pasted.
    """
    parser = MultiPartParser(request.headers, _single(body), max_files=2, max_fields=10)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise Problem(400, "bad-multipart", f"The form cannot be read: {exc.message}") from None
    try:
        upload = form.get("file")
        data = await upload.read(limit + 1) if isinstance(upload, UploadFile) else None
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    finally:
        await form.close()
    if data is not None and len(data) > limit:
        raise too_large(limit)
    return data, fields

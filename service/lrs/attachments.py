"""Attachment bodies: matched to their statements, stored once per sha2, sent back in the
multipart response of ``GET /xAPI/statements?attachments=true`` (xAPI 1.0.3 Data §2.4.11,
Communication §1.5.2 and §2.1.3)."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from content.storage import ObjectNotFound
from service.core.errors import BadRequest
from service.core.storage import get_storage
from service.lrs.models import LrsAttachment
from service.lrs.multipart import Part, split_content_type
from service.lrs.signatures import SIGNATURE_CONTENT_TYPE, SIGNATURE_USAGE, verify_signed_statement

log = logging.getLogger(__name__)
STORAGE_PREFIX = "lrs/attachments/"
CRLF = b"\r\n"


def _bad(detail: str) -> BadRequest:
    return BadRequest("xapi-bad-request", detail)


def _attachments(statement: Any) -> list[dict[str, Any]]:
    found = statement.get("attachments") if isinstance(statement, dict) else None
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def attachment_hashes(statement: dict[str, Any]) -> list[str]:
    """The sha2 of each attachment of a statement, lowercase, in order, without repeats."""
    hashes = (a.get("sha2") for a in _attachments(statement))
    return list(dict.fromkeys(h.lower() for h in hashes if isinstance(h, str) and h))


def check_attachments(
    statements: list[dict[str, Any]], parts: dict[str, Part], version: str
) -> None:
    """400 unless the parts and the statements' attachments match one to one (Communication
    §1.5.2): an attachment without ``fileUrl`` needs a part with its sha2, every part must be
    some attachment's; a signature attachment must be an ``application/octet-stream`` part
    holding a valid JWS of its statement (Data §2.6). ``version`` ("1.0.3"/"2.0.0") picks the
    statement comparison (2.0 compares durations to 0.01 s)."""
    referenced: set[str] = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        for attachment in _attachments(statement):
            sha2 = attachment.get("sha2")
            sha2 = sha2.lower() if isinstance(sha2, str) else ""
            referenced.add(sha2)
            part = parts.get(sha2)
            if part is None and "fileUrl" not in attachment:
                raise _bad("An attachment without fileUrl has no multipart part with its sha2.")
            if attachment.get("usageType") == SIGNATURE_USAGE:
                _check_signature(statement, attachment, part, version)
    extra = set(parts) - referenced
    if extra:
        raise _bad("A multipart part is not one of the statements' attachments.")


def _check_signature(
    statement: dict[str, Any], attachment: dict[str, Any], part: Part | None, version: str
) -> None:
    content_type = attachment.get("contentType")
    if (
        not isinstance(content_type, str)
        or split_content_type(content_type)[0] != SIGNATURE_CONTENT_TYPE
    ):
        raise _bad(f"A signature attachment must have contentType {SIGNATURE_CONTENT_TYPE}.")
    if part is None:
        raise _bad("A signature attachment must be sent as a multipart part.")
    verify_signed_statement(statement, part.data, version)


def _key(sha2: str) -> str:
    return f"{STORAGE_PREFIX}{sha2}"


def save_parts(session: Session, parts: dict[str, Part], storage: Any = None) -> None:
    """Store each body once per sha2 (content-addressed, so a body left behind by a rolled
    back request is the same bytes a later one would store). Flushes, never commits."""
    if not parts:
        return
    storage = storage or get_storage()
    known = set(
        session.exec(select(LrsAttachment.sha2).where(col(LrsAttachment.sha2).in_(list(parts))))
    )
    for sha2, part in parts.items():
        if sha2 in known:
            continue
        storage.put(
            _key(sha2), io.BytesIO(part.data), size=len(part.data), content_type=part.content_type
        )
        row = LrsAttachment(
            sha2=sha2,
            content_type=part.content_type[:255],
            length=len(part.data),
            storage_key=_key(sha2),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            pass  # a concurrent request stored the same bytes first


def build_multipart(
    statement_json: bytes, sha2s: Iterable[str], session: Session, storage: Any = None
) -> tuple[bytes, str]:
    """The ``multipart/mixed`` body answering ``attachments=true``: the statement (or
    StatementResult) JSON first, then each stored attachment body once (Communication
    §2.1.3); and the Content-Type header value with its boundary. Attachments known only by
    ``fileUrl`` have no body here and are left out."""
    boundary = uuid.uuid4().hex
    dash = b"--" + boundary.encode()
    chunks = [dash, CRLF, b"Content-Type: application/json", CRLF, CRLF, statement_json, CRLF]
    wanted = list(dict.fromkeys(s.lower() for s in sha2s))
    if wanted:
        storage = storage or get_storage()
        rows = session.exec(select(LrsAttachment).where(col(LrsAttachment.sha2).in_(wanted)))
        by_sha2 = {row.sha2: row for row in rows}
        for sha2 in wanted:
            row = by_sha2.get(sha2)
            if row is None:
                continue
            try:
                with storage.open(row.storage_key) as stream:
                    data = stream.read()
            except ObjectNotFound:
                log.warning("attachment body missing from storage", extra={"sha2": sha2})
                continue
            headers = (
                f"Content-Type: {row.content_type}\r\n"
                "Content-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {sha2}\r\n\r\n"
            )
            chunks += [dash, CRLF, headers.encode("latin-1", "replace"), data, CRLF]
    chunks += [dash, b"--", CRLF]
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"

"""Storing State, Activity Profile and Agent Profile documents: bytes with their Content-Type,
ETags, conditional requests and the JSON merge of POST.

- A document is opaque bytes kept with the Content-Type it was sent with (xAPI 1.0.3
  Communication §2.2 / 9274.1.1 §4.1.6): GET returns exactly those.
- ETag: the SHA-1 hex digest of the bytes (1.0.3 Communication §3.1 names SHA-1; 2.0 leaves the
  algorithm open), sent quoted.
- ``If-Match`` / ``If-None-Match`` are honoured on PUT, POST and DELETE as RFC 9110 §13.1.1-2
  describes (412 when they fail). A PUT over an existing document without either header is a 409
  where the caller says so (``require_conditions``; Communication §3.1 / 9274.1.1 §4.1.4).
- POST of a JSON object onto a JSON object merges one level deep: the new top-level properties
  replace the old ones (Communication §2.2 "JSON Procedure with Requirements"). Any other
  combination of an existing document and a POST is a 400.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from service.core.errors import BadRequest, Conflict, PreconditionFailed
from service.lrs.models import LrsDocument

JSON_TYPE = "application/json"
DEFAULT_TYPE = "application/octet-stream"
MAX_CONTENT_TYPE = 255

# When a PUT must carry If-Match or If-None-Match: never; only over an existing document (else
# 409); always (else 409 over an existing document, 400 otherwise).
OPTIONAL, TO_OVERWRITE, ALWAYS = "optional", "to-overwrite", "always"


@dataclass(frozen=True)
class Scope:
    """Which set of documents a request addresses; ``""`` for a key part the resource lacks."""

    kind: str  # state | activity_profile | agent_profile
    activity_id: str = ""
    agent_key: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Conditions:
    """The request's ``If-Match`` and ``If-None-Match`` header values, None when not sent."""

    if_match: str | None = None
    if_none_match: str | None = None

    @property
    def present(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    return media_type(content_type) == JSON_TYPE


def clean_content_type(raw: str | None) -> str:
    """The Content-Type to store: what was sent, or ``application/octet-stream``."""
    value = (raw or "").strip() or DEFAULT_TYPE
    if len(value) > MAX_CONTENT_TYPE:
        raise BadRequest("xapi-document-invalid", "The Content-Type header is too long.")
    return value


def _tags(header: str) -> set[str] | None:
    """The entity tags of an ``If-Match``/``If-None-Match`` value; None for ``*``."""
    if header.strip() == "*":
        return None
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        tags.add(tag.strip('"').lower())
    return tags


def check_conditions(existing: LrsDocument | None, conditions: Conditions) -> None:
    """412 when ``If-Match`` names no current ETag (or there is no document), or when
    ``If-None-Match`` matches the current document (``*``: any document)."""
    if conditions.if_match is not None:
        tags = _tags(conditions.if_match)
        if existing is None or (tags is not None and existing.etag not in tags):
            raise PreconditionFailed(
                "xapi-precondition-failed",
                "If-Match does not match the document's current ETag; fetch it again.",
            )
    if conditions.if_none_match is not None and existing is not None:
        tags = _tags(conditions.if_none_match)
        if tags is None or existing.etag in tags:
            raise PreconditionFailed(
                "xapi-precondition-failed",
                "If-None-Match: the document already exists (or has that ETag).",
            )


def _where(scope: Scope) -> list[Any]:
    return [
        LrsDocument.kind == scope.kind,
        LrsDocument.activity_id == scope.activity_id,
        LrsDocument.agent_key == scope.agent_key,
        LrsDocument.registration == scope.registration,
    ]


def find(
    session: Session, scope: Scope, document_id: str, *, for_update: bool = False
) -> LrsDocument | None:
    query = select(LrsDocument).where(*_where(scope), LrsDocument.document_id == document_id)
    if for_update:  # a merge reads then writes: hold the row (PostgreSQL; SQLite serialises)
        query = query.with_for_update()
    return session.exec(query).first()


def list_ids(
    session: Session, scope: Scope, since: datetime | None
) -> tuple[list[str], datetime | None]:
    """The ids of the scope's documents (updated after ``since``) and the latest update."""
    query = select(LrsDocument.document_id, LrsDocument.updated).where(*_where(scope))
    if since is not None:
        query = query.where(LrsDocument.updated > since)
    rows = session.exec(query.order_by(col(LrsDocument.document_id))).all()
    latest = max((updated for _, updated in rows), default=None)
    return [document_id for document_id, _ in rows], latest


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("xapi-document-invalid", f"{what} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BadRequest("xapi-document-invalid", f"{what} is not a JSON object.")
    return value


def _write(
    session: Session,
    existing: LrsDocument | None,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    now: datetime,
) -> LrsDocument:
    row = existing or LrsDocument(
        kind=scope.kind,
        activity_id=scope.activity_id,
        agent_key=scope.agent_key,
        registration=scope.registration,
        document_id=document_id,
        content_type=content_type,
        content=content,
        etag="",
        updated=now,
    )
    row.content = content
    row.content_type = content_type
    row.etag = etag_of(content)
    row.updated = now
    session.add(row)
    session.flush()
    return row


def put(
    session: Session,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    conditions: Conditions,
    now: datetime,
    *,
    rule: str,
) -> LrsDocument:
    """Stores (replaces) one document; ``rule`` says when the concurrency headers are needed."""
    existing = find(session, scope, document_id, for_update=True)
    check_conditions(existing, conditions)
    if rule != OPTIONAL and not conditions.present:
        if existing is not None:
            raise Conflict(
                "xapi-document-exists",
                "The document already exists: GET it, then PUT again with If-Match set to its "
                "current ETag (or use If-None-Match: * to create only).",
            )
        if rule == ALWAYS:
            raise BadRequest(
                "xapi-precondition-required",
                "Send If-Match (the current ETag) or If-None-Match: * with a PUT here.",
            )
    if is_json(content_type):
        try:
            json.loads(content)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(
                "xapi-document-invalid", "The document is sent as JSON but is not valid JSON."
            ) from None
    return _write(session, existing, scope, document_id, content, content_type, now)


def post(
    session: Session,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    conditions: Conditions,
    now: datetime,
) -> LrsDocument:
    """Stores a new document, or merges a JSON object into the existing JSON object."""
    existing = find(session, scope, document_id, for_update=True)
    check_conditions(existing, conditions)
    incoming = _json_object(content, "The document") if is_json(content_type) else None
    if existing is None:
        return _write(session, None, scope, document_id, content, content_type, now)
    if incoming is None or not is_json(existing.content_type):
        raise BadRequest(
            "xapi-document-not-mergeable",
            "A POST onto an existing document merges JSON objects: both the stored document "
            "and this one must be application/json.",
        )
    merged = {**_json_object(existing.content, "The stored document"), **incoming}
    body = json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode()
    return _write(session, existing, scope, document_id, body, JSON_TYPE, now)


def remove(session: Session, scope: Scope, document_id: str, conditions: Conditions) -> None:
    """Deletes one document; deleting one that does not exist is not an error."""
    existing = find(session, scope, document_id, for_update=True)
    check_conditions(existing, conditions)
    if existing is not None:
        session.delete(existing)
        session.flush()


def remove_all(session: Session, scope: Scope, keep: Sequence[str] = ()) -> None:
    """Deletes every document of the scope except the ids in ``keep``."""
    statement = delete(LrsDocument).where(*_where(scope))
    if keep:
        statement = statement.where(col(LrsDocument.document_id).not_in(list(keep)))
    session.exec(statement)  # type: ignore[call-overload]
    session.flush()

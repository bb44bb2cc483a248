"""``Idempotency-Key`` for creates a client may retry.

The first response for (caller, route, key) is stored in the same transaction as the create and
replayed for a retry with the same body (compared by a keyed fingerprint, see ``_fingerprint``);
the same key with a different body is a 409 (the behaviour of
draft-ietf-httpapi-idempotency-key-header).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.accounts.models import IdempotencyRecord
from service.api.problems import Problem
from service.core.settings import get_settings

MAX_KEY_LENGTH = 200
FINGERPRINT_KEY_LABEL = "idempotency-request-fingerprint"


def _fingerprint(body: Any) -> str:
    """HMAC-SHA256 of the canonical body under a server key, never a bare hash: a body can hold
    personal data (an ID or phone number), and a plain hash of it is reversible by enumeration."""
    key = get_settings().derived_key(FINGERPRINT_KEY_LABEL)
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def run_idempotent(
    session: Session,
    *,
    actor_key: str,
    route: str,
    key: str | None,
    body: Any,
    create: Callable[[], Any],
    status_code: int = 201,
) -> JSONResponse:
    """Calls ``create`` (which adds rows but does not commit) at most once per key."""
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
        raise Problem(400, "bad-idempotency-key", "Idempotency-Key must be 1 to 200 characters.")
    fingerprint = _fingerprint(body)
    if key is not None:
        replay = _lookup(session, actor_key, route, key, fingerprint)
        if replay is not None:
            return replay
    result = jsonable_encoder(create())
    if key is not None:
        session.add(
            IdempotencyRecord(
                actor_key=actor_key,
                route=route,
                key=key,
                request_hash=fingerprint,
                status_code=status_code,
                response_body=json.dumps(result, ensure_ascii=False),
            )
        )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key won the race: answer as it did.
        session.rollback()
        replay = _lookup(session, actor_key, route, key, fingerprint) if key else None
        if replay is not None:
            return replay
        raise
    return JSONResponse(result, status_code=status_code)


def _lookup(session, actor_key, route, key, fingerprint) -> JSONResponse | None:
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.actor_key == actor_key,
            IdempotencyRecord.route == route,
            IdempotencyRecord.key == key,
        )
    ).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Problem(
            409,
            "idempotency-key-reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    return JSONResponse(
        json.loads(record.response_body),
        status_code=record.status_code,
        headers={"Idempotent-Replayed": "true"},
    )

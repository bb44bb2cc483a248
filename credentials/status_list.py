"""Status lists in the database and as signed credentials (W3C Bitstring Status List v1.0).

- Each issued credential gets one revocation and one suspension index (§2.1
  BitstringStatusListEntry). Indexes are drawn at random (§6.5 "allocate indexes randomly"),
  and are unique because of the (list_id, status_index) constraint: a draw that collides raises
  IntegrityError inside a savepoint and is retried. That holds on SQLite and on PostgreSQL,
  however many workers issue at once.
- A list is closed (``full``) once ``max_allocations`` indexes are drawn (by default 3/4 of its
  size, so random draws rarely collide) and the next draw starts a new list.
- ``build_status_list_credential`` makes the BitstringStatusListCredential (§2.2), secured as a
  VC-JWT like every credential; its ETag derives from the list's ``version``, which changes on
  every bit flip.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from credentials import status_bits
from credentials.documents import VCDM2_CONTEXT
from credentials.jwt_vc import sign_credential
from credentials.models import (
    PURPOSE_REVOCATION,
    PURPOSE_SUSPENSION,
    SigningKey,
    StatusAllocation,
    StatusList,
)
from credentials.timefmt import to_xsd, utcnow

PURPOSES = (PURPOSE_REVOCATION, PURPOSE_SUSPENSION)
DEFAULT_TTL = timedelta(hours=24)
MAX_DRAWS = 64


class AllocationFailed(RuntimeError):
    """No free index found after many draws (should not happen below ``max_allocations``)."""


def status_list_url(public_base_url: str, list_id: uuid.UUID) -> str:
    return f"{public_base_url.rstrip('/')}/status-lists/{list_id}"


def etag(status_list: StatusList) -> str:
    return f'W/"{status_list.id}.{status_list.version}"'


def create_list(
    session: Session,
    *,
    issuer_id: str,
    purpose: str,
    size: int = status_bits.MIN_BITS,
    max_allocations: int | None = None,
) -> StatusList:
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    row = StatusList(
        issuer_id=issuer_id,
        purpose=purpose,
        size=size,
        bitstring=status_bits.empty_bitstring(size),
        max_allocations=max_allocations if max_allocations is not None else size * 3 // 4,
    )
    session.add(row)
    session.flush()
    return row


def _claim_slot(session: Session, issuer_id: str, purpose: str) -> StatusList:
    """Count one allocation on the issuer's oldest open list, creating a list when none is open.

    The first statement is the UPDATE, so on SQLite the write lock is taken before anything is
    read (no stale read snapshot to upgrade) and on PostgreSQL the list row is locked.
    """
    oldest_open = (
        select(StatusList.id)
        .where(
            StatusList.issuer_id == issuer_id,
            StatusList.purpose == purpose,
            StatusList.full == False,  # noqa: E712 - SQL expression
        )
        .order_by(col(StatusList.created_at), col(StatusList.id))
        .limit(1)
        .scalar_subquery()
    )
    claimed = session.execute(
        update(StatusList)
        .where(col(StatusList.id) == oldest_open)
        .values(allocated=StatusList.allocated + 1)
        .returning(col(StatusList.id))
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        row = create_list(session, issuer_id=issuer_id, purpose=purpose)
        row.allocated = 1
        session.add(row)
        session.flush()
        return row
    claimed_row = session.get(StatusList, claimed[0])
    assert claimed_row is not None  # the UPDATE above just counted this very row
    session.refresh(claimed_row)
    return claimed_row


def allocate_index(
    session: Session, *, issuer_id: str, purpose: str, max_draws: int = MAX_DRAWS
) -> tuple[StatusList, int]:
    """Draw a random unused index from the issuer's open list for ``purpose``."""
    status_list = _claim_slot(session, issuer_id, purpose)
    for _ in range(max_draws):
        index = secrets.randbelow(status_list.size)
        try:
            with session.begin_nested():
                session.add(StatusAllocation(list_id=status_list.id, status_index=index))
        except IntegrityError:
            continue
        if status_list.allocated >= status_list.max_allocations:
            status_list.full = True
            session.add(status_list)
            session.flush()
        return status_list, index
    raise AllocationFailed(f"no free index in list {status_list.id} after {max_draws} draws")


def lock_list(session: Session, list_id: uuid.UUID) -> StatusList:
    """Load the list FOR UPDATE (PostgreSQL) so concurrent flips never lose a bit."""
    row = session.exec(select(StatusList).where(StatusList.id == list_id).with_for_update()).one()
    return row


def set_status(
    session: Session, status_list: StatusList | uuid.UUID, index: int, value: bool
) -> StatusList:
    """Set or clear one bit; bumps ``version`` (and so the ETag) when the bit changes."""
    list_id = status_list if isinstance(status_list, uuid.UUID) else status_list.id
    row = lock_list(session, list_id)
    if status_bits.get_bit(row.bitstring, index) == bool(value):
        return row
    row.bitstring = status_bits.set_bit(row.bitstring, index, value)
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def get_bit(status_list: StatusList, index: int) -> bool:
    return status_bits.get_bit(status_list.bitstring, index)


def status_list_document(
    status_list: StatusList,
    *,
    list_url: str,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> dict[str, Any]:
    """The unsecured BitstringStatusListCredential (§2.2)."""
    now = now or utcnow()
    return {
        "@context": [VCDM2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": status_list.issuer_id,
        "validFrom": to_xsd(now),
        "validUntil": to_xsd(now + ttl),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": status_bits.encode_list(status_list.bitstring),
        },
    }


def build_status_list_credential(
    status_list: StatusList,
    *,
    list_url: str,
    key_row: SigningKey,
    master_key: bytes,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> tuple[str, str]:
    """(compact JWT, ETag). Serve with ``application/vc+jwt``-ish text and Cache-Control
    ``max-age`` well below ``ttl``; re-sign when the version changes or half the ttl passed."""
    if key_row.issuer_id != status_list.issuer_id:
        raise ValueError("the list must be signed by a key of its own issuer")
    doc = status_list_document(status_list, list_url=list_url, now=now, ttl=ttl)
    return sign_credential(doc, key_row, master_key), etag(status_list)

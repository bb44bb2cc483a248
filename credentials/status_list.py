"""Status lists in the database and as signed credentials (W3C Bitstring Status List v1.0).

- Each issued credential gets one revocation and one suspension index (§2.1
  BitstringStatusListEntry). Indexes are drawn at random (§6.5 "allocate indexes randomly"),
  and are unique because of the (list_id, status_index) constraint: a draw that collides raises
  IntegrityError inside a savepoint and is retried. That holds on SQLite and on PostgreSQL,
  however many workers issue at once.
- A list is closed (``full``) once ``max_allocations`` indexes are drawn (by default 3/4 of its
  size, so random draws rarely collide) and the next draw starts a new list.
- Lists belong to a signing key (``StatusList.kid``): a credential's indexes are drawn from
  lists of the key that signs it, and ``signing_key_for`` signs each list with its own key,
  retired or not, so the list and the credential verify with the same key. A compromised key
  never signs again: its lists are re-signed with the issuer's active key (its credentials
  fail verification with ``key_compromised`` whatever the list says).
- ``allocate_indexes`` draws many indexes in a few statements, for batch issuance.
- ``build_status_list_credential`` makes the BitstringStatusListCredential (§2.2), secured as a
  VC-JWT like every credential; its ETag derives from the list's ``version``, which changes on
  every bit flip.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from credentials import freshness, status_bits
from credentials.documents import VCDM2_CONTEXT
from credentials.jwt_vc import sign_credential
from credentials.keys import active_key
from credentials.models import (
    KEY_ACTIVE,
    KEY_RETIRED,
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
    kid: str | None = None,
    size: int = status_bits.MIN_BITS,
    max_allocations: int | None = None,
) -> StatusList:
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    row = StatusList(
        issuer_id=issuer_id,
        kid=kid,
        purpose=purpose,
        size=size,
        bitstring=status_bits.empty_bitstring(size),
        max_allocations=max_allocations if max_allocations is not None else size * 3 // 4,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ClaimedSlots:
    """What a claim returns: the list's id and counters as the claiming UPDATE left them (no
    ORM load of the 16 KiB bitstring on the issuing path)."""

    id: uuid.UUID
    size: int
    allocated: int
    max_allocations: int


def _claim_slots(
    session: Session, issuer_id: str, kid: str | None, purpose: str, count: int = 1
) -> ClaimedSlots:
    """Count ``count`` allocations on the key's oldest open list (creating a list when none is
    open).

    The first statement is the UPDATE, so on SQLite the write lock is taken before anything is
    read (no stale read snapshot to upgrade) and on PostgreSQL the list row is locked. A list
    may overshoot ``max_allocations`` by less than one batch: it holds a quarter more room.
    """
    oldest_open = (
        select(StatusList.id)
        .where(
            StatusList.issuer_id == issuer_id,
            StatusList.kid == kid if kid is not None else col(StatusList.kid).is_(None),
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
        .values(allocated=StatusList.allocated + count)
        .returning(
            col(StatusList.id),
            col(StatusList.size),
            col(StatusList.allocated),
            col(StatusList.max_allocations),
        )
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        row = create_list(session, issuer_id=issuer_id, kid=kid, purpose=purpose)
        row.allocated = count
        session.add(row)
        session.flush()
        return ClaimedSlots(row.id, row.size, row.allocated, row.max_allocations)
    return ClaimedSlots(*claimed)


def _mark_full_if_due(session: Session, slots: ClaimedSlots) -> None:
    if slots.allocated >= slots.max_allocations:
        session.execute(
            update(StatusList)
            .where(col(StatusList.id) == slots.id)
            .values(full=True)
            .execution_options(synchronize_session=False)
        )


def allocate_index(
    session: Session,
    *,
    issuer_id: str,
    purpose: str,
    kid: str | None = None,
    max_draws: int = MAX_DRAWS,
) -> tuple[StatusList, int]:
    """Draw a random unused index from the open list of key ``kid`` for ``purpose``."""
    slots = _claim_slots(session, issuer_id, kid, purpose)
    status_list = session.get(StatusList, slots.id)
    assert status_list is not None  # just claimed
    session.refresh(status_list)
    for _ in range(max_draws):
        index = secrets.randbelow(status_list.size)
        try:
            with session.begin_nested():
                session.add(StatusAllocation(list_id=status_list.id, status_index=index))
        except IntegrityError:
            continue
        _mark_full_if_due(session, slots)
        if slots.allocated >= slots.max_allocations:
            session.refresh(status_list)
        return status_list, index
    raise AllocationFailed(f"no free index in list {status_list.id} after {max_draws} draws")


def allocate_indexes(
    session: Session,
    *,
    issuer_id: str,
    purpose: str,
    kid: str | None,
    count: int,
    max_rounds: int = MAX_DRAWS,
) -> list[tuple[ClaimedSlots, int]]:
    """``count`` random unused indexes (§6.5 random allocation) in few statements: one UPDATE
    claims the slots, a SELECT finds which drawn indexes are taken (those are drawn again), one
    INSERT records them.

    No savepoint of its own: the claiming UPDATE holds the list's row lock (PostgreSQL) or the
    database write lock (SQLite) until the caller's transaction ends, so nobody else draws from
    this list meanwhile; the unique (list, index) constraint stays the last word, and a
    violation reaches the caller as IntegrityError (``issue_batch`` then redoes the batch).
    """
    if count <= 0:
        return []
    slots = _claim_slots(session, issuer_id, kid, purpose, count)
    chosen: list[int] = []
    for _ in range(max_rounds):
        wanted = {secrets.randbelow(slots.size) for _ in range(count - len(chosen))}
        wanted -= set(chosen)
        taken = set(
            session.exec(
                select(StatusAllocation.status_index).where(
                    StatusAllocation.list_id == slots.id,
                    col(StatusAllocation.status_index).in_(wanted),
                )
            ).all()
        )
        chosen += [i for i in wanted if i not in taken]
        if len(chosen) == count:
            break
    else:
        raise AllocationFailed(f"no {count} free indexes in list {slots.id}")
    secrets.SystemRandom().shuffle(chosen)  # hand them out in no particular order
    created = utcnow()
    session.connection().execute(
        insert(StatusAllocation.__table__),  # type: ignore[attr-defined]
        [
            {"id": uuid.uuid4(), "list_id": slots.id, "status_index": i, "created_at": created}
            for i in chosen
        ],
    )
    _mark_full_if_due(session, slots)
    return [(slots, i) for i in chosen]


def signing_key_for(session: Session, status_list: StatusList) -> SigningKey:
    """The key that signs this list: its own key while active or retired; the issuer's active
    key for a compromised key (never sign with it again) or a list that has no key. Raises
    NoActiveKey when that fallback is needed and there is none."""
    if status_list.kid is not None:
        own = session.exec(select(SigningKey).where(SigningKey.kid == status_list.kid)).first()
        if own is not None and own.status in (KEY_ACTIVE, KEY_RETIRED):
            return own
    return active_key(session, status_list.issuer_id)


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
    freshness.changed(session)
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
    # A retired key still signs its own lists (see ``signing_key_for``).
    return sign_credential(doc, key_row, master_key, allow_retired=True), etag(status_list)

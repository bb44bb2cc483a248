"""Issuing, revoking and suspending credentials.

Issuance is idempotent per (enrollment_ref, achievement_id) (DESIGN.md Credentials): a retried
or duplicated job returns the credential already minted. The unique constraint decides, so it
holds across processes: the inserts run in a savepoint, and on IntegrityError the row that won
is returned. Each credential gets a revocation (and, when asked, a suspension)
BitstringStatusListEntry (Bitstring Status List v1.0 §2.1) at random indexes in lists that
belong to the signing key, then is signed with the issuer's active key (OB 3.0 §8.2 VC-JWT).

``issue_batch`` mints many credentials with one key opening, one index draw per purpose and one
flush, inside the caller's transaction: a batch is as idempotent as single issuance (pairs
already minted come back as they are; a batch that loses a race is redone one by one).

The national ID number given to ``issue_credential`` only feeds the salted ``sha256$`` hash in
the credential (OB 3.0 IdentityObject); it is not stored, logged or returned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import Session, col, select

from credentials.documents import build_credential, status_entry
from credentials.jwt_vc import sign_credential
from credentials.keys import active_key, load_private_key
from credentials.models import (
    PURPOSE_REVOCATION,
    PURPOSE_SUSPENSION,
    Credential,
    CredentialStatusEvent,
)
from credentials.status_list import allocate_indexes, set_status, status_list_url
from credentials.timefmt import utcnow, whole_seconds

_CREDENTIAL_CLASS = manager_of_class(Credential)


class CredentialStateError(ValueError):
    """The requested status change does not apply (e.g. unsuspending a revoked credential)."""


@dataclass(frozen=True)
class IssueRequest:
    """One credential to mint; ``id_number`` only feeds the salted identity hash."""

    enrollment_ref: str
    achievement: dict[str, Any]
    learner_uuid: uuid.UUID | str
    id_number: str | None
    hours: float | int | Decimal
    score: float | int | Decimal | None
    valid_until: datetime | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return self.enrollment_ref, self.achievement["id"]


def find_existing(session: Session, enrollment_ref: str, achievement_id: str) -> Credential | None:
    return session.exec(
        select(Credential).where(
            Credential.enrollment_ref == enrollment_ref,
            Credential.achievement_id == achievement_id,
        )
    ).first()


def existing_for(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The credentials already minted for these (enrollment_ref, achievement id) pairs."""
    if not pairs:
        return {}
    refs = {ref for ref, _ in pairs}
    rows = session.exec(select(Credential).where(col(Credential.enrollment_ref).in_(refs))).all()
    return {
        (r.enrollment_ref, r.achievement_id): r
        for r in rows
        if (r.enrollment_ref, r.achievement_id) in pairs
    }


def issue_credential(session: Session, **kwargs: Any) -> Credential:
    """Mint (or return the already minted) credential for this enrollment and achievement."""
    return issue_credential_outcome(session, **kwargs)[0]


def issue_credential_outcome(
    session: Session,
    *,
    enrollment_ref: str,
    achievement: dict[str, Any],
    learner_uuid: uuid.UUID | str,
    id_number: str | None,
    hours: float | int | Decimal,
    score: float | int | Decimal | None,
    issuer_profile: dict[str, Any],
    master_key: bytes,
    public_base_url: str,
    now: datetime | None = None,
    valid_until: datetime | None = None,
    with_suspension: bool = True,
) -> tuple[Credential, bool]:
    """``(credential, created)``: ``created`` is False when this call found the credential
    already minted, by an earlier call or by a concurrent one that won the insert."""
    request = IssueRequest(
        enrollment_ref=enrollment_ref,
        achievement=achievement,
        learner_uuid=learner_uuid,
        id_number=id_number,
        hours=hours,
        score=score,
        valid_until=valid_until,
    )
    return issue_batch(
        session,
        [request],
        issuer_profile=issuer_profile,
        master_key=master_key,
        public_base_url=public_base_url,
        now=now,
        with_suspension=with_suspension,
    )[0]


def issue_batch(
    session: Session,
    requests: list[IssueRequest],
    *,
    issuer_profile: dict[str, Any],
    master_key: bytes,
    public_base_url: str,
    now: datetime | None = None,
    with_suspension: bool = True,
) -> list[tuple[Credential, bool]]:
    """``[(credential, created)]`` in the order of ``requests``; the caller commits.

    Raises NoActiveKey (nothing written) when the issuer has no active key.
    """
    if not requests:
        return []
    pairs = {r.pair for r in requests}
    found = existing_for(session, pairs)
    to_mint: list[IssueRequest] = []
    seen: set[tuple[str, str]] = set(found)
    for request in requests:
        if request.pair not in seen:
            seen.add(request.pair)
            to_mint.append(request)
    minted: list[Credential] = []
    if to_mint:
        issuer_id = issuer_profile["id"]
        key = active_key(session, issuer_id)
        now = whole_seconds(now or utcnow())
        try:
            with session.begin_nested():
                minted = _mint(
                    session,
                    to_mint,
                    key=key,
                    issuer_profile=issuer_profile,
                    master_key=master_key,
                    public_base_url=public_base_url,
                    now=now,
                    with_suspension=with_suspension,
                )
        except IntegrityError:
            if len(to_mint) == 1:
                # Another worker minted it first: its row is committed (or we would not collide).
                winner = find_existing(session, *to_mint[0].pair)
                if winner is None:
                    raise
                found[to_mint[0].pair] = winner
            else:
                # Someone minted part of this batch meanwhile: redo it one by one.
                return [
                    issue_batch(
                        session,
                        [request],
                        issuer_profile=issuer_profile,
                        master_key=master_key,
                        public_base_url=public_base_url,
                        now=now,
                        with_suspension=with_suspension,
                    )[0]
                    for request in requests
                ]
    created = {(row.enrollment_ref, row.achievement_id): row for row in minted}
    out: list[tuple[Credential, bool]] = []
    handed: set[tuple[str, str]] = set()
    for request in requests:
        pair = request.pair
        if pair in created and pair not in handed:
            handed.add(pair)
            out.append((created[pair], True))
        else:
            out.append((found.get(pair) or created[pair], False))
    return out


def _mint(
    session: Session,
    to_mint: list[IssueRequest],
    *,
    key: Any,
    issuer_profile: dict[str, Any],
    master_key: bytes,
    public_base_url: str,
    now: datetime,
    with_suspension: bool,
) -> list[Credential]:
    issuer_id = issuer_profile["id"]
    count = len(to_mint)
    revocations = allocate_indexes(
        session, issuer_id=issuer_id, purpose=PURPOSE_REVOCATION, kid=key.kid, count=count
    )
    suspensions = (
        allocate_indexes(
            session, issuer_id=issuer_id, purpose=PURPOSE_SUSPENSION, kid=key.kid, count=count
        )
        if with_suspension
        else [None] * count
    )
    private_key = load_private_key(key, master_key)  # opened once for the whole batch
    values: list[dict[str, Any]] = []
    for request, (rev_list, rev_index), sus in zip(to_mint, revocations, suspensions, strict=True):
        entries = [
            status_entry(
                status_list_url(public_base_url, rev_list.id), rev_index, PURPOSE_REVOCATION
            )
        ]
        if sus is not None:
            entries.append(
                status_entry(
                    status_list_url(public_base_url, sus[0].id), sus[1], PURPOSE_SUSPENSION
                )
            )
        document = build_credential(
            issuer=issuer_profile,
            achievement=request.achievement,
            learner_uuid=request.learner_uuid,
            id_number=request.id_number,
            hours=request.hours,
            score=request.score,
            valid_from=now,
            valid_until=request.valid_until,
            status_entries=entries,
            credential_uuid=uuid.uuid4(),
        )
        token = sign_credential(document, key, master_key, private_key=private_key)
        values.append(
            {
                "id": uuid.uuid4(),
                "credential_id": document["id"],
                "enrollment_ref": request.enrollment_ref,
                "achievement_id": request.achievement["id"],
                "learner_uuid": uuid.UUID(str(request.learner_uuid)),
                "issuer_id": issuer_id,
                "kid": key.kid,
                "jwt": token,
                "revocation_list_id": rev_list.id,
                "revocation_index": rev_index,
                "suspension_list_id": sus[0].id if sus is not None else None,
                "suspension_index": sus[1] if sus is not None else None,
                "issued_at": now,
                "valid_until": request.valid_until,
                "suspended": False,
            }
        )
    # One multi-row INSERT; the ORM objects are then made as if loaded (no second INSERT, no
    # read back): SQLModel's validating constructor costs about a signature per credential.
    session.connection().execute(insert(Credential.__table__), values)  # type: ignore[attr-defined]
    rows = []
    for value in values:
        row = Credential.model_construct(
            **value, revoked_at=None, revoked_reason=None, suspended_at=None, suspended_reason=None
        )
        _CREDENTIAL_CLASS.setup_instance(row)  # the ORM state model_construct leaves out
        make_transient_to_detached(row)
        session.add(row)
        rows.append(row)
    return rows


def _audit(session: Session, credential: Credential, action: str, reason: str, actor: str) -> None:
    if not reason or not reason.strip():
        raise CredentialStateError("a reason is required")
    session.add(
        CredentialStatusEvent(
            credential_pk=credential.id, action=action, reason=reason[:500], actor=actor[:200]
        )
    )


def revoke(session: Session, credential: Credential, reason: str, actor: str) -> Credential:
    """Permanent: sets the revocation bit. Revoking twice is a no-op (no second audit row)."""
    if credential.revoked_at is not None:
        return credential
    _audit(session, credential, "revoke", reason, actor)
    set_status(session, credential.revocation_list_id, credential.revocation_index, True)
    credential.revoked_at = utcnow()
    credential.revoked_reason = reason[:500]
    session.add(credential)
    session.flush()
    return credential


def suspend(session: Session, credential: Credential, reason: str, actor: str) -> Credential:
    if credential.suspension_list_id is None or credential.suspension_index is None:
        raise CredentialStateError("this credential has no suspension entry")
    if credential.revoked_at is not None:
        raise CredentialStateError("the credential is revoked")
    if credential.suspended:
        return credential
    _audit(session, credential, "suspend", reason, actor)
    set_status(session, credential.suspension_list_id, credential.suspension_index, True)
    credential.suspended = True
    credential.suspended_at = utcnow()
    credential.suspended_reason = reason[:500]
    session.add(credential)
    session.flush()
    return credential


def unsuspend(session: Session, credential: Credential, reason: str, actor: str) -> Credential:
    if credential.suspension_list_id is None or credential.suspension_index is None:
        raise CredentialStateError("this credential has no suspension entry")
    if not credential.suspended:
        return credential
    _audit(session, credential, "unsuspend", reason, actor)
    set_status(session, credential.suspension_list_id, credential.suspension_index, False)
    credential.suspended = False
    credential.suspended_at = None
    credential.suspended_reason = None
    session.add(credential)
    session.flush()
    return credential

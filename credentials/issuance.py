"""Issuing, revoking and suspending credentials.

Issuance is idempotent per (enrollment_ref, achievement_id) (DESIGN.md Credentials): a retried
or duplicated job returns the credential already minted. The unique constraint decides, so it
holds across processes: the insert runs in a savepoint, and on IntegrityError the row that won
is returned. Each credential gets a revocation and a suspension BitstringStatusListEntry
(Bitstring Status List v1.0 §2.1) at random indexes, then is signed with the issuer's active
key (OB 3.0 §8.2 VC-JWT).

The national ID number given to ``issue_credential`` only feeds the salted ``sha256$`` hash in
the credential (OB 3.0 IdentityObject); it is not stored, logged or returned.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from credentials.documents import build_credential, status_entry
from credentials.jwt_vc import sign_credential
from credentials.keys import active_key
from credentials.models import (
    PURPOSE_REVOCATION,
    PURPOSE_SUSPENSION,
    Credential,
    CredentialStatusEvent,
)
from credentials.status_list import allocate_index, set_status, status_list_url
from credentials.timefmt import utcnow, whole_seconds


class CredentialStateError(ValueError):
    """The requested status change does not apply (e.g. unsuspending a revoked credential)."""


def find_existing(session: Session, enrollment_ref: str, achievement_id: str) -> Credential | None:
    return session.exec(
        select(Credential).where(
            Credential.enrollment_ref == enrollment_ref,
            Credential.achievement_id == achievement_id,
        )
    ).first()


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
    ach_id = achievement["id"]
    existing = find_existing(session, enrollment_ref, ach_id)
    if existing is not None:
        return existing, False
    issuer_id = issuer_profile["id"]
    key = active_key(session, issuer_id)
    now = whole_seconds(now or utcnow())
    try:
        with session.begin_nested():
            rev_list, rev_index = allocate_index(
                session, issuer_id=issuer_id, purpose=PURPOSE_REVOCATION
            )
            entries = [
                status_entry(
                    status_list_url(public_base_url, rev_list.id), rev_index, PURPOSE_REVOCATION
                )
            ]
            sus_list_id = sus_index = None
            if with_suspension:
                sus_list, sus_index = allocate_index(
                    session, issuer_id=issuer_id, purpose=PURPOSE_SUSPENSION
                )
                sus_list_id = sus_list.id
                entries.append(
                    status_entry(
                        status_list_url(public_base_url, sus_list.id),
                        sus_index,
                        PURPOSE_SUSPENSION,
                    )
                )
            credential_uuid = uuid.uuid4()
            document = build_credential(
                issuer=issuer_profile,
                achievement=achievement,
                learner_uuid=learner_uuid,
                id_number=id_number,
                hours=hours,
                score=score,
                valid_from=now,
                valid_until=valid_until,
                status_entries=entries,
                credential_uuid=credential_uuid,
            )
            token = sign_credential(document, key, master_key)
            row = Credential(
                credential_id=document["id"],
                enrollment_ref=enrollment_ref,
                achievement_id=ach_id,
                learner_uuid=uuid.UUID(str(learner_uuid)),
                issuer_id=issuer_id,
                kid=key.kid,
                jwt=token,
                revocation_list_id=rev_list.id,
                revocation_index=rev_index,
                suspension_list_id=sus_list_id,
                suspension_index=sus_index,
                issued_at=now,
                valid_until=valid_until,
            )
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another worker minted it first: its row is committed (or we would not collide).
        winner = find_existing(session, enrollment_ref, ach_id)
        if winner is None:
            raise
        return winner, False
    return row, True


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

"""Tables owned by the credentials package (``migrations/env.py`` imports this module).

Every instant is stored timezone-aware UTC (SQLite returns naive values: read them through
``timefmt.as_utc``). Nothing here holds a national ID number, a phone number or a private key
in clear: private keys are AES-GCM sealed (see ``keys``), learners appear only by their stable
``learner_uuid`` (the ``urn:uuid:`` subject id of OB 3.0 §B.1.3 AchievementSubject).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from credentials.timefmt import utcnow

KEY_ACTIVE = "active"
KEY_RETIRED = "retired"
KEY_COMPROMISED = "compromised"

PURPOSE_REVOCATION = "revocation"
PURPOSE_SUSPENSION = "suspension"


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable, index=index)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class SigningKey(SQLModel, table=True):
    """An issuer's signing key. ``kid`` is the https URL that serves its one public JWK."""

    __tablename__ = "cred_signing_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kid: str = Field(max_length=500, unique=True, index=True)
    alg: str = Field(max_length=10)  # ES256 | RS256
    issuer_id: str = Field(max_length=500, index=True)  # the issuer Profile URL
    public_jwk: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # nonce (12 bytes) || AES-256-GCM ciphertext of the PKCS#8 DER private key; AAD = kid
    private_key_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default=KEY_ACTIVE, max_length=20, index=True)
    created_at: datetime = _created()
    retired_at: datetime | None = _ts()
    compromised_at: datetime | None = _ts()
    compromised_reason: str | None = Field(default=None, max_length=500)


class StatusList(SQLModel, table=True):
    """One W3C Bitstring Status List (v1.0 §2.1): ``size`` bits, bit 0 = MSB of byte 0.

    A list belongs to one signing key (``kid``): only credentials signed by that key get
    indexes in it, and the list is always signed by it, so a verifier that checks the list
    with the credential's own key succeeds. ``kid`` is NULL only for lists made before lists
    belonged to keys and that no key could be given to (signed by the issuer's active key).
    """

    __tablename__ = "cred_status_list"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    issuer_id: str = Field(max_length=500, index=True)
    kid: str | None = Field(default=None, max_length=500, index=True)
    purpose: str = Field(max_length=20)  # revocation | suspension
    size: int = Field(default=131_072)  # bits; never below 131,072 (§6.4 herd privacy)
    bitstring: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    allocated: int = Field(default=0)
    max_allocations: int = Field(default=98_304)  # new list once this many indexes are drawn
    version: int = Field(default=1)  # bumped on every bit change; the ETag derives from it
    full: bool = Field(default=False, index=True)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class StatusAllocation(SQLModel, table=True):
    """An index drawn at random from a list; the unique pair is what makes draws unique."""

    __tablename__ = "cred_status_allocation"
    __table_args__ = (
        UniqueConstraint("list_id", "status_index", name="uq_cred_status_alloc_index"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    list_id: uuid.UUID = Field(foreign_key="cred_status_list.id", index=True)
    status_index: int
    created_at: datetime = _created()


class Credential(SQLModel, table=True):
    """An issued AchievementCredential: the signed JWT plus what admin routes need."""

    __tablename__ = "cred_credential"
    __table_args__ = (
        UniqueConstraint("enrollment_ref", "achievement_id", name="uq_cred_enrollment_achievement"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    credential_id: str = Field(max_length=100, unique=True, index=True)  # urn:uuid:...
    enrollment_ref: str = Field(max_length=200)
    achievement_id: str = Field(max_length=500, index=True)  # the Achievement URL
    learner_uuid: uuid.UUID = Field(index=True)
    issuer_id: str = Field(max_length=500, index=True)
    kid: str = Field(max_length=500, index=True)
    jwt: str = Field(sa_column=Column(Text, nullable=False))
    revocation_list_id: uuid.UUID = Field(foreign_key="cred_status_list.id")
    revocation_index: int
    suspension_list_id: uuid.UUID | None = Field(default=None, foreign_key="cred_status_list.id")
    suspension_index: int | None = None
    issued_at: datetime = _created()
    valid_until: datetime | None = _ts()
    revoked_at: datetime | None = _ts()
    revoked_reason: str | None = Field(default=None, max_length=500)
    suspended: bool = Field(default=False)
    suspended_at: datetime | None = _ts()
    suspended_reason: str | None = Field(default=None, max_length=500)


class CredentialStatusEvent(SQLModel, table=True):
    """Audit trail of revoke / suspend / unsuspend (who, when, why)."""

    __tablename__ = "cred_status_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    credential_pk: uuid.UUID = Field(foreign_key="cred_credential.id", index=True)
    action: str = Field(max_length=20)  # revoke | suspend | unsuspend
    reason: str = Field(max_length=500)
    actor: str = Field(max_length=200)
    at: datetime = _created()

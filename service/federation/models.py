"""Tables of browser sign-in through OpenID Connect providers.

``federated_identity`` maps a provider's subject to one learner, for good: ``iss`` and ``sub``
together are the only stable, unique identifier of the person (OpenID Connect Core 1.0 section
5.7), so names, phones or e-mail claims never link anyone, and links are found by the issuer,
never by the provider's slug (a slug repointed to another issuer must not inherit the old
issuer's links). A learner has at most one link per issuer.

``oidc_login`` is the server side of one sign-in attempt: the ``state`` (stored as a hash, used
once), the ``nonce``, the PKCE ``code_verifier`` (RFC 7636, encrypted at rest), the binding to
the browser that started it (a hash of a cookie value, RFC 6749 section 10.12), and where to go
afterwards. When the provider's subject is not linked yet, the same row carries the short-lived
pending-link step: a fresh random handle (stored as a hash) that the link form posts back.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class FederatedIdentity(SQLModel, table=True):
    __tablename__ = "federated_identity"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_federated_identity_subject"),
        UniqueConstraint("issuer", "learner_id", name="uq_federated_identity_learner"),
    )
    id: uuid.UUID = uuid_pk()
    provider: str = Field(max_length=32)  # the provider's name when linked (audit, display)
    issuer: str = Field(max_length=500)  # the ID token's ``iss``: with ``subject``, the identity
    subject: str = Field(max_length=255)  # the ID token's ``sub`` (Core 1.0 section 2)
    learner_id: uuid.UUID = Field(foreign_key="learner.id", index=True)
    created_at: datetime = created_at()
    last_sign_in_at: datetime | None = timestamp()


class OidcLogin(SQLModel, table=True):
    __tablename__ = "oidc_login"
    id: uuid.UUID = uuid_pk()
    state_hash: str = Field(max_length=64, unique=True)
    browser_hash: str = Field(max_length=64)
    provider: str = Field(max_length=32)
    issuer: str = Field(max_length=500)  # the provider's issuer when the sign-in started
    nonce: str = Field(max_length=128)
    verifier_encrypted: bytes = Field(sa_type=LargeBinary, nullable=False)
    return_to: str = Field(default="/", max_length=500)
    lang: str | None = Field(default=None, max_length=5)  # the pages' language, when chosen
    created_at: datetime = created_at()
    expires_at: datetime = timestamp(nullable=False, index=True)
    used_at: datetime | None = timestamp()
    # The pending-link step (only for a subject not linked yet)
    subject: str | None = Field(default=None, max_length=255, index=True)
    link_handle_hash: str | None = Field(default=None, max_length=64, unique=True)
    link_expires_at: datetime | None = timestamp()
    link_used_at: datetime | None = timestamp()
    link_attempts: int = 0
    # Whose provider account is being linked, masked (shown on the link page), never in full
    account_hint: str | None = Field(default=None, max_length=64)

"""Issuer signing keys as the service uses them (the key logic is ``credentials.keys``).

Decision: request paths never create keys. Issuing without an active key is refused with a
503 problem that tells the operator to run ``skills keys create``. Only the embedded default
(``SKILLS_ENV=development``, or ``SKILLS_CREDENTIAL_AUTO_CREATE_KEY=true``) makes the first key at
application start-up, so ``skills serve`` issues out of the box; production, where many replicas
start at once, never does (two replicas would both create a key).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from credentials.keys import NoActiveKey, active_key, create_key
from credentials.models import KEY_ACTIVE, SigningKey
from service.core.settings import Settings

log = logging.getLogger("skills.issuing")


def has_active_key(session: Session, settings: Settings) -> bool:
    try:
        active_key(session, settings.issuer_id())
    except NoActiveKey:
        return False
    return True


def ensure_issuer_key(session: Session, settings: Settings) -> SigningKey | None:
    """Create the issuer's first key when it has none; returns the new key or None."""
    if has_active_key(session, settings):
        return None
    return create_issuer_key(session, settings)


def create_issuer_key(session: Session, settings: Settings, alg: str | None = None) -> SigningKey:
    return create_key(
        session,
        master_key=settings.master_key_bytes(),
        public_base_url=settings.public_base_url,
        issuer_id=settings.issuer_id(),
        alg=alg or settings.credential_alg,
    )


def list_keys(session: Session, issuer_id: str | None = None) -> list[SigningKey]:
    query = select(SigningKey).order_by(SigningKey.created_at)
    if issuer_id is not None:
        query = query.where(SigningKey.issuer_id == issuer_id)
    return list(session.exec(query).all())


def active_count(session: Session, issuer_id: str) -> int:
    return len(
        session.exec(
            select(SigningKey.id).where(
                SigningKey.issuer_id == issuer_id, SigningKey.status == KEY_ACTIVE
            )
        ).all()
    )


def ensure_key_at_startup(settings: Settings) -> None:
    """Called from the app lifespan; never fails start-up (an unmigrated DB only logs)."""
    if not settings.auto_create_issuer_key():
        return
    from service.core.db import session_scope

    try:
        with session_scope() as session:
            created = ensure_issuer_key(session, settings)
            if created is not None:
                log.info("created the issuer signing key", extra={"kid": created.kid})
    except SQLAlchemyError:
        log.warning("could not check the issuer signing key (database not migrated?)")

"""Issuer signing keys as the service uses them (the key logic is ``credentials.keys``).

Decision: request paths never create keys. Issuing without an active key is refused with a
503 problem that tells the operator to run ``skills keys create``. Only the embedded default
(``SKILLS_ENV=development``, or ``SKILLS_CREDENTIAL_AUTO_CREATE_KEY=true``) makes the first key at
application start-up, so ``skills serve`` issues out of the box; production, where many replicas
start at once, never does (two replicas would both create a key).

A missing key must not go unnoticed: /readyz answers 503 with a ``signing_key`` check, the API
and the worker log one warning at start-up saying what to run, and credential jobs wait for the
key rather than fail (``service.issuing.completion_job``), so they complete once it exists.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from credentials.keys import NoActiveKey, active_key, create_key
from credentials.models import KEY_ACTIVE, SigningKey
from service.core.settings import Settings
from service.core.timeutil import utcnow
from service.jobs.models import JobStatus, OutboxJob
from service.training.completion import CREDENTIAL_JOB

log = logging.getLogger("skills.issuing")
NO_KEY_MESSAGE = (
    "no active signing key: credentials are not issued until an operator runs "
    "`skills keys create` (with docker compose: `docker compose run --rm api skills keys create`)"
)


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


def resume_jobs_given_up_for_key(session: Session) -> int:
    """Credential jobs that an earlier release gave up on only because no key existed go back
    to ``pending``, with fresh attempts; they now wait for the key like any new job. Returns
    how many. Harmless when several processes start at once: each writes the same values."""
    jobs = session.exec(
        select(OutboxJob).where(
            OutboxJob.kind == CREDENTIAL_JOB,
            OutboxJob.status == JobStatus.failed,
            OutboxJob.last_error.startswith("IssuerKeyMissing"),  # type: ignore[union-attr]
        )
    ).all()
    for job in jobs:
        job.status = JobStatus.pending
        job.run_attempts = 0
        job.available_at = utcnow()
        session.add(job)
    session.flush()
    return len(jobs)


def ensure_key_at_startup(settings: Settings, *, may_create: bool = True) -> bool:
    """Called at start-up by the app lifespan (``may_create``) and the worker (not: on the
    embedded default the API makes the key, and two processes must not both make one).

    Creates the first key where the embedded default wants it, re-queues jobs given up for
    want of a key, and logs one warning with the command to run when the issuer has no active
    key. Returns whether a key exists. Never fails start-up (an unmigrated DB only logs).
    """
    from service.core.db import session_scope

    try:
        with session_scope() as session:
            if may_create and settings.auto_create_issuer_key():
                created = ensure_issuer_key(session, settings)
                if created is not None:
                    log.info("created the issuer signing key", extra={"kid": created.kid})
            resumed = resume_jobs_given_up_for_key(session)
            present = has_active_key(session, settings)
    except SQLAlchemyError:
        log.warning("could not check the issuer signing key (database not migrated?)")
        return False
    if resumed:
        log.info("credential jobs waiting for a signing key again", extra={"jobs": resumed})
    api_creates_it = settings.auto_create_issuer_key() and not may_create
    if not present and not api_creates_it:
        log.warning(NO_KEY_MESSAGE)
    return present

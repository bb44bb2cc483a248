"""From a checked ID token to the service's own learner tokens.

A provider's subject already linked to a learner signs in at once. An unlinked subject gets a
pending-link step: the person proves they are a learner on record with the holder check (ID
number *and* name, :mod:`service.training.consent`), and only then is the subject linked, for
good. A name, phone or e-mail claim from the provider never links anyone: two people can share
a name, and a provider's contact claims are not checked against our records.

Tokens go to the learner's account (role ``learner``), created on the first federated sign-in
when the record has none (:mod:`.learner_accounts`: no password, no personal data). Nothing
here commits: the router does, after a refused link attempt as well (the attempt is counted).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from authlib.common.security import generate_token
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service.accounts.audit import record_audit
from service.accounts.models import Role
from service.accounts.sessions import TokenPair, issue_pair
from service.core.errors import Conflict, Forbidden, Invalid
from service.core.settings import Settings
from service.core.timeutil import as_utc, utcnow
from service.federation.id_tokens import IdTokenClaims
from service.federation.learner_accounts import learner_account
from service.federation.logins import digest
from service.federation.models import FederatedIdentity, OidcLogin
from service.training.consent import holder_refused
from service.training.learners import find_for_holder
from service.training.models import Learner

log = logging.getLogger("skills.federation")

LINK_TTL = timedelta(minutes=10)
MAX_LINK_ATTEMPTS = 5


@dataclass(frozen=True)
class Actor:
    """Who an audit entry names: the learner's own account."""

    user_id: uuid.UUID | None
    role: str = Role.learner


@dataclass(frozen=True)
class SignedIn:
    tokens: TokenPair
    masked_id: str
    return_to: str
    provider: str


@dataclass(frozen=True)
class PendingLink:
    handle: str  # posted back by the link form; only its hash is stored
    provider: str
    account_hint: str  # the provider account being linked, masked


class LinkExpired(Forbidden):
    """The pending-link step is unknown, used, expired, from another browser or out of tries."""

    def __init__(self) -> None:
        super().__init__(
            "oidc-link-expired",
            "This step is not valid any more (used, expired or too many tries). "
            "Start the sign-in again.",
        )


class AlreadyLinked(Conflict):
    """The learner is linked to another subject of this issuer."""

    def __init__(self) -> None:
        super().__init__(
            "oidc-already-linked",
            "This learner is already linked to another account at this sign-in provider.",
        )


def mask_account(value: str) -> str:
    """A provider account name or subject, masked like an ID number: enough for the person to
    recognise their own account on the link page, not enough to learn someone else's."""
    value = "".join(value.split())[:64]
    keep = max(1, min(4, len(value) // 4))
    if len(value) <= 2 * keep:
        return value[:1] + "****"
    return value[:keep] + "****" + value[-keep:]


def _account_hint(claims: IdTokenClaims) -> str:
    username = claims.claims.get("preferred_username")
    shown = username if isinstance(username, str) and username.strip() else claims.subject
    return mask_account(shown)


def _identity(session: Session, issuer: str, subject: str) -> FederatedIdentity | None:
    """The link of (iss, sub): the stable identity (Core 1.0 section 5.7), not the slug."""
    return session.exec(
        select(FederatedIdentity).where(
            FederatedIdentity.issuer == issuer, FederatedIdentity.subject == subject
        )
    ).first()


def after_callback(
    session: Session, settings: Settings, row: OidcLogin, claims: IdTokenClaims
) -> SignedIn | PendingLink:
    """Sign in a linked subject; open the pending-link step for a new one (flushed)."""
    identity = _identity(session, claims.issuer, claims.subject)
    if identity is not None:
        learner = session.get(Learner, identity.learner_id)
        assert learner is not None  # a foreign key
        identity.last_sign_in_at = utcnow()
        session.add(identity)
        return _sign_in(session, settings, learner, row)
    handle = generate_token(43)
    row.subject = claims.subject
    row.account_hint = _account_hint(claims)
    row.link_handle_hash = digest(handle)
    row.link_expires_at = utcnow() + LINK_TTL
    session.add(row)
    session.flush()
    return PendingLink(handle, row.provider, row.account_hint or "")


def pending_link(session: Session, handle: str | None, browser_token: str | None) -> OidcLogin:
    """The open pending-link step for ``handle`` in the browser that started the sign-in."""
    if not handle or len(handle) > 200 or not browser_token or len(browser_token) > 200:
        raise LinkExpired()
    row = session.exec(
        select(OidcLogin).where(OidcLogin.link_handle_hash == digest(handle))
    ).first()
    if (
        row is None
        or row.subject is None
        or row.link_used_at is not None
        or row.link_expires_at is None
        or as_utc(row.link_expires_at) <= utcnow()
        or row.link_attempts >= MAX_LINK_ATTEMPTS
        or row.browser_hash != digest(browser_token)
    ):
        raise LinkExpired()
    return row


def link_and_sign_in(
    session: Session,
    settings: Settings,
    row: OidcLogin,
    *,
    id_number: str,
    name: str,
) -> SignedIn:
    """The holder check, then the link and the sign-in. Every failed check is the same refusal
    (unknown number, wrong name, malformed number), and counts as a try of this step."""
    counted = session.execute(
        update(OidcLogin)
        .where(
            OidcLogin.id == row.id,
            OidcLogin.link_used_at.is_(None),
            OidcLogin.link_attempts < MAX_LINK_ATTEMPTS,
        )
        .values(link_attempts=OidcLogin.link_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:
        raise LinkExpired()
    assert row.subject is not None
    if _failed_tries(session, row) > settings.oidc_link_max_failures:
        # Too many guesses for this subject today, whichever sign-in they came through: the
        # same refusal as a wrong answer, so a right guess now tells the guesser nothing.
        log.warning("oidc link tries exhausted", extra={"provider": row.provider})
        raise holder_refused()
    try:
        learner = find_for_holder(session, id_number, name or None)
    except Invalid:  # a malformed number: said the same way as a wrong one
        raise holder_refused() from None
    taken = session.exec(
        select(FederatedIdentity).where(
            FederatedIdentity.issuer == row.issuer,
            FederatedIdentity.learner_id == learner.id,
        )
    ).first()
    if taken is not None:
        if taken.subject != row.subject:
            raise AlreadyLinked()
        return _linked_meanwhile(session, settings, learner, row)
    identity = FederatedIdentity(
        provider=row.provider,
        issuer=row.issuer,
        subject=row.subject,
        learner_id=learner.id,
        last_sign_in_at=utcnow(),
    )
    savepoint = session.begin_nested()
    try:
        session.add(identity)
        session.flush()
        savepoint.commit()
    except IntegrityError:  # the same subject or learner linked in parallel
        savepoint.rollback()
        other = _identity(session, row.issuer, row.subject)
        if other is None or other.learner_id != learner.id:
            raise AlreadyLinked() from None
        return _linked_meanwhile(session, settings, learner, row)
    row.link_used_at = utcnow()
    session.add(row)
    signed_in = _sign_in(session, settings, learner, row)
    record_audit(
        session,
        actor=Actor(learner.user_id),
        action="federation.link",
        subject_type="learner",
        subject_id=str(learner.id),
        detail=f"provider={row.provider}",  # the subject is the provider's pseudonym: not kept here
    )
    return signed_in


def _failed_tries(session: Session, row: OidcLogin) -> int:
    """Link-step tries for this (iss, sub) in the last day, this one included, over every
    sign-in attempt (rows are kept a day, ``PRUNE_AFTER``): a new sign-in does not buy new
    guesses of someone's ID number. A successful step is not a failure."""
    since = utcnow() - timedelta(days=1)
    total = session.exec(
        select(func.coalesce(func.sum(OidcLogin.link_attempts), 0)).where(
            OidcLogin.issuer == row.issuer,
            OidcLogin.subject == row.subject,
            col(OidcLogin.link_used_at).is_(None),
            OidcLogin.created_at >= since,
        )
    ).one()
    return int(total)


def _linked_meanwhile(
    session: Session, settings: Settings, learner: Learner, row: OidcLogin
) -> SignedIn:
    """This subject was linked to this same learner meanwhile (the person confirmed in two
    browsers at once): that is a sign-in, not a conflict."""
    row.link_used_at = utcnow()
    session.add(row)
    return _sign_in(session, settings, learner, row)


def _sign_in(session: Session, settings: Settings, learner: Learner, row: OidcLogin) -> SignedIn:
    user = learner_account(session, learner)
    user.last_login_at = utcnow()
    session.add(user)
    tokens = issue_pair(session, settings, user, family=None)
    session.flush()
    return SignedIn(tokens, learner.id_masked, row.return_to, row.provider)

"""Sign-in flows: password, refresh-token rotation with reuse detection, client credentials.

Nothing here commits. The caller commits after a :class:`SignInError` as well: a failed
password attempt is counted and a reused refresh token's family revoked on that path.

Counters and the spending of a refresh token are single conditional UPDATE statements, never
read-modify-write in Python: parallel requests then cannot lose a count or redeem a token twice
(the row stays write-locked until the winner commits, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, or_, update
from sqlmodel import Session, col, select

from service.accounts.models import ApiKey, RefreshToken, Role, User
from service.accounts.passwords import hash_password, needs_rehash, verify_password
from service.accounts.tokens import (
    TokenClaims,
    TokenError,
    decode_token,
    delegating_actor,
    delegating_generation,
    issue_token,
)
from service.core.settings import Settings
from service.core.timeutil import as_utc, utcnow


class SignInError(Exception):
    """Wrong credentials; the message is the same whatever was wrong."""


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str | None
    expires_in: int
    role: str

    def as_response(self) -> dict:
        body = {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "role": self.role,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        return body


def issue_pair(
    session: Session, settings: Settings, user: User, family: str | None = None
) -> TokenPair:
    """An access token and a new (or, with ``family``, rotated) refresh token for ``user``."""
    access, _ = issue_token(
        settings,
        typ="access",
        user_id=user.id,
        role=user.role,
        org_id=user.organization_id,
        ttl_seconds=settings.access_token_ttl_seconds,
        generation=user.token_generation,
    )
    family = family or secrets.token_urlsafe(16)
    refresh, jti = issue_token(
        settings,
        typ="refresh",
        user_id=user.id,
        role=user.role,
        org_id=user.organization_id,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        family=family,
        generation=user.token_generation,
    )
    session.add(
        RefreshToken(
            jti=jti,
            user_id=user.id,
            family_id=family,
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    return TokenPair(access, refresh, settings.access_token_ttl_seconds, user.role)


def _not_locked(now: datetime) -> ColumnElement[bool]:
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def lock_period(settings: Settings, earlier_locks: int) -> timedelta:
    """SKILLS_LOGIN_LOCK_SECONDS, doubled per consecutive earlier lock, at most the cap."""
    seconds = settings.login_lock_seconds * 2 ** min(earlier_locks, 32)
    return timedelta(seconds=min(seconds, settings.login_lock_max_seconds))


def _count_failure(session: Session, settings: Settings, user_id: uuid.UUID) -> None:
    """Count a wrong password; the attempt that reaches the limit locks the account.

    An expired lock is cleared and the count starts again at 1; ``lockouts`` is kept, so the
    next lock lasts longer. A locked account is not counted (the row does not match).
    """
    now = utcnow()
    counted = session.execute(
        update(User)
        .where(User.id == user_id, _not_locked(now))
        .values(
            failed_logins=case(
                (User.locked_until.is_(None), User.failed_logins + 1),
                else_=1,
            ),
            locked_until=None,
        )
        .returning(User.failed_logins, User.lockouts)
        .execution_options(synchronize_session=False)
    ).first()
    if counted is None:
        return
    failures, earlier_locks = counted
    if failures >= settings.login_max_failures:
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                locked_until=now + lock_period(settings, earlier_locks),
                lockouts=User.lockouts + 1,
            )
            .execution_options(synchronize_session=False)
        )


def password_sign_in(session: Session, settings: Settings, email: str, password: str) -> TokenPair:
    """Every refusal costs one Argon2 verification and gives the same error, so neither time nor
    answer tells an unknown, locked or inactive account from a wrong password (OWASP ASVS 2.2.1,
    WSTG-IDNT-04)."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    now = utcnow()
    usable = (
        user is not None
        and user.role != Role.platform
        and user.is_active
        and (user.locked_until is None or as_utc(user.locked_until) <= now)
    )
    # The dummy hash (``None``) for an account that is refused anyway.
    matches = verify_password(user.password_hash if usable and user else None, password)
    if user is None or not usable:
        raise SignInError
    if not matches:
        _count_failure(session, settings, user.id)
        raise SignInError
    # Conditional on "not locked": a lock set by a parallel wrong attempt wins.
    signed_in = session.execute(
        update(User)
        .where(User.id == user.id, _not_locked(now))
        .values(failed_logins=0, lockouts=0, locked_until=None, last_login_at=now)
        .execution_options(synchronize_session=False)
    )
    if signed_in.rowcount != 1:
        raise SignInError
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
        session.add(user)
    return issue_pair(session, settings, user)


def refresh_sign_in(session: Session, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent; presenting a spent one revokes its whole family."""
    try:
        claims = decode_token(settings, refresh_token, expected_typ="refresh")
    except TokenError as exc:
        raise SignInError(str(exc)) from exc
    row = session.get(RefreshToken, claims.jti)
    now = utcnow()
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) < now:
        raise SignInError
    # Spend it with one conditional UPDATE: of parallel redemptions exactly one matches the
    # row; the others are reuse (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
    spent = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti == row.jti,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        _revoke(session, RefreshToken.family_id == row.family_id, now)
        raise SignInError
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or claims.generation != user.token_generation:
        raise SignInError
    return issue_pair(session, settings, user, family=row.family_id)


def _revoke(session: Session, which: ColumnElement[bool], now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(which, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def end_sessions(session: Session, user: User) -> None:
    """End every session of ``user``: its refresh-token families are revoked and the token
    generation moves on, so access tokens issued before stop working too. Called when the
    password, the active flag, the role or the organization changes (OWASP ASVS 3.3.3)."""
    _revoke(session, RefreshToken.user_id == user.id, utcnow())
    # A SQL increment: two changes at once still give two steps, and the attribute reloads.
    user.token_generation = User.token_generation + 1
    session.add(user)


def token_is_current(session: Session, user: User, claims: TokenClaims) -> bool:
    """False for an access token issued before the account's sessions were ended, or for one
    issued to an API key that has since been revoked. A delegated token (token exchange, with
    an ``act`` claim) was issued to the acting client's key: it ends with that key, when the
    acting account is disabled or no longer the platform, or when its sessions end (``act.gen``,
    its generation when the token was exchanged)."""
    if claims.generation != user.token_generation:
        return False
    if claims.api_key_id is not None:
        try:
            holder = delegating_actor(claims) or user.id
        except TokenError:
            return False
        key = session.get(ApiKey, claims.api_key_id)
        if key is None or key.revoked_at is not None or key.user_id != holder:
            return False
        if holder != user.id:  # delegated: the acting account must still be what it was
            actor = session.get(User, holder)
            if actor is None or not actor.is_active or actor.role != Role.platform:
                return False
            if delegating_generation(claims) != actor.token_generation:
                return False
    return True


def hash_client_secret(secret: str) -> str:
    """Client secrets are 256-bit random values, so a plain SHA-256 is a sound stored form."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, user: User, name: str) -> tuple[ApiKey, str]:
    secret = secrets.token_urlsafe(32)
    while secret.startswith("-"):  # a leading "-" reads as an option to command-line clients
        secret = secrets.token_urlsafe(32)
    key = ApiKey(
        client_id="sk_" + secrets.token_hex(8),
        secret_hash=hash_client_secret(secret),
        user_id=user.id,
        name=name,
    )
    session.add(key)
    session.flush()
    return key, secret


def authenticate_api_key(
    session: Session, client_id: str, client_secret: str
) -> tuple[ApiKey, User]:
    """The key and its active user for a client id and secret; SignInError otherwise. Used by
    the client credentials grant and by HTTP Basic on ``/xAPI`` (the way LRS clients connect)."""
    found = session.exec(
        select(ApiKey, User)
        .join(User, col(User.id) == ApiKey.user_id)
        .where(ApiKey.client_id == client_id)
    ).first()
    presented = hash_client_secret(client_secret)
    if found is None or found[0].revoked_at is not None:
        hmac.compare_digest(presented, presented)
        raise SignInError
    key, user = found
    if not hmac.compare_digest(key.secret_hash, presented):
        raise SignInError
    if not user.is_active:
        raise SignInError
    return key, user


def client_credentials_sign_in(
    session: Session, settings: Settings, client_id: str, client_secret: str
) -> TokenPair:
    key, user = authenticate_api_key(session, client_id, client_secret)
    key.last_used_at = utcnow()
    session.add(key)
    access, _ = issue_token(
        settings,
        typ="access",
        user_id=user.id,
        role=user.role,
        org_id=user.organization_id,
        ttl_seconds=settings.access_token_ttl_seconds,
        generation=user.token_generation,
        api_key_id=key.id,
    )
    # RFC 6749 §4.4.3: no refresh token for the client credentials grant.
    return TokenPair(access, None, settings.access_token_ttl_seconds, user.role)

"""Sign-in flows: password, refresh-token rotation with reuse detection, client credentials.

Nothing here commits. The caller commits after a :class:`SignInError` as well: a failed
password attempt is counted and a reused refresh token's family revoked on that path.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from service.accounts.models import ApiKey, RefreshToken, Role, User
from service.accounts.passwords import hash_password, needs_rehash, verify_password
from service.accounts.tokens import TokenError, decode_token, issue_token
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


def _pair(session: Session, settings: Settings, user: User, family: str | None) -> TokenPair:
    access, _ = issue_token(
        settings,
        typ="access",
        user_id=user.id,
        role=user.role,
        org_id=user.organization_id,
        ttl_seconds=settings.access_token_ttl_seconds,
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


def password_sign_in(session: Session, settings: Settings, email: str, password: str) -> TokenPair:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or user.role == Role.platform:
        verify_password(None, password)  # same work as a real check
        raise SignInError
    if not user.is_active or user.failed_logins >= settings.login_max_failures:
        raise SignInError
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        session.add(user)
        raise SignInError
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.last_login_at = utcnow()
    session.add(user)
    return _pair(session, settings, user, family=None)


def refresh_sign_in(session: Session, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent; presenting a spent one revokes its whole family."""
    try:
        claims = decode_token(settings, refresh_token, expected_typ="refresh")
    except TokenError as exc:
        raise SignInError(str(exc)) from exc
    row = session.get(RefreshToken, claims.jti)
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) < utcnow():
        raise SignInError
    if row.used_at is not None:
        for sibling in session.exec(
            select(RefreshToken).where(RefreshToken.family_id == row.family_id)
        ):
            sibling.revoked_at = sibling.revoked_at or utcnow()
            session.add(sibling)
        raise SignInError
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise SignInError
    row.used_at = utcnow()
    session.add(row)
    return _pair(session, settings, user, family=row.family_id)


def hash_client_secret(secret: str) -> str:
    """Client secrets are 256-bit random values, so a plain SHA-256 is a sound stored form."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, user: User, name: str) -> tuple[ApiKey, str]:
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


def client_credentials_sign_in(
    session: Session, settings: Settings, client_id: str, client_secret: str
) -> TokenPair:
    key = session.exec(select(ApiKey).where(ApiKey.client_id == client_id)).first()
    presented = hash_client_secret(client_secret)
    if key is None or key.revoked_at is not None:
        hmac.compare_digest(presented, presented)
        raise SignInError
    if not hmac.compare_digest(key.secret_hash, presented):
        raise SignInError
    user = session.get(User, key.user_id)
    if user is None or not user.is_active:
        raise SignInError
    key.last_used_at = utcnow()
    session.add(key)
    access, _ = issue_token(
        settings,
        typ="access",
        user_id=user.id,
        role=user.role,
        org_id=user.organization_id,
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    # RFC 6749 §4.4.3: no refresh token for the client credentials grant.
    return TokenPair(access, None, settings.access_token_ttl_seconds, user.role)

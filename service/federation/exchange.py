"""OAuth 2.0 Token Exchange (RFC 8693): the platform's credentials plus a learner -> a token of
that one learner.

The smart education platform authenticates as a client with its API key (RFC 6749 section
2.3.1) and names the learner with a subject token (section 2.1): a learner's ID token from a
configured OpenID Connect provider (mapped to the learner through the provider subject's
``federated_identity`` link), or the learner's id, for a learner the platform is entitled to.
The result is a short-lived access token of the learner's own account: it can reach that
learner's records and no one else's, and it carries an ``act`` claim (section 4.1) naming the
platform client, so whatever it does stays attributable. It is tied to the platform's API key:
revoking the key ends it. No refresh token is issued (section 2.2.1 makes it optional; the
platform exchanges again).

Refusals carry the OAuth error code (RFC 6749 section 5.2, RFC 8693 section 2.2.2) and never
the token or what it says. Nothing here commits; the router does (a refusal of an authenticated
client is audited, so it commits that as well).
"""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import jwt
from sqlmodel import Session, select

from service.accounts.audit import record_audit
from service.accounts.models import ApiKey, Role, User
from service.accounts.sessions import SignInError, authenticate_api_key
from service.accounts.tokens import AUDIENCE, issue_token
from service.core.errors import BadRequest, DomainError
from service.core.settings import Settings
from service.core.timeutil import utcnow
from service.federation.id_tokens import IdTokenRefused, verify_id_token
from service.federation.learner_accounts import LearnerAccountUnusable, learner_account
from service.federation.models import FederatedIdentity
from service.federation.providers import (
    OidcProvider,
    ProviderUnavailable,
    provider_for_issuer,
)
from service.training.models import Learner

log = logging.getLogger("skills.federation")

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a URN
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105 - a URN
# Project-defined (RFC 8693 section 3 allows URIs of one's own): the subject token is a learner
# id (UUID) that the client is entitled to act for.
LEARNER_ID_TYPE = "urn:lifelong-skills:params:oauth:token-type:learner-id"
SUBJECT_TOKEN_TYPES = (ID_TOKEN_TYPE, LEARNER_ID_TYPE)
MAX_TTL_SECONDS = 900
EXCHANGED = "federation.token_exchanged"
REFUSED = "federation.token_exchange_refused"
_SHORT_TYPES = {ID_TOKEN_TYPE: "id_token", LEARNER_ID_TYPE: "learner-id"}


class ExchangeRefused(BadRequest):
    """400 with an OAuth ``error`` (invalid_request, invalid_grant, invalid_target, ...)."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(error.replace("_", "-"), detail, error=error)
        self.error = error


class ClientRefused(DomainError):
    """401 ``invalid_client``: the client did not authenticate (RFC 6749 section 5.2)."""

    def __init__(self) -> None:
        super().__init__("invalid-client", "Client authentication failed.", error="invalid_client")


@dataclass
class ExchangeRequest:
    """The form of RFC 8693 section 2.1, with the client's credentials (section 2.3.1)."""

    client_id: str | None
    client_secret: str | None
    subject_token: str | None
    subject_token_type: str | None
    requested_token_type: str | None = None
    actor_token: str | None = None
    resources: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExchangedToken:
    access_token: str
    expires_in: int
    learner_id: uuid.UUID

    def as_response(self) -> dict:
        """RFC 8693 section 2.2.1 (no refresh token, no scope: the token is the learner's)."""
        return {
            "access_token": self.access_token,
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


@dataclass(frozen=True)
class _Platform:
    """The authenticated client: its key and account (also the audit actor)."""

    key: ApiKey
    user: User

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id

    @property
    def role(self) -> str:
        return self.user.role


def authenticate_client(session: Session, client_id: str | None, secret: str | None) -> _Platform:
    """The platform client: an active API key of an account with the ``platform`` role."""
    if not client_id or not secret:
        raise ClientRefused()
    try:
        key, user = authenticate_api_key(session, client_id, secret)
    except SignInError:
        raise ClientRefused() from None
    if user.role != Role.platform:
        raise ExchangeRefused(
            "unauthorized_client", "Only the platform's client may exchange tokens."
        )
    key.last_used_at = utcnow()
    session.add(key)
    return _Platform(key, user)


def is_entitled(session: Session, client: User, learner: Learner) -> bool:
    """Whether ``client`` may get tokens for ``learner``: the one place this rule lives.

    Today the platform role serves every learner of the city (the platform is the learners'
    front door), so it is entitled to each; a per-learner consent or a narrower entitlement
    belongs here.
    """
    return client.role == Role.platform


def exchange_token(
    session: Session, settings: Settings, request: ExchangeRequest
) -> ExchangedToken:
    """Check the client, the request and the subject; issue the learner's token; audit it."""
    platform = authenticate_client(session, request.client_id, request.client_secret)
    kind = _SHORT_TYPES.get(request.subject_token_type or "", "other")
    provider: OidcProvider | None = None
    try:
        _check_request(settings, request)
        if request.subject_token_type == ID_TOKEN_TYPE:
            provider = _provider_of(settings, request.subject_token or "")
            learner = _learner_by_id_token(session, provider, request.subject_token or "")
        else:
            learner = _learner_by_id(session, request.subject_token or "")
        if not is_entitled(session, platform.user, learner):
            raise ExchangeRefused("invalid_grant", "The client may not act for this learner.")
        try:
            user = learner_account(session, learner)
        except LearnerAccountUnusable:
            raise ExchangeRefused("invalid_grant", "This learner's account is disabled.") from None
    except ProviderUnavailable as exc:  # RFC 6749 section 4.1.2.1's word for "try again later"
        exc.extra.setdefault("error", "temporarily_unavailable")
        raise
    except ExchangeRefused as refusal:
        record_audit(
            session,
            actor=platform,
            action=REFUSED,
            subject_type="api_key",
            subject_id=str(platform.key.id),
            detail=_detail(kind, provider, refusal.error),
        )
        log.info("token exchange refused", extra={"error": refusal.error, "kind": kind})
        raise
    ttl = min(settings.access_token_ttl_seconds, MAX_TTL_SECONDS)
    token, jti = issue_token(
        settings,
        typ="access",
        user_id=user.id,
        role=Role.learner,
        org_id=None,
        ttl_seconds=ttl,
        generation=user.token_generation,
        api_key_id=platform.key.id,  # revoking the key ends the token (token_is_current)
        # act.gen: the platform account's generation, so ending its sessions (a password or
        # role change) ends the tokens it exchanged as well (token_is_current)
        extra={
            "act": {
                "sub": str(platform.user.id),
                "client_id": platform.key.client_id,
                "gen": platform.user.token_generation,
            }
        },
    )
    record_audit(
        session,
        actor=platform,
        action=EXCHANGED,
        subject_type="learner",
        subject_id=str(learner.id),
        detail=_detail(kind, provider, None) + f" jti={jti}",
    )
    return ExchangedToken(token, ttl, learner.id)


def _detail(kind: str, provider: OidcProvider | None, error: str | None) -> str:
    parts = [f"subject_token_type={kind}"]
    if provider is not None:
        parts.append(f"provider={provider.name}")
    if error:
        parts.append(f"error={error}")
    return " ".join(parts)


def _check_request(settings: Settings, request: ExchangeRequest) -> None:
    if request.subject_token_type not in SUBJECT_TOKEN_TYPES:
        raise ExchangeRefused(
            "invalid_request",
            "subject_token_type must be one of: " + ", ".join(SUBJECT_TOKEN_TYPES) + ".",
        )
    if not request.subject_token:
        raise ExchangeRefused("invalid_request", "subject_token is required.")
    if request.actor_token:  # the authenticated client is the actor (section 4.1)
        raise ExchangeRefused("invalid_request", "actor_token is not supported here.")
    if request.requested_token_type not in (None, "", ACCESS_TOKEN_TYPE):
        raise ExchangeRefused(
            "invalid_request", f"requested_token_type can only be {ACCESS_TOKEN_TYPE}."
        )
    ours = _our_targets(settings)
    for target in (*request.resources, *request.audiences):
        if target.rstrip("/") not in ours:  # section 2.2.2
            raise ExchangeRefused("invalid_target", "The token can only be for this service.")


def _our_targets(settings: Settings) -> set[str]:
    """What ``resource`` (RFC 8707) or ``audience`` may name: this API, no other service."""
    base = settings.public_base_url.rstrip("/")
    return {AUDIENCE, base, f"{base}/api/v1"}


def _learner_by_id(session: Session, value: str) -> Learner:
    try:
        learner_id = uuid.UUID(value)
    except ValueError:
        raise ExchangeRefused("invalid_grant", "The subject token is not a learner id.") from None
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise ExchangeRefused("invalid_grant", "There is no learner with this id.")
    return learner


def _learner_by_id_token(session: Session, provider: OidcProvider, token: str) -> Learner:
    try:
        claims = verify_id_token(provider, token, audiences=provider.exchange_audiences)
    except IdTokenRefused as exc:  # the message names the failed check, not the token
        raise ExchangeRefused("invalid_grant", exc.detail) from None
    link = session.exec(  # (iss, sub): the stable identity (Core 1.0 section 5.7), not the slug
        select(FederatedIdentity).where(
            FederatedIdentity.issuer == provider.issuer,
            FederatedIdentity.subject == claims.subject,
        )
    ).first()
    learner = session.get(Learner, link.learner_id) if link is not None else None
    if learner is None:
        raise ExchangeRefused(
            "invalid_grant", "The ID token's subject is not linked to a learner here."
        )
    return learner


def _provider_of(settings: Settings, token: str) -> OidcProvider:
    """The configured provider that the token says issued it (the signature is checked next)."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, RecursionError):
        raise ExchangeRefused("invalid_grant", "The ID token is not a compact JWS.") from None
    iss = unverified.get("iss")
    provider = provider_for_issuer(settings, iss) if isinstance(iss, str) else None
    if provider is None:
        raise ExchangeRefused("invalid_grant", "The ID token is not from a configured provider.")
    return provider


def client_from_basic(authorization: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) of an HTTP Basic header (RFC 6749 section 2.3.1), else None.

    Both halves are form-urlencoded before base64 (section 2.3.1), so they are decoded here.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input itself
        raise ClientRefused() from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise ClientRefused()
    return unquote_plus(client_id), unquote_plus(secret)

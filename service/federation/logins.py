"""The relying party's half of the authorization code flow (OpenID Connect Core 1.0 section 3.1).

``start_login`` makes the authorization request: ``state`` (CSRF, RFC 6749 section 10.12),
``nonce`` (ID token replay, Core 1.0 section 15.5.2) and a PKCE challenge (RFC 7636, S256 only),
and keeps their server side in an ``oidc_login`` row. ``claim_login`` spends that row exactly
once, for the browser that started it. ``redeem_code`` trades the code for tokens at the token
endpoint with the ``code_verifier`` and checks the ID token.

Only hashes of ``state`` and of the browser binding are stored; the ``code_verifier`` is stored
AES-GCM encrypted under a key derived from the master key, bound to the row id. None of these
values, the code or any token is ever logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, update
from sqlmodel import Session, select

from service.core.errors import BadRequest, Unavailable
from service.core.settings import Settings
from service.core.timeutil import as_utc, utcnow
from service.federation.id_tokens import IdTokenClaims, verify_id_token
from service.federation.models import OidcLogin
from service.federation.providers import OidcProvider, metadata

log = logging.getLogger("skills.federation")

LOGIN_TTL = timedelta(minutes=10)  # from the redirect to the provider until the callback
PRUNE_AFTER = timedelta(days=1)  # spent or expired attempts are deleted after this
VERIFIER_KEY_LABEL = "skills/oidc-login-verifier/v1"
TOKEN_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# Client authentication at the token endpoint, in order of preference (Core 1.0 section 9).
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
# The cookie that binds an attempt to the browser that started it (RFC 6749 section 10.12).
# Over https it is a ``__Host-`` cookie (RFC 6265bis section 4.1.3.2: Secure, Path=/, no
# Domain), so a sibling subdomain (the content origin runs uploaded SCORM JavaScript) cannot
# plant one; the plain name is for http development and tests only.
HOST_COOKIE = "__Host-skills_oidc"
BROWSER_COOKIE = "skills_oidc"
COOKIE_PATH = "/auth/oidc"


class LoginRefused(BadRequest):
    """The callback does not belong to a sign-in this browser started (or it was used)."""

    def __init__(self) -> None:
        super().__init__(
            "oidc-state-invalid",
            "This sign-in link is not valid any more (used, expired or from another browser). "
            "Start the sign-in again.",
        )


class ProviderRefused(BadRequest):
    """The provider refused the authorization code, or answered without a usable ID token."""


@dataclass(frozen=True)
class LoginStart:
    authorization_url: str
    browser_token: str  # the value of the binding cookie (only its hash is stored)


@dataclass(frozen=True)
class ClaimedLogin:
    row: OidcLogin
    code_verifier: str


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def safe_return_to(value: str | None) -> str:
    """A path on this site, or ``/``: never another origin (an open redirect), never a scheme,
    a protocol-relative ``//host`` or a backslash browsers read as a slash."""
    if not value or not value.startswith("/") or value.startswith("//") or len(value) > 500:
        return "/"
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _https(settings: Settings) -> bool:
    return settings.public_base_url.lower().startswith("https://")


def browser_cookie(settings: Settings) -> str:
    """The binding cookie's name: ``__Host-`` prefixed whenever the site is https."""
    return HOST_COOKIE if _https(settings) else BROWSER_COOKIE


def cookie_options(settings: Settings) -> dict:
    """HttpOnly and SameSite=Lax: sent on the provider's top-level redirect back to the
    callback, never on a cross-site POST (the link form), never readable by a script. No
    Domain, ever; over https Secure and Path=/ as the ``__Host-`` prefix requires."""
    https = _https(settings)
    return {
        "path": "/" if https else COOKIE_PATH,
        "secure": https,
        "httponly": True,
        "samesite": "lax",
    }


def redirect_uri(settings: Settings, provider: OidcProvider) -> str:
    return f"{settings.public_base_url.rstrip('/')}/auth/oidc/{provider.name}/callback"


def _aead(settings: Settings) -> AESGCM:
    return AESGCM(settings.derived_key(VERIFIER_KEY_LABEL))


def _seal(settings: Settings, row_id: uuid.UUID, verifier: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + _aead(settings).encrypt(nonce, verifier.encode(), row_id.bytes)


def _open(settings: Settings, row: OidcLogin) -> str:
    raw = bytes(row.verifier_encrypted)
    try:
        return _aead(settings).decrypt(raw[:12], raw[12:], row.id.bytes).decode()
    except (InvalidTag, ValueError):
        raise LoginRefused() from None


def _client(provider: OidcProvider, settings: Settings, auth_method: str | None = None):
    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method=auth_method,
        scope=" ".join(dict.fromkeys(("openid", *provider.scopes))),
        redirect_uri=redirect_uri(settings, provider),
        code_challenge_method="S256",
        timeout=TOKEN_TIMEOUT,
        follow_redirects=False,
    )


def _endpoint(provider: OidcProvider, document: dict, name: str) -> str:
    url = document.get(name)
    scheme = urlsplit(url).scheme.lower() if isinstance(url, str) else ""
    if scheme == "https" or (scheme == "http" and provider.allow_http):
        return str(url)
    raise Unavailable(
        "provider-unavailable", f"The sign-in provider's {name} is missing or not https."
    )


def start_login(
    session: Session,
    settings: Settings,
    provider: OidcProvider,
    return_to: str | None,
    lang: str | None = None,
) -> LoginStart:
    """Record a new sign-in attempt and build the provider's authorization URL (flushed).
    ``lang``: the language the person chose for our pages, kept for the callback's pages."""
    document = metadata(provider)
    endpoint = _endpoint(provider, document, "authorization_endpoint")
    state, nonce, verifier = generate_token(43), generate_token(32), generate_token(64)
    browser_token = generate_token(43)
    now = utcnow()
    session.execute(delete(OidcLogin).where(OidcLogin.expires_at < now - PRUNE_AFTER))
    row = OidcLogin(
        state_hash=digest(state),
        browser_hash=digest(browser_token),
        provider=provider.name,
        issuer=provider.issuer,
        nonce=nonce,
        verifier_encrypted=b"",
        return_to=safe_return_to(return_to),
        lang=lang if lang in ("zh", "en") else None,
        expires_at=now + LOGIN_TTL,
    )
    row.verifier_encrypted = _seal(settings, row.id, verifier)
    session.add(row)
    session.flush()
    with _client(provider, settings) as client:
        url, _ = client.create_authorization_url(
            endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    return LoginStart(url, browser_token)


def claim_login(
    session: Session,
    provider: OidcProvider,
    settings: Settings,
    *,
    state: str | None,
    browser_token: str | None,
) -> ClaimedLogin:
    """Spend the attempt ``state`` names, once: unknown, used, expired, another provider's or
    another browser's state is refused and nothing is written. The spending is one conditional
    UPDATE, so of two parallel callbacks with the same state only one proceeds."""
    if not state or len(state) > 200 or not browser_token or len(browser_token) > 200:
        raise LoginRefused()
    row = session.exec(select(OidcLogin).where(OidcLogin.state_hash == digest(state))).first()
    now = utcnow()
    if (
        row is None
        or row.provider != provider.name
        or row.issuer != provider.issuer  # the slug was repointed meanwhile
        or row.used_at is not None
        or as_utc(row.expires_at) <= now
        or row.browser_hash != digest(browser_token)
    ):
        raise LoginRefused()
    spent = session.execute(
        update(OidcLogin)
        .where(OidcLogin.id == row.id, OidcLogin.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise LoginRefused()
    session.refresh(row)
    return ClaimedLogin(row, _open(settings, row))


def check_issuer_parameter(provider: OidcProvider, iss: str | None) -> None:
    """RFC 9207 section 2.4: when the provider sends ``iss`` with the authorization response (or
    says it does), it must be this provider's issuer: a mix-up attack fails here."""
    advertised = bool(metadata(provider).get("authorization_response_iss_parameter_supported"))
    if (iss is None and advertised) or (iss is not None and iss != provider.issuer):
        raise ProviderRefused(
            "oidc-issuer-mismatch", "The sign-in answer did not come from the expected provider."
        )


def _auth_method(provider: OidcProvider, document: dict) -> str:
    supported = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not isinstance(supported, list):  # a string would make ``in`` a substring test
        supported = []
    for method in AUTH_METHODS:
        if method in supported:
            return method
    raise Unavailable(
        "provider-unavailable",
        "The sign-in provider supports no client authentication this service can use.",
    )


def redeem_code(
    settings: Settings, provider: OidcProvider, claimed: ClaimedLogin, code: str
) -> IdTokenClaims:
    """Trade the code for tokens (Core 1.0 section 3.1.3) and check the ID token."""
    if not code or len(code) > 2048:
        raise ProviderRefused("oidc-code-missing", "The sign-in answer carries no usable code.")
    document = metadata(provider)
    endpoint = _endpoint(provider, document, "token_endpoint")
    try:
        with _client(provider, settings, _auth_method(provider, document)) as client:
            token = client.fetch_token(
                endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=claimed.code_verifier,
            )
    except OAuthError as exc:
        # The provider's error code only (RFC 6749 section 5.2); never the code or a token.
        log.warning(
            "oidc code refused", extra={"provider": provider.name, "error": str(exc.error)[:60]}
        )
        raise ProviderRefused(
            "oidc-code-refused", "The sign-in provider did not accept this sign-in."
        ) from None
    except (httpx.HTTPError, ValueError) as exc:
        log.warning(
            "oidc token endpoint failed",
            extra={"provider": provider.name, "error": type(exc).__name__},
        )
        raise Unavailable(
            "provider-unavailable", "The sign-in provider could not be reached; try again."
        ) from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise ProviderRefused("oidc-no-id-token", "The sign-in provider sent no ID token.")
    return verify_id_token(
        provider, id_token, audiences=[provider.client_id], nonce=claimed.row.nonce
    )

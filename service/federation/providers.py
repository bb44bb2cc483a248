"""OpenID Connect providers from settings, with their discovery documents and keys.

A provider is named by a slug in SKILLS_OIDC_PROVIDERS. Its discovery document (OpenID Connect
Discovery 1.0 section 4) and its JWK Set are fetched over https with short timeouts and cached
per process: a sign-in or an exchange must not cost a round trip to the IdP each time, and a
slow IdP must not hold a request for long. A key id not in the cached set causes one refetch
(the IdP rotated its keys), at most once per JWKS_REFETCH_MIN_SECONDS so that tokens with made-up
key ids cannot turn us into a fetch amplifier.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from service.core.errors import NotFound, Unavailable
from service.core.settings import Settings

log = logging.getLogger("skills.federation")

METADATA_TTL_SECONDS = 3600.0
JWKS_TTL_SECONDS = 3600.0
JWKS_REFETCH_MIN_SECONDS = 10.0
MAX_DOCUMENT_BYTES = 512 * 1024
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class OidcProvider:
    """One configured IdP; ``client_secret`` is kept out of repr (and so out of logs)."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    label: str
    # aud values an ID token presented for token exchange may carry (usually the platform's
    # own client id at this IdP); empty: no exchange of this provider's ID tokens
    exchange_audiences: tuple[str, ...] = ()
    # plain http allowed for this IdP's documents (development/test or a trusted host)
    allow_http: bool = False


class UnknownProvider(NotFound):
    """No provider of that name is configured."""

    def __init__(self, name: str) -> None:
        super().__init__("unknown-provider", "No sign-in provider of that name is configured.")
        self.name = name


class ProviderUnavailable(Unavailable):
    """The IdP's discovery document or keys could not be fetched or are not acceptable."""

    def __init__(self, detail: str) -> None:
        super().__init__("provider-unavailable", detail)


def configured_providers(settings: Settings) -> dict[str, OidcProvider]:
    """The providers of SKILLS_OIDC_PROVIDERS by name (settings validated names and issuers)."""
    trusted = {h.lower() for h in settings.trusted_http_hosts}
    providers = {}
    for config in settings.oidc_providers:
        host = (urlsplit(config.issuer).hostname or "").lower()
        providers[config.name] = OidcProvider(
            name=config.name,
            issuer=config.issuer,
            client_id=config.client_id,
            client_secret=config.client_secret.get_secret_value(),
            scopes=tuple(config.scopes),
            label=config.label or config.name,
            exchange_audiences=tuple(config.exchange_audiences),
            allow_http=settings.env in ("development", "test") or host in trusted,
        )
    return providers


def get_provider(settings: Settings, name: str) -> OidcProvider:
    provider = configured_providers(settings).get(name)
    if provider is None:
        raise UnknownProvider(name)
    return provider


def provider_for_issuer(settings: Settings, iss: str) -> OidcProvider | None:
    """The provider whose issuer is exactly ``iss`` (OpenID Connect Core 1.0 section 3.1.3.7)."""
    for provider in configured_providers(settings).values():
        if provider.issuer == iss:
            return provider
    return None


# ---- fetching and caching ------------------------------------------------------------------


@dataclass
class _Entry:
    document: dict[str, Any]
    fetched_at: float


_lock = threading.Lock()
_metadata: dict[str, _Entry] = {}
_jwks: dict[str, _Entry] = {}


def clear_caches() -> None:
    """Forget every cached document (tests; an operator after changing a provider)."""
    with _lock:
        _metadata.clear()
        _jwks.clear()


def _check_url(provider: OidcProvider, url: str, what: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (scheme == "http" and provider.allow_http):
        return
    raise ProviderUnavailable(f"The sign-in provider's {what} is not an https URL.")


def _fetch_json(provider: OidcProvider, url: str, what: str) -> dict[str, Any]:
    """GET a JSON object, bounded in time and size; no redirects (the URL is the contract)."""
    _check_url(provider, url, what)
    try:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise ProviderUnavailable(
                    f"The sign-in provider's {what} answered HTTP {response.status_code}."
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise ProviderUnavailable(f"The sign-in provider's {what} is too large.")
            document = json.loads(bytes(body))
    except httpx.HTTPError as exc:
        log.warning(
            "oidc fetch failed",
            extra={"provider": provider.name, "what": what, "error": type(exc).__name__},
        )
        raise ProviderUnavailable(f"The sign-in provider's {what} could not be fetched.") from exc
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise ProviderUnavailable(f"The sign-in provider's {what} is not JSON.") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"The sign-in provider's {what} is not a JSON object.")
    return document


def _cached(cache: dict[str, _Entry], key: str, ttl: float) -> dict[str, Any] | None:
    with _lock:
        entry = cache.get(key)
    if entry is not None and time.monotonic() - entry.fetched_at < ttl:
        return entry.document
    return None


def _store(cache: dict[str, _Entry], key: str, document: dict[str, Any]) -> None:
    with _lock:
        cache[key] = _Entry(document, time.monotonic())


def metadata(provider: OidcProvider) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0 section 4), cached.

    Its ``issuer`` must equal the configured issuer exactly (section 4.3): a document that
    names another issuer would let that issuer's tokens pass as this provider's.
    """
    cached = _cached(_metadata, provider.issuer, METADATA_TTL_SECONDS)
    if cached is not None:
        return cached
    url = provider.issuer.rstrip("/") + WELL_KNOWN  # section 4.1
    document = _fetch_json(provider, url, "discovery document")
    if document.get("issuer") != provider.issuer:
        raise ProviderUnavailable(
            "The sign-in provider's discovery document names another issuer than configured."
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise ProviderUnavailable("The sign-in provider's discovery document has no jwks_uri.")
    _check_url(provider, jwks_uri, "jwks_uri")
    _store(_metadata, provider.issuer, document)
    return document


def jwks(provider: OidcProvider, refresh: bool = False) -> dict[str, Any]:
    """The provider's JWK Set (RFC 7517 section 5), cached; ``refresh`` refetches it.

    A refresh within JWKS_REFETCH_MIN_SECONDS of the last fetch returns the cached set: an
    unknown key id then stays unknown until the IdP's new keys can be fetched again.
    """
    with _lock:
        entry = _jwks.get(provider.issuer)
    now = time.monotonic()
    if entry is not None:
        age = now - entry.fetched_at
        if (not refresh and age < JWKS_TTL_SECONDS) or (refresh and age < JWKS_REFETCH_MIN_SECONDS):
            return entry.document
    document = _fetch_json(provider, metadata(provider)["jwks_uri"], "key set")
    keys = document.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise ProviderUnavailable("The sign-in provider's key set has no list of keys.")
    _store(_jwks, provider.issuer, document)
    return document

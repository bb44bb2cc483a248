"""Key resolvers and status-list fetchers for ``verify``.

- ``DbKeyResolver``: our own keys, straight from the database (with their status, so a
  compromised key is reported as such even though the JWKS no longer lists it).
- ``HttpKeyResolver``: other issuers' keys. First the ``kid`` itself when it is a URL (it must
  serve that one JWK, or a JWK set containing it), then ``{issuer origin}/.well-known/jwks.json``.
  A key is attributed to an issuer only when it was served from the issuer's own origin
  (scheme, host, port): a JWK hosted elsewhere that merely claims ``iss`` is not trusted.
  https only, no redirects, short timeouts, bounded response size; plain http only for hosts
  given in ``allow_http_hosts`` (tests serving a foreign issuer on 127.0.0.1).
- ``DbStatusFetcher`` signs our own status lists on the spot; ``HttpStatusFetcher`` fetches
  other lists. ``chain_*`` combine them: the first that knows the kid / URL answers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from credentials.keys import SigningKeyLookupError, active_key, get_key, public_jwk
from credentials.models import StatusList
from credentials.status_list import build_status_list_credential, status_list_url
from credentials.verify import (
    KeyNotFound,
    KeyResolver,
    KeyUnavailable,
    ResolvedKey,
    StatusFetcher,
)

MAX_RESPONSE_BYTES = 256 * 1024


class StatusListNotFound(LookupError):
    pass


class DbKeyResolver:
    def __init__(self, session: Session):
        self.session = session

    def __call__(self, kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        try:
            row = get_key(self.session, kid)
        except SigningKeyLookupError as exc:
            raise KeyNotFound(kid) from exc
        except SQLAlchemyError as exc:
            raise KeyUnavailable("the key database is unavailable") from exc
        return ResolvedKey(public_jwk(row), row.issuer_id, row.status)


def _origin(url: object) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an http(s) URL; None for anything else, including values that
    are not strings (a kid, iss or issuer hint taken from untrusted JSON)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.lower(), port or default


class _HttpGetter:
    def __init__(
        self,
        *,
        allow_http_hosts: Iterable[str] = (),
        timeout: float = 5.0,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ):
        self.allow_http_hosts = {h.lower() for h in allow_http_hosts}
        self.timeout = timeout
        self.max_bytes = max_bytes

    def allowed(self, url: str) -> bool:
        origin = _origin(url)
        if origin is None:
            return False
        return origin[0] == "https" or origin[1] in self.allow_http_hosts

    def get(self, url: str, accept: str) -> tuple[int, bytes]:
        if not self.allowed(url):
            raise PermissionError(f"refusing to fetch a non-https URL: {url}")
        with (
            httpx.Client(timeout=self.timeout, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": accept}) as response,
        ):
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise ValueError("response larger than the size limit")
            return response.status_code, bytes(body)


class HttpKeyResolver(_HttpGetter):
    def _fetch_json(self, url: str) -> Any | None:
        """The JSON document, None when the server says it does not exist."""
        try:
            status, body = self.get(url, "application/jwk+json, application/jwk-set+json, */*")
        except PermissionError:
            return None
        except (httpx.HTTPError, ValueError) as exc:
            raise KeyUnavailable(f"could not fetch {url}: {exc.__class__.__name__}") from exc
        if status in (404, 410):
            return None
        if status != 200:
            raise KeyUnavailable(f"{url} answered {status}")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise KeyUnavailable(f"{url} did not return JSON") from exc

    @staticmethod
    def _pick(doc: Any, kid: str) -> dict[str, Any] | None:
        if isinstance(doc, dict) and isinstance(doc.get("keys"), list):
            return next(
                (k for k in doc["keys"] if isinstance(k, dict) and k.get("kid") == kid), None
            )
        if isinstance(doc, dict) and "kty" in doc and doc.get("kid", kid) == kid:
            return doc
        return None

    def __call__(self, kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        kid_origin = _origin(kid)
        if kid_origin is not None:
            jwk = self._pick(self._fetch_json(kid), kid)
            if jwk is not None:
                claimed = jwk.get("iss") or issuer_hint
                # A non-string iss names no issuer: the key is attributed to nobody.
                issuer = (
                    claimed if isinstance(claimed, str) and _origin(claimed) == kid_origin else None
                )
                return ResolvedKey(jwk, issuer, "active")
        hint_origin = _origin(issuer_hint) if issuer_hint else None
        if hint_origin is not None:
            scheme, host, port = hint_origin
            default = 443 if scheme == "https" else 80
            netloc = host if port == default else f"{host}:{port}"
            jwks_url = f"{scheme}://{netloc}/.well-known/jwks.json"
            jwk = self._pick(self._fetch_json(jwks_url), kid)
            if jwk is not None:
                claimed = jwk.get("iss")
                issuer = issuer_hint if claimed in (None, issuer_hint) else None
                return ResolvedKey(jwk, issuer, "active")
        raise KeyNotFound(kid)


class HttpStatusFetcher(_HttpGetter):
    def __call__(self, url: str) -> str:
        status, body = self.get(url, "application/vc+jwt, application/jwt, text/plain, */*")
        if status != 200:
            raise StatusListNotFound(f"{url} answered {status}")
        return body.decode("utf-8").strip()


class DbStatusFetcher:
    """Our own lists, signed now with the issuer's active key (no HTTP round trip)."""

    def __init__(self, session: Session, *, public_base_url: str, master_key: bytes):
        self.session = session
        self.prefix = public_base_url.rstrip("/") + "/status-lists/"
        self.public_base_url = public_base_url
        self.master_key = master_key

    def __call__(self, url: str) -> str:
        if not url.startswith(self.prefix):
            raise StatusListNotFound(url)
        try:
            list_id = uuid.UUID(url[len(self.prefix) :])
        except ValueError as exc:
            raise StatusListNotFound(url) from exc
        try:
            row = self.session.get(StatusList, list_id)
            if row is None:
                raise StatusListNotFound(url)
            key = active_key(self.session, row.issuer_id)
        except (SQLAlchemyError, SigningKeyLookupError) as exc:
            raise StatusListNotFound(url) from exc
        token, _etag = build_status_list_credential(
            row,
            list_url=status_list_url(self.public_base_url, row.id),
            key_row=key,
            master_key=self.master_key,
        )
        return token


def chain_resolvers(*resolvers: KeyResolver) -> KeyResolver:
    """Ask each resolver in turn; a KeyUnavailable is reported only if nobody knew the kid."""

    def resolve(kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        unavailable: KeyUnavailable | None = None
        for resolver in resolvers:
            try:
                return resolver(kid, issuer_hint)
            except KeyNotFound:
                continue
            except KeyUnavailable as exc:
                unavailable = exc
        if unavailable is not None:
            raise unavailable
        raise KeyNotFound(kid)

    return resolve


def chain_fetchers(*fetchers: StatusFetcher) -> StatusFetcher:
    def fetch(url: str) -> str:
        last: Exception = StatusListNotFound(url)
        for fetcher in fetchers:
            try:
                return fetcher(url)
            except StatusListNotFound as exc:
                last = exc
        raise last

    return fetch

"""Key resolvers and status-list fetchers for ``verify``.

- ``DbKeyResolver``: our own keys, straight from the database (with their status, so a
  compromised key is reported as such even though the JWKS no longer lists it).
- ``HttpKeyResolver``: other issuers' keys. First the ``kid`` itself when it is a URL (it must
  serve that one JWK, or a JWK set containing it), then ``{issuer origin}/.well-known/jwks.json``.
  A key is attributed to an issuer only when it was served from the issuer's own origin
  (scheme, host, port): a JWK hosted elsewhere that merely claims ``iss`` is not trusted.
  https only, no redirects, short timeouts, bounded response size; plain http only for hosts
  given in ``allow_http_hosts`` (tests serving a foreign issuer on 127.0.0.1).
- ``HttpIssuerKeys``: the keys an issuer publishes, for tokens that carry their own key (header
  ``jwk``): a ``did:key`` issuer is its key (did:key v0.7 §3.1.2), a ``did:web`` issuer's DID
  document is at ``https://host[/path]/did.json`` (did:web §3.2.1), an https issuer id is its
  Profile (OB 3.0 §B.2.6; its ``verificationMethod``/``publicKey``/``jwks`` members, VC Data
  Integrity §2.6 / Controlled Identifiers §2.2), then ``{origin}/.well-known/jwks.json``.
- ``DbStatusFetcher`` signs our own status lists on the spot; ``HttpStatusFetcher`` fetches
  other lists. ``chain_*`` combine them: the first that knows the kid / URL answers.
Every getter takes an optional ``guard(url) -> bool`` (the service's request-forgery guard),
asked before each request, redirects and ``jwks_uri`` included.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from credentials import did_keys, freshness
from credentials.keys import SigningKeyLookupError, get_key, public_jwk
from credentials.models import SigningKey, StatusList
from credentials.multikey import MultikeyError, decode_multibase
from credentials.status_list import (
    build_status_list_credential,
    signing_key_for,
    status_list_url,
)
from credentials.verify_checks import (
    KeyNotFound,
    KeyResolver,
    KeyUnavailable,
    ResolvedKey,
    StatusFetcher,
)

MAX_RESPONSE_BYTES = 256 * 1024


class StatusListNotFound(LookupError):
    pass


_OWN_KEY_CACHE_SIZE = 1024
_STATUS_OF_KID = select(SigningKey.status).where(col(SigningKey.kid) == bindparam("kid"))
_own_public_parts: dict[str, tuple[dict[str, Any], str]] = {}


_own_key_status = freshness.FreshCache()


class DbKeyResolver:
    """Our keys. A kid's public key and issuer never change, so they are read once per
    process; its status (a compromise must show) is read as one small column, and kept for
    ``fresh_seconds`` at most (``credentials.freshness``: a compromise in this process shows at
    once, one elsewhere within that window)."""

    def __init__(self, session: Session, fresh_seconds: float = 0.0):
        self.session = session
        self.fresh_seconds = fresh_seconds

    def _status(self, kid: str) -> str | None:
        status = _own_key_status.get(kid)
        if status is not None:
            return str(status)
        generation = freshness.generation()
        status = (
            self.session.connection().execute(_STATUS_OF_KID, {"kid": kid}).scalar_one_or_none()
        )
        if status is not None:
            _own_key_status.put(kid, status, self.fresh_seconds, generation)
        return status

    def __call__(self, kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        try:
            status = self._status(kid)
            if status is None:
                raise KeyNotFound(kid)
            parts = _own_public_parts.get(kid)
            if parts is None:
                row = get_key(self.session, kid)
                parts = (public_jwk(row), row.issuer_id)
                if len(_own_public_parts) >= _OWN_KEY_CACHE_SIZE:
                    _own_public_parts.clear()
                _own_public_parts[kid] = parts
        except SigningKeyLookupError as exc:
            raise KeyNotFound(kid) from exc
        except SQLAlchemyError as exc:
            raise KeyUnavailable("the key database is unavailable") from exc
        return ResolvedKey(dict(parts[0]), parts[1], status, own=True)


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
        guard: Callable[[str], bool] | None = None,
    ):
        self.allow_http_hosts = {h.lower() for h in allow_http_hosts}
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.guard = guard

    def allowed(self, url: str) -> bool:
        origin = _origin(url)
        if origin is None:
            return False
        if self.guard is not None and not self.guard(url):
            return False
        return origin[0] == "https" or origin[1] in self.allow_http_hosts

    def get(self, url: str, accept: str) -> tuple[int, bytes]:
        if not self.allowed(url):
            raise PermissionError(f"refusing to fetch a non-https URL: {url}")
        import httpx  # on first fetch: most processes never fetch, and it costs ~0.3 s to import

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

    def json(self, url: str, accept: str) -> Any | None:
        """The JSON at ``url``; None when the server says it does not exist (404, 410);
        KeyUnavailable when it cannot be read; PermissionError when it may not be fetched."""
        import httpx

        try:
            status, body = self.get(url, accept)
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


class HttpKeyResolver(_HttpGetter):
    def _fetch_json(self, url: str) -> Any | None:
        """The JSON document, None when the server says it does not exist or may not be asked."""
        try:
            return self.json(url, "application/jwk+json, application/jwk-set+json, */*")
        except PermissionError:
            return None

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


def _b64u(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def multikey_jwk(value: str) -> dict[str, Any]:
    """A public JWK from a ``publicKeyMultibase`` / did:key value (Multikey, Controlled
    Identifiers §2.2.2): base58btc (``z``), then the multicodec varint of the key type."""
    if not isinstance(value, str):
        raise ValueError("only base58btc multibase keys are read")
    try:
        raw = decode_multibase(value)
    except MultikeyError as exc:
        raise ValueError(str(exc)) from exc
    if raw[:2] == b"\xed\x01" and len(raw) == 34:  # ed25519-pub
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64u(raw[2:])}
    if raw[:2] == b"\x80\x24":  # p256-pub, compressed point
        from cryptography.hazmat.primitives.asymmetric import ec

        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        numbers = point.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64u(numbers.x.to_bytes(32, "big")),
            "y": _b64u(numbers.y.to_bytes(32, "big")),
        }
    if raw[:2] == b"\x85\x24":  # rsa-pub, DER RSAPublicKey
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        key = load_der_public_key(raw[2:])
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("not an RSA key")
        nums = key.public_numbers()
        return {
            "kty": "RSA",
            "n": _b64u(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
            "e": _b64u(nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")),
        }
    raise ValueError("unsupported multikey type")


def did_web_url(did: str) -> str | None:
    """did:web "Read (Resolve)": where the DID document is; None for a malformed DID."""
    try:
        return did_keys.did_web_url(did.split("#")[0])
    except did_keys.KeyResolutionError:
        return None


def _listed_keys(doc: Any) -> list[dict[str, Any]]:
    """Public JWKs an issuer Profile or DID document lists (JWK or multibase; PEM not read)."""
    if not isinstance(doc, dict):
        return []
    found: list[dict[str, Any]] = []
    methods: list[Any] = []
    for name in ("verificationMethod", "publicKey", "assertionMethod"):
        value = doc.get(name)
        methods.extend(value if isinstance(value, list) else [value])
    jwks = doc.get("jwks")
    if isinstance(jwks, dict) and isinstance(jwks.get("keys"), list):
        methods.extend({"publicKeyJwk": k} for k in jwks["keys"])
    for method in methods:
        if not isinstance(method, dict):
            continue
        if isinstance(method.get("publicKeyJwk"), dict):
            found.append(method["publicKeyJwk"])
        elif "kty" in method:  # a bare JWK listed as the key itself
            found.append(method)
        elif isinstance(method.get("publicKeyMultibase"), str):
            try:
                found.append(multikey_jwk(method["publicKeyMultibase"]))
            except ValueError:
                continue
    return found


class HttpIssuerKeys(_HttpGetter):
    """``issuer_keys`` for ``verify``: the public keys ``issuer_id`` publishes; raises
    KeyUnavailable when they cannot be read (so the key stays unconfirmed, never trusted)."""

    def _json(self, url: str) -> Any | None:
        try:
            return self.json(url, "application/ld+json, application/json, application/jwk-set+json")
        except PermissionError as exc:
            raise KeyUnavailable(f"refusing to fetch {url}") from exc

    def document(self, url: str) -> dict[str, Any]:
        """A DID or controller document (``fetch_json`` for embedded proofs); KeyUnavailable
        when it cannot be read."""
        doc = self._json(url)
        if not isinstance(doc, dict):
            raise KeyUnavailable(f"{url} holds no document")
        return doc

    def __call__(self, issuer_id: str) -> list[dict[str, Any]]:
        if issuer_id.startswith("did:key:"):
            try:
                return [multikey_jwk(issuer_id.split("#")[0].removeprefix("did:key:"))]
            except ValueError as exc:
                raise KeyUnavailable("unreadable did:key") from exc
        if issuer_id.startswith("did:web:"):
            url = did_web_url(issuer_id)
            if url is None:
                raise KeyUnavailable("unreadable did:web")
            return _listed_keys(self._json(url))
        origin = _origin(issuer_id)
        if origin is None:
            raise KeyUnavailable("the issuer id is neither a URL nor a did:key/did:web")
        profile = self._json(issuer_id)
        keys = _listed_keys(profile)
        jwks_uri = profile.get("jwks_uri") if isinstance(profile, dict) else None
        if not keys and isinstance(jwks_uri, str) and _origin(jwks_uri) == origin:
            keys = _listed_keys({"jwks": self._json(jwks_uri)})
        if not keys:
            scheme, host, port = origin
            netloc = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
            jwks = self._json(f"{scheme}://{netloc}/.well-known/jwks.json")
            if isinstance(jwks, dict) and isinstance(jwks.get("keys"), list):
                # A JWK naming another issuer (``iss``) is not this issuer's.
                keys = [
                    k
                    for k in jwks["keys"]
                    if isinstance(k, dict) and k.get("iss", issuer_id) == issuer_id
                ]
        return keys


class HttpStatusFetcher(_HttpGetter):
    def __call__(self, url: str) -> str:
        status, body = self.get(url, "application/vc+jwt, application/jwt, text/plain, */*")
        if status != 200:
            raise StatusListNotFound(f"{url} answered {status}")
        return body.decode("utf-8").strip()


class DbStatusFetcher:
    """Our own lists, signed now with each list's own key (no HTTP round trip)."""

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
            key = signing_key_for(self.session, row)
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

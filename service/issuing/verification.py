"""Verification wiring: which keys and status lists the verifier may use, and how.

- Our own keys come from the database (``DbKeyResolver``: it knows compromised keys, which the
  JWKS no longer lists) and our own status lists from the signed-list cache; a kid or list URL
  under our own base URL that the database does not know is never fetched over HTTP from
  ourselves (an unknown own kid is ``unknown_kid``; an unknown own list is inconclusive).
- Other issuers' keys and lists are fetched with ``credentials.resolvers`` (https only, no
  redirects, bounded size, short timeouts). Because the URLs come from the token an anonymous
  caller sends, each fetch is refused unless the host resolves only to public addresses
  (server-side request forgery guard); ``SKILLS_TRUSTED_HTTP_HOSTS`` lifts that and allows plain
  http for named hosts (tests and development only), ``SKILLS_VERIFY_FETCH_FOREIGN=false`` turns
  foreign fetching off (those credentials are then ``inconclusive``).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from sqlmodel import Session

from credentials.report import VerificationReport
from credentials.resolvers import (
    DbKeyResolver,
    HttpKeyResolver,
    HttpStatusFetcher,
    StatusListNotFound,
    chain_fetchers,
)
from credentials.verify import KeyNotFound, KeyUnavailable, ResolvedKey, verify
from service.core.settings import Settings
from service.issuing.status_cache import CachedDbStatusFetcher

# Reasons of a report that mean "we could not even read a credential": the API answers 422.
UNREADABLE_REASONS = frozenset(
    {
        "malformed_token",
        "no_credential",
        "multiple_credentials",
        "not_a_png",
        "not_an_svg",
        "corrupt",
    }
)


def _host_is_public(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_global for a in addresses)


class _Guard:
    def __init__(self, settings: Settings):
        self.trusted = {h.lower() for h in settings.trusted_http_hosts}

    def allowed(self, url: str | None) -> bool:
        if not url:
            return True
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            return False
        if not host:
            return True  # not a URL (a DID, a urn): the resolver will not fetch it
        return host in self.trusted or _host_is_public(host)


class OwnKeyResolver:
    """Database keys; a kid under our own ``/keys/`` that the database lacks is unknown."""

    def __init__(self, session: Session, settings: Settings):
        self.db = DbKeyResolver(session)
        self.prefix = settings.public_base_url.rstrip("/") + "/keys/"

    def __call__(self, kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        try:
            return self.db(kid, issuer_hint)
        except KeyNotFound:
            if kid.startswith(self.prefix):
                raise _OwnKeyUnknown(kid) from None
            raise


class _OwnKeyUnknown(KeyNotFound):
    pass


class GuardedHttpKeyResolver:
    def __init__(self, settings: Settings):
        self.guard = _Guard(settings)
        self.http = HttpKeyResolver(allow_http_hosts=settings.trusted_http_hosts)

    def __call__(self, kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        if not (self.guard.allowed(kid) and self.guard.allowed(issuer_hint)):
            raise KeyUnavailable("refusing to fetch a key from a non-public address")
        return self.http(kid, issuer_hint)


class GuardedHttpStatusFetcher:
    def __init__(self, settings: Settings):
        self.guard = _Guard(settings)
        self.http = HttpStatusFetcher(allow_http_hosts=settings.trusted_http_hosts)

    def __call__(self, url: str) -> str:
        if not self.guard.allowed(url):
            raise PermissionError("refusing to fetch a status list from a non-public address")
        return self.http(url)


def _resolver(session: Session, settings: Settings):
    own = OwnKeyResolver(session, settings)
    if not settings.verify_fetch_foreign:
        return own
    foreign = GuardedHttpKeyResolver(settings)

    def resolve(kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        try:
            return own(kid, issuer_hint)
        except _OwnKeyUnknown:
            raise KeyNotFound(kid) from None
        except KeyNotFound:
            return foreign(kid, issuer_hint)

    return resolve


def _fetcher(session: Session, settings: Settings):
    own = CachedDbStatusFetcher(session, settings)
    if not settings.verify_fetch_foreign:

        def own_only(url: str) -> str:
            try:
                return own(url)
            except StatusListNotFound as exc:
                raise PermissionError("fetching other issuers' status lists is off") from exc

        return own_only
    return chain_fetchers(own, GuardedHttpStatusFetcher(settings))


def verify_input(session: Session, settings: Settings, data: str | bytes) -> VerificationReport:
    """Verify a compact JWT, a baked PNG or a baked SVG (sniffed from the content)."""
    return verify(
        data,
        key_resolver=_resolver(session, settings),
        status_fetcher=_fetcher(session, settings),
        leeway=settings.verify_leeway_seconds,
        own_issuer_ids=[settings.issuer_id()],
    )


def verify_submission(
    settings: Settings, data: str | bytes | None = None, credential_id: str | None = None
) -> VerificationReport | None:
    """Verify submitted input, or one of our credentials by id; None when no such id.

    Shared by ``POST /api/v1/verify`` and the ``/verify`` and share pages so that an employer
    gets the same answer from the page as from the API. Blocking (database, maybe a foreign
    key fetch): async callers run it in a worker thread, hence its own session.
    """
    from service.core.db import get_engine
    from service.issuing.service import find_credential

    with Session(get_engine(), expire_on_commit=False) as session:
        if credential_id is not None:
            row = find_credential(session, credential_id)
            if row is None:
                return None
            data = row.jwt
        if data is None:
            raise ValueError("nothing to verify")
        return verify_input(session, settings, data)


def is_unreadable(report: VerificationReport) -> bool:
    """True when the input held no credential we could read (a 4xx for the API)."""
    signature = report.check("signature")
    return report.reason in UNREADABLE_REASONS and (
        signature is None or signature.outcome in ("skipped", "inconclusive")
    )

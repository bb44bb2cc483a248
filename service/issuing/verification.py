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
- Tokens carrying their own key (header ``jwk``, OB 3.0 §8.2.4.1) are attributed to their
  issuer only when the issuer publishes that key (``HttpIssuerKeys``: Profile, JWKS, did:web,
  did:key), through the same guard; otherwise they are ``inconclusive``.
- ``Verifier`` is the one path: the API (single and batch), the pages and the CLI build one and
  get the same resolvers, fetchers and status-list cache, so the same input gets the same report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session

from credentials.report import VerificationReport
from credentials.resolvers import (
    DbKeyResolver,
    HttpIssuerKeys,
    HttpKeyResolver,
    HttpStatusFetcher,
    StatusListNotFound,
    chain_fetchers,
)
from credentials.verify import KeyNotFound, KeyUnavailable, ResolvedKey, verify
from service.core.public_hosts import host_is_public as _host_is_public
from service.core.settings import Settings
from service.issuing.status_cache import CachedDbStatusFetcher

# Reasons of a report that mean "we could not even read a credential": the API answers 422.
UNREADABLE_REASONS = frozenset(
    {
        "malformed_token",
        "malformed_credential",
        "no_credential",
        "multiple_credentials",
        "not_a_png",
        "not_an_svg",
        "corrupt",
    }
)


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
        self.db = DbKeyResolver(session, fresh_seconds=settings.verify_cache_seconds)
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


def _remembered(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` answering each distinct question once (its answer or its exception): one batch
    fetches a foreign key, Profile or status list once, however many credentials cite it."""
    memo: dict[tuple, tuple[bool, Any]] = {}

    def call(*args: Any) -> Any:
        if args not in memo:
            try:
                memo[args] = (True, fn(*args))
            except Exception as exc:  # noqa: BLE001 - replayed to every caller alike
                memo[args] = (False, exc)
        ok, value = memo[args]
        if ok:
            return value
        raise value

    return call


def _resolver(session: Session, settings: Settings):
    own = OwnKeyResolver(session, settings)
    if settings.verify_fetch_foreign:
        foreign = _remembered(GuardedHttpKeyResolver(settings))
    else:

        def foreign(kid: str, issuer_hint: str | None = None) -> ResolvedKey:
            # Not ours, and not looked up: unknown is not the same as false (README).
            raise KeyUnavailable("fetching other issuers' keys is off")

    def resolve(kid: str, issuer_hint: str | None = None) -> ResolvedKey:
        try:
            return own(kid, issuer_hint)
        except _OwnKeyUnknown:
            raise KeyNotFound(kid) from None
        except KeyNotFound:
            return foreign(kid, issuer_hint)

    # A credential and its status list are usually signed by the same key: looked up once.
    return _remembered(resolve)


def _issuer_keys(settings: Settings):
    """(issuer_keys, fetch_json): the keys other issuers publish (for tokens carrying their own
    ``jwk``, and keys named by embedded proofs) and the DID / controller documents embedded
    proofs name, both fetched under the same guard."""
    if not settings.verify_fetch_foreign:

        def off(_url: str) -> Any:
            raise KeyUnavailable("fetching other issuers' keys is off")

        return off, off
    guard = _Guard(settings)
    http = HttpIssuerKeys(allow_http_hosts=settings.trusted_http_hosts, guard=guard.allowed)
    return _remembered(http), _remembered(http.document)


def _fetcher(session: Session, settings: Settings):
    own = CachedDbStatusFetcher(session, settings)
    if not settings.verify_fetch_foreign:

        def own_only(url: str) -> str:
            try:
                return own(url)
            except StatusListNotFound as exc:
                raise PermissionError("fetching other issuers' status lists is off") from exc

        return own_only
    return chain_fetchers(own, _remembered(GuardedHttpStatusFetcher(settings)))


class Verifier:
    """One set of resolvers and fetchers over one session: every way in (API, batch, CLI,
    pages) verifies through this, so the same input gets the same report everywhere. Reused
    across a batch, so what was fetched once is not fetched again."""

    def __init__(self, session: Session, settings: Settings):
        self.session = session
        self.settings = settings
        self.key_resolver = _resolver(session, settings)
        self.status_fetcher = _fetcher(session, settings)
        self.issuer_keys, self.fetch_json = _issuer_keys(settings)
        self.own_issuer_ids = [settings.issuer_id()]

    def verify(self, data: str | bytes) -> VerificationReport:
        return verify(
            data,
            key_resolver=self.key_resolver,
            status_fetcher=self.status_fetcher,
            issuer_keys=self.issuer_keys,
            fetch_json=self.fetch_json,
            leeway=self.settings.verify_leeway_seconds,
            own_issuer_ids=self.own_issuer_ids,
        )

    def verify_id(self, credential_id: str) -> VerificationReport | None:
        """One of our credentials by its (normalised) id; None when there is no such id."""
        from service.issuing.service import find_credential

        row = find_credential(self.session, credential_id)
        return None if row is None else self.verify(row.jwt)


def verify_input(session: Session, settings: Settings, data: str | bytes) -> VerificationReport:
    """Verify a compact JWT, a JSON credential, a baked PNG or SVG (sniffed from the content)."""
    return Verifier(session, settings).verify(data)


def verify_submission(
    settings: Settings, data: str | bytes | None = None, credential_id: str | None = None
) -> VerificationReport | None:
    """Verify submitted input, or one of our credentials by id; None when no such id.

    Shared by ``POST /api/v1/verify``, the ``/verify`` page and ``skills credentials verify``
    so an employer gets the same answer everywhere. Blocking (database, maybe a foreign
    key fetch): async callers run it in a worker thread, hence its own session.
    """
    from service.core.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as session:
        verifier = Verifier(session, settings)
        if credential_id is not None:
            return verifier.verify_id(credential_id)
        if data is None:
            raise ValueError("nothing to verify")
        return verifier.verify(data)


@dataclass(frozen=True)
class BatchItem:
    """One entry of a batch: text to verify, or one of our credential ids (normalised)."""

    data: str | None = None
    credential_id: str | None = None


def verify_batch(settings: Settings, items: list[BatchItem]) -> list[dict[str, Any]]:
    """One answer per item, in order, each with its ``index``: the report, or for an item
    with no readable credential ``result: "unreadable"`` and its reason, or for an unknown id
    ``result: "not_found"``. One session and one ``Verifier`` for the whole batch."""
    from service.core.db import get_engine

    out: list[dict[str, Any]] = []
    with Session(get_engine(), expire_on_commit=False) as session:
        verifier = Verifier(session, settings)
        for index, item in enumerate(items):
            if item.credential_id is not None:
                report = verifier.verify_id(item.credential_id)
            else:
                report = verifier.verify(item.data or "")
            if report is None:
                line = {"result": "not_found", "reason": "unknown_credential_id", "checks": []}
                line["credential"] = {"id": item.credential_id}
            elif is_unreadable(report):
                line = report.to_dict() | {"result": "unreadable"}
            else:
                line = report.to_dict()
            out.append({"index": index, **line})
            session.expire_all()  # nothing is written; keep the identity map small
    return out


def is_unreadable(report: VerificationReport) -> bool:
    """True when the input held no credential we could read (a 4xx for the API)."""
    signature = report.check("signature")
    return report.reason in UNREADABLE_REASONS and (
        signature is None or signature.outcome in ("skipped", "inconclusive")
    )

"""Rate limits on the public routes, per client address (README "Request limits").

The routes anyone can call without an account and that cost us (or someone else) real work:
verification (which fetches other issuers' keys), the share page's holder check (an ID number
guess), the token endpoint (password guessing), the start of a provider sign-in and the cmi5
fetch URL; and employers' credential checks (an account's route, but each request verifies up
to a thousand credentials). Token requests with HTTP Basic client credentials (the platform's
token exchange) are counted per client_id instead, with a larger budget. A client past its
budget gets 429 problem+json with ``Retry-After`` (RFC 6585 §4) before its body is read.

Counting uses the ``limits`` library's moving window (no double burst across a window edge),
in process memory by default and in Redis when ``SKILLS_RATE_LIMIT_STORAGE_URL`` says so, so
that every API process shares one count. If that storage fails, requests are let through and
a warning is logged: a limiter outage must not become a service outage.

The client is the connection's peer address. ``X-Forwarded-For`` is believed only when the
peer is one of ``SKILLS_TRUSTED_PROXIES``: the client is then the rightmost address not
itself a trusted proxy, so entries a client writes in front are ignored (OWASP Cheat Sheet
"Denial of Service", rate limiting by IP behind proxies).
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus

import anyio
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.problems import problem_response
from service.core.settings import Settings

log = logging.getLogger("skills.http")


@dataclass(frozen=True)
class RateRule:
    group: str
    method: str
    path: re.Pattern[str]
    setting: str  # the Settings field holding "<n>/<period>"
    page: bool = False  # a person's form: answered with a page, not a problem document
    # "address": counted per client address; "basic-client": only for requests carrying HTTP
    # Basic client credentials (RFC 6749 section 2.3.1), counted per client_id and, with the
    # same budget, per client address (made-up client ids buy no more than that)
    by: str = "address"


# The one table of rate-limited routes; a group shares one budget (the API and the page).
RATE_RULES = (
    # A batch (up to 1,000 credentials) is one hit of the same budget: its foreign fetches are
    # made once per batch, and its size is bounded by the route.
    RateRule("verify", "POST", re.compile(r"/api/v1/verify(?:/batch)?"), "rate_limit_verify"),
    RateRule("verify", "POST", re.compile(r"/verify"), "rate_limit_verify", page=True),
    RateRule("holder-check", "POST", re.compile(r"/c/[^/]+"), "rate_limit_holder_check", True),
    # The link step of a provider sign-in is a holder check too (an ID number guess).
    RateRule(
        "holder-check",
        "POST",
        re.compile(r"/auth/oidc/[^/]+/link"),
        "rate_limit_holder_check",
        True,
    ),
    # The platform's token exchanges (HTTP Basic client credentials; the route refuses Basic
    # with any other grant, so it buys no password guesses): it fronts every learner from a
    # few addresses, so it gets its own, larger budget.
    RateRule(
        "client", "POST", re.compile(r"/api/v1/auth/token"), "rate_limit_client", by="basic-client"
    ),
    RateRule("token", "POST", re.compile(r"/api/v1/auth/token"), "rate_limit_token"),
    # Starting a provider sign-in writes a row: a sign-in like the token endpoint's.
    RateRule("token", "GET", re.compile(r"/auth/oidc/[^/]+/login"), "rate_limit_token"),
    RateRule("cmi5-fetch", "POST", re.compile(r"/cmi5/fetch/[^/]+"), "rate_limit_cmi5_fetch"),
    # An employer's check verifies up to a thousand credentials (and fetches their issuers):
    # counted per client address before the body is read, signed in or not.
    RateRule(
        "employer-checks",
        "POST",
        re.compile(r"/api/v1/employer/checks"),
        "rate_limit_employer_checks",
    ),
)
# Renders the 429 page for a rule with ``page``; given by the app factory (pages live above
# this layer).
PageResponse = Callable[[Request, int], Response]


def rule_for(method: str, path: str, basic_client: str | None = None) -> RateRule | None:
    """The rule of a request; ``basic_client``: the client_id of its HTTP Basic credentials."""
    return next(
        (
            r
            for r in RATE_RULES
            if r.method == method
            and r.path.fullmatch(path)
            and (r.by != "basic-client" or basic_client is not None)
        ),
        None,
    )


def basic_client_id(scope: Scope) -> str | None:
    """The client_id of an ``Authorization: Basic`` header (RFC 6749 section 2.3.1), read from
    the headers only (never the body); None when absent or malformed."""
    header = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), None)
    if header is None or len(header) > 1024:
        return None
    scheme, _, value = header.partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None
    client_id, colon, _ = decoded.partition(":")
    client_id = unquote_plus(client_id)
    return client_id if colon and 0 < len(client_id) <= 64 else None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(scope: Scope, trusted_proxies: list[str]) -> str:
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted_proxies:
        return peer
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in n for n in networks)

    forwarded = b",".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
    hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
    client = peer
    while trusted(client) and hops:
        hop = hops.pop()
        if _ip(hop) is None:
            break  # a malformed entry: keep the last address a trusted proxy vouched for
        client = hop
    return client


class RateLimitMiddleware:
    """Pure ASGI: counts a hit per (group, client) and answers 429 past the group's limit."""

    def __init__(self, app: ASGIApp, settings: Settings, page_response: PageResponse | None = None):
        self.app = app
        self.settings = settings
        self.page_response = page_response
        self._storage: Storage | None = None
        self._limiter: MovingWindowRateLimiter | None = None

    def _get_limiter(self) -> tuple[MovingWindowRateLimiter, bool]:
        """(the limiter, whether its storage is in memory and so cheap to call inline)."""
        if self._limiter is None:
            self._storage = storage_from_string(self.settings.rate_limit_storage_url)
            self._limiter = MovingWindowRateLimiter(self._storage)
        return self._limiter, isinstance(self._storage, MemoryStorage)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        http = scope["type"] == "http"
        basic_client = basic_client_id(scope) if http else None
        rule = rule_for(scope["method"], scope["path"], basic_client) if http else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        item = parse(getattr(self.settings, rule.setting))
        address = client_address(scope, self.settings.trusted_proxies)
        keys = [address]
        if rule.by == "basic-client":
            keys = [f"client:{basic_client}", f"address:{address}"]
        limiter, inline = self._get_limiter()
        try:
            if inline:
                retry_after = _hit_all(limiter, item, rule.group, keys)
            else:  # a network store: keep the event loop free
                retry_after = await anyio.to_thread.run_sync(
                    _hit_all, limiter, item, rule.group, keys
                )
        except Exception:  # noqa: BLE001 - fail open, see the module docstring
            log.warning("rate limit storage unavailable", extra={"group": rule.group})
            retry_after = None
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        if rule.page and self.page_response is not None:
            page = self.page_response(Request(scope), retry_after)
            await page(scope, receive, send)
            return
        response = problem_response(
            429,
            "too-many-requests",
            f"Too many requests; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )
        await response(scope, receive, send)


def _hit_all(limiter: MovingWindowRateLimiter, item: RateLimitItem, group: str, keys: list[str]):
    """A hit on each key; None when all are within the limit, else the longest wait."""
    waits = [w for w in (_hit(limiter, item, group, key) for key in keys) if w is not None]
    return max(waits) if waits else None


def _hit(limiter: MovingWindowRateLimiter, item: RateLimitItem, group: str, key: str):
    """None when the hit is within the limit, else the seconds until one is free again."""
    if limiter.hit(item, "skills", group, key):
        return None
    reset = limiter.get_window_stats(item, "skills", group, key).reset_time
    return max(1, math.ceil(reset - time.time()))

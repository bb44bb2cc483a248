"""Which URLs webhooks may be sent to (server-side request forgery guard).

In production a target must be https and its host must resolve only to public addresses
(``service.core.public_hosts``, the guard verification uses for foreign issuers). Elsewhere
plain http is allowed, and the hosts in ``SKILLS_TRUSTED_HTTP_HOSTS`` (a local receiver in tests
and development) need not be public. Checked when an endpoint is saved and again before every
attempt, since DNS can change; redirects are never followed (``sending``).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from service.core.errors import Invalid
from service.core.public_hosts import public_addresses
from service.core.settings import Settings

NOT_ALLOWED = "webhook-url-not-allowed"


class TargetRefused(Invalid):
    def __init__(self, detail: str) -> None:
        super().__init__(NOT_ALLOWED, detail, field="url")


def check_target(settings: Settings, url: str, deadline: float | None = None) -> list[str] | None:
    """Raises :class:`TargetRefused` (a 422) when ``url`` may not receive webhooks. Returns
    the checked public addresses to connect to, in the resolver's order (pinned: see
    ``public_addresses``; each is tried in turn), or None for a trusted host, which is
    connected to by name. ``deadline`` (``time.monotonic``): the name lookup must end by then,
    else TimeoutError."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise TargetRefused("The URL cannot be parsed.") from None
    production = settings.env == "production"
    allowed_schemes = ("https",) if production else ("https", "http")
    if parts.scheme.lower() not in allowed_schemes:
        raise TargetRefused(
            "The URL must use https." if production else "The URL must use http or https."
        )
    if not host:
        raise TargetRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL must not carry a user name or password.")
    if not production and host in {h.lower() for h in settings.trusted_http_hosts}:
        return None
    timeout = None if deadline is None else deadline - time.monotonic()
    addresses = public_addresses(host, timeout=timeout)
    if addresses is None:
        raise TargetRefused(
            "The URL's host must resolve to public internet addresses only "
            "(not loopback, private or link-local ones)."
        )
    return addresses

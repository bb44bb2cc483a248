"""Launch grants: an expiring, signed path prefix that opens one package version's files.

The grant sits in the URL *path* (``/content/<grant>/<file>``), so the package's relative links
(images, scripts, SCO pages) resolve under the same grant without any cookie or header, and the
grant expires with ``SKILLS_LAUNCH_TTL_SECONDS``. It names the version's storage prefix only;
it carries no personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LaunchGrant:
    prefix: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_grant(key: bytes, prefix: str, ttl_seconds: int, now: float | None = None) -> str:
    expires = int((now or time.time()) + ttl_seconds)
    body = _b64(json.dumps({"p": prefix, "e": expires}, separators=(",", ":")).encode())
    sig = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest()[:20])
    return f"{body}.{sig}"


def read_grant(key: bytes, grant: str, now: float | None = None) -> LaunchGrant | None:
    """The grant if its signature is ours and it has not expired, else None."""
    try:
        body, sig = grant.split(".", 1)
        expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest()[:20])
        if not hmac.compare_digest(expected, sig):
            return None
        data = json.loads(_unb64(body))
        prefix, expires = str(data["p"]), int(data["e"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires < (now or time.time()):
        return None
    return LaunchGrant(prefix, expires)

"""Launch grants: an expiring, signed path prefix that opens one package version's files.

The grant sits in the URL *path* (``/content/<grant>/<file>``), so the package's relative links
(images, scripts, SCO pages) resolve under the same grant without any cookie or header, and the
grant expires with ``SKILLS_LAUNCH_TTL_SECONDS``. It names the version's storage prefix only;
it carries no personal data. A grant always names a non-empty prefix: an empty (or "/") one would
open every file of the bucket, so it is neither made nor accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from content.models import PackageVersion
from service.core.settings import Settings

# The label of the sub-key that signs grants (derived from SKILLS_MASTER_KEY).
GRANT_KEY_LABEL = "skills/launch/v1"


@dataclass(frozen=True)
class LaunchGrant:
    prefix: str
    expires: int


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 section 5), as grants and player URLs carry it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """The bytes of unpadded base64url text; ValueError (binascii.Error) when it is not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _names_files(prefix: str | None) -> bool:
    """Whether ``prefix`` names some folder, not the whole bucket."""
    return bool(prefix and prefix.strip("/"))


def make_grant(key: bytes, prefix: str | None, ttl_seconds: int, now: float | None = None) -> str:
    """A grant for the files under ``prefix``; ValueError when the prefix is empty or "/"."""
    if not _names_files(prefix):
        raise ValueError("A launch grant needs a non-empty storage prefix.")
    expires = int((now or time.time()) + ttl_seconds)
    body = b64url(json.dumps({"p": prefix, "e": expires}, separators=(",", ":")).encode())
    sig = b64url(hmac.new(key, body.encode(), hashlib.sha256).digest()[:20])
    return f"{body}.{sig}"


def read_grant(key: bytes, grant: str, now: float | None = None) -> LaunchGrant | None:
    """The grant if its signature is ours and it has not expired, else None."""
    try:
        body, sig = grant.split(".", 1)
        expected = b64url(hmac.new(key, body.encode(), hashlib.sha256).digest()[:20])
        if not hmac.compare_digest(expected, sig):
            return None
        data = json.loads(unb64url(body))
        prefix, expires = str(data["p"]), int(data["e"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires < (now or time.time()) or not _names_files(prefix):
        return None
    return LaunchGrant(prefix, expires)


def open_grant(settings: Settings, grant: str) -> LaunchGrant | None:
    """The grant in a ``/content/<grant>/...`` path, if it is ours and still valid."""
    return read_grant(settings.derived_key(GRANT_KEY_LABEL), grant)


def content_url(settings: Settings, version: PackageVersion, launch: str) -> str:
    """The signed ``/content/<grant>/<path>`` URL of a package file, or an external AU URL."""
    if launch.lower().startswith(("http://", "https://")):
        return launch  # cmi5 allows an AU to live elsewhere (cmi5 section 13.1.4, url)
    grant = make_grant(
        settings.derived_key(GRANT_KEY_LABEL), version.storage_prefix, settings.launch_ttl_seconds
    )
    return f"{settings.resolved_content_base_url()}/content/{grant}/{launch}"

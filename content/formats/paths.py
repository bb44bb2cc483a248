"""Resolving manifest references (href, url, launch) to files inside the package."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from content import reasons as R


class BadReference(ValueError):
    """A manifest reference that is neither a safe relative path nor an http(s) URL."""

    def __init__(self, message: str, code: str = R.MANIFEST_INVALID):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Reference:
    """``launch`` is what a player opens; ``path`` the package file it needs (None if external)."""

    launch: str
    path: str | None

    @property
    def external(self) -> bool:
        return self.path is None


def _is_absolute_url(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https")


def resolve_reference(href: str, *bases: str | None, extra_query: str | None = None) -> Reference:
    """Join ``href`` onto the ``xml:base`` values (outermost first) and normalise it.

    Following common LMS practice, an ``xml:base`` without a trailing slash is treated as a
    folder (SCORM CAM 3.4.1.13 / 3.4.1.16 describe xml:base as a relative path offset).
    """
    href = (href or "").strip()
    if not href:
        raise BadReference("empty reference")
    base = ""
    for b in bases:
        b = (b or "").strip()
        if not b:
            continue
        if not b.endswith("/"):
            b += "/"
        base = b if _is_absolute_url(b) or not base else posixpath.join(base, b)
    if _is_absolute_url(href):
        return Reference(launch=href + _query_suffix(href, extra_query), path=None)
    if _is_absolute_url(base):
        url = base + href
        return Reference(launch=url + _query_suffix(url, extra_query), path=None)
    full = base + href
    parts = urlsplit(full)
    if parts.scheme or parts.netloc:
        raise BadReference(f"unsupported reference {href!r} (only relative paths or http(s) URLs)")
    raw_path = unquote(parts.path)
    if raw_path.startswith("/") or "\\" in raw_path or "\x00" in raw_path:
        raise BadReference(f"reference {href!r} is not a relative path", R.PATH_TRAVERSAL)
    norm = posixpath.normpath(raw_path)
    if norm in (".", "") or norm == ".." or norm.startswith("../"):
        raise BadReference(f"reference {href!r} points outside the package", R.PATH_TRAVERSAL)
    launch = norm
    if parts.query:
        launch += "?" + parts.query
    if parts.fragment:
        launch += "#" + parts.fragment
    return Reference(launch=launch + _query_suffix(launch, extra_query), path=norm)


def _query_suffix(url: str, extra: str | None) -> str:
    """Append SCORM item ``parameters`` (CAM 3.4.1.11) the way the ADL guidance describes:
    strip a leading '?' / '&', skip a fragment if the URL has one, join with '?' or '&'."""
    extra = (extra or "").strip()
    while extra[:1] in ("?", "&"):
        extra = extra[1:]
    if not extra:
        return ""
    if extra.startswith("#"):
        return "" if "#" in url else extra
    return ("&" if "?" in url else "?") + extra

"""Content types for package files, independent of the host's /etc/mime.types.

Launch content is served with these types and ``X-Content-Type-Options: nosniff``, so they must
be right and the same on every machine: the standard library's built-in table plus the web
types it lacks or gets wrong for course content.
"""

from __future__ import annotations

import mimetypes
import posixpath

_TABLE = mimetypes.MimeTypes(filenames=())
_EXTRA = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".xsd": "application/xml",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".vtt": "text/vtt",
    ".wasm": "application/wasm",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".webm": "video/webm",
    ".ogg": "audio/ogg",
}
DEFAULT = "application/octet-stream"


def guess_content_type(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    return _EXTRA.get(ext) or _TABLE.guess_type("x" + ext, strict=False)[0] or DEFAULT

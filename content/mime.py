"""Content types for package files, independent of the host's /etc/mime.types.

Launch content is served with these types and ``X-Content-Type-Options: nosniff``, so they must
be right and the same on every machine: every web type course content commonly carries (pages,
scripts, styles, images, fonts, audio, video, captions, documents), then the standard library's
built-in table. The types carry no ``charset`` parameter: a package file's encoding is whatever
its author wrote (a ``<meta charset>``, a BOM, ``@charset``), which the browser reads only when
the server names none (WHATWG Encoding, "decode"; HTML "determining the character encoding").
"""

from __future__ import annotations

import mimetypes
import posixpath

_TABLE = mimetypes.MimeTypes(filenames=())
_WEB = {
    # documents, scripts, styles, data
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".xht": "application/xhtml+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".jsonld": "application/ld+json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".xsd": "application/xml",
    ".dtd": "application/xml-dtd",
    ".xsl": "application/xslt+xml",
    ".xslt": "application/xslt+xml",
    ".rdf": "application/rdf+xml",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".appcache": "text/cache-manifest",
    ".wasm": "application/wasm",
    # images
    ".png": "image/png",
    ".apng": "image/apng",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".jfif": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".ico": "image/vnd.microsoft.icon",
    ".cur": "image/vnd.microsoft.icon",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    # fonts (RFC 8081; .eot has only its vendor type)
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ttc": "font/collection",
    ".eot": "application/vnd.ms-fontobject",
    # video
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    ".avi": "video/x-msvideo",
    ".wmv": "video/x-ms-wmv",
    ".flv": "video/x-flv",
    ".mpeg": "video/mpeg",
    ".mpg": "video/mpeg",
    ".3gp": "video/3gpp",
    ".ts": "video/mp2t",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    # audio
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".weba": "audio/webm",
    ".mid": "audio/midi",
    ".midi": "audio/midi",
    ".wma": "audio/x-ms-wma",
    # captions and subtitles
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".ttml": "application/ttml+xml",
    ".dfxp": "application/ttml+xml",
    # plug-in era and office documents that older courses still link to
    ".swf": "application/x-shockwave-flash",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".epub": "application/epub+zip",
    ".rtf": "application/rtf",
    ".doc": "application/msword",
    ".dot": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pps": "application/vnd.ms-powerpoint",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".ppsx": "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".jar": "application/java-archive",
}
DEFAULT = "application/octet-stream"


def guess_content_type(name: str) -> str:
    """The type of a package file by its extension (case-insensitive); octet-stream if unknown."""
    ext = posixpath.splitext(name)[1].lower()
    return _WEB.get(ext) or _TABLE.guess_type("x" + ext, strict=False)[0] or DEFAULT

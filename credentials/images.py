"""Default achievement images, made without an image library.

Baking (OB 3.0 §5.3) needs an image per Achievement; organizations may upload their own. When
they do not, these give a small valid PNG (zlib + struct, RFC 2083 / PNG spec chunks) and an
SVG with the achievement name and level.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from xml.sax.saxutils import escape

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return 40 + digest[0] % 150, 60 + digest[1] % 120, 90 + digest[2] % 140


def default_png(seed: str = "", size: int = 128) -> bytes:
    """A ``size`` x ``size`` RGB badge: a coloured disc with a ring on white."""
    r, g, b = _colour(seed)
    centre = (size - 1) / 2
    outer, inner = size * 0.48, size * 0.40
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type 0
        for x in range(size):
            d = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            if d <= inner:
                row += bytes((r, g, b))
            elif d <= outer:
                row += bytes((255, 200, 40))
            else:
                row += b"\xff\xff\xff"
        rows.append(bytes(row))
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + png_chunk(b"IEND", b"")
    )


def default_svg(title: str, subtitle: str = "", seed: str = "") -> str:
    r, g, b = _colour(seed or title)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        f"<title>{escape(title)}</title>"
        '<circle cx="128" cy="128" r="122" fill="#ffc828"/>'
        f'<circle cx="128" cy="128" r="104" fill="rgb({r},{g},{b})"/>'
        '<text x="128" y="122" font-size="20" text-anchor="middle" fill="#fff">'
        f"{escape(title[:14])}</text>"
        '<text x="128" y="152" font-size="14" text-anchor="middle" fill="#fff">'
        f"{escape(subtitle[:20])}</text>"
        "</svg>\n"
    )

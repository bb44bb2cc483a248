"""QR codes for share pages: inline SVG for the page, PNG for printing and messaging apps.

segno (pure Python) makes both, so nothing is fetched at run time. Error correction M (15%)
survives a phone photo of a screen or a slightly creased print-out; a 4-module quiet zone is the
standard's minimum and what phone scanners expect. The code holds only the page's address: the
share code is the secret, so the QR is as private as the link.
"""

from __future__ import annotations

import io
from html import escape

import segno

ERROR_LEVEL = "m"
BORDER = 4


def _make(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_LEVEL, micro=False)


def qr_svg(url: str, title: str) -> str:
    """An inline ``<svg>`` that scales with CSS (viewBox, no fixed size), with a title."""
    svg = _make(url).svg_inline(
        omitsize=True,
        border=BORDER,
        dark="#000",
        light="#fff",
        svgclass="qr",
        lineclass=None,
        title=title,
        desc=url,
    )
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)


def qr_png(url: str, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _make(url).save(buffer, kind="png", scale=scale, border=BORDER, dark="#000", light="#fff")
    return buffer.getvalue()

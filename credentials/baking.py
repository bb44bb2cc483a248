"""Baked badges: the compact JWT embedded in the achievement image (OB 3.0 §5.3 Baking).

PNG (§5.3.1): an ``iTXt`` chunk with keyword ``openbadgecredential``, compression flag 0, empty
language tag and translated keyword, text = the compact JWS, inserted before ``IEND``. A PNG
that already carries one is refused (there must be only one). Extraction also reads a
compressed iTXt (flag 1, zlib), which other bakers may write.

SVG (§5.3.2): the root gets ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` and a first
child ``<openbadges:credential verify="JWS"/>``. SVG input is parsed with defusedxml (no
entities, no external resources).

Every failure is a BakingError whose ``code`` is one of ``no_credential``,
``multiple_credentials``, ``not_a_png``, ``not_an_svg``, ``corrupt``, ``already_baked``.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from credentials.images import PNG_SIGNATURE, png_chunk

ITXT_KEYWORD = b"openbadgecredential"
OB_NS = "https://purl.imsglobal.org/ob/v3p0"
SVG_NS = "http://www.w3.org/2000/svg"
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_TOKEN_CHARS = 1024 * 1024
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")


class BakingError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _chunks(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """Yield (offset, type, payload) of each chunk; check CRCs; stop after IEND."""
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError("corrupt", "image larger than the 10 MiB limit")
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not_a_png", "the data does not start with the PNG signature")
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise BakingError("corrupt", "PNG ends before its IEND chunk")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise BakingError("corrupt", "PNG chunk runs past the end of the file")
        payload = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + payload) & 0xFFFFFFFF != crc:
            raise BakingError("corrupt", f"bad CRC in PNG chunk {kind!r}")
        yield pos, kind, payload
        if kind == b"IEND":
            return
        pos = end


def _itxt_credential(payload: bytes) -> str | None:
    """The text of an ``openbadgecredential`` iTXt chunk, or None for other keywords."""
    keyword, sep, rest = payload.partition(b"\x00")
    if not sep or keyword != ITXT_KEYWORD:
        return None
    if len(rest) < 2:
        raise BakingError("corrupt", "truncated iTXt chunk")
    flag, method, rest = rest[0], rest[1], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    if flag == 1:
        if method != 0:
            raise BakingError("corrupt", "unknown iTXt compression method")
        try:
            inflater = zlib.decompressobj()
            text = inflater.decompress(text, MAX_TOKEN_CHARS + 1)
        except zlib.error as exc:
            raise BakingError("corrupt", "compressed iTXt is not zlib data") from exc
    elif flag != 0:
        raise BakingError("corrupt", "bad iTXt compression flag")
    if len(text) > MAX_TOKEN_CHARS:
        raise BakingError("corrupt", "embedded credential is too large")
    try:
        return text.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise BakingError("corrupt", "iTXt text is not UTF-8") from exc


def extract_from_png(data: bytes) -> str:
    """The one credential baked into a PNG (a compact JWS, or JSON from other bakers)."""
    found = []
    for _pos, kind, payload in _chunks(bytes(data)):
        if kind == b"iTXt":
            text = _itxt_credential(payload)
            if text is not None:
                found.append(text)
    if not found:
        raise BakingError("no_credential", "the PNG carries no openbadgecredential iTXt chunk")
    if len(found) > 1:
        raise BakingError("multiple_credentials", "the PNG carries more than one credential")
    return found[0]


def bake_png(png_bytes: bytes, token: str) -> bytes:
    if not _JWS.match(token or ""):
        raise BakingError("corrupt", "only a compact JWS can be baked")
    iend_at = None
    for pos, kind, payload in _chunks(bytes(png_bytes)):
        if kind == b"iTXt" and _itxt_credential(payload) is not None:
            raise BakingError("already_baked", "the PNG already carries a credential")
        if kind == b"IEND":
            iend_at = pos
    chunk = png_chunk(b"iTXt", ITXT_KEYWORD + b"\x00\x00\x00\x00\x00" + token.encode("ascii"))
    return png_bytes[:iend_at] + chunk + png_bytes[iend_at:]


def _parse_svg(svg: str | bytes) -> ET.Element:
    raw = svg.encode("utf-8") if isinstance(svg, str) else bytes(svg)
    if len(raw) > MAX_IMAGE_BYTES:
        raise BakingError("corrupt", "image larger than the 10 MiB limit")
    try:
        root = DET.fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise BakingError("not_an_svg", "the data is not well-formed, safe XML") from exc
    if root.tag not in (f"{{{SVG_NS}}}svg", "svg"):
        raise BakingError("not_an_svg", "the XML root is not an <svg> element")
    return root


def extract_from_svg(svg: str | bytes) -> str:
    root = _parse_svg(svg)
    found = []
    for element in root.iter(f"{{{OB_NS}}}credential"):
        verify = element.get("verify")
        text = (verify if verify is not None else (element.text or "")).strip()
        found.append(text)
    if not found:
        raise BakingError("no_credential", "the SVG carries no openbadges:credential element")
    if len(found) > 1:
        raise BakingError("multiple_credentials", "the SVG carries more than one credential")
    if not found[0]:
        raise BakingError("no_credential", "the openbadges:credential element is empty")
    return found[0]


_ROOT_OPEN = re.compile(r"<svg\b[^>]*?(/?)>", re.DOTALL)


def bake_svg(svg: str | bytes, token: str) -> str:
    """Insert the credential as the first child of <svg>, keeping the rest byte-for-byte."""
    if not _JWS.match(token or ""):
        raise BakingError("corrupt", "only a compact JWS can be baked")
    root = _parse_svg(svg)
    if next(root.iter(f"{{{OB_NS}}}credential"), None) is not None:
        raise BakingError("already_baked", "the SVG already carries a credential")
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    match = _ROOT_OPEN.search(text)
    if match is None:
        raise BakingError("not_an_svg", "no <svg> start tag")
    start_tag = match.group(0)
    self_closing = bool(match.group(1))
    head = start_tag[:-2] if self_closing else start_tag[:-1]
    if "xmlns:openbadges=" not in head:
        head += f' xmlns:openbadges="{OB_NS}"'
    element = f'<openbadges:credential verify="{token}"/>'
    new = head + ">" + element + ("</svg>" if self_closing else "")
    return text[: match.start()] + new + text[match.end() :]

"""Bitstring encoding of W3C Bitstring Status List v1.0 (§2.1 and §3.1 bitstring generation).

The list is a bitstring whose index 0 is the left-most bit: the most significant bit of byte 0.
``encodedList`` is the bitstring GZIP-compressed, then base64url without padding, with the
Multibase prefix ``u``. The minimum size is 131,072 bits (16 KiB) for herd privacy (§6.4).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib

MIN_BITS = 131_072
MAX_DECODED_BYTES = 16 * 1024 * 1024  # refuse lists that inflate beyond 16 MiB (zip bombs)
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class StatusListDecodeError(ValueError):
    """The encodedList is not multibase-u base64url GZIP data (or is too large)."""


def empty_bitstring(size_bits: int = MIN_BITS) -> bytes:
    if size_bits < MIN_BITS or size_bits % 8:
        raise ValueError(f"status lists hold at least {MIN_BITS} bits, in whole bytes")
    return bytes(size_bits // 8)


def get_bit(bitstring: bytes, index: int) -> bool:
    if index < 0 or index >= len(bitstring) * 8:
        raise IndexError("status index out of range")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def set_bit(bitstring: bytes, index: int, value: bool) -> bytes:
    if index < 0 or index >= len(bitstring) * 8:
        raise IndexError("status index out of range")
    data = bytearray(bitstring)
    mask = 0x80 >> (index % 8)
    if value:
        data[index // 8] |= mask
    else:
        data[index // 8] &= ~mask & 0xFF
    return bytes(data)


def encode_list(bitstring: bytes) -> str:
    compressed = gzip.compress(bitstring, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_list(encoded: object) -> bytes:
    """The bitstring of an ``encodedList`` (any JSON value); raises StatusListDecodeError."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListDecodeError("encodedList must carry the multibase 'u' prefix")
    body = encoded[1:]
    if not _B64URL.fullmatch(body):
        raise StatusListDecodeError("encodedList is not base64url")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StatusListDecodeError("encodedList is not base64url") from exc
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = inflater.decompress(compressed, MAX_DECODED_BYTES + 1)
    except zlib.error as exc:
        raise StatusListDecodeError("encodedList is not GZIP data") from exc
    if len(data) > MAX_DECODED_BYTES or inflater.unconsumed_tail:
        raise StatusListDecodeError("encodedList inflates beyond the size limit")
    if not inflater.eof or not data:
        raise StatusListDecodeError("encodedList is truncated or empty")
    return data

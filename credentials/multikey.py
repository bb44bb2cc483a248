"""Ed25519 public keys and signatures written as Multibase base58btc strings (``z...``).

Data Integrity EdDSA Cryptosuites v1.0 "Multikey": an Ed25519 public key is the
two-byte multicodec header ``0xed01`` (ed25519-pub) then the 32 key bytes, base58btc-encoded
with the Multibase prefix ``z`` (so every such key starts ``z6Mk``); any other header MUST be
refused. "DataIntegrityProof": ``proofValue`` is the 64-byte signature, Multibase base58btc too.

base58btc (the Bitcoin alphabet) is a few lines, so it lives here rather than as a dependency.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(ALPHABET)}
ED25519_PUB_HEADER = b"\xed\x01"
# Longest text worth decoding: a 64-byte signature is at most 88 characters; a bound keeps
# the quadratic big-integer decoding cheap for hostile input.
_MAX_TEXT = 200


class MultikeyError(ValueError):
    """A value that is not a base58btc Multibase string, or not an Ed25519 Multikey."""


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(ALPHABET[rest])
    # each leading zero byte is written as a leading "1"
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    if len(text) > _MAX_TEXT:
        raise MultikeyError("base58btc value too long")
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise MultikeyError("not base58btc")
        number = number * 58 + value
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + body


def decode_multibase(value: str) -> bytes:
    """The bytes of a Multibase base58btc string; the only base these suites allow."""
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise MultikeyError("not a Multibase base58btc value (must start with 'z')")
    return b58decode(value[1:])


def encode_multibase(data: bytes) -> str:
    return "z" + b58encode(data)


def decode_ed25519_multikey(value: str) -> Ed25519PublicKey:
    raw = decode_multibase(value)
    if raw[:2] != ED25519_PUB_HEADER:
        raise MultikeyError("not an Ed25519 public key (multicodec header is not 0xed01)")
    if len(raw) != 34:
        raise MultikeyError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def encode_ed25519_multikey(key: Ed25519PublicKey) -> str:
    return encode_multibase(ED25519_PUB_HEADER + key.public_bytes(Encoding.Raw, PublicFormat.Raw))

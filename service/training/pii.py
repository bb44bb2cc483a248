"""Protection of learners' ID and phone numbers (PIPL): keyed fingerprint, encryption, masking.

Three representations, each for one purpose (DESIGN.md, Domain / Learners):

- ``fingerprint``: HMAC-SHA256 under a server key, for deduplication and lookup. A plain hash
  would not do: the ID space is small enough (region x birth date x sequence) to brute-force.
- ``encrypt`` / ``decrypt``: AES-256-GCM copy for authorised, audited export only.
- ``mask_id`` / ``mask_phone``: what people see everywhere else.

Both keys are derived from the service master key with HKDF-SHA256 under distinct ``info`` labels,
so one secret in settings yields independent keys and a compromise of one use does not reveal
the other. Ciphertexts carry a version prefix (``b"v1"``) so keys and algorithms can rotate later:
``decrypt`` dispatches on the prefix.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HMAC_KEY_INFO = b"skills/pii-hmac/v1"
ENC_KEY_INFO = b"skills/pii-enc/v1"
KEY_LENGTH = 32
MIN_MASTER_KEY_LENGTH = 16
FORMAT_V1 = b"v1"
NONCE_LENGTH = 12


class PiiDecryptError(ValueError):
    """A ciphertext could not be decrypted: unknown version, truncated, tampered or wrong key.

    The message never includes the ciphertext or any plaintext.
    """


@dataclass(frozen=True, slots=True, repr=False)
class PiiKeys:
    """The two purpose-specific keys derived from the master key (repr hides them)."""

    hmac_key: bytes
    enc_key: bytes

    def __repr__(self) -> str:
        return "PiiKeys(<redacted>)"


def derive_keys(master_key: bytes) -> PiiKeys:
    """Derive the HMAC and the AES key from the service master key with HKDF-SHA256."""
    if not isinstance(master_key, bytes | bytearray) or len(master_key) < MIN_MASTER_KEY_LENGTH:
        raise ValueError(f"master key must be at least {MIN_MASTER_KEY_LENGTH} bytes")

    def _derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=KEY_LENGTH, salt=None, info=info).derive(
            bytes(master_key)
        )

    return PiiKeys(hmac_key=_derive(HMAC_KEY_INFO), enc_key=_derive(ENC_KEY_INFO))


def _normalise(value: str) -> str:
    """Fold width and case so that ``x``/``X`` and full-width digits give the same fingerprint."""
    return unicodedata.normalize("NFKC", value).strip().upper()


class PiiCipher:
    """Fingerprints and encrypts personal numbers under server keys."""

    def __init__(self, hmac_key: bytes, enc_key: bytes) -> None:
        if len(hmac_key) < KEY_LENGTH:
            raise ValueError(f"HMAC key must be at least {KEY_LENGTH} bytes")
        if len(enc_key) != KEY_LENGTH:
            raise ValueError(f"encryption key must be exactly {KEY_LENGTH} bytes (AES-256)")
        self._hmac_key = bytes(hmac_key)
        self._aead = AESGCM(bytes(enc_key))

    @classmethod
    def from_master_key(cls, master_key: bytes) -> PiiCipher:
        keys = derive_keys(master_key)
        return cls(keys.hmac_key, keys.enc_key)

    def __repr__(self) -> str:
        return "PiiCipher(<keys redacted>)"

    def fingerprint(self, id_number: str) -> str:
        """Hex HMAC-SHA256 of the normalised number: equal numbers give equal fingerprints."""
        data = _normalise(id_number).encode("utf-8")
        return hmac.new(self._hmac_key, data, hashlib.sha256).hexdigest()

    def encrypt(self, value: str, *, context: bytes = b"") -> bytes:
        """Encrypt ``value``: ``b"v1" + 12-byte random nonce + ciphertext-and-tag``.

        ``context`` is bound as associated data (e.g. the learner's id), so a ciphertext copied
        onto another row fails to decrypt. The version prefix is authenticated as well.
        """
        nonce = os.urandom(NONCE_LENGTH)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), FORMAT_V1 + context)
        return FORMAT_V1 + nonce + sealed

    def decrypt(self, blob: bytes, *, context: bytes = b"") -> str:
        """Decrypt a value produced by :meth:`encrypt` with the same ``context``."""
        blob = bytes(blob)
        version = blob[:2]
        if version != FORMAT_V1:
            raise PiiDecryptError("unknown ciphertext format version")
        nonce, sealed = blob[2 : 2 + NONCE_LENGTH], blob[2 + NONCE_LENGTH :]
        if len(nonce) != NONCE_LENGTH or len(sealed) < 16:
            raise PiiDecryptError("ciphertext is truncated")
        try:
            plain = self._aead.decrypt(nonce, sealed, FORMAT_V1 + context)
        except InvalidTag:
            raise PiiDecryptError(
                "ciphertext failed authentication (tampered or wrong key)"
            ) from None
        return plain.decode("utf-8")


def mask_id(id_number: str) -> str:
    """``330203********1234``: first 6 (region) and last 4 kept, the 8 birth-date digits hidden.

    Anything that is not 18 characters is masked entirely rather than partially revealed.
    """
    value = _normalise(id_number)
    if len(value) != 18:
        return "*" * len(value)
    return f"{value[:6]}{'*' * 8}{value[-4:]}"


def mask_phone(phone: str) -> str:
    """``138****5678``: first 3 and last 4 of an 11-digit mobile number; otherwise all masked."""
    value = _normalise(phone)
    if len(value) != 11:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"

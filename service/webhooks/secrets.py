"""Endpoint signing secrets: made here, shown once, stored encrypted.

A secret is ``whsec_`` + base64 of 32 random bytes (Standard Webhooks, "Signature scheme":
secrets of 24 to 64 bytes, that prefix by convention). Stored AES-256-GCM under a key derived
from the master key for this purpose only, bound to the endpoint's id (a ciphertext copied onto
another endpoint does not decrypt), with a version prefix like learners' ID numbers.
"""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from service.core.settings import Settings

KEY_LABEL = "skills/webhook-secret/v1"
PREFIX = "whsec_"
_FORMAT = b"v1"


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def _aead(settings: Settings) -> AESGCM:
    return AESGCM(settings.derived_key(KEY_LABEL))


def seal(settings: Settings, endpoint_id: uuid.UUID, secret: str) -> bytes:
    nonce = os.urandom(12)
    return (
        _FORMAT
        + nonce
        + _aead(settings).encrypt(nonce, secret.encode(), _FORMAT + endpoint_id.bytes)
    )


def unseal(settings: Settings, endpoint_id: uuid.UUID, blob: bytes) -> str:
    blob = bytes(blob)
    if blob[:2] != _FORMAT:
        raise ValueError("unknown webhook secret format")
    nonce, sealed = blob[2:14], blob[14:]
    return _aead(settings).decrypt(nonce, sealed, _FORMAT + endpoint_id.bytes).decode()

"""HMAC-SHA256 signatures for the local backend's expiring URLs.

S3 signs its own URLs (SigV4); local storage needs an equivalent so the same launch and
direct-upload flows work on the embedded default. Signatures cover the method, key, expiry and
any constraint (content type, size limit), are URL-safe base64, and are compared in constant
time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: bytes, *parts: str) -> str:
    message = "\n".join(parts).encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(secret: bytes, signature: str, *parts: str) -> bool:
    if not isinstance(signature, str) or not signature:
        return False
    return hmac.compare_digest(sign(secret, *parts).encode(), signature.encode("ascii", "replace"))

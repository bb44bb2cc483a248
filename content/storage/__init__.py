"""Object storage behind one small interface (:class:`ObjectStorage`), two backends.

``make_storage("local", root=..., signing_key=..., public_base_url=...)`` for the embedded
default, ``make_storage("s3", bucket=..., endpoint_url=..., region=..., access_key=...,
secret_key=..., addressing_style="path")`` for production.

The S3 backend (and with it boto3, a large import) is loaded only when it is asked for, so a
service on local storage never pays for it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from content.storage.base import (
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    ObjectStorage,
    PrefixWriter,
    StorageError,
    validate_key,
)
from content.storage.local import LocalStorage, UploadGrant

if TYPE_CHECKING:
    from content.storage.s3 import S3Storage

__all__ = [
    "InvalidKey",
    "LocalStorage",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStorage",
    "PrefixWriter",
    "S3Storage",
    "StorageError",
    "UploadGrant",
    "make_storage",
    "validate_key",
]


def __getattr__(name: str) -> Any:
    if name == "S3Storage":
        from content.storage.s3 import S3Storage

        return S3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_storage(kind: str, **params: Any) -> ObjectStorage:
    """Build a backend from settings values; ``kind`` is "local" or "s3"."""
    if kind == "local":
        return LocalStorage(
            root=params["root"],
            signing_key=params["signing_key"],
            public_base_url=params["public_base_url"],
        )
    if kind == "s3":
        from content.storage.s3 import S3Storage

        return S3Storage(**params)
    raise ValueError(f"unknown storage kind {kind!r} (expected 'local' or 's3')")

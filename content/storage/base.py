"""The one object-storage interface the application uses, and key rules shared by backends.

Keys are '/'-separated relative paths (S3 semantics). They are validated the same way on every
backend so that a key that works in development works in production and can never escape the
local storage root.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

MAX_KEY_BYTES = 1024  # S3 object key limit
#: Unicode general category Cc (control characters) is exactly these two ranges
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
DEFAULT_CHUNK = 1024 * 1024


class StorageError(Exception):
    """A storage operation failed (backend unreachable, permission, corrupt state...)."""


class InvalidKey(StorageError, ValueError):
    """The key is not an acceptable object key."""


class ObjectNotFound(StorageError, KeyError):
    """No object under that key."""


class ReadableStream(Protocol):
    """What :meth:`ObjectStorage.put` reads from: a binary file, or any object with ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class ObjectInfo:
    """What a backend knows of an object without reading it.

    ``etag`` is a strong validator of the object's bytes as the backend defines it (S3: its
    ETag; local: size and modification time), without quotes; ``modified`` is when the object
    was last written (timezone-aware UTC). Both serve HTTP conditional requests (RFC 9110
    section 8.8).
    """

    key: str
    size: int
    content_type: str | None
    etag: str | None = None
    modified: datetime | None = None


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise :class:`InvalidKey`."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("object key must be a non-empty string")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(f"object key longer than {MAX_KEY_BYTES} bytes")
    if key.startswith("/") or "\\" in key:
        raise InvalidKey(f"object key must be relative and use '/': {key!r}")
    if len(key) >= 2 and key[1] == ":" and key[0].isalpha():
        raise InvalidKey(f"object key must not start with a drive letter: {key!r}")
    if CONTROL_CHARACTER.search(key):
        raise InvalidKey("object key contains a control character")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"object key has an empty, '.' or '..' segment: {key!r}")
    return key


def validate_prefix(prefix: str, *, allow_empty: bool) -> str:
    """A prefix is a key, optionally ending with '/', or (for listing only) empty."""
    if prefix == "":
        if not allow_empty:
            raise InvalidKey("an empty prefix is not allowed here")
        return prefix
    validate_key(prefix.rstrip("/") if prefix.endswith("/") and len(prefix) > 1 else prefix)
    return prefix


def _skip(stream: BinaryIO, offset: int) -> None:
    """Position ``stream`` at ``offset``: a seek when it can, else by reading past the bytes."""
    if not offset:
        return
    seekable = getattr(stream, "seekable", None)
    if seekable is not None and seekable():
        stream.seek(offset)
        return
    while offset > 0:
        skipped = stream.read(min(offset, DEFAULT_CHUNK))
        if not skipped:
            return
        offset -= len(skipped)


class ObjectStorage(ABC):
    """Streamed object storage. Implementations: LocalStorage, S3Storage."""

    @abstractmethod
    def put(
        self,
        key: str,
        stream: ReadableStream,
        size: int | None = None,
        content_type: str | None = None,
    ) -> int:
        """Store the bytes read from ``stream`` (in chunks) under ``key``; returns bytes stored.

        The object appears whole or not at all. ``size`` is a hint; it is not trusted.
        """

    def put_file(self, key: str, path: str | Path, content_type: str | None = None) -> int:
        """Store the local file at ``path`` under ``key`` and remove the file; returns bytes
        stored. Backends that can take the file over without copying it (a rename on the same
        filesystem) do so."""
        with open(path, "rb") as fh:
            stored = self.put(
                key, fh, size=os.fstat(fh.fileno()).st_size, content_type=content_type
            )
        os.unlink(path)
        return stored

    def spool_dir_for_put_file(self) -> Path | None:
        """A folder to spool uploads into so that :meth:`put_file` takes them without a copy;
        None when the place does not matter."""
        return None

    def local_path(self, key: str) -> Path | None:
        """The object as a file this process can open directly (no copy needed), or None
        when the backend has no such file (remote stores, or no such object)."""
        validate_key(key)
        return None

    def write_prefix(self, prefix: str) -> PrefixWriter:
        """A writer for many objects under one prefix that appear together (see
        :class:`PrefixWriter`)."""
        return PrefixWriter(self, prefix)

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object (close it). Raises ObjectNotFound."""

    def iter(
        self, key: str, chunk_size: int = DEFAULT_CHUNK, *, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """The object's bytes from offset ``start`` up to ``end`` (exclusive; None: to the end)
        in chunks of at most ``chunk_size``. Raises ObjectNotFound (on the first ``next``)."""
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"invalid byte range {start}..{end}")
        remaining = None if end is None else end - start
        with self.open(key) as stream:
            _skip(stream, start)
            while remaining is None or remaining > 0:
                want = chunk_size if remaining is None else min(chunk_size, remaining)
                chunk = stream.read(want)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None:
        """Size and content type, or None if there is no such object."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix`` (string prefix, S3 semantics), paginated lazily."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix`` (never empty); returns count."""
        validate_prefix(prefix, allow_empty=False)
        count = 0
        for key in list(self.list(prefix)):
            self.delete(key)
            count += 1
        return count

    @abstractmethod
    def presigned_get(self, key: str, expires_seconds: int, content_type: str | None = None) -> str:
        """An expiring URL anyone holding it can GET the object from."""

    @abstractmethod
    def presigned_post(self, key: str, max_bytes: int, expires_seconds: int) -> dict[str, Any]:
        """``{"url", "fields"}`` for a browser form POST of at most ``max_bytes`` to ``key``."""

    @abstractmethod
    def check(self) -> None:
        """Raise StorageError if the storage cannot be used (readiness probe)."""


class PrefixWriter:
    """Writes the objects of one prefix (a package version): ``put`` each, then ``commit``,
    or ``abort`` to leave nothing of this run behind.

    This default stores each object as it comes (every object is atomic on its own, as S3
    PUTs are); on abort it removes what it wrote, except objects that were already there
    before the run (content-addressed prefixes: an earlier run stored the same bytes). Backends
    that can do better make the whole prefix appear at once (LocalStorage: one rename).
    """

    def __init__(self, storage: ObjectStorage, prefix: str):
        validate_prefix(prefix, allow_empty=False)
        if not prefix.endswith("/"):
            raise InvalidKey(f"a prefix to write must end with '/': {prefix!r}")
        self.storage = storage
        self.prefix = prefix
        self._existing = set(storage.list(prefix))
        self._written: list[str] = []

    def put(
        self,
        name: str,
        stream: ReadableStream,
        size: int | None = None,
        content_type: str | None = None,
    ) -> int:
        """Store ``stream`` as ``<prefix><name>``; returns bytes stored."""
        key = self.prefix + name
        self._written.append(key)
        return self.storage.put(key, stream, size=size, content_type=content_type)

    def commit(self) -> None:
        """Make what was put visible (here: it already is)."""

    def abort(self) -> None:
        """Remove what this writer stored, and only that: the prefix is content-addressed, so
        a concurrent ingest of the same bytes may have stored (and published) it meanwhile.
        Raises StorageError when that fails."""
        for key in self._written:
            if key not in self._existing:
                self.storage.delete(key)

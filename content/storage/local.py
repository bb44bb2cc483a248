"""Object storage in a local directory: the embedded default (``./var/objects``).

Layout under ``root``: objects at ``root/<key>``; partial writes in ``root/.skills-tmp`` (same
filesystem, so the final ``os.replace`` is atomic: readers see the whole object or nothing);
explicitly set content types in ``root/.skills-meta/<key>``. Keys whose first segment is one of
those two reserved names are refused.

A whole prefix (a package version: thousands of files) is written into one staging folder
under ``.skills-tmp`` with a plain ``open`` per file, then renamed into place in one step
(:meth:`LocalStorage.write_prefix`): readers see all of the version or none of it, and there is
no temporary file, rename and folder check per object. Uploads spooled into ``.skills-tmp``
become objects by a rename too (:meth:`LocalStorage.put_file`).

Presigned URLs are HMAC-signed service URLs (``/objects/<key>`` for GET,
``/objects-upload/<key>`` for POST); the service routes call :meth:`LocalStorage.verify_signed_url`
and :meth:`LocalStorage.verify_upload_fields` before serving or accepting bytes.
"""

from __future__ import annotations

import contextlib
import errno
import mimetypes
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode

import content.storage.signing as signing
from content.storage.base import (
    DEFAULT_CHUNK,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    ObjectStorage,
    PrefixWriter,
    ReadableStream,
    StorageError,
    validate_key,
    validate_prefix,
)

TMP_DIR = ".skills-tmp"
META_DIR = ".skills-meta"
RESERVED = {TMP_DIR, META_DIR}
#: what may be left in ``.skills-tmp`` by a killed process: staged prefixes, partial objects,
#: spooled uploads (:meth:`LocalStorage.sweep_tmp` removes them once old)
TMP_PATTERNS = ("stage-*", "put-*", "check-*", "upload-*.part", "ingest-*.zip")


@dataclass(frozen=True)
class UploadGrant:
    """What a verified local presigned POST allows: one key, at most ``max_bytes``."""

    key: str
    max_bytes: int


class LocalStorage(ObjectStorage):
    def __init__(self, root: Path | str, signing_key: bytes, public_base_url: str):
        if not signing_key:
            raise ValueError("signing_key must not be empty")
        self.root = Path(root).resolve()
        self.signing_key = signing_key
        self.public_base_url = public_base_url.rstrip("/")
        self.root.mkdir(parents=True, exist_ok=True)

    # --- paths ---
    def _path(self, key: str) -> Path:
        validate_key(key)
        if key.split("/", 1)[0] in RESERVED:
            raise InvalidKey(f"object key uses a reserved name: {key!r}")
        path = self.root.joinpath(*key.split("/"))
        if not path.resolve().is_relative_to(self.root):
            raise InvalidKey(f"object key escapes the storage root: {key!r}")
        return path

    def _meta(self, key: str) -> Path:
        return self.root.joinpath(META_DIR, *key.split("/"))

    @property
    def tmp_dir(self) -> Path:
        """Where partial writes live: the same filesystem as the objects, so a rename from
        here is atomic. Upload spools placed here become objects without a copy."""
        tmp_dir = self.root / TMP_DIR
        tmp_dir.mkdir(exist_ok=True)
        return tmp_dir

    # --- interface ---
    def put(
        self,
        key: str,
        stream: ReadableStream,
        size: int | None = None,
        content_type: str | None = None,
    ) -> int:
        path = self._path(key)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp_dir, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                written = _copy(stream, out)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        self._set_meta(key, content_type)
        return written

    def put_file(self, key: str, path: str | Path, content_type: str | None = None) -> int:
        """A rename when ``path`` is on the storage's filesystem (spool uploads into
        :attr:`tmp_dir` for that), else a copy."""
        target = self._path(key)
        size = os.stat(path).st_size
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            return super().put_file(key, path, content_type)
        self._set_meta(key, content_type)
        return size

    def spool_dir_for_put_file(self) -> Path | None:
        return self.tmp_dir

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def write_prefix(self, prefix: str) -> PrefixWriter:
        return _StagedPrefix(self, prefix)

    def _set_meta(self, key: str, content_type: str | None) -> None:
        meta = self._meta(key)
        if content_type and content_type != _guess(key):
            meta.parent.mkdir(parents=True, exist_ok=True)
            meta.write_text(content_type, encoding="utf-8")
        elif meta.exists():
            meta.unlink()

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        meta = self._meta(key)
        ctype = meta.read_text(encoding="utf-8") if meta.is_file() else _guess(key)
        return ObjectInfo(
            key=key,
            size=st.st_size,
            content_type=ctype,
            # objects are replaced whole (os.replace), so size + mtime change with the bytes
            etag=f"{st.st_size:x}-{st.st_mtime_ns:x}",
            modified=datetime.fromtimestamp(st.st_mtime, UTC),
        )

    def delete(self, key: str) -> None:
        path = self._path(key)
        for p in (path, self._meta(key)):
            with contextlib.suppress(OSError):
                p.unlink()
            self._prune(p.parent)

    def _prune(self, directory: Path) -> None:
        """Remove now-empty parent folders so deleted prefixes leave no trace."""
        stop = {self.root, self.root / META_DIR}
        while directory not in stop and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix, allow_empty=True)
        base_dir = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*base_dir.split("/")) if base_dir else self.root
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            rel_dir = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            if rel_dir == ".":
                rel_dir = ""
                dirnames[:] = [d for d in dirnames if d not in RESERVED]
            dirnames.sort()
            for name in sorted(filenames):
                key = f"{rel_dir}/{name}" if rel_dir else name
                if key.startswith(prefix):
                    yield key

    def delete_prefix(self, prefix: str) -> int:
        validate_prefix(prefix, allow_empty=False)
        keys = list(self.list(prefix))
        for key in keys:
            self.delete(key)
        return len(keys)

    def sweep_tmp(self, older_than: float) -> int:
        """Remove what killed processes left in :attr:`tmp_dir` (staged prefixes, partial
        objects, spooled uploads) last changed before the epoch time ``older_than``."""
        removed = 0
        for pattern in TMP_PATTERNS:
            for path in self.tmp_dir.glob(pattern):
                try:
                    if path.lstat().st_mtime >= older_than:
                        continue
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
                    removed += 1
                except FileNotFoundError:
                    continue  # its owner finished meanwhile
        return removed

    def check(self) -> None:
        try:
            fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="check-")
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            raise StorageError(f"local storage at {self.root} is not writable: {exc}") from exc

    # --- signed URLs ---
    def presigned_get(self, key: str, expires_seconds: int, content_type: str | None = None) -> str:
        validate_key(key)
        expires = int(time.time()) + int(expires_seconds)
        params = {"expires": str(expires)}
        if content_type:
            params["ct"] = content_type
        params["sig"] = signing.sign(self.signing_key, "GET", key, str(expires), content_type or "")
        return f"{self.public_base_url}/objects/{quote(key)}?{urlencode(params)}"

    def verify_signed_url(
        self,
        key: str,
        expires: str | int,
        sig: str,
        content_type: str | None = None,
        now: float | None = None,
    ) -> bool:
        """True if ``sig`` was made by :meth:`presigned_get` for this key and has not expired."""
        try:
            expires_at = int(expires)
            validate_key(key)
        except (TypeError, ValueError):
            return False
        if expires_at < (time.time() if now is None else now):
            return False
        return signing.verify(
            self.signing_key, sig, "GET", key, str(expires_at), content_type or ""
        )

    def presigned_post(self, key: str, max_bytes: int, expires_seconds: int) -> dict[str, Any]:
        validate_key(key)
        expires = str(int(time.time()) + int(expires_seconds))
        fields = {"key": key, "expires": expires, "max_bytes": str(int(max_bytes))}
        fields["sig"] = signing.sign(self.signing_key, "POST", key, expires, fields["max_bytes"])
        return {"url": f"{self.public_base_url}/objects-upload/{quote(key)}", "fields": fields}

    def verify_upload_fields(
        self, fields: Mapping[str, str], now: float | None = None
    ) -> UploadGrant | None:
        """The grant described by form ``fields`` from :meth:`presigned_post`, or None.

        The route must then store at most ``grant.max_bytes`` (count while streaming) under
        ``grant.key`` and refuse the upload beyond that.
        """
        try:
            key = validate_key(str(fields["key"]))
            expires = int(fields["expires"])
            max_bytes = int(fields["max_bytes"])
            sig = str(fields["sig"])
        except (KeyError, TypeError, ValueError):
            return None
        if expires < (time.time() if now is None else now):
            return None
        if not signing.verify(self.signing_key, sig, "POST", key, str(expires), str(max_bytes)):
            return None
        return UploadGrant(key=key, max_bytes=max_bytes)


def _guess(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def _copy(stream: ReadableStream, out: BinaryIO) -> int:
    written = 0
    while chunk := stream.read(DEFAULT_CHUNK):
        out.write(chunk)
        written += len(chunk)
    return written


class _StagedPrefix(PrefixWriter):
    """A prefix written into ``.skills-tmp/stage-*/{objects,meta}`` and renamed into place.

    If the prefix already exists (an earlier run of the same content-addressed bytes, or a
    concurrent one that committed first), the staged files replace their namesakes one by
    one, each atomically, as a re-run of single puts would.
    """

    def __init__(self, storage: LocalStorage, prefix: str):
        validate_prefix(prefix, allow_empty=False)
        if not prefix.endswith("/"):
            raise InvalidKey(f"a prefix to write must end with '/': {prefix!r}")
        self.storage = storage
        self.prefix = prefix
        self.target = storage._path(prefix.rstrip("/"))
        self.meta_target = storage._meta(prefix.rstrip("/"))
        self.stage = Path(tempfile.mkdtemp(dir=storage.tmp_dir, prefix="stage-"))
        self._made: set[Path] = set()

    def _folder(self, path: Path) -> None:
        if path not in self._made:
            path.mkdir(parents=True, exist_ok=True)
            self._made.add(path)

    def put(
        self,
        name: str,
        stream: ReadableStream,
        size: int | None = None,
        content_type: str | None = None,
    ) -> int:
        key = validate_key(self.prefix + name)
        parts = name.split("/")
        path = self.stage.joinpath("objects", *parts)
        self._folder(path.parent)
        with open(path, "xb") as out:  # "x": a name staged twice is a caller's bug
            written = _copy(stream, out)
        if content_type and content_type != _guess(key):
            meta = self.stage.joinpath("meta", *parts)
            self._folder(meta.parent)
            meta.write_text(content_type, encoding="utf-8")
        return written

    def commit(self) -> None:
        """Content types first, then the objects in one rename: a reader that finds an object
        finds its type too."""
        meta_fresh = _move_tree(self.stage / "meta", self.meta_target)
        try:
            _move_tree(self.stage / "objects", self.target)
        except BaseException:
            if meta_fresh:
                shutil.rmtree(self.meta_target, ignore_errors=True)
            raise
        shutil.rmtree(self.stage, ignore_errors=True)

    def abort(self) -> None:
        try:
            shutil.rmtree(self.stage)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"cannot remove staged files {self.stage}: {exc}") from exc


def _move_tree(source: Path, target: Path) -> bool:
    """Move folder ``source`` to ``target``; True when it went in one rename (``target`` was
    not there), False when it was merged into an existing ``target`` file by file."""
    if not source.is_dir():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)  # replaces nothing but an empty folder (POSIX rename(2))
        return True
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    for folder, _, files in os.walk(source):
        rel = os.path.relpath(folder, source)
        out = target if rel == "." else target / rel
        out.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.replace(os.path.join(folder, name), out / name)
    return False

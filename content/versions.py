"""Package versions: recording uploads, running ingest, and the publish/retire lifecycle.

Plain functions over a DB session and an :class:`ObjectStorage`; the service's routes and jobs
call them. Rules:

* identical bytes (same SHA-256) uploaded again to the same package are recognised, not stored
  twice: the existing version is returned;
* a version's files are immutable once ``ready``; only its status moves afterwards
  (ready -> published -> retired);
* a rejected version leaves nothing in storage (``ingest_archive`` cleans up after itself).
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from content.ingest import HASH_CHUNK, CleanupFailed, hash_stream, ingest_archive
from content.limits import ArchiveLimits
from content.models import Package, PackageVersion, VersionStatus, utcnow
from content.reasons import Reason
from content.storage.base import InvalidKey, ObjectNotFound, ObjectStorage

UPLOAD_PREFIX = "uploads/"
DUPLICATE_UPLOAD = "duplicate_upload"
UPLOAD_MISSING = "upload_missing"

_TRANSITIONS = {
    "publish": ({VersionStatus.ready}, VersionStatus.published),
    "retire": ({VersionStatus.published, VersionStatus.ready}, VersionStatus.retired),
}


class LifecycleError(Exception):
    def __init__(self, current: str, action: str):
        super().__init__(f"version is {current}; it cannot be {action}ed")
        self.current = current
        self.action = action


def upload_key_for(version_id: uuid.UUID) -> str:
    return f"{UPLOAD_PREFIX}{version_id}.zip"


def find_by_sha(session: Session, package_id: uuid.UUID, sha256: str) -> PackageVersion | None:
    return session.exec(
        select(PackageVersion).where(
            PackageVersion.package_id == package_id, PackageVersion.sha256 == sha256
        )
    ).first()


def _next_number(session: Session, package_id: uuid.UUID) -> int:
    current = session.exec(
        select(func.max(PackageVersion.number)).where(PackageVersion.package_id == package_id)
    ).one()
    return int(current or 0) + 1


def new_version(
    session: Session,
    package: Package,
    *,
    created_by: uuid.UUID | None,
    status: VersionStatus,
    sha256: str | None = None,
    size_bytes: int | None = None,
    version_id: uuid.UUID | None = None,
) -> PackageVersion:
    """Adds a numbered version; numbers are retried on the rare concurrent collision."""
    version_id = version_id or uuid.uuid4()
    for _ in range(5):
        version = PackageVersion(
            id=version_id,
            package_id=package.id,
            number=_next_number(session, package.id),
            status=status,
            sha256=sha256,
            size_bytes=size_bytes,
            upload_key=upload_key_for(version_id),
            created_by=created_by,
        )
        try:
            with session.begin_nested():
                session.add(version)
                session.flush()
            return version
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a version number")


@dataclass
class IngestOutcome:
    status: str
    duplicate_of: uuid.UUID | None = None


def ingest_version(
    session: Session,
    version: PackageVersion,
    storage: ObjectStorage,
    limits: ArchiveLimits,
    spool_dir: str | None = None,
) -> IngestOutcome:
    """Check, parse and store an uploaded version (the ingest job's body).

    Idempotent: a version that is no longer ``processing`` is left alone, and re-running after
    a crash writes the same content-addressed objects again. The caller deletes
    ``version.upload_key`` after committing the outcome.
    """
    if version.status != VersionStatus.processing:
        return IngestOutcome(version.status, version.duplicate_of)
    if version.upload_key is None:  # new_version always sets it
        raise InvalidKey("object key must be a non-empty string")  # as open() would
    with contextlib.ExitStack() as stack:
        try:
            spool, sha256, size = stack.enter_context(
                _opened_upload(storage, version.upload_key, version.sha256, spool_dir)
            )
        except ObjectNotFound:
            _reject(version, [Reason(UPLOAD_MISSING, None, "The uploaded file was not found.")])
            session.add(version)
            return IngestOutcome(version.status)
        version.size_bytes = size
        earlier = find_by_sha(session, version.package_id, sha256)
        if earlier is not None and earlier.id != version.id:
            # Direct uploads learn their hash only here: point at the version already made.
            version.duplicate_of = earlier.id
            _reject(
                version,
                [
                    Reason(
                        DUPLICATE_UPLOAD,
                        None,
                        f"Identical to version {earlier.number} of this package.",
                    )
                ],
            )
        else:
            version.sha256 = sha256
            try:
                result = ingest_archive(spool, storage, limits, sha256=sha256)
            except CleanupFailed:
                raise  # the job retries; nothing is marked until storage is clean
            report = result.report
            version.errors = [r.to_dict() for r in report.errors]
            version.warnings = [r.to_dict() for r in report.warnings]
            version.entry_count = report.entry_count
            version.total_size = report.total_size
            manifest = report.manifest
            if manifest is not None:
                version.format = manifest.format
                version.title = (manifest.title or "")[:500] or None
                version.identifier = (manifest.identifier or "")[:500] or None
                version.launch = manifest.launch
                version.declared_minutes = manifest.declared_minutes
                version.units = [u.to_dict() for u in manifest.units]
            if result.accepted:
                version.status = VersionStatus.ready
                version.storage_prefix = result.prefix
                version.launch_key = result.launch_key
            else:
                version.status = VersionStatus.rejected
    version.ingested_at = utcnow()
    session.add(version)
    # The upload itself is removed by a follow-up job once this result is committed, so a
    # crash before the commit can re-run the ingest from the same bytes.
    return IngestOutcome(version.status, version.duplicate_of)


@contextlib.contextmanager
def _opened_upload(
    storage: ObjectStorage, key: str, known_sha256: str | None, spool_dir: str | None
) -> Iterator[tuple[IO[bytes], str, int]]:
    """``(seekable file, sha256, size)`` of an upload, with one pass over its bytes at most.

    A backend that holds the object as a local file is read in place (no copy); others are
    copied once into a spool file, hashed on the way. A hash computed when the bytes were
    received (``known_sha256``, API uploads) is used as is; direct uploads are hashed here.
    """
    path = storage.local_path(key)
    if path is not None:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below; the open inode stays whole
        except FileNotFoundError as exc:  # deleted meanwhile
            raise ObjectNotFound(key) from exc
        with fh:
            if known_sha256 is not None:
                yield fh, known_sha256, fh.seek(0, 2)
            else:
                sha256, size = hash_stream(fh)
                yield fh, sha256, size
        return
    # the prefix lets the service sweep what a killed worker leaves behind
    with tempfile.NamedTemporaryFile(dir=spool_dir, prefix="ingest-", suffix=".zip") as spool:
        digest = hashlib.sha256()
        size = 0
        with storage.open(key) as source:
            while chunk := source.read(HASH_CHUNK):
                if known_sha256 is None:
                    digest.update(chunk)
                spool.write(chunk)
                size += len(chunk)
        spool.flush()
        spool.seek(0)
        yield spool, known_sha256 or digest.hexdigest(), size


def _reject(version: PackageVersion, errors: list[Reason]) -> None:
    version.status = VersionStatus.rejected
    version.errors = [r.to_dict() for r in errors]


def change_status(session: Session, version: PackageVersion, action: str) -> PackageVersion:
    allowed, target = _TRANSITIONS[action]
    if version.status not in allowed:
        raise LifecycleError(version.status, action)
    version.status = target
    if target == VersionStatus.published:
        version.published_at = utcnow()
    else:
        version.retired_at = utcnow()
    session.add(version)
    return version


def latest_published(session: Session, package_id: uuid.UUID) -> PackageVersion | None:
    return session.exec(
        select(PackageVersion)
        .where(
            PackageVersion.package_id == package_id,
            PackageVersion.status == VersionStatus.published,
        )
        .order_by(col(PackageVersion.number).desc())
    ).first()


__all__ = [
    "DUPLICATE_UPLOAD",
    "IngestOutcome",
    "LifecycleError",
    "change_status",
    "find_by_sha",
    "ingest_version",
    "latest_published",
    "new_version",
    "upload_key_for",
]

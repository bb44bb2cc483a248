"""Inspect and ingest uploaded course packages.

``inspect_archive`` is the offline check (``skills packages inspect``, and the first half of
ingest): stream-hash, metadata checks (:mod:`content.safezip`), manifest parsing
(:mod:`content.formats`), then a full inflate to nowhere so that every limit is enforced on
bytes actually produced.

``ingest_archive`` runs the same checks but, instead of inflating to nowhere, streams each
entry into object storage under the content-addressed prefix ``<prefix_root>/<sha256>/``
through one :class:`~content.storage.base.PrefixWriter`: on local storage the version appears
in one rename once every file is written. Any failure (a limit crossed mid-way, a corrupt
entry, storage failing) removes what this run wrote, so a rejected version leaves nothing
behind. Memory stays bounded by the chunk size: no entry is ever held whole except manifests,
which are capped by ``max_manifest_bytes``.

The archive is hashed once on its way in: a caller that hashed the bytes while receiving them
passes ``sha256`` and the archive is not read again for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from content import reasons as R
from content.formats import parse_package
from content.formats.model import PackageManifest
from content.limits import ArchiveLimits
from content.mime import guess_content_type
from content.reasons import Findings, PackageRejected, Reason
from content.safezip import (
    ArchiveScan,
    InflateBudget,
    iter_entry_chunks,
    read_entry,
    scan_archive,
    verify_contents,
)
from content.storage.base import ObjectStorage, StorageError

HASH_CHUNK = 1024 * 1024


class CleanupFailed(StorageError):
    """Rejected, but removing what this run wrote failed (its staging folder, or on S3 its
    own objects): the caller retries the ingest before marking the version rejected. Never
    delete ``exc.prefix`` wholesale: it is content-addressed, and another package may have
    published the same bytes there."""

    def __init__(self, prefix: str, cause: Exception):
        super().__init__(f"could not clean up {prefix!r}: {cause}")
        self.prefix = prefix


@dataclass
class InspectionReport:
    """Everything known about a package after checking it; JSON-able via :meth:`to_dict`."""

    sha256: str
    archive_size: int
    entry_count: int = 0
    file_count: int = 0
    total_size: int = 0
    manifest: PackageManifest | None = None
    errors: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors and self.manifest is not None

    def to_dict(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "accepted": self.accepted,
            "format": m.format if m else None,
            "title": m.title if m else None,
            "identifier": m.identifier if m else None,
            "version": m.version if m else None,
            "schema_version": m.schema_version if m else None,
            "language": m.language if m else None,
            "launch": m.launch if m else None,
            "units": [u.to_dict() for u in m.units] if m else [],
            "declared_minutes": m.declared_minutes if m else None,
            "declared_hours": m.declared_hours if m else None,
            "entry_count": self.entry_count,
            "file_count": self.file_count,
            "total_size": self.total_size,
            "archive_size": self.archive_size,
            "sha256": self.sha256,
            "errors": [r.to_dict() for r in self.errors],
            "warnings": [r.to_dict() for r in self.warnings],
        }


@dataclass
class IngestResult:
    report: InspectionReport
    prefix: str | None = None
    keys: list[str] = field(default_factory=list)
    stored_bytes: int = 0

    @property
    def accepted(self) -> bool:
        return self.report.accepted and self.prefix is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "prefix": self.prefix,
            "keys": list(self.keys),
            "stored_bytes": self.stored_bytes,
            "launch_key": self.launch_key,
            "report": self.report.to_dict(),
        }

    @property
    def launch_key(self) -> str | None:
        """Storage key of the launch file (None for external launch URLs or rejections)."""
        m = self.report.manifest
        if not self.accepted or m is None or not m.launch_path:
            return None
        return f"{self.prefix}{m.launch_path}"


class ArchiveFiles:
    """:class:`content.formats.model.PackageFiles` over a scanned archive."""

    def __init__(self, scan: ArchiveScan, limits: ArchiveLimits):
        self.scan = scan
        self.limits = limits
        # manifests get their own budget so they are not counted twice against the totals
        self.budget = InflateBudget(limits, scan.archive_size)

    def exists(self, path: str) -> bool:
        return path in self.scan.files

    def names(self) -> Iterable[str]:
        return self.scan.files.keys()

    def read(self, path: str) -> bytes:
        assert self.scan.zip is not None
        return read_entry(
            self.scan.zip, self.scan.files[path], self.budget, self.limits.max_manifest_bytes
        )


def hash_stream(fileobj: IO[bytes]) -> tuple[str, int]:
    """SHA-256 (hex) and size of a seekable stream, read in chunks from the start."""
    fileobj.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := fileobj.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


def _check_and_parse(
    fileobj: IO[bytes], limits: ArchiveLimits, sha256: str | None = None
) -> tuple[InspectionReport, ArchiveScan, bool]:
    """Hash (unless known), metadata checks, manifest parsing; the bool says the structure
    checks passed."""
    if sha256 is None:
        sha, size = hash_stream(fileobj)
    else:
        sha, size = sha256, fileobj.seek(0, 2)
        fileobj.seek(0)
    scan = scan_archive(fileobj, limits)
    findings: Findings = scan.findings
    report = InspectionReport(
        sha256=sha,
        archive_size=size,
        entry_count=scan.entry_count,
        file_count=len(scan.files),
        total_size=scan.declared_total,
    )
    structure_ok = scan.zip is not None and findings.ok
    if structure_ok:
        report.manifest = parse_package(ArchiveFiles(scan, limits), findings)
    report.errors, report.warnings = findings.errors, findings.warnings
    return report, scan, structure_ok


def inspect_archive(fileobj: IO[bytes], limits: ArchiveLimits | None = None) -> InspectionReport:
    """Check and describe a package without storing anything.

    ``fileobj`` must be seekable and opened in binary mode. ``total_size`` is the number of
    bytes actually inflated when the archive got that far, else the declared total.
    """
    limits = limits or ArchiveLimits()
    report, scan, structure_ok = _check_and_parse(fileobj, limits)
    try:
        if structure_ok:
            report.total_size = verify_contents(scan, limits)
    finally:
        if scan.zip is not None:
            scan.zip.close()
    return report


class _ChunkReader:
    """File-like ``read(n)`` over a chunk iterator; fills up to ``n`` bytes per call (S3
    multipart needs full-size parts) and never buffers more than ``n``."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buf = bytearray()
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            while not self._done:
                self._fill()
            data = bytes(self._buf)
            self._buf.clear()
            return data
        while len(self._buf) < size and not self._done:
            self._fill()
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data

    def _fill(self) -> None:
        try:
            self._buf += next(self._chunks)
        except StopIteration:
            self._done = True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def ingest_archive(
    fileobj: IO[bytes],
    storage: ObjectStorage,
    limits: ArchiveLimits | None = None,
    prefix_root: str = "packages",
    *,
    sha256: str | None = None,
) -> IngestResult:
    """Check, parse and store a package under ``<prefix_root>/<sha256>/``.

    ``sha256``, when given, is the hex SHA-256 of exactly these bytes as the caller computed
    it while receiving them; it names the prefix without a second pass over the archive.

    Returns an :class:`IngestResult`; ``accepted`` False means nothing of this run is left in
    storage. Identical bytes map to the same prefix: objects that were already there before
    this run (an earlier ingest of the same archive) are never removed by a failed run.
    Raises :class:`CleanupFailed` only if a rejection could not be cleaned up.
    """
    limits = limits or ArchiveLimits()
    report, scan, _ = _check_and_parse(fileobj, limits, sha256)
    result = IngestResult(report=report)
    try:
        if not report.accepted or scan.zip is None:
            return result
        prefix = f"{prefix_root.strip('/')}/{report.sha256}/"
        budget = InflateBudget(limits, scan.archive_size)
        try:
            writer = storage.write_prefix(prefix)
        except Exception as exc:
            report.errors.append(_storage_failed(exc))
            return result
        written: list[str] = []
        try:
            for entry in scan.files.values():
                written.append(prefix + entry.name)
                result.stored_bytes += writer.put(
                    entry.name,
                    _ChunkReader(iter_entry_chunks(scan.zip, entry, budget)),
                    size=entry.declared_size,
                    content_type=guess_content_type(entry.name),
                )
            writer.commit()
        except PackageRejected as exc:
            report.errors.append(exc.reason)
        except Exception as exc:  # storage or anything unexpected: reject, then clean up
            cause = exc.__cause__ if isinstance(exc.__cause__, PackageRejected) else None
            if cause is not None:
                report.errors.append(cause.reason)
            elif isinstance(exc.__context__, PackageRejected):
                report.errors.append(exc.__context__.reason)
            else:
                report.errors.append(_storage_failed(exc))
        if report.errors:
            try:
                writer.abort()
            except Exception as exc:
                raise CleanupFailed(prefix, exc) from exc
            result.stored_bytes = 0
            return result
        report.total_size = budget.total
        result.prefix = prefix
        result.keys = written
        return result
    finally:
        if scan.zip is not None:
            scan.zip.close()


def _storage_failed(exc: Exception) -> Reason:
    return Reason(R.STORAGE_FAILED, None, f"storing the package failed: {exc}")

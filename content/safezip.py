"""Hostile-archive checks for uploaded ZIP packages.

Every upload is treated as hostile. Two passes keep memory bounded:

1. :func:`scan_archive` looks only at metadata (end of central directory, central directory,
   local headers) and rejects unsafe names, links, encryption, unsupported compression,
   duplicate / case-colliding names, overlapping entries and oversized declarations.
2. :func:`iter_entry_chunks` inflates one entry at a time in small chunks and counts the bytes
   that actually come out, so a lying size field cannot get past the limits
   (:class:`InflateBudget`). Ingest streams those chunks straight to storage;
   :func:`verify_contents` streams them nowhere (used by ``skills packages inspect``).

ZIP layout references are to PKWARE APPNOTE.TXT 6.3.x (4.3.7 local file header, 4.3.12 central
directory header, 4.3.14-4.3.16 ZIP64 / end of central directory, 4.4.4 general purpose flag).
"""

from __future__ import annotations

import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from content import reasons as R
from content.limits import ArchiveLimits
from content.reasons import Findings, PackageRejected, Reason

#: APPNOTE 4.4.5: only these methods are inflated. bzip2/LZMA are refused because the
#: standard library inflates them without an output bound per call.
SUPPORTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_FLAG_ENCRYPTED = 0x1  # APPNOTE 4.4.4 bit 0
_FLAG_STRONG_ENCRYPTION = 0x40  # bit 6
_FLAG_UTF8 = 0x800  # bit 11
_MAX_SAME_CODE = 50  # stop listing one kind of error after this many entries
#: APPNOTE 4.3.7 local file header, as zipfile reads it (its private ``structFileHeader``,
#: ``stringFileHeader`` and ``sizeFileHeader``): fields[3] is the flag, [10]/[11] the lengths.
_LOCAL_HEADER_FORMAT = "<4s2B4HL2L2H"
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_LOCAL_HEADER_SIZE = struct.calcsize(_LOCAL_HEADER_FORMAT)  # 30 bytes
#: Unicode general category Cc (control characters) is exactly these two ranges
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass
class Entry:
    """One archive member that passed the name checks."""

    name: str
    info: zipfile.ZipInfo
    is_dir: bool

    @property
    def compressed_size(self) -> int:
        return self.info.compress_size

    @property
    def declared_size(self) -> int:
        return self.info.file_size


@dataclass
class ArchiveScan:
    """Result of the metadata pass; ``zip`` is None when the archive could not be opened."""

    archive_size: int
    findings: Findings
    zip: zipfile.ZipFile | None = None
    entries: list[Entry] = field(default_factory=list)
    files: dict[str, Entry] = field(default_factory=dict)

    @property
    def entry_count(self) -> int:
        return len(self.entries)

    @property
    def declared_total(self) -> int:
        return sum(e.declared_size for e in self.entries)


class _CappedFindings:
    """Adds errors but stops listing a code after ``_MAX_SAME_CODE`` occurrences."""

    def __init__(self, findings: Findings):
        self.findings = findings
        self.counts: Counter[str] = Counter()

    def error(self, code: str, path: str | None, message: str) -> None:
        self.counts[code] += 1
        n = self.counts[code]
        if n <= _MAX_SAME_CODE:
            self.findings.error(code, path, message)
        elif n == _MAX_SAME_CODE + 1:
            self.findings.error(code, None, f"more entries with {code} were not listed")


def path_problem(name: str, limits: ArchiveLimits) -> tuple[str, str] | None:
    """Return (code, message) if ``name`` is not a safe relative POSIX path, else None."""
    if "\x00" in name:
        return R.PATH_TRAVERSAL, "entry name contains a NUL byte"
    if "\\" in name:
        return R.PATH_TRAVERSAL, "entry name contains a backslash"
    if name.startswith("/"):
        return R.PATH_TRAVERSAL, "entry name is an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return R.PATH_TRAVERSAL, "entry name starts with a drive letter"
    parts = name.rstrip("/").split("/")
    if any(p == ".." for p in parts):
        return R.PATH_TRAVERSAL, "entry name contains a '..' segment"
    if not name or any(p in ("", ".") for p in parts):
        return R.PATH_INVALID, "entry name has an empty or '.' segment"
    if _CONTROL_CHARACTER.search(name):
        return R.PATH_INVALID, "entry name contains a control character"
    if len(name.encode("utf-8")) > limits.max_path_bytes:
        return R.PATH_TOO_LONG, f"entry name is longer than {limits.max_path_bytes} bytes"
    if len(parts) > limits.max_path_depth:
        return R.PATH_TOO_DEEP, f"entry name is deeper than {limits.max_path_depth} levels"
    return None


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as text.

    Names flagged UTF-8 (APPNOTE 4.4.4 bit 11) are used as decoded. Unflagged names are CP437
    by the letter of the spec, but in practice tools write UTF-8 (macOS, Linux) or GBK
    (Chinese Windows) without the flag; those are tried first so that manifest references
    match the files.
    """
    name = info.orig_filename
    if info.flag_bits & _FLAG_UTF8 or name.isascii():
        return name
    raw = name.encode("cp437")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name.rstrip("/")).casefold()


def _archive_size(fileobj: IO[bytes]) -> int:
    pos = fileobj.tell()
    size = fileobj.seek(0, 2)
    fileobj.seek(pos)
    return size


def declared_entry_count(fileobj: IO[bytes], size: int) -> int | None:
    """Entry count from the end of central directory record (APPNOTE 4.3.16, ZIP64 4.3.14).

    Read before :class:`zipfile.ZipFile` builds one object per entry, so that a central
    directory with millions of entries is refused without allocating for them.
    """
    tail_len = min(size, 22 + 65535)
    fileobj.seek(size - tail_len)
    tail = fileobj.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        return None
    total: int = struct.unpack("<H", tail[pos + 10 : pos + 12])[0]
    if total != 0xFFFF:
        return total
    loc = pos - 20  # ZIP64 end of central directory locator
    if loc < 0 or tail[loc : loc + 4] != b"PK\x06\x07":
        return None
    z64_offset: int = struct.unpack("<Q", tail[loc + 8 : loc + 16])[0]
    if z64_offset + 56 > size:
        return None
    fileobj.seek(z64_offset)
    rec = fileobj.read(56)
    if rec[:4] != b"PK\x06\x06":
        return None
    z64_total: int = struct.unpack("<Q", rec[32:40])[0]
    return z64_total


def scan_archive(fileobj: IO[bytes], limits: ArchiveLimits | None = None) -> ArchiveScan:
    """Metadata pass over a seekable archive; never inflates anything.

    Errors are collected (not raised) so a trainer sees every problem at once.
    """
    limits = limits or ArchiveLimits()
    findings = Findings()
    errs = _CappedFindings(findings)
    size = _archive_size(fileobj)
    scan = ArchiveScan(archive_size=size, findings=findings)
    if limits.max_archive_bytes is not None and size > limits.max_archive_bytes:
        errs.error(R.ARCHIVE_TOO_LARGE, None, f"archive is larger than {limits.max_archive_bytes}")
        return scan
    try:
        count = declared_entry_count(fileobj, size)
    except (OSError, struct.error):
        count = None
    if count is not None and count > limits.max_entries:
        errs.error(R.TOO_MANY_ENTRIES, None, f"{count} entries (limit {limits.max_entries})")
        return scan
    fileobj.seek(0)
    try:
        zf = zipfile.ZipFile(fileobj)
    except zipfile.BadZipFile as exc:
        code = R.NOT_A_ZIP if "not a zip file" in str(exc) else R.CORRUPT_ARCHIVE
        errs.error(code, None, f"cannot read the archive as ZIP: {exc}")
        return scan
    except (OSError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        errs.error(R.CORRUPT_ARCHIVE, None, f"cannot read the archive as ZIP: {exc}")
        return scan
    scan.zip = zf
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        errs.error(R.TOO_MANY_ENTRIES, None, f"{len(infos)} entries (limit {limits.max_entries})")
        return scan

    seen: dict[str, str] = {}
    folded: dict[str, str] = {}
    for info in infos:
        raw = entry_name(info)
        problem = path_problem(raw, limits)
        if problem:
            errs.error(problem[0], raw, problem[1])
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            errs.error(R.SYMLINK, raw, "symbolic links are not allowed in packages")
            continue
        if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            errs.error(R.SPECIAL_FILE, raw, "only regular files and directories are allowed")
            continue
        if info.flag_bits & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
            errs.error(R.ENCRYPTED_ENTRY, raw, "encrypted entries are not allowed")
            continue
        is_dir = raw.endswith("/")
        if not is_dir and info.compress_type not in SUPPORTED_METHODS:
            errs.error(
                R.UNSUPPORTED_COMPRESSION,
                raw,
                f"compression method {info.compress_type} is not supported (use deflate)",
            )
            continue
        key = raw.rstrip("/")
        if key in seen:
            errs.error(R.DUPLICATE_ENTRY, raw, "the archive holds this name more than once")
            continue
        fkey = _fold(raw)
        if fkey in folded:
            errs.error(
                R.CASE_COLLISION, raw, f"name differs only in letter case from {folded[fkey]!r}"
            )
            continue
        seen[key] = raw
        folded[fkey] = raw
        entry = Entry(name=key, info=info, is_dir=is_dir)
        scan.entries.append(entry)
        if not is_dir:
            scan.files[key] = entry

    _check_file_directory_conflicts(scan, errs)
    _check_declared_sizes(scan, limits, errs)
    _check_local_headers(fileobj, zf, scan, errs)
    return scan


def _check_file_directory_conflicts(scan: ArchiveScan, errs: _CappedFindings) -> None:
    """A name used both as a file and as a folder cannot be extracted faithfully."""
    file_keys = {_fold(name): name for name in scan.files}
    for name in scan.files:
        parts = name.split("/")
        for i in range(1, len(parts)):
            parent = _fold("/".join(parts[:i]))
            if parent in file_keys:
                errs.error(
                    R.FILE_DIRECTORY_CONFLICT,
                    name,
                    f"{file_keys[parent]!r} is a file but is also used as a folder",
                )
                break


def _check_declared_sizes(scan: ArchiveScan, limits: ArchiveLimits, errs: _CappedFindings) -> None:
    """Early refusal from what the archive admits to; the streaming pass catches liars."""
    total = 0
    for e in scan.files.values():
        total += e.declared_size
        if (
            e.declared_size > limits.ratio_check_min_size
            and e.declared_size > limits.max_entry_ratio * max(e.compressed_size, 1)
        ):
            errs.error(
                R.ZIP_BOMB_RATIO,
                e.name,
                f"declares {e.declared_size} bytes from {e.compressed_size} compressed "
                f"(more than {limits.max_entry_ratio:g}x)",
            )
    if total > limits.max_total_uncompressed:
        errs.error(
            R.TOTAL_SIZE_EXCEEDED,
            None,
            f"declared total {total} bytes exceeds {limits.max_total_uncompressed}",
        )
    elif total > limits.total_ratio_min_size and total > limits.max_total_ratio * max(
        scan.archive_size, 1
    ):
        errs.error(
            R.TOTAL_RATIO_EXCEEDED,
            None,
            f"declared total {total} bytes is more than {limits.max_total_ratio:g}x the archive",
        )


def _check_local_headers(
    fileobj: IO[bytes], zf: zipfile.ZipFile, scan: ArchiveScan, errs: _CappedFindings
) -> None:
    """Check each local header (APPNOTE 4.3.7) and that no two entries share bytes.

    Overlapping entries are the core of non-recursive zip bombs (many central directory
    records pointing into one compressed stream); they also let an archive show a scanner a
    different file than an extractor. Every entry's span [local header, end of data) must be
    disjoint from every other and end before the central directory.
    """
    spans: list[tuple[int, int, str]] = []
    cd_start = getattr(zf, "start_dir", scan.archive_size)
    for e in scan.entries:
        info = e.info
        start = info.header_offset
        fileobj.seek(start)
        header = fileobj.read(_LOCAL_HEADER_SIZE)
        if len(header) != _LOCAL_HEADER_SIZE:
            errs.error(R.CORRUPT_ENTRY, e.name, "local header lies outside the archive")
            continue
        fields = struct.unpack(_LOCAL_HEADER_FORMAT, header)
        if fields[0] != _LOCAL_HEADER_SIGNATURE:
            errs.error(R.CORRUPT_ENTRY, e.name, "bad local header signature")
            continue
        name_len, extra_len = fields[10], fields[11]
        local_name = fileobj.read(name_len)
        encoding = "utf-8" if fields[3] & _FLAG_UTF8 else "cp437"
        try:
            local_decoded = local_name.decode(encoding)
        except UnicodeDecodeError:
            local_decoded = None
        if local_decoded != info.orig_filename:
            errs.error(
                R.CORRUPT_ENTRY, e.name, "local header name differs from the central directory"
            )
            continue
        if fields[3] & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
            errs.error(R.ENCRYPTED_ENTRY, e.name, "local header marks the entry encrypted")
            continue
        end = start + _LOCAL_HEADER_SIZE + name_len + extra_len + info.compress_size
        if end > cd_start:
            errs.error(R.CORRUPT_ENTRY, e.name, "entry data runs into the central directory")
            continue
        spans.append((start, end, e.name))
    spans.sort()
    prev_end, prev_name = -1, None
    for start, end, name in spans:
        if start < prev_end:
            errs.error(R.OVERLAPPING_ENTRIES, name, f"entry shares bytes with {prev_name!r}")
        if end > prev_end:
            prev_end, prev_name = end, name


class InflateBudget:
    """Counts bytes actually inflated across the whole archive and enforces the totals.

    The whole-archive ratio applies only past ``total_ratio_min_size`` inflated bytes, like the
    per-entry ratio past ``ratio_check_min_size``: a small archive cannot cost much, however
    well it compresses.
    """

    def __init__(self, limits: ArchiveLimits, archive_size: int):
        self.limits = limits
        self.archive_size = archive_size
        self.total = 0

    def add(self, n: int, path: str) -> None:
        self.total += n
        if self.total > self.limits.max_total_uncompressed:
            raise PackageRejected(
                Reason(
                    R.TOTAL_SIZE_EXCEEDED,
                    path,
                    f"inflated total exceeds {self.limits.max_total_uncompressed} bytes",
                )
            )
        if self.total > self.limits.total_ratio_min_size and self.total > (
            self.limits.max_total_ratio * max(self.archive_size, 1)
        ):
            raise PackageRejected(
                Reason(
                    R.TOTAL_RATIO_EXCEEDED,
                    path,
                    f"inflated total exceeds {self.limits.max_total_ratio:g}x the archive size",
                )
            )


_CORRUPT_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)


def iter_entry_chunks(
    zf: zipfile.ZipFile, entry: Entry, budget: InflateBudget, max_bytes: int | None = None
) -> Iterator[bytes]:
    """Yield the inflated bytes of ``entry`` in chunks, counting every byte produced.

    Raises :class:`PackageRejected` (zip_bomb_ratio, total_*_exceeded, corrupt_entry, or
    manifest_too_large when ``max_bytes`` is given) as soon as a limit is crossed, before the
    offending chunk is handed on.
    """
    limits = budget.limits
    produced = 0
    try:
        handle = zf.open(entry.info)
    except _CORRUPT_ERRORS as exc:
        raise PackageRejected(Reason(R.CORRUPT_ENTRY, entry.name, f"cannot open: {exc}")) from exc
    with handle:
        while True:
            try:
                chunk = handle.read(limits.chunk_size)
            except _CORRUPT_ERRORS as exc:
                raise PackageRejected(
                    Reason(R.CORRUPT_ENTRY, entry.name, f"cannot inflate: {exc}")
                ) from exc
            if not chunk:
                return
            produced += len(chunk)
            if max_bytes is not None and produced > max_bytes:
                raise PackageRejected(
                    Reason(R.MANIFEST_TOO_LARGE, entry.name, f"larger than {max_bytes} bytes")
                )
            if produced > limits.ratio_check_min_size and produced > limits.max_entry_ratio * max(
                entry.compressed_size, 1
            ):
                raise PackageRejected(
                    Reason(
                        R.ZIP_BOMB_RATIO,
                        entry.name,
                        f"inflates more than {limits.max_entry_ratio:g}x its compressed size",
                    )
                )
            budget.add(len(chunk), entry.name)
            yield chunk


def read_entry(zf: zipfile.ZipFile, entry: Entry, budget: InflateBudget, max_bytes: int) -> bytes:
    """Read a small entry (a manifest) whole; refused past ``max_bytes``."""
    if entry.declared_size > max_bytes:
        raise PackageRejected(
            Reason(R.MANIFEST_TOO_LARGE, entry.name, f"larger than {max_bytes} bytes")
        )
    return b"".join(iter_entry_chunks(zf, entry, budget, max_bytes=max_bytes))


def verify_contents(scan: ArchiveScan, limits: ArchiveLimits) -> int:
    """Inflate every file to nowhere, enforcing the limits; returns the inflated total.

    Stops at the first failure, which is recorded in ``scan.findings``.
    """
    if scan.zip is None:
        return 0
    budget = InflateBudget(limits, scan.archive_size)
    try:
        for entry in scan.files.values():
            for _ in iter_entry_chunks(scan.zip, entry, budget):
                pass
    except PackageRejected as exc:
        scan.findings.errors.append(exc.reason)
    return budget.total

"""Machine-readable reasons for rejecting (errors) or flagging (warnings) a package.

A trainer must be able to act on every rejection, and machines (the upload API, the CLI, the
ingest job) must be able to branch on it, so each reason carries a *stable* code string, the
path inside the archive it is about (or None for the archive as a whole) and a human message.
Codes are part of the public API: add new ones, never rename existing ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- archive structure (content/safezip.py) ---
NOT_A_ZIP = "not_a_zip"
CORRUPT_ARCHIVE = "corrupt_archive"
CORRUPT_ENTRY = "corrupt_entry"
TOO_MANY_ENTRIES = "too_many_entries"
TOTAL_SIZE_EXCEEDED = "total_size_exceeded"
TOTAL_RATIO_EXCEEDED = "total_ratio_exceeded"
ZIP_BOMB_RATIO = "zip_bomb_ratio"
ARCHIVE_TOO_LARGE = "archive_too_large"
PATH_TRAVERSAL = "path_traversal"
PATH_INVALID = "path_invalid"
PATH_TOO_LONG = "path_too_long"
PATH_TOO_DEEP = "path_too_deep"
SYMLINK = "symlink"
SPECIAL_FILE = "special_file"
ENCRYPTED_ENTRY = "encrypted_entry"
UNSUPPORTED_COMPRESSION = "unsupported_compression"
OVERLAPPING_ENTRIES = "overlapping_entries"
DUPLICATE_ENTRY = "duplicate_entry"
CASE_COLLISION = "case_collision"
FILE_DIRECTORY_CONFLICT = "file_directory_conflict"

# --- manifests (content/formats/) ---
XML_FORBIDDEN_CONSTRUCT = "xml_forbidden_construct"
MANIFEST_INVALID = "manifest_invalid"
MANIFEST_TOO_LARGE = "manifest_too_large"
MANIFEST_NOT_AT_ROOT = "manifest_not_at_root"
LAUNCH_FILE_MISSING = "launch_file_missing"
LAUNCH_MISSING = "launch_missing"
COMMON_CARTRIDGE_UNSUPPORTED = "common_cartridge_unsupported"
UNKNOWN_FORMAT = "unknown_format"

# --- cmi5 course structure rules (content/formats/cmi5_rules.py) ---
CMI5_ID_NOT_IRI = "cmi5_id_not_iri"
CMI5_URL_INVALID = "cmi5_url_invalid"
CMI5_URL_RESERVED_PARAMETER = "cmi5_url_reserved_parameter"
CMI5_DUPLICATE_OBJECTIVE = "cmi5_duplicate_objective"
CMI5_MOVE_ON_ELEMENT = "cmi5_move_on_element"
CMI5_SCHEMA_INVALID = "cmi5_schema_invalid"

# --- warnings ---
RESOURCE_FILE_MISSING = "resource_file_missing"
MULTIPLE_MANIFESTS = "multiple_manifests"
DURATION_UNREADABLE = "duration_unreadable"

# --- ingest (content/ingest.py) ---
STORAGE_FAILED = "storage_failed"


@dataclass(frozen=True)
class Reason:
    """One finding: a stable ``code``, the archive ``path`` it concerns (or None), a message."""

    code: str
    path: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.message}


@dataclass
class Findings:
    """Errors (the package is rejected) kept apart from warnings (accepted, but worth fixing)."""

    errors: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)

    def error(self, code: str, path: str | None, message: str) -> None:
        self.errors.append(Reason(code, path, message))

    def warn(self, code: str, path: str | None, message: str) -> None:
        self.warnings.append(Reason(code, path, message))

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> set[str]:
        return {r.code for r in self.errors}


class PackageRejected(Exception):
    """Raised inside the pipeline to stop at the first fatal finding; carries the reason."""

    def __init__(self, reason: Reason):
        super().__init__(f"{reason.code}: {reason.message}")
        self.reason = reason

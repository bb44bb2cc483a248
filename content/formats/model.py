"""What every format parser produces: the package's description, independent of its standard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

#: 1 学时 (class hour) = 45 minutes (DESIGN.md, Hours ledger).
MINUTES_PER_CLASS_HOUR = 45
#: Most 学时 a package may declare, in any format; a larger declaration is a mistake (and would
#: not fit the ``declared_minutes`` column).
MAX_DECLARED_HOURS = 10_000

SCORM_12 = "scorm12"
SCORM_2004 = "scorm2004"
CMI5 = "cmi5"
XAPI = "xapi"
NATIVE = "native"


class PackageFiles(Protocol):
    """Read-only view of the files in an archive that parsers may consult."""

    def exists(self, path: str) -> bool:
        """True if ``path`` (a normalised relative path) is a file in the package."""

    def names(self) -> Iterable[str]:
        """All file paths in the package."""

    def read(self, path: str) -> bytes:
        """Whole content of a small file (a manifest), bounded by the manifest limit.

        Raises ``PackageRejected`` (manifest_too_large, zip_bomb_ratio, corrupt_entry).
        """


@dataclass
class Unit:
    """A launchable (or grouping) part of a package: SCORM item, cmi5 AU / block, activity."""

    id: str
    title: str | None
    kind: str
    launch: str | None = None
    #: the package file ``launch`` needs (None for external URLs); not serialised
    launch_path: str | None = None
    move_on: str | None = None
    mastery_score: float | None = None
    launch_method: str | None = None
    activity_type: str | None = None
    parameters: str | None = None
    #: cmi5 13.1.4 AU entitlementKey, handed to the AU in LMS.LaunchData (cmi5 10)
    entitlement_key: str | None = None
    #: SCORM adlcp:datafromlms (1.2) / adlcp:dataFromLMS (2004): the SCO's cmi.launch_data
    launch_data: str | None = None
    minutes: int | None = None
    children: list[Unit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "launch": self.launch,
        }
        for key in (
            "move_on",
            "mastery_score",
            "launch_method",
            "activity_type",
            "parameters",
            "entitlement_key",
            "launch_data",
            "minutes",
        ):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.children:
            d["children"] = [c.to_dict() for c in self.children]
        return d


@dataclass
class PackageManifest:
    """A parsed package manifest.

    ``launch`` is a path inside the package (relative, normalised, query/fragment kept) or an
    absolute http(s) URL for external content; ``launch_path`` is the file it needs, if any.
    """

    format: str
    manifest_path: str
    title: str | None = None
    identifier: str | None = None
    version: str | None = None
    schema_version: str | None = None
    language: str | None = None
    launch: str | None = None
    launch_path: str | None = None
    units: list[Unit] = field(default_factory=list)
    declared_minutes: int | None = None

    @property
    def declared_hours(self) -> float | None:
        """Declared duration in 学时 (45-minute class hours), two decimals."""
        if self.declared_minutes is None:
            return None
        return round(self.declared_minutes / MINUTES_PER_CLASS_HOUR, 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "manifest_path": self.manifest_path,
            "title": self.title,
            "identifier": self.identifier,
            "version": self.version,
            "schema_version": self.schema_version,
            "language": self.language,
            "launch": self.launch,
            "units": [u.to_dict() for u in self.units],
            "declared_minutes": self.declared_minutes,
            "declared_hours": self.declared_hours,
        }

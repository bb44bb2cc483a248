"""Package formats: detection by the manifest at the archive root, then one parser each.

Order of precedence when several manifests sit at the root: native, cmi5, SCORM, xAPI; the
others are reported as warnings (``multiple_manifests``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from content import reasons as R
from content.formats.cmi5 import parse_cmi5
from content.formats.model import PackageFiles, PackageManifest, Unit
from content.formats.native import parse_native
from content.formats.scorm import parse_scorm
from content.formats.tincan import parse_tincan
from content.reasons import Findings, PackageRejected

Parser = Callable[[PackageFiles, Findings], PackageManifest | None]

PARSERS: list[tuple[str, Parser]] = [
    ("skills-package.json", parse_native),
    ("cmi5.xml", parse_cmi5),
    ("imsmanifest.xml", parse_scorm),
    ("tincan.xml", parse_tincan),
]
MANIFEST_NAMES = {name for name, _ in PARSERS}

__all__ = ["PARSERS", "PackageManifest", "Unit", "parse_package"]


def parse_package(files: PackageFiles, findings: Findings) -> PackageManifest | None:
    """Detect the format and parse its manifest; problems are added to ``findings``."""
    names = set(files.names())
    present = [(n, p) for n, p in PARSERS if n in names]
    if not present:
        _explain_missing_manifest(names, findings)
        return None
    chosen, parser = present[0]
    for other, _ in present[1:]:
        findings.warn(R.MULTIPLE_MANIFESTS, other, f"ignored: the package is read as {chosen}")
    try:
        return parser(files, findings)
    except PackageRejected as exc:
        findings.errors.append(exc.reason)
        return None


def _explain_missing_manifest(names: set[str], findings: Findings) -> None:
    for name in sorted(names):
        if "/" not in name and name.lower() in MANIFEST_NAMES:
            findings.error(
                R.MANIFEST_INVALID,
                name,
                f"the manifest must be named exactly {name.lower()!r} (names are case-sensitive)",
            )
            return
    nested = sorted(
        (n for n in names if posixpath.basename(n).lower() in MANIFEST_NAMES),
        key=lambda n: (n.count("/"), n),
    )
    if nested:
        findings.error(
            R.MANIFEST_NOT_AT_ROOT,
            nested[0],
            f"{posixpath.basename(nested[0])} must be at the root of the ZIP, not in "
            f"{posixpath.dirname(nested[0])!r}/: zip the folder's contents, not the folder",
        )
        return
    findings.error(
        R.UNKNOWN_FORMAT,
        None,
        "no imsmanifest.xml (SCORM), cmi5.xml, tincan.xml or skills-package.json at the "
        "root of the ZIP",
    )

"""The native package format, ``skills-native/1``: a ZIP with ``skills-package.json`` at its
root. Full description in ``content/formats/README.md``.

Validation is strict (unknown keys, wrong types, duplicate keys, NaN/Infinity are errors): the
file is small and written by people or our own tools, so a typo should fail loudly at upload
rather than silently change what learners see.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Literal, overload

from content import reasons as R
from content.formats.common import reference
from content.formats.model import (
    MAX_DECLARED_HOURS,
    MINUTES_PER_CLASS_HOUR,
    NATIVE,
    PackageFiles,
    PackageManifest,
    Unit,
)
from content.formats.paths import BadReference, resolve_reference
from content.reasons import Findings, PackageRejected, Reason

MANIFEST = "skills-package.json"
FORMAT_ID = "skills-native/1"
MAX_UNITS = 1000
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_TOP_KEYS = {
    "format",
    "id",
    "title",
    "version",
    "language",
    "description",
    "launch",
    "hours",
    "units",
}
_UNIT_KEYS = {"id", "title", "launch", "hours"}


class _Invalid(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Invalid(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise _Invalid(f"{name} is not allowed")


@overload
def _string(
    obj: dict[str, Any], key: str, where: str, *, required: Literal[True], max_len: int
) -> str: ...
@overload
def _string(
    obj: dict[str, Any], key: str, where: str, *, required: bool, max_len: int
) -> str | None: ...
def _string(
    obj: dict[str, Any], key: str, where: str, *, required: bool, max_len: int
) -> str | None:
    """The stripped string at ``key``; None only when it is absent and not ``required``."""
    if key not in obj:
        if required:
            raise _Invalid(f"{where}: {key!r} is required")
        return None
    value = obj[key]
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{where}: {key!r} must be a non-empty string")
    if len(value) > max_len:
        raise _Invalid(f"{where}: {key!r} is longer than {max_len} characters")
    return value.strip()


def _hours(obj: dict[str, Any], where: str) -> int | None:
    """``hours`` in 学时 (45 minutes each), a positive number; returned as minutes."""
    if "hours" not in obj:
        return None
    value = obj["hours"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid(f"{where}: 'hours' must be a number")
    if not 0 < value <= MAX_DECLARED_HOURS:
        raise _Invalid(f"{where}: 'hours' must be > 0 and <= {MAX_DECLARED_HOURS}")
    return round(value * MINUTES_PER_CLASS_HOUR)


def _check_keys(obj: Any, allowed: set[str], where: str) -> None:
    if not isinstance(obj, dict):
        raise _Invalid(f"{where} must be a JSON object")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _Invalid(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")


def _relative_path(value: str, where: str) -> None:
    try:
        ref = resolve_reference(value)
    except BadReference as exc:
        raise _Invalid(f"{where}: {exc}") from exc
    if ref.external:
        raise _Invalid(f"{where}: launch must be a path inside the package, not a URL")


def parse_native(files: PackageFiles, findings: Findings) -> PackageManifest:
    raw = files.read(MANIFEST)
    try:
        data = json.loads(
            raw.decode("utf-8-sig"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
        )
        _check_keys(data, _TOP_KEYS, MANIFEST)
        if data.get("format") != FORMAT_ID:
            raise _Invalid(f"'format' must be {FORMAT_ID!r}")
        title = _string(data, "title", MANIFEST, required=True, max_len=200)
        launch = _string(data, "launch", MANIFEST, required=True, max_len=512)
        _relative_path(launch, "launch")
        language = _string(data, "language", MANIFEST, required=False, max_len=35)
        if language and not _LANG.match(language):
            raise _Invalid(f"'language' {language!r} is not a language tag such as 'zh-CN'")
        _string(data, "description", MANIFEST, required=False, max_len=4000)
        manifest = PackageManifest(
            format=NATIVE,
            manifest_path=MANIFEST,
            title=title,
            identifier=_string(data, "id", MANIFEST, required=False, max_len=200),
            version=_string(data, "version", MANIFEST, required=False, max_len=50),
            language=language,
            schema_version=FORMAT_ID,
            declared_minutes=_hours(data, MANIFEST),
        )
        units = data.get("units", [])
        if not isinstance(units, list) or len(units) > MAX_UNITS:
            raise _Invalid(f"'units' must be a list of at most {MAX_UNITS} objects")
        seen: set[str] = set()
        parsed_units = []
        for i, u in enumerate(units):
            where = f"units[{i}]"
            _check_keys(u, _UNIT_KEYS, where)
            uid = _string(u, "id", where, required=True, max_len=200)
            if uid in seen:
                raise _Invalid(f"{where}: duplicate id {uid!r}")
            seen.add(uid)
            utitle = _string(u, "title", where, required=True, max_len=200)
            ulaunch = _string(u, "launch", where, required=True, max_len=512)
            _relative_path(ulaunch, f"{where}.launch")
            parsed_units.append((uid, utitle, ulaunch, _hours(u, where)))
    except (_Invalid, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PackageRejected(Reason(R.MANIFEST_INVALID, MANIFEST, str(exc))) from exc

    ref = reference(files, findings, MANIFEST, launch, what="launch", required=True)
    if ref:
        manifest.launch, manifest.launch_path = ref.launch, ref.path
    for uid, utitle, ulaunch, minutes in parsed_units:
        uref = reference(files, findings, MANIFEST, ulaunch, what=f"unit {uid!r}", required=True)
        manifest.units.append(
            Unit(
                id=uid,
                title=utitle,
                kind="unit",
                launch=uref.launch if uref else None,
                launch_path=uref.path if uref else None,
                minutes=minutes,
            )
        )
    return manifest

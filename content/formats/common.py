"""Helpers shared by the format parsers: reference checks and language choice."""

from __future__ import annotations

from content import reasons as R
from content.formats.model import PackageFiles
from content.formats.paths import BadReference, Reference, resolve_reference
from content.reasons import Findings

#: preferred languages when a manifest offers several (the platform serves Ningbo).
PREFERRED_LANGS = ("zh-cn", "zh-hans", "zh", "en-us", "en")


def pick_lang(options: list[tuple[str | None, str]]) -> str | None:
    """Choose a text among (lang, text) pairs: Chinese first, then English, then the first."""
    if not options:
        return None
    by_lang = {(lang or "").lower(): value for lang, value in options}
    for lang in PREFERRED_LANGS:
        if lang in by_lang:
            return by_lang[lang]
    for lang, value in by_lang.items():
        if lang.startswith("zh"):
            return value
    return options[0][1]


def reference(
    files: PackageFiles,
    findings: Findings,
    manifest_path: str,
    href: str | None,
    *bases: str | None,
    what: str,
    required: bool,
    extra_query: str | None = None,
) -> Reference | None:
    """Resolve a manifest reference and check that its file exists.

    A missing file is an error (``launch_file_missing``) when ``required`` (something a learner
    launches) and a warning (``resource_file_missing``) otherwise.
    """
    try:
        ref = resolve_reference(href or "", *bases, extra_query=extra_query)
    except BadReference as exc:
        add = findings.error if required else findings.warn
        add(exc.code, manifest_path, f"{what}: {exc}")
        return None
    if ref.path is not None and not files.exists(ref.path):
        if required:
            findings.error(
                R.LAUNCH_FILE_MISSING, ref.path, f"{what} refers to a file the package lacks"
            )
        else:
            findings.warn(
                R.RESOURCE_FILE_MISSING, ref.path, f"{what} refers to a file the package lacks"
            )
    return ref

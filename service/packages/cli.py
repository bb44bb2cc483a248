"""``skills packages``: offline tools for course packages.

``skills packages inspect FILE.zip`` runs exactly the checks and manifest parsing that upload
ingest runs, with the same ``SKILLS_PACKAGE_*`` limits, without storing anything, and prints one
JSON object. Exit status: 0 accepted, 1 rejected, 2 usage error (missing or unreadable file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

packages_app = typer.Typer(
    help="Course packages (SCORM 1.2/2004, cmi5, xAPI, native): check before uploading.",
    no_args_is_help=True,
)


@packages_app.callback()
def packages() -> None:
    """Course packages: check a ZIP offline with the same rules upload ingest applies."""


_FIELDS = (
    "accepted",
    "format",
    "title",
    "identifier",
    "version",
    "launch",
    "units",
    "declared_minutes",
    "declared_hours",
    "entry_count",
    "total_size",
    "archive_size",
    "sha256",
    "errors",
    "warnings",
)


@packages_app.command("inspect")
def inspect_command(
    file: Annotated[Path, typer.Argument(help="The package ZIP to check.")],
    pretty: Annotated[bool, typer.Option("--pretty", help="Indent the JSON output.")] = False,
) -> None:
    """Check a package as upload would and print one JSON object.

    Exit status:
    0  it would be accepted
    1  it would be rejected (the reasons are in the JSON)
    2  usage error (a missing or unreadable file)
    """
    from content.ingest import inspect_archive
    from service.core.settings import get_settings

    try:
        handle = file.open("rb")
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    with handle:
        if not handle.seekable():
            typer.echo(f"error: {file} is not a regular file", err=True)
            raise typer.Exit(2)
        # the limits upload ingest applies (SKILLS_PACKAGE_*), so inspect agrees with upload
        report = inspect_archive(handle, get_settings().archive_limits()).to_dict()
    out = {k: report[k] for k in _FIELDS}
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2 if pretty else None))
    raise typer.Exit(0 if report["accepted"] else 1)

"""``skills import learners|enrollments|attendance FILE --org ID [--dry-run]``: the city's
operators import a provider's spreadsheet from a terminal, with a progress bar and the same
report the API gives.

The import runs in this process (no worker needed) through the same runner as an upload, so it
is checked, batched, resumable and reported exactly alike; it is recorded as an import of the
organization and listed with its other imports.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer

import_app = typer.Typer(
    help="Import learners, enrollments or attendance from an XLSX or CSV file.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="The XLSX or CSV file (UTF-8 or GB18030).")]
OrgOpt = Annotated[str, typer.Option("--org", help="The organization the rows belong to (id).")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Check and report every row; change nothing.")
]
ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Where to write the report (.xlsx or .csv); default: next "
        "to FILE, named FILE.report.xlsx.",
    ),
]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act as this staff account (email); default: the operator at this terminal, with "
        "administrator rights, recorded as the command line in the audit trail.",
    ),
]


@import_app.callback()
def import_group() -> None:
    """Import a provider's spreadsheet (the rules of the API's POST /api/v1/imports).

    Exit status: 0 finished (the counts say how many rows were accepted, duplicate or rejected),
    1 the file was refused (nothing written), 2 usage error, 3 database not ready.
    """


def _run(kind: str, file: Path, org: str, dry_run: bool, report: Path | None, actor: str | None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from service.core.database_ready import require_database
    from service.imports.operator import run_from_terminal, start_from_terminal

    if not file.is_file():
        typer.echo(f"error: cannot read {file}", err=True)
        raise typer.Exit(2)
    try:
        organization_id = uuid.UUID(org)
    except ValueError:
        typer.echo("error: --org must be an organization id (a UUID)", err=True)
        raise typer.Exit(2) from None
    report = report or file.with_name(file.name + ".report.xlsx")
    if report.suffix.lower() not in (".xlsx", ".csv"):
        typer.echo("error: --report must end in .xlsx or .csv", err=True)
        raise typer.Exit(2)
    require_database()
    try:
        import_id = start_from_terminal(
            kind, file, organization_id, dry_run=dry_run, actor_email=actor
        )
    except LookupError as exc:  # an unknown organization or account
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task(f"{kind}: checking", total=None)

        def progress(run) -> None:
            bar.update(
                task,
                description=f"{kind}: {run.status}",
                total=run.rows_total,
                completed=run.rows_done,
            )

        outcome = run_from_terminal(import_id, report, progress)
        bar.update(task, description=f"{kind}: {outcome['status']}")
    typer.echo(json.dumps(outcome, ensure_ascii=False))
    raise typer.Exit(1 if outcome["status"] == "refused" else 0)


@import_app.command("learners")
def import_learners(
    file: FileArg,
    org: OrgOpt,
    dry_run: DryRunOpt = False,
    report: ReportOpt = None,
    actor: AsOpt = None,
) -> None:
    """Register learners (ID number, name, district, phone, groups)."""
    _run("learners", file, org, dry_run, report, actor)


@import_app.command("enrollments")
def import_enrollments(
    file: FileArg,
    org: OrgOpt,
    dry_run: DryRunOpt = False,
    report: ReportOpt = None,
    actor: AsOpt = None,
) -> None:
    """Enrol learners into the organization's offerings."""
    _run("enrollments", file, org, dry_run, report, actor)


@import_app.command("enrolments", hidden=True)
def import_enrolments(
    file: FileArg,
    org: OrgOpt,
    dry_run: DryRunOpt = False,
    report: ReportOpt = None,
    actor: AsOpt = None,
) -> None:
    """British spelling of ``enrollments``."""
    _run("enrollments", file, org, dry_run, report, actor)


@import_app.command("attendance")
def import_attendance(
    file: FileArg,
    org: OrgOpt,
    dry_run: DryRunOpt = False,
    report: ReportOpt = None,
    actor: AsOpt = None,
) -> None:
    """Record classroom or online attendance (date, start, end, mode) into the hours ledger."""
    _run("attendance", file, org, dry_run, report, actor)

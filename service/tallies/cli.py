"""`skills tallies ...`: reconcile the tallies now, show targets."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from service.core.database_ready import require_database

tallies_app = typer.Typer(help="Tallies: reconcile and targets.", no_args_is_help=True)


@tallies_app.command("reconcile")
def reconcile_cmd(
    check_only: Annotated[
        bool, typer.Option("--check-only", help="Report differences, correct nothing")
    ] = False,
) -> None:
    """Recompute the tallies from source rows, correct drift (unless --check-only), report.

    Exit status:
    0  no drift, or drift corrected
    2  drift found with --check-only
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.core.db import get_engine
    from service.core.observability.logging import configure_logging
    from service.core.settings import get_settings
    from service.tallies import reconcile

    require_database()
    configure_logging(get_settings().log_level)
    result = reconcile.run(get_engine(), trigger="cli", repair=not check_only)
    summary = {k: v for k, v in result.items() if k != "diffs"}
    summary["first_diffs"] = result["diffs"][:20]
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    if result["status"] == "drift" and check_only:
        raise typer.Exit(2)


@tallies_app.command("target")
def target_cmd(code: Annotated[str, typer.Argument()] = "person_times") -> None:
    """Progress toward a target (as GET /api/v1/tallies/target).

    Exit status:
    0  shown
    1  no such target
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.core.db import session_scope
    from service.tallies.projection import UnknownTarget, target_progress

    require_database()
    with session_scope() as session:
        try:
            typer.echo(json.dumps(target_progress(session, code), ensure_ascii=False, indent=2))
        except UnknownTarget:
            typer.echo(f"error: no target {code!r}", err=True)
            raise typer.Exit(1) from None


def demo_data_cmd(
    completions: int, learners: int | None, seed: int, reset: bool, force: bool
) -> None:
    """Body of `skills demo-data` (the command itself lives in service.cli)."""
    from sqlmodel import Session

    from service.core.db import get_engine
    from service.core.settings import get_settings
    from service.tallies import demo_data

    settings = get_settings()
    if settings.env == "production" and not force:
        typer.echo("error: refusing to load demo data in production (use --force)", err=True)
        raise typer.Exit(1)
    require_database()
    engine = get_engine()
    with Session(engine) as session:
        exists = demo_data.demo_exists(session)
    if exists and not reset:
        typer.echo("error: demo data exists already; use --reset to replace it", err=True)
        raise typer.Exit(1)
    if exists:
        typer.echo(json.dumps({"removed": demo_data.remove(engine)}))
    try:
        result = demo_data.load(
            engine,
            settings.master_key_bytes(),
            completions=completions,
            learners=learners,
            seed=seed,
            echo=lambda m: typer.echo(m, err=True),
        )
    except demo_data.DemoRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))

"""The `skills` command line: run the service and its workers, and do bulk or bootstrap work."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from service.accounts.cli import users_app
from service.imports.cli import import_app
from service.issuing.cli import credentials_app, keys_app
from service.packages.cli import packages_app
from service.tallies.cli import tallies_app  # each sub-app imports its work on first use

log = logging.getLogger("skills.cli")
app = typer.Typer(
    help="lifelong-skills: the city's lifelong vocational skills backend.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(users_app, name="users")
app.add_typer(packages_app, name="packages")
app.add_typer(credentials_app, name="credentials")
app.add_typer(keys_app, name="keys")
app.add_typer(tallies_app, name="tallies")
app.add_typer(import_app, name="import")


@app.callback()
def _wire() -> None:
    """Commands that reach the database run with the domains wired together (job handlers,
    completion listeners); the wiring happens once the database is found ready, so offline
    commands start without importing every domain."""
    from service.core.database_ready import when_ready

    when_ready(_wire_domains)


def _wire_domains() -> None:
    from service.wiring import wire

    wire()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    worker: Annotated[
        bool | None,
        typer.Option(help="Start a background worker (default: SKILLS_EMBEDDED_WORKER)"),
    ] = None,
    migrate: Annotated[
        bool | None,
        typer.Option(help="Apply pending migrations first (default: on for the embedded SQLite)"),
    ] = None,
) -> None:
    """Run the API (and, on the embedded default, migrations and a Celery worker)."""
    import uvicorn

    from service.app import create_app
    from service.core.settings import get_settings

    settings = get_settings()
    settings.check_production_ready()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    if migrate if migrate is not None else url.startswith("sqlite"):
        from service.core.db import get_engine
        from service.core.schema_head import at_head

        if not at_head(get_engine()):  # Alembic only when there is something to do
            from service.core.migrate import upgrade

            upgrade(url)
    from service.core.observability.logging import UVICORN_LOGGING, configure_logging
    from service.jobs.spool import sweep_spool

    configure_logging(settings.log_level)
    sweep_spool(settings)
    child: subprocess.Popen | None = None

    def on_sigterm(signum: int, _frame: object) -> None:
        """SIGTERM (systemd, docker stop) outside uvicorn's own handling: during start-up, and
        when uvicorn re-raises it on its way out. Python runs a handler between any two
        bytecodes, finalizers included, and an exception raised inside a finalizer is dropped
        ("Exception ignored in ..."), so this ends the process itself instead of raising."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut this short
        try:
            _stop_child(child)
            logging.shutdown()
        finally:
            os._exit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        if worker if worker is not None else settings.embedded_worker:
            child = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"])  # noqa: S603
            log.info("embedded worker started", extra={"pid": child.pid})
        # Forwarded headers are read by the app itself, only from SKILLS_TRUSTED_PROXIES.
        uvicorn.run(
            create_app(settings), host=host, port=port, proxy_headers=False, **UVICORN_LOGGING
        )
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_child(child)
        signal.signal(signal.SIGTERM, previous)


def _stop_child(child: subprocess.Popen | None) -> None:
    """Warm shutdown (the worker finishes or requeues its job), bounded; then kill."""
    if child is None or child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=5)
    log.info("embedded worker stopped", extra={"pid": child.pid})


@app.command("migrate")
def migrate_cmd(
    revision: Annotated[str, typer.Argument(help="Alembic revision to migrate to")] = "head",
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Change nothing: say in one line whether migrations are pending"
        ),
    ] = False,
) -> None:
    """Apply database migrations (Alembic) up to REVISION, or (--check) only say whether any
    are pending: run it in deploy scripts before starting new api and worker versions.

    With --check it changes nothing and prints one line: up to date, pending, newer, unreachable.

    Exit status:
    0  migrated (with --check: the database is at this version's head)
    1  with --check: migrations are pending, or there is no schema yet (run `skills migrate`)
    2  usage error (--check takes no REVISION)
    3  the database is unreachable (with --check, or the migration failed to connect)
    4  the database was migrated by a newer release than this one (do not deploy this one on it)
    """
    from service.core.migrate import NEWER_EXIT, UNREACHABLE_EXIT, status, upgrade
    from service.core.settings import get_settings

    url = get_settings().resolved_database_url()
    if check:
        if revision != "head":
            raise typer.BadParameter("--check compares with the head; give no REVISION")
        result = status(url)
        typer.echo(result.line, err=result.exit_code == UNREACHABLE_EXIT)
        raise typer.Exit(result.exit_code)
    before = status(url)
    if before.exit_code in (UNREACHABLE_EXIT, NEWER_EXIT) and revision == "head":
        typer.echo(f"error: {before.line}", err=True)
        raise typer.Exit(before.exit_code)
    upgrade(url, revision)
    typer.echo(f"database migrated to {revision}")


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes/threads")] = 2,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, threads or solo")] = "threads",
) -> None:
    """Run a Celery worker that executes background jobs."""
    from service.core.observability.logging import configure_logging
    from service.core.settings import get_settings
    from service.jobs.spool import sweep_spool
    from service.worker import celery

    settings = get_settings()
    configure_logging(settings.log_level)
    sweep_spool(settings)  # what a killed worker left in the spool directory
    celery.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-Q",
            settings.queue_name,
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def beat() -> None:
    """Run Celery beat: periodic jobs (outbox sweep, reconciles)."""
    from service.core.settings import get_settings
    from service.worker import celery

    schedule = get_settings().var_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])


@app.command()
def relay(
    once: Annotated[bool, typer.Option(help="One pass, then exit")] = False,
) -> None:
    """Hand committed outbox jobs to the broker (for deployments that keep it out of the API).

    Exit status:
    0  stopped (or, with --once, the pass is done)
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.core.database_ready import require_database
    from service.core.settings import get_settings
    from service.jobs.relay import RelayThread, relay_pending
    from service.worker import celery

    require_database()
    if once:
        typer.echo(json.dumps({"published": relay_pending(celery)}))
        return
    thread = RelayThread(celery, interval=get_settings().outbox_poll_seconds)
    thread.run()


@app.command("demo-data")
def demo_data(
    completions: Annotated[int, typer.Option(help="Completed trainings to generate")] = 10_000,
    learners: Annotated[
        int | None, typer.Option(help="Distinct learners (default: 3/4 of completions)")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same city)")] = 1,
    reset: Annotated[bool, typer.Option(help="Remove existing demo data first")] = False,
    force: Annotated[bool, typer.Option(help="Allow in production (never on real data!)")] = False,
) -> None:
    """Load a synthetic city (organizations, learners, offerings, completions) for demos.

    Exit status:
    0  loaded
    1  refused (demo data exists without --reset, or production without --force)
    3  the database is unreachable or not migrated (run `skills migrate`)
    """
    from service.tallies.cli import demo_data_cmd

    demo_data_cmd(completions, learners, seed, reset, force)


if __name__ == "__main__":
    app()

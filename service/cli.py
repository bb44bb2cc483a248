"""The `skills` command line: run the service and its workers, and do bulk or bootstrap work."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Annotated

import typer

app = typer.Typer(
    help="lifelong-skills: the city's lifelong vocational skills backend.",
    no_args_is_help=True,
    add_completion=False,
)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _register_subcommands() -> None:
    """Sub-apps owned by the domain packages' CLI modules."""
    import importlib

    for module_name, attr, name in (
        ("service.packages.cli", "packages_app", "packages"),
        ("service.issuing.cli", "credentials_app", "credentials"),
        ("service.issuing.cli", "keys_app", "keys"),
        ("service.tallies.cli", "tallies_app", "tallies"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        app.add_typer(getattr(module, attr), name=name)


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
    from service.core.migrate import upgrade
    from service.core.settings import get_settings

    settings = get_settings()
    settings.check_production_ready()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    if migrate if migrate is not None else url.startswith("sqlite"):
        upgrade(url)
    child = None
    if worker if worker is not None else settings.embedded_worker:
        child = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"])  # noqa: S603
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


@app.command("migrate")
def migrate_cmd(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations (Alembic) up to REVISION."""
    from service.core.migrate import upgrade
    from service.core.settings import get_settings

    upgrade(get_settings().resolved_database_url(), revision)
    typer.echo(f"database migrated to {revision}")


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes/threads")] = 2,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, threads or solo")] = "threads",
) -> None:
    """Run a Celery worker that executes background jobs."""
    from service.core.observability.logging import configure_logging
    from service.core.settings import get_settings
    from service.jobs.celery_app import celery

    settings = get_settings()
    configure_logging(settings.log_level)
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
    from service.jobs.celery_app import celery

    schedule = get_settings().var_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])


@app.command()
def relay(
    once: Annotated[bool, typer.Option(help="One pass, then exit")] = False,
) -> None:
    """Hand committed outbox jobs to the broker (for deployments that keep it out of the API)."""
    from service.core.settings import get_settings
    from service.jobs.celery_app import celery
    from service.jobs.relay import RelayThread, relay_pending

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
    """Load a synthetic city (organizations, learners, offerings, completions) for demos."""
    from service.tallies.cli import demo_data_cmd

    demo_data_cmd(completions, learners, seed, reset, force)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    role: Annotated[str, typer.Option(help="admin, org_admin, trainer, learner or platform")],
    password: Annotated[
        str | None, typer.Option(help="Password (prompted when omitted; not for platform)")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organization id")] = None,
    name: Annotated[str, typer.Option(help="Display name")] = "",
) -> None:
    """Create a user (bootstrap the first admin with this)."""
    from service.accounts.models import Role
    from service.accounts.users import UserRuleError, create_user
    from service.core.db import session_scope

    try:
        role_value = Role(role)
    except ValueError:
        raise typer.BadParameter(
            f"role must be one of {', '.join(r.value for r in Role)}"
        ) from None
    try:
        org_id = uuid.UUID(org) if org else None
    except ValueError:
        raise typer.BadParameter("--org must be an organization id (UUID)") from None
    if password is None and role_value != Role.platform:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as session:
            user = create_user(
                session,
                email=email,
                role=role_value,
                password=password,
                organization_id=org_id,
                display_name=name,
            )
            out = {
                "id": str(user.id),
                "email": user.email,
                "role": user.role,
                "organization_id": str(user.organization_id) if user.organization_id else None,
            }
    except UserRuleError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(out))


_register_subcommands()

if __name__ == "__main__":
    app()

"""Is the database ready for this version of the code? The check every CLI command that touches
the database runs first.

Without it, a command run before ``skills migrate`` fails deep inside SQLAlchemy with a long
traceback ending in "no such table". Here the schema's Alembic revision is compared with the
migrations this version ships, once, before the command's own work:

- the embedded default (SQLite) is brought up to date on the spot, as ``skills serve`` does:
  it is a local file that nobody else migrates;
- any other database (PostgreSQL) is left alone, since its migrations belong to a deploy step
  (the compose file's ``migrate`` service); the command says in one line to run
  ``skills migrate`` and exits with :data:`NOT_READY_EXIT`.

An unreachable database is reported in one line too. Neither message shows the password of the
database URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # Alembic and SQLAlchemy are imported by the commands that reach the database
    from sqlalchemy.engine import Engine

# 1 and 2 already mean things for some commands (not valid, drift, usage): this one is apart.
NOT_READY_EXIT = 3


@dataclass(frozen=True)
class SchemaState:
    """The database's Alembic revisions against the heads of the migrations shipped here."""

    current: frozenset[str]
    heads: frozenset[str]
    unknown: frozenset[str]  # revisions in the database that this version does not ship

    @property
    def ready(self) -> bool:
        return self.current == self.heads

    def advice(self) -> str:
        """One line: what is wrong and what to run."""
        if self.unknown:
            newer = ", ".join(sorted(self.unknown))
            return (
                f"the database is at revision {newer}, which this version does not know "
                "(a newer release migrated it): run that release"
            )
        if not self.current:
            return "the database has no schema yet: run `skills migrate` first"
        return "the database schema is older than this version: run `skills migrate` first"


def schema_state(engine: Engine) -> SchemaState:
    """Read the revision table (none at all on an empty database)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    from service.core.migrate import ROOT

    script = ScriptDirectory(str(ROOT / "migrations"))
    heads = frozenset(script.get_heads())
    with engine.connect() as connection:
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    unknown = set()
    for revision in current:
        try:
            if script.get_revision(revision) is None:
                unknown.add(revision)
        except CommandError:
            unknown.add(revision)
    return SchemaState(current, heads, frozenset(unknown))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(NOT_READY_EXIT)


def require_database() -> None:
    """Make sure the configured database is reachable and migrated, or end the command with one
    line that says what to do (exit status :data:`NOT_READY_EXIT`).

    Imports of settings and the database stay in here, so that CLI modules can import this one
    without reading the configuration (see :mod:`service.issuing.cli`).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from service.core.db import get_engine
    from service.core.migrate import upgrade
    from service.core.settings import get_settings

    url = get_settings().resolved_database_url()
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        engine = get_engine()
        state = schema_state(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise _fail(f"cannot reach the database {shown}: {reason}") from None
    if not state.ready:
        if engine.dialect.name != "sqlite" or state.unknown:
            raise _fail(f"{state.advice()} ({shown})")
        upgrade(url)  # the embedded default: nobody else migrates it (as `skills serve`)
        typer.echo(f"migrated the embedded database {shown} to the current schema", err=True)
    for hook in _when_ready:
        hook()


_when_ready: list[Callable[[], None]] = []


def when_ready(hook: Callable[[], None]) -> None:
    """Run ``hook`` once the database is found ready, before the command's own work. The CLI's
    composition root wires the domains together this way, so commands that never touch the
    database (``--help``, ``packages inspect``) do not import them all."""
    if hook not in _when_ready:
        _when_ready.append(hook)

"""Running Alembic from code: `skills migrate` (and its read-only `--check` for deploy scripts),
`skills serve` and the tests use this."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from service.core.db import normalise_url

try:
    import fcntl
except ImportError:  # not POSIX: the embedded default then migrates unguarded
    fcntl = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]  # the project root: alembic.ini, migrations/


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = normalise_url(database_url)
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``. On a SQLite file, one process at a time: the
    embedded default migrates from whichever command starts first (``skills serve`` and
    ``skills users create`` in two terminals), and two concurrent upgrades of a fresh file
    collide ("table alembic_version already exists"); PostgreSQL takes its own locks."""
    with _sqlite_migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


@contextmanager
def _sqlite_migration_lock(database_url: str) -> Iterator[None]:
    url = make_url(normalise_url(database_url))
    path = url.database if url.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or fcntl is None:
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def check(database_url: str) -> None:
    """Raises when the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(database_url))


# --- `skills migrate --check`: where the database stands, without touching it ---------------

UP_TO_DATE_EXIT = 0
PENDING_EXIT = 1  # migrations to apply (also: no schema at all yet)
UNREACHABLE_EXIT = 3  # as every command that needs the database (service.core.database_ready)
NEWER_EXIT = 4  # migrated by a release newer than this one: deploying this one would be a downgrade


@dataclass(frozen=True)
class MigrationStatus:
    """What a deploy script needs: the state in one line and an exit status."""

    exit_code: int
    line: str


def _sqlite_file_missing(database_url: str) -> bool:
    """Connecting to a SQLite path creates the file: a check must not, so it looks first."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    return not Path(url.database).exists()


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def status(database_url: str) -> MigrationStatus:
    """Compare the database's Alembic revision with this version's heads. Read-only: it opens a
    connection, reads ``alembic_version`` (absent on an empty database) and nothing else.
    """
    shown = make_url(normalise_url(database_url)).render_as_string(hide_password=True)
    script = ScriptDirectory.from_config(alembic_config(database_url))
    heads = ", ".join(sorted(script.get_heads()))
    if _sqlite_file_missing(database_url):
        current: frozenset[str] = frozenset()
        unknown: frozenset[str] = frozenset()
    else:
        engine = create_engine(normalise_url(database_url), poolclass=NullPool)
        try:
            with engine.connect() as connection:
                current = frozenset(MigrationContext.configure(connection).get_current_heads())
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            return MigrationStatus(
                UNREACHABLE_EXIT, f"unreachable: cannot reach the database {shown}: {reason}"
            )
        finally:
            engine.dispose()
        unknown = frozenset(r for r in current if not _known(script, r))
    if unknown:
        newer = ", ".join(sorted(unknown))
        return MigrationStatus(
            NEWER_EXIT,
            f"newer: the database is at {newer}, which this version does not ship (a newer "
            f"release migrated it; this version's head is {heads}): do not deploy this version "
            "on it",
        )
    to_apply = [
        r.revision
        for r in reversed(list(script.iterate_revisions("heads", tuple(current) or "base")))
    ]
    if not to_apply:
        return MigrationStatus(UP_TO_DATE_EXIT, f"up to date: the database is at {heads} (head)")
    where = f"is at {', '.join(sorted(current))}" if current else "has no schema yet"
    which = ", ".join(to_apply) if len(to_apply) <= 3 else f"{to_apply[0]} to {to_apply[-1]}"
    count = f"{len(to_apply)} migration{'s' if len(to_apply) > 1 else ''}"
    return MigrationStatus(
        PENDING_EXIT,
        f"pending: the database {where}; {count} to apply ({which}): run `skills migrate`",
    )

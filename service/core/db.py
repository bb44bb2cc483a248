"""Database engine and sessions.

SQLite (embedded default) and PostgreSQL (production, via psycopg 3) run the same code. The
schema is created only by Alembic migrations (``service.core.migrate``), never by ``create_all``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

from service.core.settings import get_settings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for every PostgreSQL URL, whatever driver the user spelled."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@event.listens_for(SQLModel, "load", propagate=True)
def _aware_datetimes(target, _context) -> None:
    """SQLite hands back naive datetimes; every stored instant is UTC, so say so on load.

    Written to ``__dict__`` so the instance is not marked as changed.
    """
    state = target.__dict__
    for name, value in list(state.items()):
        if isinstance(value, datetime) and value.tzinfo is None:
            state[name] = value.replace(tzinfo=UTC)


def build_engine(url: str) -> Engine:
    """``hide_parameters``: a database error's text (logged with tracebacks) must not carry the
    statement's values, which can be personal data."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        # A server that does not answer (not just refuses) fails the request in seconds.
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        hide_parameters=True,
    )


# Statements that only read; anything else (DML, DDL, SAVEPOINT) needs the write lock.
_SQLITE_READS = ("SELECT", "PRAGMA", "EXPLAIN", "RELEASE", "ROLLBACK")
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_engine(url: str) -> Engine:
    """SQLite with the writer guarantees the code relies on on PostgreSQL.

    pysqlite's own transaction handling opens a transaction only at the first INSERT/UPDATE, so
    a read-check-write guard (seats left, minutes left today) read outside any lock and two
    requests both passed it. Here pysqlite's handling is off (``isolation_level=None``) and a
    transaction takes the database's write lock (``BEGIN IMMEDIATE``) at its first write or
    ``SELECT ... FOR UPDATE`` (which SQLite does not compile, so it is read from the statement):
    the lock is held to commit, like PostgreSQL's row locks, and the next writer waits for it
    (``busy_timeout``). Reads before that run with PostgreSQL's READ COMMITTED semantics (each
    sees the latest commit, in WAL mode without blocking writers), so read-only requests and
    long read phases never hold the lock. See SQLAlchemy's "Serializable isolation /
    Savepoints / Transactional DDL" for pysqlite; savepoints nest inside the transaction.
    """
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,
        **_sqlite_pool(url),
    )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_write_lock(conn, cursor, statement, _params, context, _many):
        if cursor.connection.in_transaction:
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        compiled = getattr(context, "compiled", None)
        locks = getattr(getattr(compiled, "statement", None), "_for_update_arg", None)
        if verb in _SQLITE_READS and locks is None:
            return
        if verb in ("BEGIN", "COMMIT", "END"):
            return
        cursor.execute("BEGIN IMMEDIATE")

    return engine


def _sqlite_pool(url: str) -> dict:
    """A file database gets a pool as large as the request threads that may wait for the write
    lock at once (Starlette runs sync routes on 40 threads, plus the relay and job threads), so
    waiting writers never exhaust it; an in-memory database keeps SQLAlchemy's single
    connection per thread."""
    database = make_url(url).database
    if not database or database == ":memory:" or "mode=memory" in url:
        return {}
    return {"pool_size": 16, "max_overflow": 48, "pool_timeout": 60}


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    if settings.resolved_database_url().startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return build_engine(settings.resolved_database_url())


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request; routes commit explicitly."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def is_postgres(session_or_engine) -> bool:
    bind = getattr(session_or_engine, "get_bind", None)
    engine = bind() if bind else session_or_engine
    return engine.dialect.name == "postgresql"


@contextmanager
def planned_for_its_values(session: Session) -> Iterator[None]:
    """PostgreSQL plans the statements inside for their actual parameters.

    psycopg prepares a statement from its fifth execution, and PostgreSQL then settles on one
    generic plan made with the statistics of that moment (PostgreSQL docs, PREPARE, "Notes").
    A key look-up ``= ANY(:keys)`` first planned while its table was small stays a sequential
    scan as the table grows: an import into a young ledger went from 10 ms to 300 ms per 500
    keys at 10,000 rows, growing with every batch. Planning afresh costs well under a
    millisecond. Only for success: an error aborts the transaction, and SET LOCAL ends with it.
    """
    if not is_postgres(session):
        yield
        return
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    yield
    session.execute(text("SET LOCAL plan_cache_mode TO DEFAULT"))


# ---- telling an outage from a faulty statement --------------------------------------------

CONNECT_TIMEOUT_SECONDS = 5
# PostgreSQL SQLSTATEs that mean the server cannot be used right now, not that the query is
# wrong: class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300
# (too many connections). PostgreSQL docs, Appendix A "Error Codes".
_PG_UNAVAILABLE = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite errors about the file or its lock, not the statement.
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "disk i/o error",
    "database is locked",
    "attempt to write a readonly database",
    "database or disk is full",
)


def is_connection_failure(exc: DBAPIError) -> bool:
    """True when ``exc`` says the database cannot be reached or used right now (an outage to
    retry later), False for a fault of the statement itself (a missing table, a syntax error).
    """
    if isinstance(exc, InterfaceError) or exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        message = str(orig).lower()
        return any(message.startswith(m) for m in _SQLITE_UNAVAILABLE)
    sqlstate = getattr(orig, "sqlstate", None)
    # psycopg raises connection failures (refused, timed out, reset) without a SQLSTATE.
    return sqlstate is None or sqlstate.startswith(_PG_UNAVAILABLE)

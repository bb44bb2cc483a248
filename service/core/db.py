"""Database engine and sessions.

SQLite (embedded default) and PostgreSQL (production, via psycopg 3) run the same code. The
schema is created only by Alembic migrations (``service.core.migrate``), never by ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
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
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


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

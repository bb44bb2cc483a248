"""Concurrency-safe counter upserts:
``INSERT ... ON CONFLICT (...) DO UPDATE SET n = n + excluded.n``.

PostgreSQL and SQLite (3.24+) both support the statement; the row lock it takes on conflict
makes concurrent increments of one cell add up instead of overwriting each other. Rows are
written in sorted key order so that two transactions touching the same cells lock them in the
same order and cannot deadlock each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

CHUNK = 500  # rows per statement (SQLite caps bound parameters)


def _insert(session: Session, table: Table):
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def increment(
    session: Session,
    table: Table,
    rows: Iterable[dict],
    key_columns: Sequence[str],
    counters: Sequence[str],
) -> int:
    """Add each row's ``counters`` to the row with the same ``key_columns`` (insert if absent).

    ``rows`` must have distinct keys (aggregate deltas first) and come sorted by key.
    """
    rows = list(rows)
    for start in range(0, len(rows), CHUNK):
        stmt = _insert(session, table).values(rows[start : start + CHUNK])
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key_columns),
            set_={c: table.c[c] + stmt.excluded[c] for c in counters},
        )
        session.execute(stmt)
    return len(rows)

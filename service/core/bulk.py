"""Writing many rows in one round trip, without ORM objects.

On PostgreSQL the rows go straight to psycopg (one short INSERT, pipelined rows): psycopg adapts
UUIDs and aware datetimes itself, so SQLAlchemy's per-row parameter processing, which costs as
much again as the insert, is skipped; JSON values are wrapped as JSONB. Other databases use a
plain Core executemany.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

# From this many rows on, PostgreSQL gets a COPY instead of an executemany.
COPY_FROM = 8
_NEXT_KEYS = text(
    "SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :n)"
)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys) in one executemany."""
    if not rows:
        return
    if not _is_postgresql(session):
        session.execute(insert(table), rows)
        return
    from psycopg.types.json import Jsonb

    keys = list(rows[0])
    json_keys = {k for k in keys if isinstance(table.c[k].type, JSON)}
    if len(rows) >= COPY_FROM:
        _copy(session, table, keys, json_keys, rows)
        return
    if json_keys:
        rows = [{**r, **{k: Jsonb(r[k]) for k in json_keys}} for r in rows]
    dialect = session.get_bind().dialect
    sql = str(insert(table).compile(dialect=dialect, column_keys=keys))
    session.connection().exec_driver_sql(sql, rows)


def _copy(session: Session, table: Table, keys: list[str], json_keys: set[str], rows) -> None:
    """COPY FROM STDIN: for a batch, several times faster than pipelined INSERTs (psycopg
    prepares and sends each INSERT separately)."""
    import psycopg

    columns = ", ".join(f'"{k}"' for k in keys)
    sql = f'COPY "{table.name}" ({columns}) FROM STDIN'
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[k]) if k in json_keys else row[k] for k in keys])
    except psycopg.Error as exc:
        # As SQLAlchemy would raise it (IntegrityError for a unique key, so callers' race
        # handling works), and without the rows in the message: they may hold personal data.
        raise DBAPIError.instance(
            sql, None, exc, psycopg.Error, hide_parameters=True, dialect=session.get_bind().dialect
        ) from None


def insert_rows_with_keys(
    session: Session, table: Table, rows: list[dict[str, Any]], key: str
) -> list[int]:
    """INSERT the rows and return their generated integer ``key`` values, in row order. On
    PostgreSQL the keys are drawn from the column's sequence first (one query), so the insert
    itself can be pipelined; elsewhere an INSERT ... RETURNING keeps the order."""
    if not rows:
        return []
    if not _is_postgresql(session):
        result = session.execute(
            insert(table).returning(table.c[key], sort_by_parameter_order=True), rows
        )
        return [r[0] for r in result]
    keys = sorted(
        session.execute(
            _NEXT_KEYS,
            {"table": table.name, "column": key, "n": len(rows)},
        ).scalars()
    )
    insert_rows(
        session, table, [{**row, key: value} for row, value in zip(rows, keys, strict=True)]
    )
    return keys

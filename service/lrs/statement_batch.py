"""A batch's database work in as few round trips as the database allows.

Storing a batch needs three look-ups (which ids are stored already, with their comparison
hashes; stored voiding statements that target the batch's ids; the canonical definitions of the
batch's activities) and four writes (the statements, their agent and activity index rows, the
merged activity definitions). On PostgreSQL the look-ups go in one pipeline (one round trip)
and the writes are one statement: data-modifying CTEs over ``json_to_recordset`` parameters,
the index rows joined to the ``seq`` values the statement insert returns. A batch of 50 thus
costs two round trips instead of a dozen, which on a busy server is most of its time. Other
databases (SQLite, in-process) run the plain queries one after another.

A unique ``statement_id`` met by the write raises ``IntegrityError`` on every database, so the
caller's race handling (compare again, retry) is the same.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from service.accounts.models import User
from service.core.bulk import insert_rows, insert_rows_with_keys
from service.lrs.access import READ_ALL_ROLES
from service.lrs.models import (
    LrsActivity,
    LrsStatement,
    LrsStatementActivity,
    LrsStatementAgent,
)
from service.lrs.statement_index import VOIDED

_STATEMENT = LrsStatement.__table__  # type: ignore[attr-defined]
_AGENT = LrsStatementAgent.__table__  # type: ignore[attr-defined]
_ACTIVITY = LrsStatementActivity.__table__  # type: ignore[attr-defined]


@dataclass
class Known:
    """What the database already holds about a batch."""

    # statement id (canonical text) -> comparison hash
    hashes: dict[str, str] = field(default_factory=dict)
    # target statement id -> (voider's actor key, stored by unrestricted credentials)
    voiders: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    # activity id -> stored canonical definition
    definitions: dict[str, dict] = field(default_factory=dict)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- look-ups ------------------------------------------------------------------------------------

_PG_HASHES = "SELECT statement_id, comparison_hash FROM lrs_statement WHERE statement_id = ANY(%s)"
_PG_VOIDERS = (
    'SELECT s.voids, s.actor_key, u.role FROM lrs_statement s LEFT JOIN "user" u'
    " ON u.id = s.stored_by WHERE s.voids = ANY(%s) AND s.verb_id = %s"
)
_PG_DEFINITIONS = "SELECT activity_id, definition FROM lrs_activity WHERE activity_id = ANY(%s)"


def look_up(
    session: Session, ids: list[str], activity_ids: list[str], *, voiders: bool = True
) -> Known:
    """Stored hashes of ``ids``, voiders targeting them (when ``voiders``), and the stored
    definitions of ``activity_ids``."""
    if _is_postgresql(session):
        return _look_up_pg(session, ids, activity_ids, voiders)
    uuids = [uuid.UUID(i) for i in ids]
    known = Known()
    known.hashes = {
        str(sid): digest
        for sid, digest in session.exec(
            select(LrsStatement.statement_id, LrsStatement.comparison_hash).where(
                col(LrsStatement.statement_id).in_(uuids)
            )
        ).all()
    }
    if voiders:
        rows = session.exec(
            select(LrsStatement.voids, LrsStatement.actor_key, User.role)
            .join(User, col(User.id) == LrsStatement.stored_by, isouter=True)
            .where(col(LrsStatement.voids).in_(uuids), LrsStatement.verb_id == VOIDED)
        ).all()
        _add_voiders(known, rows)
    if activity_ids:
        known.definitions = dict(
            session.exec(
                select(LrsActivity.activity_id, LrsActivity.definition).where(
                    col(LrsActivity.activity_id).in_(activity_ids)
                )
            ).all()
        )
    return known


def _look_up_pg(session: Session, ids: list[str], activity_ids: list[str], voiders: bool) -> Known:
    import psycopg

    uuids = [uuid.UUID(i) for i in ids]
    conn = session.connection().connection.driver_connection
    try:
        with conn.pipeline():  # type: ignore[union-attr]
            hashes = conn.execute(_PG_HASHES, (uuids,))  # type: ignore[union-attr]
            voiding = conn.execute(_PG_VOIDERS, (uuids, VOIDED)) if voiders else None  # type: ignore[union-attr]
            definitions = (
                conn.execute(_PG_DEFINITIONS, (activity_ids,)) if activity_ids else None  # type: ignore[union-attr]
            )
        known = Known(hashes={str(sid): digest for sid, digest in hashes.fetchall()})
        voided_by = voiding.fetchall() if voiding is not None else None
        known_definitions = dict(definitions.fetchall()) if definitions is not None else None
    except psycopg.Error as exc:
        # As SQLAlchemy would raise it, so an outage or a timeout is the usual 503, not a 500.
        raise DBAPIError.instance(
            "lrs batch look-up", None, exc, psycopg.Error, hide_parameters=True,
            dialect=session.get_bind().dialect,
        ) from None  # fmt: skip
    if voided_by is not None:
        _add_voiders(known, voided_by)
    if known_definitions is not None:
        known.definitions = known_definitions
    return known


def _add_voiders(known: Known, rows: Any) -> None:
    for target, actor, role in rows:
        known.voiders.setdefault(str(target), []).append((actor, role in READ_ALL_ROLES))


# --- writes --------------------------------------------------------------------------------------

_PG_WRITE = """
WITH s AS (
  INSERT INTO lrs_statement (statement_id, stored, "timestamp", verb_id, actor_key, object_type,
    object_key, registration, voids, voided, content, comparison_hash, attachment_hashes,
    stored_by, enrollment_id)
  SELECT statement_id, stored, "timestamp", verb_id, actor_key, object_type, object_key,
    registration, voids, voided, content, comparison_hash, attachment_hashes, stored_by,
    enrollment_id
  FROM json_to_recordset(%(statements)s::json) AS r(n int, statement_id uuid, stored timestamptz,
    "timestamp" timestamptz, verb_id text, actor_key text, object_type text, object_key text,
    registration uuid, voids uuid, voided boolean, content jsonb, comparison_hash text,
    attachment_hashes json, stored_by uuid, enrollment_id uuid)
  ORDER BY n
  RETURNING seq, statement_id, stored
), agents AS (
  INSERT INTO lrs_statement_agent (seq, agent_key, relation, stored)
  SELECT s.seq, a.agent_key, a.relation, s.stored
  FROM json_to_recordset(%(agents)s::json) AS a(statement_id uuid, agent_key text, relation text)
  JOIN s USING (statement_id)
), activities AS (
  INSERT INTO lrs_statement_activity (seq, activity_id, relation, stored)
  SELECT s.seq, a.activity_id, a.relation, s.stored
  FROM json_to_recordset(%(activities)s::json) AS a(statement_id uuid, activity_id text,
    relation text)
  JOIN s USING (statement_id)
), definitions AS (
  INSERT INTO lrs_activity (activity_id, definition, updated)
  SELECT d.activity_id, d.definition, %(now)s
  FROM json_to_recordset(%(definitions)s::json) AS d(activity_id text, definition json)
  ON CONFLICT (activity_id) DO UPDATE
    SET definition = excluded.definition, updated = excluded.updated
)
SELECT seq, statement_id FROM s
"""


def write(
    session: Session,
    rows: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    activities: list[dict[str, Any]],
    definitions: dict[str, dict],
    now: datetime,
) -> list[int]:
    """Insert the statement ``rows`` (columns of ``lrs_statement`` but ``seq``), their index
    rows (``statement_id`` with ``agent_key``/``activity_id`` and ``relation``), and upsert the
    activity ``definitions``; return the ``seq`` of each row, in row order (increasing)."""
    if not rows:
        return []
    if _is_postgresql(session):
        return _write_pg(session, rows, agents, activities, definitions, now)
    seqs = insert_rows_with_keys(session, _STATEMENT, rows, "seq")
    by_id = {r["statement_id"]: (seq, r["stored"]) for r, seq in zip(rows, seqs, strict=True)}
    for table, key, index_rows in (
        (_AGENT, "agent_key", agents),
        (_ACTIVITY, "activity_id", activities),
    ):
        insert_rows(
            session,
            table,
            [
                {
                    "seq": by_id[r["statement_id"]][0],
                    key: r[key],
                    "relation": r["relation"],
                    "stored": by_id[r["statement_id"]][1],
                }
                for r in index_rows
            ],
        )
    if definitions:
        stmt = sqlite.insert(LrsActivity)
        stmt = stmt.on_conflict_do_update(
            index_elements=["activity_id"],
            set_={"definition": stmt.excluded.definition, "updated": stmt.excluded.updated},
        )
        session.execute(
            stmt,
            [{"activity_id": a, "definition": d, "updated": now} for a, d in definitions.items()],
        )
    return seqs


def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def _write_pg(
    session: Session,
    rows: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    activities: list[dict[str, Any]],
    definitions: dict[str, dict],
    now: datetime,
) -> list[int]:
    params = {
        "statements": _json([{**row, "n": n} for n, row in enumerate(rows)]),
        "agents": _json(agents),
        "activities": _json(activities),
        "definitions": _json([{"activity_id": a, "definition": d} for a, d in definitions.items()]),
        "now": now,
    }
    found = dict(
        (sid, seq) for seq, sid in session.connection().exec_driver_sql(_PG_WRITE, params).all()
    )
    return [found[row["statement_id"]] for row in rows]

"""lrs backfill: the statements of the former xAPI subset endpoint move into lrs_statement (with
their agent and activity rows), xapi_statement is dropped (the projection needs no record of its
own, see service.lrs.projection), and the hours ledger accepts reversal rows (minutes < 0).

Revision ID: 0012_lrs_backfill
Revises: 0011_lrs
Create Date: 2026-11-30 22:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_lrs_backfill"
down_revision: str | None = "0011_lrs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
PAGE = 1000

xapi_statement = sa.table(
    "xapi_statement",
    sa.column("id", sa.Uuid()),
    sa.column("enrollment_id", sa.Uuid()),
    sa.column("registration", sa.Uuid()),
    sa.column("verb_id", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("statement", sa.JSON()),
    sa.column("comparison_hash", sa.String()),
    sa.column("stored_by", sa.Uuid()),
    sa.column("stored_at", TS),
)
lrs_statement = sa.table(
    "lrs_statement",
    sa.column("seq", sa.BigInteger()),
    sa.column("statement_id", sa.Uuid()),
    sa.column("stored", TS),
    sa.column("timestamp", TS),
    sa.column("verb_id", sa.Text()),
    sa.column("actor_key", sa.Text()),
    sa.column("object_type", sa.String()),
    sa.column("object_key", sa.Text()),
    sa.column("registration", sa.Uuid()),
    sa.column("voids", sa.Uuid()),
    sa.column("voided", sa.Boolean()),
    sa.column("content", DOCUMENT_JSON),
    sa.column("comparison_hash", sa.String()),
    sa.column("attachment_hashes", sa.JSON()),
    sa.column("stored_by", sa.Uuid()),
    sa.column("enrollment_id", sa.Uuid()),
)
lrs_agent = sa.table(
    "lrs_statement_agent",
    sa.column("seq", sa.BigInteger()),
    sa.column("agent_key", sa.Text()),
    sa.column("relation", sa.String()),
    sa.column("stored", TS),
)
lrs_activity_rel = sa.table(
    "lrs_statement_activity",
    sa.column("seq", sa.BigInteger()),
    sa.column("activity_id", sa.Text()),
    sa.column("relation", sa.String()),
    sa.column("stored", TS),
)
lrs_activity = sa.table(
    "lrs_activity",
    sa.column("activity_id", sa.Text()),
    sa.column("definition", sa.JSON()),
    sa.column("updated", TS),
)
hours_entry = sa.table(
    "hours_entry",
    sa.column("id", sa.Uuid()),
    sa.column("source", sa.String()),
    sa.column("external_id", sa.String()),
    sa.column("minutes", sa.Integer()),
)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps UTC wall times


def upgrade() -> None:
    with op.batch_alter_table("hours_entry", recreate="always") as batch_op:
        batch_op.drop_constraint("ck_hours_entry_minutes", type_="check")
        batch_op.create_check_constraint("ck_hours_entry_minutes", "minutes <> 0")
    _backfill(op.get_bind())
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_statement_enrollment_id"))
    op.drop_table("xapi_statement")


def _backfill(conn) -> None:
    known_activities = {a for (a,) in conn.execute(sa.select(lrs_activity.c.activity_id))}
    last = None
    while True:
        query = sa.select(xapi_statement).order_by(xapi_statement.c.stored_at, xapi_statement.c.id)
        if last is not None:
            query = query.where(
                sa.tuple_(xapi_statement.c.stored_at, xapi_statement.c.id) > sa.tuple_(*last)
            )
        rows = conn.execute(query.limit(PAGE)).all()
        if not rows:
            return
        for row in rows:
            _copy(conn, row, known_activities)
        last = (rows[-1].stored_at, rows[-1].id)


def _copy(conn, row, known_activities: set) -> None:
    # The LRS's own indexing functions, so these rows match, hash and filter exactly like
    # statements it stores itself (imported here: they are not needed before this revision).
    from service.lrs.identifiers import agent_key
    from service.lrs.statement_index import (
        activity_relations,
        agent_relations,
        comparison_hash,
        normalise_statement,
        object_key,
    )

    doc = normalise_statement(dict(row.statement))
    stored = _aware(row.stored_at)
    # xAPI Data §2.4.7: a statement without a timestamp gets the time it was stored.
    doc.setdefault("timestamp", doc.get("stored") or stored.isoformat())
    kind, key = object_key(doc)
    seq = conn.execute(
        sa.insert(lrs_statement)
        .values(
            statement_id=row.id,
            stored=stored,
            timestamp=datetime.fromisoformat(doc["timestamp"].replace("Z", "+00:00")),
            verb_id=row.verb_id,
            actor_key=agent_key(doc.get("actor") or {}) or "",
            object_type=kind,
            object_key=key,
            registration=row.registration,
            voids=None,
            voided=False,
            content=doc,
            comparison_hash=comparison_hash(doc),
            attachment_hashes=[],
            stored_by=row.stored_by,
            enrollment_id=row.enrollment_id,
        )
        .returning(lrs_statement.c.seq)
    ).scalar_one()
    agents, activities = agent_relations(doc), activity_relations(doc)
    if agents:
        conn.execute(
            sa.insert(lrs_agent),
            [{"seq": seq, "agent_key": k, "relation": r, "stored": stored} for k, r in agents],
        )
    if activities:
        conn.execute(
            sa.insert(lrs_activity_rel),
            [
                {"seq": seq, "activity_id": a, "relation": r, "stored": stored}
                for a, r in activities
            ],
        )
    definition = (doc.get("object") or {}).get("definition")
    if isinstance(definition, dict) and key not in known_activities:
        conn.execute(
            sa.insert(lrs_activity).values(activity_id=key, definition=definition, updated=stored)
        )
        known_activities.add(key)


def downgrade() -> None:
    op.create_table(
        "xapi_statement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("registration", sa.Uuid(), nullable=False),
        sa.Column("verb_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.Column("comparison_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("stored_by", sa.Uuid(), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enrollment_id"], ["enrollment.id"]),
        sa.ForeignKeyConstraint(["stored_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_xapi_statement_enrollment_id"), ["enrollment_id"], unique=False
        )
    conn = op.get_bind()
    # What the subset endpoint held: the statements that fed an enrolment (activity objects)
    # are moved back there ...
    projected = sa.select(
        lrs_statement.c.statement_id,
        lrs_statement.c.enrollment_id,
        lrs_statement.c.registration,
        lrs_statement.c.verb_id,
        lrs_statement.c.object_key,
        lrs_statement.c.content,
        lrs_statement.c.comparison_hash,
        lrs_statement.c.stored_by,
        lrs_statement.c.stored,
    ).where(
        lrs_statement.c.enrollment_id.is_not(None),
        lrs_statement.c.registration.is_not(None),
        lrs_statement.c.object_type == "Activity",
        sa.func.length(lrs_statement.c.verb_id) <= 300,
        sa.func.length(lrs_statement.c.object_key) <= 500,
    )
    conn.execute(
        sa.insert(xapi_statement).from_select(
            [
                "id",
                "enrollment_id",
                "registration",
                "verb_id",
                "object_id",
                "statement",
                "comparison_hash",
                "stored_by",
                "stored_at",
            ],
            projected,
        )
    )
    # ... and which are no longer LRS rows: upgrading again moves them back.
    moved = sa.select(xapi_statement.c.id)
    seqs = sa.select(lrs_statement.c.seq).where(lrs_statement.c.statement_id.in_(moved))
    conn.execute(sa.delete(lrs_agent).where(lrs_agent.c.seq.in_(seqs)))
    conn.execute(sa.delete(lrs_activity_rel).where(lrs_activity_rel.c.seq.in_(seqs)))
    conn.execute(sa.delete(lrs_statement).where(lrs_statement.c.statement_id.in_(moved)))
    # The old ledger has no reversals: drop each with the entry it reverses (net unchanged).
    reversals = conn.execute(
        sa.select(hours_entry.c.id, hours_entry.c.source, hours_entry.c.external_id).where(
            hours_entry.c.minutes < 0
        )
    ).all()
    for rid, source, external_id in reversals:
        conn.execute(
            sa.delete(hours_entry).where(
                hours_entry.c.source == source,
                hours_entry.c.external_id == external_id.removeprefix("void:"),
            )
        )
        conn.execute(sa.delete(hours_entry).where(hours_entry.c.id == rid))
    with op.batch_alter_table("hours_entry", recreate="always") as batch_op:
        batch_op.drop_constraint("ck_hours_entry_minutes", type_="check")
        batch_op.create_check_constraint("ck_hours_entry_minutes", "minutes > 0")

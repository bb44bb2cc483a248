"""Migration 0012: the subset endpoint's statements become LRS statements, and back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from service.core.migrate import alembic_config, upgrade
from service.lrs.models import LrsStatement, LrsStatementActivity, LrsStatementAgent
from service.training.models import Enrollment, HoursEntry

AU = "https://packages.skills.example/welding-basics/au/1"
ACTOR = {"objectType": "Agent", "account": {"homePage": "https://skills.test", "name": "s-1"}}


def test_backfill_copies_statements_and_downgrade_restores_them(db_url, builder, session, engine):
    learner = builder.add_learner()
    enrollment = Enrollment(learner_id=learner.id, offering_id=builder.add_offering().id)
    session.add(enrollment)
    session.commit()
    session.close()
    engine.dispose()
    command.downgrade(alembic_config(db_url), "0011_lrs")

    sid = uuid.uuid4()
    stored = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    document = {
        "id": str(sid),
        "actor": ACTOR,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": AU, "definition": {"name": {"zh-CN": "焊接基础"}}},
        "context": {
            "registration": str(enrollment.registration),
            "contextActivities": {
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]
            },
        },
        "stored": stored.isoformat(),
        "authority": {"objectType": "Agent", "account": {"homePage": "https://x", "name": "p"}},
        "version": "1.0.0",
    }
    old = sa.table(
        "xapi_statement",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("id", sa.Uuid()),
                ("enrollment_id", sa.Uuid()),
                ("registration", sa.Uuid()),
                ("verb_id", sa.String()),
                ("object_id", sa.String()),
                ("statement", sa.JSON()),
                ("comparison_hash", sa.String()),
                ("stored_at", sa.DateTime(timezone=True)),
            )
        ),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.insert(old).values(
                id=sid,
                enrollment_id=enrollment.id,
                registration=enrollment.registration,
                verb_id=document["verb"]["id"],
                object_id=AU,
                statement=document,
                comparison_hash="x" * 64,
                stored_at=stored,
            )
        )
    upgrade(db_url)

    row = session.exec(select(LrsStatement)).one()
    assert row.statement_id == sid and row.enrollment_id == enrollment.id
    assert row.registration == enrollment.registration and row.object_key == AU
    assert row.actor_key == "Agent|account:https://skills.test s-1"
    assert row.content["timestamp"] == stored.isoformat()  # none sent: the stored time
    agents = {(a.agent_key, a.relation) for a in session.exec(select(LrsStatementAgent))}
    assert ("Agent|account:https://skills.test s-1", "actor") in agents
    assert ("Agent|account:https://x p", "related") in agents
    activities = {(a.activity_id, a.relation) for a in session.exec(select(LrsStatementActivity))}
    assert (AU, "object") in activities
    assert ("https://w3id.org/xapi/cmi5/context/categories/cmi5", "related") in activities

    # The ledger now takes reversals; downgrading drops them with what they reversed.
    for external_id, minutes in (("a", 30), ("void:a", -30), ("b", 20)):
        session.add(
            HoursEntry(
                enrollment_id=enrollment.id,
                learner_id=learner.id,
                source="xapi",
                external_id=external_id,
                started_at=stored,
                minutes=minutes,
                online=True,
            )
        )
    session.commit()
    session.close()
    engine.dispose()
    command.downgrade(alembic_config(db_url), "0011_lrs")
    with engine.connect() as conn:
        assert conn.execute(sa.select(old.c.id)).scalars().all() == [sid]
        left = conn.execute(sa.text("select external_id from hours_entry where source='xapi'"))
        assert left.scalars().all() == ["b"]
    upgrade(db_url)

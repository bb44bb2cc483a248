"""Stored statements feeding enrolments: hours, package progress, completion, voiding."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlmodel import select

from service.accounts.access import Principal
from service.accounts.models import AuditEvent
from service.lrs.access import LrsCaller, authority_for
from service.lrs.identifiers import agent_key
from service.lrs.models import LrsStatement
from service.lrs.projection import on_voided, project_statements
from service.packages.enrollment_launch import actor_for
from service.training.completion import recorded_minutes
from service.training.models import Enrollment, HoursEntry, HoursRejection
from tests.support.xapi import cmi5_statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def setup(builder, make_user, settings, session):
    learner = builder.add_learner()
    offering = builder.add_offering(
        mode="online", required_minutes=90, starts_on=date(2020, 1, 1), ends_on=date(2030, 1, 1)
    )
    enrollment = Enrollment(learner_id=learner.id, offering_id=offering.id)
    session.add(enrollment)
    session.commit()
    platform = make_user("platform")
    caller = LrsCaller(
        Principal(platform.id, "platform", None), authority_for("https://skills.test", "k")
    )
    return enrollment, actor_for(settings, learner), caller


def _row(statement: dict, caller: LrsCaller, stored: datetime) -> LrsStatement:
    context = statement.get("context") or {}
    target = statement["object"]
    return LrsStatement(
        statement_id=uuid.UUID(statement["id"]),
        stored=stored,
        timestamp=datetime.fromisoformat(statement["timestamp"]),
        verb_id=statement["verb"]["id"],
        actor_key=agent_key(statement["actor"]),
        object_type=target.get("objectType", "Activity"),
        object_key=target["id"],
        registration=uuid.UUID(context["registration"]) if "registration" in context else None,
        voids=uuid.UUID(target["id"]) if statement["verb"]["id"] == VOIDED else None,
        content=statement,
        comparison_hash=hashlib.sha256(json.dumps(statement).encode()).hexdigest(),
        stored_by=caller.principal.user_id,
    )


def _store(session, caller, statements: list[dict]) -> list[LrsStatement]:
    """What the LRS does: store every statement, flush, project, commit."""
    now = datetime.now(UTC)
    rows = [_row(s, caller, now) for s in statements]
    session.add_all(rows)
    session.flush()
    project_statements(session, rows, caller)
    session.commit()
    return rows


def _mine(enrollment, actor, verb, at, **result) -> dict:
    statement = cmi5_statement(str(enrollment.registration), verb, at, **result)
    statement["actor"] = actor
    return statement


def _void(session, caller, actor, target: LrsStatement) -> None:
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": str(target.statement_id)},
        "timestamp": datetime.now(UTC).isoformat(),
    }
    (row,) = _store(session, caller, [voiding])
    target.voided = True
    on_voided(session, target, row)
    session.commit()


def _metric(projected: str) -> float:
    value = REGISTRY.get_sample_value(
        "skills_lrs_statements_stored_total", {"projected": projected}
    )
    return value or 0.0


def test_a_cmi5_session_gives_hours_progress_and_completion(setup, session):
    enrollment, actor, caller = setup
    t0 = datetime.now(UTC) - timedelta(hours=3)
    before = _metric("true")
    rows = _store(
        session,
        caller,
        [
            _mine(enrollment, actor, "initialized", t0),
            _mine(enrollment, actor, "completed", t0 + timedelta(minutes=50), completion=True),
            _mine(enrollment, actor, "passed", t0 + timedelta(minutes=55), success=True),
            _mine(enrollment, actor, "terminated", t0 + timedelta(minutes=60), duration="PT60M"),
        ],
    )
    assert all(row.enrollment_id == enrollment.id for row in rows)
    assert _metric("true") - before == 4
    session.refresh(enrollment)
    assert enrollment.package_completed and enrollment.package_passed
    assert enrollment.state == "in_progress" and recorded_minutes(session, enrollment.id) == 60
    _store(
        session,
        caller,
        [_mine(enrollment, actor, "terminated", t0 + timedelta(hours=2), duration="PT30M")],
    )
    session.refresh(enrollment)
    assert enrollment.state == "completed"


def test_statements_for_no_enrolment_are_only_kept(setup, session, settings):
    enrollment, actor, caller = setup
    now = datetime.now(UTC)
    unknown = cmi5_statement(str(uuid.uuid4()), "terminated", now, duration="PT30M")
    someone_else = _mine(enrollment, actor, "terminated", now, duration="PT30M")
    someone_else["actor"] = {"mbox": "mailto:other@example.org"}
    no_registration = _mine(enrollment, actor, "completed", now, completion=True)
    del no_registration["context"]["registration"]
    before = _metric("false")
    rows = _store(session, caller, [unknown, someone_else, no_registration])
    assert _metric("false") - before == 3
    assert [row.enrollment_id for row in rows] == [None, None, None]
    session.refresh(enrollment)
    assert enrollment.state == "enrolled" and not enrollment.package_completed
    assert session.exec(select(HoursEntry)).all() == []


def test_an_inactive_enrolment_gets_no_progress_and_its_hours_are_rejected(setup, session):
    enrollment, actor, caller = setup
    enrollment.state = "withdrawn"
    session.add(enrollment)
    session.commit()
    now = datetime.now(UTC)
    _store(
        session,
        caller,
        [
            _mine(enrollment, actor, "completed", now, completion=True),
            _mine(enrollment, actor, "terminated", now, duration="PT30M"),
        ],
    )
    session.refresh(enrollment)
    assert enrollment.state == "withdrawn" and not enrollment.package_completed
    (rejection,) = session.exec(select(HoursRejection)).all()
    assert rejection.reasons[0]["code"] == "enrollment_not_active"


def test_hours_the_ledger_refuses_are_recorded_as_rejections(setup, session):
    enrollment, actor, caller = setup
    now = datetime.now(UTC)
    too_long = _mine(enrollment, actor, "terminated", now, duration="PT9H")
    no_minutes = _mine(enrollment, actor, "suspended", now - timedelta(hours=10), duration="P1M")
    _store(session, caller, [too_long, no_minutes])
    codes = sorted(r.reasons[0]["code"] for r in session.exec(select(HoursRejection)).all())
    assert codes == ["daily_cap_exceeded", "invalid_interval"]
    assert session.exec(select(HoursEntry)).all() == []


def test_voiding_reverses_the_hours_and_frees_the_interval(setup, session):
    enrollment, actor, caller = setup
    end = datetime.now(UTC) - timedelta(hours=1)
    (fed,) = _store(
        session, caller, [_mine(enrollment, actor, "terminated", end, duration="PT40M")]
    )
    assert recorded_minutes(session, enrollment.id) == 40
    _void(session, caller, actor, fed)
    assert recorded_minutes(session, enrollment.id) == 0
    reversal = session.exec(
        select(HoursEntry).where(HoursEntry.external_id == f"void:{fed.statement_id}")
    ).one()
    assert reversal.minutes == -40
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "hours.reversed")).one()
    assert str(fed.statement_id) in audit.detail
    # The same session reported again under a new id is no longer an overlap.
    _store(session, caller, [_mine(enrollment, actor, "terminated", end, duration="PT40M")])
    assert recorded_minutes(session, enrollment.id) == 40
    # Voiding twice changes nothing more.
    on_voided(session, fed, fed)
    session.commit()
    assert recorded_minutes(session, enrollment.id) == 40


def test_voiding_after_completion_keeps_the_hours_and_says_why(setup, session):
    enrollment, actor, caller = setup
    end = datetime.now(UTC) - timedelta(hours=1)
    (fed,) = _store(
        session, caller, [_mine(enrollment, actor, "terminated", end, duration="PT90M")]
    )
    session.refresh(enrollment)
    assert enrollment.state == "completed"
    _void(session, caller, actor, fed)
    assert recorded_minutes(session, enrollment.id) == 90
    kept = session.exec(
        select(AuditEvent).where(AuditEvent.action == "hours.reversal_skipped")
    ).one()
    assert "completed" in kept.detail

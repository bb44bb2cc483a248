"""cmi5 sessions as the LMS enforces them (cmi5 9.3): statements after Terminated are refused,
Initialized comes first and once, Browse records no completion, the LMS's own verbs are the
LMS's; a session initialized and then silent is closed as Abandoned by the periodic sweep (run
as beat runs it: an outbox job), and one left open is abandoned when another AU of the
registration is launched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from service.core.timeutil import utcnow
from service.jobs.celery_app import make_celery
from service.jobs.runner import run_job_by_id
from service.lrs.cmi5_jobs import BEAT_ENTRY, enqueue_sweep
from service.lrs.cmi5_lms import abandon_stale
from service.packages.launch_models import LaunchSession
from service.wiring import configure_celery
from tests.lrs.cmi5_kit import ABANDONED, EXAM, INTRO, SESSION_EXT, Course


def _code(response) -> str:
    return response.json().get("code", "")


def test_statements_after_terminated_are_refused(world, drain):
    course = Course(world, drain)
    intro = course.launch(INTRO)
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    init = intro.statement("initialized", t0)
    done = intro.statement("terminated", t0 + timedelta(minutes=20), duration="PT20M")
    assert course.send(intro, init, done).status_code == 200

    late = intro.statement("completed", t0 + timedelta(minutes=25), completion=True)
    refused = course.send(intro, late)
    assert refused.status_code == 403 and _code(refused) == "cmi5-session-terminated"
    assert "Terminated" in refused.json()["detail"]
    allowed = intro.statement("experienced", t0 + timedelta(minutes=26), defined=False)
    assert course.send(intro, allowed).status_code == 403  # of any kind (cmi5 9.3.8)
    # Re-sending the very same Terminated (a retry) is the usual no-op, not an error.
    assert course.send(intro, done).status_code == 200
    got = world.client.get(
        "/xAPI/statements", params={"statementId": late["id"]}, headers=intro.token_headers
    )
    assert got.status_code == 404


def test_session_order_rules(world, drain):
    course = Course(world, drain)
    intro = course.launch(INTRO)
    now = datetime.now(UTC)

    early = course.send(intro, intro.statement("completed", now, completion=True))
    assert early.status_code == 403 and _code(early) == "cmi5-not-initialized"
    lms_verb = intro.statement("initialized", now)
    lms_verb["verb"]["id"] = "https://w3id.org/xapi/adl/verbs/satisfied"
    refused = course.send(intro, lms_verb)
    assert refused.status_code == 403 and _code(refused) == "cmi5-lms-verb"

    assert course.send(intro, intro.statement("initialized", now)).status_code == 200
    twice = course.send(intro, intro.statement("initialized", now))
    assert twice.status_code == 403 and _code(twice) == "cmi5-initialized-twice"

    # A batch is all or nothing: a statement after Terminated in the same batch refuses it.
    experienced = intro.statement("experienced", now, defined=False)
    batch = [
        intro.statement("terminated", now, duration="PT1M"),
        experienced,
    ]
    whole = course.send(intro, *batch)
    assert whole.status_code == 403 and _code(whole) == "cmi5-session-terminated"
    assert (
        world.client.get(
            "/xAPI/statements",
            params={"statementId": batch[0]["id"]},
            headers=intro.token_headers,
        ).status_code
        == 404
    )

    browse = course.launch(EXAM, launch_mode="Browse")
    assert course.send(browse, browse.statement("initialized", now)).status_code == 200
    judged = course.send(browse, browse.statement("passed", now, success=True))
    assert judged.status_code == 403 and _code(judged) == "cmi5-launch-mode"


def _age(session, launch, seconds: int) -> None:
    row = session.exec(
        select(LaunchSession).where(LaunchSession.session_id == uuid.UUID(launch.session_id))
    ).one()
    row.created_at = utcnow() - timedelta(seconds=seconds + 600)
    row.last_statement_at = utcnow() - timedelta(seconds=seconds)
    session.add(row)
    session.commit()


def test_the_sweep_abandons_a_silent_session_and_closes_it(world, drain, session, settings, engine):
    course = Course(world, drain)
    stale = course.launch(INTRO)
    fresh = course.launch(INTRO)
    now = datetime.now(UTC)
    assert course.send(stale, stale.statement("initialized", now)).status_code == 200
    assert course.send(fresh, fresh.statement("initialized", now)).status_code == 200
    _age(session, stale, settings.cmi5_session_timeout_seconds + 60)

    job_id = enqueue_sweep(settings.cmi5_abandon_sweep_seconds)  # what beat does
    assert enqueue_sweep(settings.cmi5_abandon_sweep_seconds) == job_id  # one per slot
    assert run_job_by_id(job_id, engine) == "done"

    abandoned = course.statements(ABANDONED)
    assert len(abandoned) == 1
    statement = abandoned[0]
    assert statement["context"]["extensions"][SESSION_EXT] == stale.session_id
    assert statement["object"]["id"] == stale.activity_id
    assert statement["result"]["duration"] == "PT600S"  # Launched to the last statement
    assert statement["authority"]["account"]["name"] == "lms"

    closed = course.send(stale, stale.statement("completed", now, completion=True))
    assert closed.status_code == 403 and _code(closed) == "cmi5-session-abandoned"
    assert course.send(fresh, fresh.statement("completed", now, completion=True)).status_code == 200

    session.expire_all()
    assert abandon_stale(session, settings, utcnow()) == 0  # nothing twice
    session.commit()
    assert len(course.statements(ABANDONED)) == 1
    schedule = configure_celery(make_celery(settings), settings).conf.beat_schedule
    assert schedule[BEAT_ENTRY]["task"] == "skills.cmi5_abandon_sessions"


def test_launching_another_au_abandons_the_open_session(world, drain):
    course = Course(world, drain)
    intro = course.launch(INTRO)
    assert course.send(intro, intro.statement("initialized", datetime.now(UTC))).status_code == 200
    course.launch(EXAM)
    abandoned = course.statements(ABANDONED)
    assert [s["context"]["extensions"][SESSION_EXT] for s in abandoned] == [intro.session_id]
    late = course.send(intro, intro.statement("terminated", datetime.now(UTC), duration="PT1M"))
    assert late.status_code == 403


def test_an_au_cannot_void_or_speak_for_another_au_or_session(world, drain):
    course = Course(world, drain)
    intro, exam = course.launch(INTRO), course.launch(EXAM)
    now = datetime.now(UTC) - timedelta(minutes=10)
    init = intro.statement("initialized", now)
    assert course.send(intro, init).status_code == 200

    void = intro.statement("initialized", now, defined=False)
    void["verb"] = {"id": "http://adlnet.gov/expapi/verbs/voided"}
    void["object"] = {"objectType": "StatementRef", "id": init["id"]}
    refused = course.send(intro, void)
    assert refused.status_code == 403 and _code(refused) == "cmi5-voiding"

    other_au = intro.statement("completed", now + timedelta(minutes=1), completion=True)
    other_au["object"]["id"] = exam.activity_id
    refused = course.send(intro, other_au)
    assert refused.status_code == 403 and _code(refused) == "cmi5-wrong-activity"

    other_session = intro.statement("completed", now + timedelta(minutes=2), completion=True)
    other_session["context"]["extensions"][SESSION_EXT] = exam.session_id
    refused = course.send(intro, other_session)
    assert refused.status_code == 403 and _code(refused) == "cmi5-wrong-session"
    assert course.statements("http://adlnet.gov/expapi/verbs/completed") == []

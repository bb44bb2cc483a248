"""Reconcile: injected drift is found, repaired and reported (log, metric, admin routes); the
job, the beat task and the command run it; a revoked credential changes no tally."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import date

from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from service.jobs.models import OutboxJob
from service.jobs.runner import run_job_by_id
from service.tallies import reconcile
from service.tallies.queries import breakdown
from service.tallies.tasks import RECONCILE_JOB, enqueue_reconcile

DAY = date(2025, 3, 3)


def _small_city(city):
    a = city.add_learner(groups=("rural",))
    b = city.add_learner(district="330203", groups=())
    offering = city.add_offering()
    e1 = city.completion(a, offering, DAY)
    city.completion(b, offering, DAY)
    city.completion(a, city.add_offering(level=4), date(2024, 1, 5))
    return e1


def _metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_injected_drift_is_repaired_and_reported(
    city, session, engine, client, make_user, login, caplog
):
    _small_city(city)
    assert reconcile.check(session) == []
    session.execute(
        text(
            "UPDATE tally_cell SET person_times = person_times + 5 "
            "WHERE year = 2025 AND district_code = '330203'"
        )
    )
    session.execute(text("UPDATE tally_distinct_cell SET learners = 99 WHERE set_code = 'total'"))
    session.commit()
    assert breakdown(session, [], {})["totals"]["person_times"] == 8  # the drift shows

    before = _metric("skills_tallies_drift_corrected_total", kind="cells")
    with caplog.at_level(logging.WARNING, logger="skills.tallies"):
        result = reconcile.run(engine, trigger="test")
    assert result["status"] == "drift"
    assert result["cells_corrected"] == 2 and result["facts_corrected"] == 0
    assert result["cells_checked"] > 2
    diffs = {(d["table"], json.dumps(d["key"], sort_keys=True)): d for d in result["diffs"]}
    cell = next(d for (t, _), d in diffs.items() if t == "tally_cell")
    assert cell["stored"]["person_times"] == 6 and cell["expected"]["person_times"] == 1
    total = next(d for (t, _), d in diffs.items() if t == "tally_distinct_cell")
    assert total["stored"] == {"learners": 99} and total["expected"] == {"learners": 2}
    assert any("tallies reconcile: drift" in r.getMessage() for r in caplog.records)
    assert _metric("skills_tallies_drift_corrected_total", kind="cells") == before + 2
    assert _metric("skills_tallies_drift_last", kind="cells") == 2

    session.expire_all()
    totals = breakdown(session, [], {})["totals"]
    assert totals["person_times"] == 3 and totals["distinct_learners"] == 2
    assert reconcile.check(session) == []
    again = reconcile.run(engine, trigger="test")
    assert again["status"] == "ok" and again["diff_count"] == 0

    admin = login(make_user("admin"))
    last = client.get("/api/v1/tallies/reconcile/last", headers=admin).json()
    assert last["id"] == again["id"] and last["status"] == "ok"
    runs = client.get("/api/v1/tallies/reconcile/runs?limit=1&offset=1", headers=admin).json()
    assert runs["total"] == 2 and runs["items"][0]["id"] == result["id"]
    assert runs["items"][0]["diff_count"] == 2
    trainer = login(make_user("trainer", org=city.org))
    assert client.get("/api/v1/tallies/reconcile/last", headers=trainer).status_code == 403


def test_missing_and_wrong_facts_are_rebuilt_from_source(city, session, engine):
    e1 = _small_city(city)
    from sqlalchemy import delete

    from service.tallies.models import TallyCompletion, TallyCompletionGroup

    for model in (TallyCompletionGroup, TallyCompletion):
        session.execute(delete(model).where(model.enrollment_id == e1.id))
    session.execute(text("UPDATE tally_completion SET minutes = 1"))
    session.commit()
    found = reconcile.check(session)
    fields = {d["field"] for d in found if d["table"] == "tally_completion"}
    assert fields == {"missing", "minutes"}

    result = reconcile.run(engine, trigger="test")
    assert result["status"] == "drift" and result["facts_corrected"] == 3
    session.expire_all()
    assert reconcile.check(session) == []
    totals = breakdown(session, [], {})["totals"]
    assert totals["person_times"] == 3 and totals["minutes"] == 270
    assert breakdown(session, ["group"], {})["items"][0]["person_times"] == 2


def test_check_only_corrects_nothing(city, session, engine):
    _small_city(city)
    session.execute(text("UPDATE tally_group_cell SET minutes = 0"))
    session.commit()
    result = reconcile.run(engine, trigger="test", repair=False)
    assert result["status"] == "drift" and result["cells_corrected"] == 0
    assert reconcile.check(session) != []


def test_job_beat_and_command_run_it(city, session, engine, settings, client, make_user, login):
    _small_city(city)
    admin = login(make_user("admin"))
    queued = client.post("/api/v1/tallies/reconcile", headers=admin)
    assert queued.status_code == 202
    assert run_job_by_id(queued.json()["job_id"], engine) == "done"

    job_id = enqueue_reconcile(3600)
    assert enqueue_reconcile(3600) == job_id  # one job per slot, however many beats
    assert run_job_by_id(job_id, engine) == "done"
    kinds = session.exec(select(OutboxJob.kind).where(OutboxJob.kind == RECONCILE_JOB)).all()
    assert len(kinds) == 2

    from service.cli import app
    from service.jobs.celery_app import make_celery
    from service.wiring import configure_celery

    assert (
        "tallies-reconcile" in configure_celery(make_celery(settings), settings).conf.beat_schedule
    )
    out = CliRunner().invoke(app, ["tallies", "reconcile", "--check-only"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output[out.output.index("{\n") :])
    assert summary["status"] == "ok" and summary["trigger"] == "cli"
    runs = client.get("/api/v1/tallies/reconcile/runs", headers=admin).json()
    assert [r["trigger"] for r in runs["items"]].count("api") == 1 and runs["total"] == 3


def test_a_revoked_credential_changes_no_tally(city, session, engine):
    from credentials.issuance import revoke

    enrollment = city.completion(city.add_learner(), city.add_offering(), DAY)
    credential = city.credential(enrollment)
    before = breakdown(session, [], {})["totals"]
    assert before["person_times"] == 1 and before["credentials"] == 1

    revoke(session, credential, reason="issued in error", actor=f"user:{uuid.uuid4()}")
    session.commit()
    assert credential.revoked_at is not None
    session.expire_all()
    assert breakdown(session, [], {})["totals"] == before  # person-times and issuance events
    assert reconcile.check(session) == []  # and the recomputation agrees


def test_a_fact_moved_to_another_day_gets_its_moment_back_too(city, session, engine):
    """The moment orders a learner's completions for the distinct-learner repeats; a repaired
    day with a stale moment would leave that order wrong."""
    _small_city(city)
    session.execute(
        text("UPDATE tally_completion SET completed_at = completed_at - INTERVAL '400 days'")
        if session.get_bind().dialect.name == "postgresql"
        else text("UPDATE tally_completion SET completed_at = datetime(completed_at, '-400 days'), "
                  "completed_on = date(completed_on, '-400 days')")
    )  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("UPDATE tally_completion SET completed_on = completed_on - 400"))
    session.commit()
    assert reconcile.run(engine, trigger="test")["facts_corrected"] == 3
    session.expire_all()
    stale = session.execute(
        text(
            "SELECT count(*) FROM tally_completion f JOIN enrollment e ON e.id = f.enrollment_id "
            "WHERE f.completed_at <> e.completed_at"
        )
    ).scalar_one()
    assert stale == 0
    assert reconcile.check(session) == []

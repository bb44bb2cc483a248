"""`skills demo-data`: a small synthetic city whose tallies equal the source rows; refuses to
load twice or in production; removable."""

from __future__ import annotations

import json

from sqlalchemy import func, text
from sqlmodel import select
from typer.testing import CliRunner

from service.cli import app
from service.tallies import demo_data
from service.tallies.queries import breakdown
from service.tallies.reconcile import check
from service.training.idnumber import validate_id_number
from service.training.learners import cipher
from service.training.models import Enrollment, Learner

runner = CliRunner()


def test_demo_city_is_consistent_and_removable(settings, session):
    out = runner.invoke(app, ["demo-data", "--completions", "400", "--learners", "250"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output.strip().splitlines()[-1])
    assert result["completions"] == 400 and result["learners"] == 250
    assert check(session) == []
    totals = breakdown(session, [], {})["totals"]
    assert totals["person_times"] == 400
    naive = session.execute(
        text("SELECT count(DISTINCT learner_id) FROM enrollment WHERE state = 'completed'")
    ).scalar_one()
    assert totals["distinct_learners"] == naive
    by_group = breakdown(session, ["group"], {})
    assert by_group["total"] >= 5  # learners carry groups

    learner = session.exec(select(Learner).limit(1)).one()
    number = cipher().decrypt(learner.id_encrypted, context=learner.id.bytes)
    assert validate_id_number(number) == number  # valid in form (GB 11643 check digit)
    assert cipher().fingerprint(number) == learner.id_fingerprint
    assert learner.name.startswith(demo_data.DEMO_LEARNER_PREFIX)

    again = runner.invoke(app, ["demo-data", "--completions", "10"])
    assert again.exit_code == 1 and "--reset" in again.output
    reset = runner.invoke(app, ["demo-data", "--completions", "50", "--reset", "--seed", "2"])
    assert reset.exit_code == 0, reset.output
    session.expire_all()
    completed = session.exec(
        select(func.count()).select_from(Enrollment).where(Enrollment.state == "completed")
    ).one()
    assert completed == 50 and breakdown(session, [], {})["totals"]["person_times"] == 50
    assert check(session) == []


def test_demo_data_refused_in_production(settings, monkeypatch):
    monkeypatch.setattr(settings, "env", "production")
    out = runner.invoke(app, ["demo-data", "--completions", "10"])
    assert out.exit_code == 1 and "production" in out.output

"""``skills import``: the operators' command runs the same import as an upload, with a report."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from typer.testing import CliRunner

from service.cli import app
from service.training.models import Learner
from tests.fixtures.builder import count, make_id_number

runner = CliRunner()


def _csv(tmp_path, rows: list[str], name: str = "roster.csv"):
    path = tmp_path / name
    path.write_text("身份证号,姓名,区县代码\n" + "".join(r + "\n" for r in rows), "gb18030")
    return path


def _summary(result) -> dict:
    return json.loads(result.output.strip().splitlines()[-1])


def test_import_learners_from_the_terminal_with_a_report(world, session, tmp_path):
    before = count(session, Learner)
    numbers = [make_id_number(), make_id_number()]
    path = _csv(tmp_path, [f"{n},学员,330212" for n in numbers] + ["123,坏号,330212"])

    dry = runner.invoke(
        app,
        [
            "import",
            "learners",
            str(path),
            "--org",
            str(world.org.id),
            "--dry-run",
            "--report",
            str(tmp_path / "dry.csv"),
        ],
    )
    assert dry.exit_code == 0, dry.output
    assert _summary(dry)["accepted"] == 2 and count(session, Learner) == before
    assert "330212" in (tmp_path / "dry.csv").read_text("utf-8-sig")

    real = runner.invoke(app, ["import", "learners", str(path), "--org", str(world.org.id)])
    assert real.exit_code == 0, real.output
    summary = _summary(real)
    assert (summary["status"], summary["accepted"], summary["rejected"]) == ("done", 2, 1)
    assert count(session, Learner) == before + 2
    sheet = load_workbook(summary["report"]).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[3][2]  # header + three rows; the bad one has its reason
    assert not any(n in str(rows) for n in numbers)  # masked

    again = runner.invoke(app, ["import", "learners", str(path), "--org", str(world.org.id)])
    assert _summary(again)["duplicate"] == 2 and count(session, Learner) == before + 2


def test_import_exit_statuses(world, tmp_path):
    refused = tmp_path / "photo.csv"
    refused.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    result = runner.invoke(app, ["import", "learners", str(refused), "--org", str(world.org.id)])
    assert result.exit_code == 1
    assert _summary(result)["refusal"]["code"]

    path = _csv(tmp_path, [f"{make_id_number()},学员,330212"])
    unknown = "00000000-0000-0000-0000-000000000000"
    assert runner.invoke(app, ["import", "learners", str(path), "--org", unknown]).exit_code == 2
    assert runner.invoke(app, ["import", "learners", str(path), "--org", "x"]).exit_code == 2
    missing = runner.invoke(
        app, ["import", "learners", str(tmp_path / "none.csv"), "--org", str(world.org.id)]
    )
    assert missing.exit_code == 2
    nobody = runner.invoke(
        app, ["import", "learners", str(path), "--org", str(world.org.id), "--as", "no@x.cn"]
    )
    assert nobody.exit_code == 2


def test_enrolments_spelling_is_taken(world, tmp_path):
    offering = world.offering()
    person = world.learner()
    path = tmp_path / "enrol.csv"
    path.write_text(f"learner_id,offering_id\n{person['id']},{offering['id']}\n", "utf-8")
    result = runner.invoke(app, ["import", "enrolments", str(path), "--org", str(world.org.id)])
    assert result.exit_code == 0, result.output
    assert _summary(result)["accepted"] == 1


def test_the_cli_queues_its_job_only_as_a_fallback(world, session, tmp_path, settings):
    """A worker must not start the rows the command is applying itself: the run's job waits a
    lease, and finds the run finished by then."""
    from datetime import timedelta

    from sqlmodel import select

    from service.core.timeutil import as_utc, utcnow
    from service.jobs.models import OutboxJob

    path = _csv(tmp_path, [f"{make_id_number()},学员,330212"])
    started = utcnow()
    result = runner.invoke(app, ["import", "learners", str(path), "--org", str(world.org.id)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    job = session.exec(
        select(OutboxJob).where(OutboxJob.dedupe_key == f"import:{_summary(result)['id']}")
    ).one()
    lease = timedelta(seconds=settings.job_lease_seconds)
    assert as_utc(job.available_at) >= started + lease - timedelta(seconds=5)

"""The runtime under attack, replayed as the attacker did it: real threads against a real server
(``live_server``, on SQLite and PostgreSQL), a real ``skills serve`` process, and a worker that
died mid-job."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
from sqlmodel import Session

from service.core.timeutil import utcnow
from service.jobs.handlers import register_handlers
from service.jobs.models import JobStatus, OutboxJob
from service.jobs.relay import relay_pending
from service.jobs.runner import run_job_by_id
from service.training.models import Enrollment, HoursEntry
from tests.fixtures.builder import count, session_entry

ROOT = Path(__file__).resolve().parents[2]


def _post_all(base: str, requests: list[tuple[str, dict, dict]]) -> list[httpx.Response]:
    """Every request at once, each from its own thread and connection."""

    def send(item):
        path, body, headers = item
        with httpx.Client(base_url=base, timeout=120) as http:
            return http.post(path, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_sixty_concurrent_enrolments_fill_exactly_the_capacity(world, live_server, session):
    offering = world.offering(capacity=25, funding="market")
    people = [world.learner() for _ in range(60)]
    body = [
        (
            "/api/v1/enrollments",
            {"offering_id": offering["id"], "learner_id": p["id"]},
            world.trainer,
        )
        for p in people
    ]
    codes = sorted(r.status_code for r in _post_all(live_server, body))
    assert [c for c in codes if c >= 500] == []
    assert codes == [201] * 25 + [409] * 35
    assert count(session, Enrollment) == 25


def _three_hour_batches(world, starts: list[int]):
    offering = world.offering(required_minutes=6000)
    person = world.learner()
    e = world.enroll(person["id"], offering["id"]).json()
    day = world.today - timedelta(days=1)
    batches = [
        ("/api/v1/hours/batch", {"entries": [session_entry(e["id"], f"atk-{i}", day, h, 180)]})
        for i, h in enumerate(starts)
    ]
    return person, [(path, body, world.trainer) for path, body in batches]


def test_six_identical_concurrent_three_hour_sessions_credit_one(world, live_server, session):
    person, batches = _three_hour_batches(world, [8] * 6)
    replies = _post_all(live_server, batches)
    assert all(r.status_code == 200 for r in replies), [r.status_code for r in replies]
    statuses = sorted(r.json()["results"][0]["status"] for r in replies)
    assert statuses == ["accepted"] + ["rejected"] * 5
    assert count(session, HoursEntry) == 1
    totals = world.client.get(f"/api/v1/learners/{person['id']}/hours", headers=world.admin)
    assert totals.json()["total"]["minutes"] == 180


def test_six_concurrent_three_hour_batches_stay_under_the_daily_cap(world, live_server, session):
    person, batches = _three_hour_batches(world, [2, 5, 8, 11, 14, 17])  # 1,080 min, no overlap
    replies = _post_all(live_server, batches)
    assert all(r.status_code == 200 for r in replies), [r.status_code for r in replies]
    results = [r.json()["results"][0] for r in replies]
    accepted = [r for r in results if r["status"] == "accepted"]
    assert len(accepted) == 2  # 360 of the 480-minute cap; a third would make 540
    for r in results:
        if r["status"] != "accepted":
            assert [x["code"] for x in r["reasons"]] == ["daily_cap_exceeded"]
    totals = world.client.get(f"/api/v1/learners/{person['id']}/hours", headers=world.admin)
    assert totals.json()["total"]["minutes"] == 360
    assert count(session, HoursEntry) == 2


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_request_logs_carry_the_route_template_not_the_code_or_query(live_server):
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error", "uvicorn.access")]
    handler = _Records()
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    code = "sharecode" + uuid.uuid4().hex
    try:
        r = httpx.get(f"{live_server}/c/{code}", params={"q": "secretname"}, timeout=30)
        rid = r.headers["X-Request-ID"]
        time.sleep(0.3)  # the access log line is written after the response
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    lines = [f"{rec.getMessage()} {rec.args} {vars(rec)}" for rec in handler.records]
    assert not [line for line in lines if code in line or "secretname" in line]
    mine = [rec for rec in handler.records if getattr(rec, "route", None) == "/c/{code}"]
    assert len(mine) == 1
    line = vars(mine[0])
    assert (line["method"], line["status"], line["request_id"]) == ("GET", r.status_code, rid)
    assert isinstance(line["ms"], float)


# ---- a worker that died mid-job --------------------------------------------------------------

RAN: list[str] = []
LOOKERS: list = []  # what the "look" job calls while it runs


def _remember(_session, payload: dict) -> None:
    RAN.append(payload["tag"])


def _look(_session, payload: dict) -> None:
    LOOKERS[-1](payload)


register_handlers({"test.runtime.remember": _remember, "test.runtime.look": _look})


class _Broker:
    """Stands in for Celery: records what the relay publishes."""

    class conf:  # noqa: N801 - mirrors Celery's attribute
        task_default_queue = "skills"

    def __init__(self):
        self.sent: list[str] = []

    def send_task(self, name, args, queue):
        self.sent.append(args[0])


def _job(engine, **fields) -> str:
    with Session(engine) as s:
        job = OutboxJob(kind="test.runtime.remember", payload={"tag": str(uuid.uuid4())}, **fields)
        job.payload = {"tag": str(job.id)}
        s.add(job)
        s.commit()
        return str(job.id)


def test_a_job_whose_worker_died_is_redelivered_and_runs(engine, settings):
    now = utcnow()
    dead = _job(engine, status=JobStatus.running, sent_at=now - timedelta(minutes=3))
    with Session(engine) as s:  # the worker that claimed it was killed: its lease ran out
        job = s.get(OutboxJob, uuid.UUID(dead))
        job.started_at = now - timedelta(minutes=2)
        job.lease_until = now - timedelta(seconds=1)
        s.add(job)
        s.commit()
    alive = _job(engine, status=JobStatus.running, sent_at=now)
    with Session(engine) as s:
        job = s.get(OutboxJob, uuid.UUID(alive))
        job.started_at, job.lease_until = now, now + timedelta(minutes=10)
        s.add(job)
        s.commit()
    broker = _Broker()
    relay_pending(broker, engine)
    assert broker.sent == [dead]
    # a duplicate message for the job a live worker holds does not run it a second time
    assert run_job_by_id(alive, engine) == JobStatus.running and alive not in RAN
    with Session(engine) as s:
        assert s.get(OutboxJob, uuid.UUID(dead)).status == JobStatus.sent
    assert run_job_by_id(dead, engine) == JobStatus.done
    assert RAN[-1] == dead  # the handler ran
    assert run_job_by_id(dead, engine) == JobStatus.done and RAN.count(dead) == 1
    with Session(engine) as s:
        job = s.get(OutboxJob, uuid.UUID(dead))
        # two attempts: the one its killed worker never recorded, and the one that ran
        assert (job.status, job.run_attempts, job.lease_until) == (JobStatus.done, 2, None)


def test_a_job_that_keeps_killing_its_worker_ends_failed(engine, settings):
    """A file that makes the worker run out of memory must not be sent again for ever."""
    from service.jobs.runner import MAX_RUN_ATTEMPTS

    now = utcnow()
    dead = _job(engine, status=JobStatus.running, sent_at=now - timedelta(minutes=3))
    broker = _Broker()
    for attempt in range(1, MAX_RUN_ATTEMPTS + 1):
        with Session(engine) as s:  # claimed, then the worker was killed: the lease runs out
            job = s.get(OutboxJob, uuid.UUID(dead))
            job.status, job.lease_until = JobStatus.running, utcnow() - timedelta(seconds=1)
            s.add(job)
            s.commit()
        relay_pending(broker, engine)
        with Session(engine) as s:
            job = s.get(OutboxJob, uuid.UUID(dead))
            assert job.run_attempts == attempt
            expected = JobStatus.failed if attempt == MAX_RUN_ATTEMPTS else JobStatus.sent
            assert job.status == expected
    assert broker.sent == [dead] * (MAX_RUN_ATTEMPTS - 1)
    assert "stopped before it finished" in job.last_error


def test_a_running_job_shows_as_running_with_its_lease(engine, settings, client, world):
    seen: list[tuple] = []

    def look(payload):
        # another connection, as the admin API would: the claim is committed before the work
        r = client.get(f"/api/v1/admin/jobs/{payload['me']}", headers=world.admin)
        seen.append((r.json()["status"], r.json()["started_at"], r.json()["lease_until"]))

    LOOKERS.append(look)
    with Session(engine) as s:
        job = OutboxJob(kind="test.runtime.look", payload={}, status=JobStatus.sent)
        job.payload = {"me": str(job.id)}
        s.add(job)
        s.commit()
        jid = str(job.id)
    assert run_job_by_id(jid, engine) == JobStatus.done
    assert seen[0][0] == "running" and seen[0][1] is not None and seen[0][2] is not None
    listed = client.get("/api/v1/admin/jobs", params={"status": "running"}, headers=world.admin)
    assert listed.status_code == 200 and listed.json()["items"] == []  # done by now


def test_orphaned_spool_files_are_swept_and_fresh_ones_kept(settings, tmp_path, engine):
    from service.jobs.spool import sweep_spool

    spool = tmp_path / "spool"
    spool.mkdir()
    settings.spool_dir = spool
    old_upload = spool / "upload-abc.part"
    old_ingest = spool / "ingest-abc.zip"
    fresh = spool / "upload-new.part"
    foreign = spool / "someone-elses.txt"
    for f in (old_upload, old_ingest, fresh, foreign):
        f.write_bytes(b"x" * 1024)
    long_ago = time.time() - 7 * 3600
    for f in (old_upload, old_ingest, foreign):
        os.utime(f, (long_ago, long_ago))
    assert sweep_spool(settings, engine) == 2
    assert not old_upload.exists() and not old_ingest.exists()
    assert fresh.exists() and foreign.exists()


def test_a_running_jobs_spool_file_is_kept(settings, tmp_path, engine):
    from service.jobs.spool import sweep_spool

    spool = tmp_path / "spool"
    spool.mkdir()
    settings.spool_dir = spool
    held = spool / "ingest-held.zip"
    held.write_bytes(b"x")
    eight_hours_ago = time.time() - 8 * 3600
    os.utime(held, (eight_hours_ago, eight_hours_ago))
    jid = _job(engine, status=JobStatus.running)
    with Session(engine) as s:  # a slow ingest that started before its file was written
        job = s.get(OutboxJob, uuid.UUID(jid))
        job.started_at = utcnow() - timedelta(hours=9)
        job.lease_until = utcnow() + timedelta(minutes=5)
        s.add(job)
        s.commit()
    assert sweep_spool(settings, engine) == 0
    assert held.exists()


# ---- `skills serve` as a process ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def _serve(tmp_path: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SKILLS_", "PYTEST", "COV"))
    } | {
        "SKILLS_VAR_DIR": str(tmp_path / "var"),
        "SKILLS_ENV": "development",
        "SKILLS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _worker_pid(serve: subprocess.Popen, log: Path, deadline: float) -> int:
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"embedded worker started"' in line:
                return int(json.loads(line)["pid"])
        assert serve.poll() is None, log.read_text(errors="replace")
        time.sleep(0.1)
    raise AssertionError("serve never reported its worker: " + log.read_text(errors="replace"))


def _wait_gone(pids, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def _kill_leftovers(serve: subprocess.Popen, worker: int | None) -> None:
    """A failing run must not leave the server or an orphaned worker behind."""
    if serve.poll() is None:
        serve.kill()
        serve.wait(timeout=10)
    if worker is not None and _alive(worker):
        os.kill(worker, signal.SIGKILL)


def test_sigterm_to_serve_stops_its_worker_and_the_access_log_hides_paths(tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    serve = _serve(tmp_path, port, log)
    worker = None
    try:
        worker = _worker_pid(serve, log, time.monotonic() + 90)
        assert worker in _children(serve.pid)
        code = "sharecode" + uuid.uuid4().hex
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/c/{code}?q=secretname", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and serve.poll() is None, log.read_text()
                time.sleep(0.2)
        assert r.status_code == 404
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        assert _wait_gone([worker], 20) == []
    finally:
        _kill_leftovers(serve, worker)
    text = log.read_text(errors="replace")
    assert code not in text and "secretname" not in text
    assert '"route": "/c/{code}"' in text


def test_sigterm_during_startup_stops_the_worker_too(tmp_path):
    log = tmp_path / "serve.log"
    serve = _serve(tmp_path, _free_port(), log)
    worker = None
    try:
        worker = _worker_pid(serve, log, time.monotonic() + 90)
        serve.send_signal(signal.SIGTERM)  # the app may still be starting
        serve.wait(timeout=30)
        assert _wait_gone([worker], 20) == []
    finally:
        _kill_leftovers(serve, worker)

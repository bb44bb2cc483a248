"""Benchmark: from the launch call to the SCO's Initialize in a real browser.

Sets up the service on its embedded default (SQLite, local storage) in a scratch folder, serves
it over HTTP on two origins (API ``127.0.0.1:<port>``, content ``localhost:<port>``), uploads
Rustici's golf SCORM 2004 package from ../shared/packages/, and enrols a learner. Then, in
headless Chromium (Debian ``chromium``), rounds alternate between:

* ``service``: ``POST /api/v1/enrollments/{id}/launch``, open the player URL it returns, until
  the SCO has called ``Initialize`` on the player's runtime (player page, its assets, the
  runtime state fetched from the API, the SCO's own files through launch grants);
* ``static``: the same package's files, extracted, served by Starlette ``StaticFiles`` (a plain
  static server), opened in a one-line host page that frames the same SCO and offers a bare
  ``API_1484_11`` object, until the SCO calls its ``Initialize``.

Each round opens both, each in a fresh browser context (a cold cache, as a learner's first
open); the static host is the baseline. Quick scale is the same work (one package, one open
each per round): run it with fewer rounds.

    uv run python -m bench --only play [--quick]     (or: uv run python bench/bench_play.py)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Figure, Scale, check, main_for  # noqa: E402
from bench.live_server import free_port, serve  # noqa: E402

PACKAGE = ROOT.parent / "shared" / "packages" / "golf-runtime-basic-calls-scorm2004-3rd.zip"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-password-1"
HOST_PAGE = """<!doctype html><meta charset="utf-8"><title>static host</title>
<script>window.API_1484_11 = {
  Initialize() { window.initialised = performance.now(); return "true"; },
  Terminate() { return "true"; }, GetValue() { return ""; }, SetValue() { return "true"; },
  Commit() { return "true"; }, GetLastError() { return "0"; }, GetErrorString() { return ""; },
  GetDiagnostic() { return ""; } };</script>
<iframe src="%s" style="width:100%%;height:90vh;border:0"></iframe>"""


def _drain(engine) -> None:
    """Runs the pending jobs (the package check) as a worker would."""
    from sqlmodel import Session, col, select

    from service.jobs.models import JobStatus, OutboxJob
    from service.jobs.runner import run_job_by_id

    for _ in range(10):
        with Session(engine) as s:
            pending = [JobStatus.pending, JobStatus.sent]
            ids = [
                str(j.id)
                for j in s.exec(select(OutboxJob).where(col(OutboxJob.status).in_(pending)))
            ]
        if not ids:
            return
        for job_id in ids:
            run_job_by_id(job_id, engine)


def _setup(folder: Path, port: int):
    """The service with a published package and an enrolled learner: (server, api client,
    learner headers, enrolment id, the SCO's launch path)."""
    import httpx

    api = f"http://127.0.0.1:{port}"
    os.environ.update(
        SKILLS_ENV="test",
        SKILLS_VAR_DIR=str(folder / "var"),
        SKILLS_DATABASE_URL=f"sqlite:///{folder / 'skills.db'}",
        SKILLS_MASTER_KEY="bench-master-key-" + uuid.uuid4().hex,
        SKILLS_PUBLIC_BASE_URL=api,
        SKILLS_CONTENT_BASE_URL=f"http://localhost:{port}",
        SKILLS_OUTBOX_RELAY_IN_API="false",
        SKILLS_LOG_LEVEL="WARNING",
    )
    from service.accounts.models import Organization
    from service.accounts.users import create_user
    from service.app import create_app
    from service.core.db import get_engine, session_scope
    from service.core.migrate import upgrade
    from service.core.timeutil import CITY_TZ, utcnow
    from service.training.idnumber import compute_check_digit
    from service.wiring import wire

    wire()
    upgrade(os.environ["SKILLS_DATABASE_URL"])
    with session_scope() as s:
        org = Organization(name="bench", kind="vocational_school", district_code="330212")
        s.add(org)
        s.flush()
        create_user(s, email="t@bench", role="trainer", password=PASSWORD, organization_id=org.id)
        create_user(s, email="l@bench", role="learner", password=PASSWORD)
    server, _ = serve(create_app(start_relay=False), port)
    client = httpx.Client(base_url=api, timeout=60)

    def login(email: str) -> dict:
        r = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    trainer, learner = login("t@bench"), login("l@bench")
    pid = client.post(
        "/api/v1/packages", json={"title": "golf", "declared_hours": "2"}, headers=trainer
    ).json()["id"]
    with PACKAGE.open("rb") as fh:
        up = client.post(
            f"/api/v1/packages/{pid}/versions",
            headers=trainer,
            files={"file": (PACKAGE.name, fh, "application/zip")},
        )
    up.raise_for_status()
    _drain(get_engine())
    client.post(f"/api/v1/packages/{pid}/versions/{up.json()['id']}/publish", headers=trainer)
    today = utcnow().astimezone(CITY_TZ).date()
    offering = client.post(
        "/api/v1/offerings",
        headers=trainer,
        json={
            "title": "golf",
            "occupation_code": "6-18-02-04",
            "cluster_version": "2025",
            "cluster_code": "nev_high_end_equipment",
            "level": 5,
            "training_type": "employment",
            "funding": "market",
            "mode": "online",
            "required_minutes": 100_000,
            "capacity": 10,
            "starts_on": today.isoformat(),
            "ends_on": today.replace(year=today.year + 1).isoformat(),
            "district_code": "330212",
            "package_ids": [pid],
        },
    )
    check(offering.status_code == 201, f"offering: {offering.status_code} {offering.text[:500]}")
    body = "33021219900101123"
    client.post(
        "/api/v1/learners",
        headers=learner,
        json={
            "id_number": body + compute_check_digit(body),
            "name": "bench",
            "district_code": "330212",
        },
    ).raise_for_status()
    enrolled = client.post(
        "/api/v1/enrollments", headers=learner, json={"offering_id": offering.json()["id"]}
    )
    enrolled.raise_for_status()
    return server, client, learner, enrolled.json()["id"]


def _static(folder: Path, port: int, sco: str):
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    files = folder / "static"
    with zipfile.ZipFile(PACKAGE) as archive:
        archive.extractall(files)
    page = HOST_PAGE % f"/files/{sco}"
    app = Starlette(
        routes=[
            Route("/host.html", lambda _: HTMLResponse(page)),
            Mount("/files", StaticFiles(directory=files)),
        ]
    )
    return serve(app, port)[0]


class PlayBench:
    name = "play"

    def __init__(self, scale: Scale) -> None:
        from playwright.sync_api import sync_playwright

        check(PACKAGE.is_file(), f"the golf package is missing: {PACKAGE}")
        self.folder = Path(tempfile.mkdtemp(prefix="bench-play-"))
        port, self.static_port = free_port(), free_port()
        self.server, self.client, self.learner, self.enrollment = _setup(self.folder, port)
        self.static = _static(self.folder, self.static_port, "shared/launchpage.html")
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )

    def _open(self, url: str, ready: str) -> float:
        """Milliseconds from ``url`` (str, or a callable that makes it) to ``ready`` holding."""
        context = self.browser.new_context()  # a cold cache each time
        try:
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url() if callable(url) else url)
            page.wait_for_function(ready, polling=5)
            return (time.perf_counter() - start) * 1000
        finally:
            context.close()

    def _launch_url(self) -> str:
        r = self.client.post(f"/api/v1/enrollments/{self.enrollment}/launch", headers=self.learner)
        check(r.status_code == 200, f"launch: {r.status_code} {r.text[:300]}")
        return r.json()["url"]

    def round(self) -> list[Figure]:
        service = self._open(
            self._launch_url,
            "() => { const a = window.API_1484_11; return !!a && a.isInitialized(); }",
        )
        static = self._open(
            f"http://127.0.0.1:{self.static_port}/host.html",
            "() => window.initialised !== undefined",
        )
        return [
            Figure("static", "static host to the SCO's Initialize", static, "ms", "lower"),
            Figure("service", "launch call to the SCO's Initialize", service, "ms", "lower",
                   "static"),
        ]  # fmt: skip

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()
        self.client.close()
        self.server.should_exit = self.static.should_exit = True
        shutil.rmtree(self.folder, ignore_errors=True)


def open_bench(scale: Scale) -> PlayBench:
    return PlayBench(scale)


if __name__ == "__main__":
    main_for("play", open_bench)

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

Prints the median and spread of both and their ratio. Usage::

    uv run python bench/bench_play.py [ROUNDS]        # default 15
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live_server import free_port, serve  # noqa: E402

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
    offering.raise_for_status()
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


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-play-"))
    port, static_port = free_port(), free_port()
    server, client, learner, enrollment = _setup(folder, port)
    static = _static(folder, static_port, "shared/launchpage.html")
    wait = "() => { const a = window.API_1484_11; return !!a && a.isInitialized(); }"
    times: dict[str, list[float]] = {"service": [], "static": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for _ in range(rounds):
            context = browser.new_context()  # a cold cache each time, as a learner's first open
            page = context.new_page()
            start = time.perf_counter()
            url = client.post(f"/api/v1/enrollments/{enrollment}/launch", headers=learner)
            page.goto(url.json()["url"])
            page.wait_for_function(wait, polling=5)
            times["service"].append((time.perf_counter() - start) * 1000)
            context.close()

            context = browser.new_context()
            page = context.new_page()
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{static_port}/host.html")
            page.wait_for_function("() => window.initialised !== undefined", polling=5)
            times["static"].append((time.perf_counter() - start) * 1000)
            context.close()
        browser.close()
    server.should_exit = static.should_exit = True
    print(f"launch call to the SCO's Initialize, {rounds} rounds (golf SCORM 2004, cold cache):")
    for name, values in times.items():
        q = statistics.quantiles(values, n=4)
        print(
            f"  {name:8} median {statistics.median(values):7.1f} ms"
            f"   spread (IQR) {q[0]:6.1f}-{q[2]:6.1f} ms"
        )
    ratio = statistics.median(times["service"]) / statistics.median(times["static"])
    print(f"  service / static: {ratio:.2f}x")


if __name__ == "__main__":
    main()

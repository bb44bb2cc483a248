"""The service on a scratch PostgreSQL database, served by ``skills serve`` in its own process,
for the training benches (enrolments, hours).

The server is a separate process so the load (this process) does not share its interpreter
lock, and so its settings and engine (process-wide in the service) never mix with another
bench's. Setup talks HTTP like any client, and checks every status; the only rows written
directly are the accounts (there is no API for the first accounts) and, by the benches, their
baselines and histories.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.harness import check
from bench.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("SKILLS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-1"
DISTRICT = "330212"


def expect(response: httpx.Response, *statuses: int) -> dict:
    check(
        response.status_code in statuses,
        f"{response.request.method} {response.request.url.path}: {response.status_code} "
        f"{response.text[:500]}",
    )
    return response.json() if response.content else {}


class TrainingService:
    """A scratch database, a running ``skills serve`` on it, and tokens for an administrator, a
    trainer of one organization and the platform's service account."""

    def __init__(self, prefix: str, *, worker: bool = False) -> None:
        """``worker``: ``skills serve`` runs its embedded worker and outbox relay (jobs)."""
        from service.core.db import normalise_url

        self.worker = worker

        server = make_url(normalise_url(SERVER))
        self.database = f"skills_bench_{prefix}_{uuid.uuid4().hex[:8]}"
        self._admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        self.url = server.set(database=self.database).render_as_string(hide_password=False)
        self.dsn = (
            make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self.folder = Path(tempfile.mkdtemp(prefix=f"skills-bench-{prefix}-"))
        self.proc: subprocess.Popen | None = None
        try:
            self._start()
            self._accounts()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SKILLS_", "PYTEST"))}
        env |= {
            "SKILLS_DATABASE_URL": self.url,
            "SKILLS_ENV": "test",
            "SKILLS_EMBEDDED_WORKER": str(self.worker).lower(),
            "SKILLS_OUTBOX_RELAY_IN_API": str(self.worker).lower(),
            "SKILLS_MASTER_KEY": "bench-master-key-" + "x" * 32,
            "SKILLS_LOG_LEVEL": "WARNING",
            "SKILLS_VAR_DIR": str(self.folder / "var"),
            "SKILLS_PUBLIC_BASE_URL": self.base,
            "SKILLS_RATE_LIMIT_TOKEN": "1000/minute",
        }
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--migrate"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "server.log", "wb"),  # noqa: SIM115 - closed with the process
        )
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            check(self.proc.poll() is None, f"skills serve exited: {self.log_tail()}")
            check(time.monotonic() < deadline, "skills serve never answered /healthz")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far (Linux ``/proc``)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> dict[int, float]:
        """Peak resident set (``VmHWM``) of the server and of each process it started (the
        embedded worker and its pool), in MB per pid (Linux ``/proc``)."""
        assert self.proc is not None
        peaks: dict[int, float] = {}
        pending = [self.proc.pid]
        while pending:
            pid = pending.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) / 1024
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                pending.extend(int(c) for c in task.read_text().split())
        return peaks

    def log_tail(self) -> str:
        try:
            return (self.folder / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def _accounts(self) -> None:
        from sqlmodel import Session

        from service.accounts.models import Organization
        from service.accounts.users import create_user
        from service.core.db import build_engine

        engine = build_engine(self.url)
        try:
            with Session(engine) as s:
                org = Organization(
                    name="bench", kind="training_institution", district_code=DISTRICT
                )
                s.add(org)
                s.flush()
                self.organization_id = org.id
                create_user(s, email="admin@bench", role="admin", password=PASSWORD)
                create_user(
                    s,
                    email="trainer@bench",
                    role="trainer",
                    password=PASSWORD,
                    organization_id=org.id,
                )
                platform = create_user(s, email="platform@bench", role="platform", password=None)
                platform_id = platform.id
                s.commit()
        finally:
            engine.dispose()
        with httpx.Client(base_url=self.base, timeout=60) as client:
            self.admin = self._login(client, "admin@bench")
            self.trainer = self._login(client, "trainer@bench")
            key = expect(
                client.post(f"/api/v1/users/{platform_id}/api-keys", json={}, headers=self.admin),
                201,
            )
            token = expect(
                client.post(
                    "/api/v1/auth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": key["client_id"],
                        "client_secret": key["client_secret"],
                    },
                ),
                200,
            )
            self.platform = {"Authorization": f"Bearer {token['access_token']}"}

    @staticmethod
    def _login(client: httpx.Client, email: str) -> dict:
        token = expect(
            client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD}), 200
        )
        return {"Authorization": f"Bearer {token['access_token']}"}

    def classroom(
        self, learners: int, *, starts_on: date, ends_on: date, required_minutes: int
    ) -> tuple[dict, list[tuple[uuid.UUID, uuid.UUID]]]:
        """One classroom offering of the trainer's with ``learners`` people (``id_number(i)``)
        registered and enrolled through the API: the offering and, per person in order,
        ``(enrolment id, learner id)``."""
        with self.client() as client:
            offering = expect(
                client.post(
                    "/api/v1/offerings",
                    json={
                        "title": "bench",
                        "occupation_code": "6-31-01-03",
                        "level": 5,
                        "training_type": "employment",
                        "funding": "market",
                        "mode": "offline",
                        "required_minutes": required_minutes,
                        "capacity": learners,
                        "starts_on": starts_on.isoformat(),
                        "ends_on": ends_on.isoformat(),
                        "district_code": DISTRICT,
                    },
                    headers=self.trainer,
                ),
                201,
            )

        def register(client, i):
            return client.post(
                "/api/v1/learners",
                json={"id_number": id_number(i), "name": "bench", "district_code": DISTRICT},
                headers=self.trainer,
            )

        people = [expect(r, 201)["id"] for r in concurrently(self, range(learners), register)]

        def enrol(client, learner_id):
            return client.post(
                "/api/v1/enrollments",
                json={"offering_id": offering["id"], "learner_id": learner_id},
                headers=self.trainer,
            )

        enrolments = [expect(r, 201)["id"] for r in concurrently(self, people, enrol)]
        pairs = [(uuid.UUID(e), uuid.UUID(p)) for e, p in zip(enrolments, people, strict=True)]
        return offering, pairs

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60)

    def psycopg(self):
        import psycopg

        return psycopg.connect(self.dsn)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with self._admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": self.database},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}"'))
        self._admin.dispose()
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def id_number(i: int) -> str:
    """A valid, distinct resident ID number per ``i`` (birth date and sequence vary)."""
    from service.training.idnumber import compute_check_digit

    born = date(1960, 1, 1) + timedelta(days=i % 15000)
    body = f"{DISTRICT}{born:%Y%m%d}{i // 15000 % 1000:03d}"
    return body + compute_check_digit(body)


def concurrently(
    service: TrainingService,
    items: Sequence[Any],
    call: Callable[[httpx.Client, Any], httpx.Response],
    concurrency: int = 16,
) -> list[httpx.Response]:
    """``call(client, item)`` for every item, ``concurrency`` at a time (threads, one keep-alive
    client each), the responses in the order of ``items``."""
    responses: list[httpx.Response | None] = [None] * len(items)
    cursor: Iterator[int] = iter(range(len(items)))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        with service.client() as client:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None or failures:
                    return
                try:
                    responses[index] = call(client, items[index])
                except BaseException as exc:  # noqa: BLE001 - reported below
                    failures.append(exc)
                    return

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return [r for r in responses if r is not None]

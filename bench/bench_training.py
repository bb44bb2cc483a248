"""Hours ledger and enrollment throughput on PostgreSQL.

Prints: hours entries per second written through ``POST /api/v1/hours/batch`` (in-process app,
all guards on), next to a plain psycopg ``executemany`` of the same number of rows into the same
table in the same run (the ratio is the cost of validation, guards, locking and idempotence);
and enrollments per second through ``POST /api/v1/enrollments`` on a subsidised offering (subsidy
rules evaluated against each person's history).

    SKILLS_BENCH_DATABASE_URL=postgresql://... uv run python bench/bench_training.py

A scratch database is created inside that server, migrated, and dropped at the end.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.core.db import normalise_url  # noqa: E402

SERVER = os.environ.get("SKILLS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
LEARNERS = int(os.environ.get("BENCH_LEARNERS", "200"))
DAYS = int(os.environ.get("BENCH_DAYS", "10"))  # entries per learner (one session a day)
BATCH = 500
ENROLLMENTS = int(os.environ.get("BENCH_ENROLLMENTS", "300"))


def main() -> None:
    server = make_url(normalise_url(SERVER))
    name = f"skills_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        run(url)
    finally:
        from service.core.db import get_engine

        get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def run(url: str) -> None:
    os.environ.update(
        SKILLS_DATABASE_URL=url,
        SKILLS_ENV="test",
        SKILLS_OUTBOX_RELAY_IN_API="false",
        SKILLS_MASTER_KEY="bench-master-key-" + "x" * 32,
        SKILLS_LOG_LEVEL="WARNING",
        SKILLS_VAR_DIR=f"/tmp/{uuid.uuid4().hex}",
    )
    from fastapi.testclient import TestClient

    from service.accounts.models import Organization
    from service.accounts.users import create_user
    from service.app import create_app
    from service.core.db import session_scope
    from service.core.migrate import upgrade
    from service.core.timeutil import CITY_TZ
    from service.training.idnumber import compute_check_digit

    upgrade(url)
    with session_scope() as s:
        org = Organization(name="bench", kind="training_institution", district_code="330212")
        s.add(org)
        s.flush()
        create_user(
            s, email="t@bench", role="trainer", password="bench-password-1", organization_id=org.id
        )
    app = create_app(start_relay=False)
    with TestClient(app) as client:
        tok = client.post(
            "/api/v1/auth/token", data={"username": "t@bench", "password": "bench-password-1"}
        )
        h = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        today = datetime.now(CITY_TZ).date()
        start = today - timedelta(days=DAYS + 5)

        def offering(**kw):
            body = {
                "title": "bench",
                "occupation_code": "6-18-02-04",
                "level": 5,
                "training_type": "employment",
                "funding": "market",
                "mode": "offline",
                "required_minutes": 100_000,
                "capacity": 100_000,
                "starts_on": start.isoformat(),
                "ends_on": today.isoformat(),
                "district_code": "330212",
            } | kw
            return client.post("/api/v1/offerings", json=body, headers=h).json()["id"]

        serial = iter(range(10**6))

        def learner():
            body = f"330212199001{next(serial) % 28 + 1:02d}{next(serial) % 1000:03d}"
            return client.post(
                "/api/v1/learners",
                headers=h,
                json={
                    "id_number": body + compute_check_digit(body),
                    "name": "bench",
                    "district_code": "330212",
                },
            ).json()["id"]

        off = offering()
        people = [learner() for _ in range(LEARNERS)]
        enrollments = [
            client.post(
                "/api/v1/enrollments", headers=h, json={"offering_id": off, "learner_id": p}
            ).json()["id"]
            for p in people
        ]
        entries = []
        for d in range(DAYS):
            day = start + timedelta(days=d + 1)
            at = datetime(day.year, day.month, day.day, 9, tzinfo=CITY_TZ)
            for e in enrollments:
                entries.append(
                    {
                        "enrollment_id": e,
                        "source": "classroom",
                        "external_id": f"api-{e}-{d}",
                        "started_at": at.isoformat(),
                        "ended_at": (at + timedelta(minutes=90)).isoformat(),
                    }
                )
        t0 = time.perf_counter()
        accepted = 0
        for i in range(0, len(entries), BATCH):
            r = client.post(
                "/api/v1/hours/batch", json={"entries": entries[i : i + BATCH]}, headers=h
            )
            accepted += r.json()["accepted"]
        api_s = time.perf_counter() - t0
        assert accepted == len(entries), accepted

        raw = make_url(url).set(drivername="postgresql")
        import psycopg

        rows = [
            (
                uuid.uuid4(),
                uuid.UUID(e["enrollment_id"]),
                uuid.UUID(people[j % LEARNERS]),
                "import",
                "raw-" + e["external_id"],
                datetime.fromisoformat(e["started_at"]),
                datetime.fromisoformat(e["ended_at"]),
                90,
                False,
                datetime.now(CITY_TZ),
            )
            for j, e in enumerate(entries)
        ]
        conninfo = raw.render_as_string(hide_password=False)
        with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
            t0 = time.perf_counter()
            for i in range(0, len(rows), BATCH):
                cur.executemany(
                    "INSERT INTO hours_entry (id, enrollment_id, learner_id, source, external_id,"
                    " started_at, ended_at, minutes, online, created_at)"
                    " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    rows[i : i + BATCH],
                )
                conn.commit()
            raw_s = time.perf_counter() - t0

        # Enrollments with subsidy checks: each person already has two subsidised trainings.
        subsidised = [
            offering(funding="subsidised", occupation_code=c, level=lv)
            for c, lv in (("6-31-01-03", 5), ("6-31-01-03", 4), ("4-03-02-01", 5))
        ]
        folks = [learner() for _ in range(ENROLLMENTS)]
        for p in folks:
            for o in subsidised[:2]:
                client.post(
                    "/api/v1/enrollments", headers=h, json={"offering_id": o, "learner_id": p}
                )
        t0 = time.perf_counter()
        granted = 0
        for p in folks:
            r = client.post(
                "/api/v1/enrollments",
                headers=h,
                json={"offering_id": subsidised[2], "learner_id": p},
            )
            granted += r.json()["subsidised"]
        enr_s = time.perf_counter() - t0

    n = len(entries)
    print(f"hours entries: {n} in batches of {BATCH}")
    print(f"  batch API (guards, locks, idempotence): {n / api_s:10.0f} entries/s")
    print(f"  plain executemany, same rows:          {n / raw_s:10.0f} entries/s")
    print(f"  ratio executemany / API:               {raw_s and api_s / raw_s:10.1f}x")
    print(f"enrollments with subsidy checks: {ENROLLMENTS} ({granted} granted, history of 2 each)")
    print(f"  POST /api/v1/enrollments:              {ENROLLMENTS / enr_s:10.0f} enrollments/s")


if __name__ == "__main__":
    main()

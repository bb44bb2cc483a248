"""The hours batch API against a plain insert, on PostgreSQL.

Prints entries per second written through ``POST /api/v1/hours/batch`` (in-process app, every
guard on: idempotency by source + external id, daily cap, overlap, enrolment state and dates,
online share), then the same batches sent again (all ``duplicate``), next to a plain psycopg
``executemany`` of the same rows into ``hours_entry`` measured in the same run, with the API's
share of the plain insert's rate.

    SKILLS_BENCH_DATABASE_URL=postgresql://... uv run python bench/bench_hours_batch.py \
        [--learners 500] [--days 20] [--batch 500] [--profile]

A scratch database is created inside that server, migrated, and dropped at the end.
``--profile`` prints the top functions of the API run (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--days", type=int, default=20, help="entries per learner")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--history", type=int, default=100, help="earlier entries per learner")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    server = make_url(normalise_url(SERVER))
    name = f"skills_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        run(url, args)
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


def _setup(client, h, learners: int, days: int) -> tuple[list[str], list[str], object]:
    from service.core.timeutil import CITY_TZ
    from service.training.idnumber import compute_check_digit

    today = datetime.now(CITY_TZ).date()
    start = today - timedelta(days=days + 5)
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
    }
    r = client.post("/api/v1/offerings", json=body, headers=h)
    assert r.status_code == 201, r.text
    off = r.json()["id"]
    people, enrollments = [], []
    for i in range(learners):
        number = f"330212199001{i % 28 + 1:02d}{i % 1000:03d}"
        r = client.post(
            "/api/v1/learners",
            headers=h,
            json={
                "id_number": number + compute_check_digit(number),
                "name": "bench",
                "district_code": "330212",
            },
        )
        people.append(r.json()["id"])
        enrollments.append(
            client.post(
                "/api/v1/enrollments",
                headers=h,
                json={"offering_id": off, "learner_id": people[-1]},
            ).json()["id"]
        )
    return people, enrollments, start


def _profile_route():
    """Profile the ledger call inside the route (the app runs in the test client's thread)."""
    import cProfile

    from service.api.routes import training_hours

    profiler = cProfile.Profile()
    inner = training_hours.record_entries

    def profiled(*args, **kwargs):
        profiler.enable()
        try:
            return inner(*args, **kwargs)
        finally:
            profiler.disable()

    training_hours.record_entries = profiled
    _time_statements()
    return profiler


def _time_statements() -> None:
    """Print the statements that took the longest in total, at exit."""
    import atexit
    from collections import Counter

    from sqlalchemy import event

    from service.core.db import get_engine

    spent: Counter = Counter()

    @event.listens_for(get_engine(), "before_cursor_execute")
    def _start(conn, cursor, statement, params, context, many):
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(get_engine(), "after_cursor_execute")
    def _stop(conn, cursor, statement, params, context, many):
        spent[" ".join(statement.split())[:110]] += time.perf_counter() - conn.info["t0"]

    atexit.register(lambda: [print(f"{t:8.3f}s  {q}") for q, t in spent.most_common(8)])


def _history(url, people, enrollments, start, per_enrollment: int) -> None:
    """A ledger that is not empty: ``per_enrollment`` earlier classroom sessions each (the
    months before the offering's window, so no guard trips on them), then ANALYZE, as a
    running database has statistics."""
    import psycopg

    from service.core.timeutil import CITY_TZ

    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows = []
    for n in range(per_enrollment):
        day = start - timedelta(days=400 - n)
        at = datetime(day.year, day.month, day.day, 9, tzinfo=CITY_TZ)
        for person, e in zip(people, enrollments, strict=True):
            rows.append(
                (
                    uuid.uuid4(),
                    e,
                    person,
                    "classroom",
                    f"old-{e}-{n}",
                    at,
                    at + timedelta(minutes=90),
                    90,
                    False,
                    at,
                )
            )
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO hours_entry (id, enrollment_id, learner_id, source, external_id,"
            " started_at, ended_at, minutes, online, created_at)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            rows,
        )
        conn.commit()
        cur.execute("ANALYZE")


def run(url: str, args) -> None:
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

    upgrade(url)
    with session_scope() as s:
        org = Organization(name="bench", kind="training_institution", district_code="330212")
        s.add(org)
        s.flush()
        create_user(
            s, email="t@bench", role="trainer", password="bench-password-1", organization_id=org.id
        )
    app = create_app(start_relay=False)
    batch = args.batch
    with TestClient(app) as client:
        tok = client.post(
            "/api/v1/auth/token", data={"username": "t@bench", "password": "bench-password-1"}
        )
        h = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        people, enrollments, start = _setup(client, h, args.learners, args.days)
        entries = []
        for d in range(args.days):
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

        _history(url, people, enrollments, start, args.history)

        def send() -> tuple[float, dict]:
            counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
            t0 = time.perf_counter()
            for i in range(0, len(entries), batch):
                r = client.post(
                    "/api/v1/hours/batch", json={"entries": entries[i : i + batch]}, headers=h
                )
                assert r.status_code == 200, r.text
                for k in counts:
                    counts[k] += r.json()[k]
            return time.perf_counter() - t0, counts

        profiler = _profile_route() if args.profile else None
        api_s, first = send()
        if profiler is not None:
            import pstats

            stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
            stats.print_stats(40)
            stats.print_callees("record_entries")
        again_s, second = send()

    import psycopg

    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows = [
        (
            uuid.uuid4(),
            uuid.UUID(e["enrollment_id"]),
            uuid.UUID(people[j % len(people)]),
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
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        t0 = time.perf_counter()
        for i in range(0, len(rows), batch):
            cur.executemany(
                "INSERT INTO hours_entry (id, enrollment_id, learner_id, source, external_id,"
                " started_at, ended_at, minutes, online, created_at)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                rows[i : i + batch],
            )
            conn.commit()
        raw_s = time.perf_counter() - t0

    n = len(entries)
    print(
        f"hours entries: {n} ({args.learners} learners x {args.days} days), batches of {batch};"
        f" ledger holds {args.learners * args.history} earlier entries"
    )
    print(f"  batch API, new entries:        {n / api_s:10.0f} entries/s  {first}")
    print(f"  batch API, same batches again: {n / again_s:10.0f} entries/s  {second}")
    print(f"  plain executemany, same rows:  {n / raw_s:10.0f} entries/s")
    print(f"  API / plain insert:            {raw_s / api_s:10.1%}  (goal: at least 30%)")


if __name__ == "__main__":
    main()

"""The LRS on PostgreSQL: statement writes, and first pages of the common queries at scale.

1. ``POST /xAPI/statements`` (in-process app, HTTP Basic API key, xAPI 1.0.3) in batches of 1
   and of 50: statements per second, next to a plain psycopg ``executemany`` of the same rows
   into ``lrs_statement`` in the same run (the API also validates, compares ids, writes the
   agent/activity index rows and activity definitions, and projects into training).
2. ``--rows`` statements (default 10,000,000) loaded with ``COPY FROM STDIN`` into
   ``lrs_statement`` and its agent/activity side tables, then the median latency of the first
   page (``--limit``, default 200) of: a registration; a verb since 30 days; an activity; an
   agent, each through :func:`service.lrs.query.run_query`, next to the same query with index
   scans turned off (a sequential scan), with the ratio.

    SKILLS_BENCH_DATABASE_URL=postgresql://... uv run python bench/bench_lrs.py \
        [--rows 1000000] [--posts 1000] [--limit 200] [--keep]

A scratch database is created inside that server, migrated, and dropped at the end (unless
``--keep``).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.core.db import normalise_url  # noqa: E402

SERVER = os.environ.get("SKILLS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
VERBS = [
    "http://adlnet.gov/expapi/verbs/" + v
    for v in ("experienced", "answered", "attempted", "completed", "passed", "failed")
] + ["http://adlnet.gov/expapi/verbs/initialized", "http://adlnet.gov/expapi/verbs/terminated"]
VERB_WEIGHTS = [40, 25, 10, 8, 5, 2, 5, 5]
# The same query without its indexes: what a store without them would do.
SEQ_ONLY = ("enable_indexscan = off", "enable_bitmapscan = off", "enable_indexonlyscan = off")
TABLES = ("lrs_statement", "lrs_statement_agent", "lrs_statement_activity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--posts", type=int, default=1000, help="statements per POST run")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
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
        if args.keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _statement(rng: random.Random, registration: str | None = None) -> dict:
    person = rng.randrange(100_000)
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "bench", "mbox": f"mailto:p{person}@bench.test"},
        "verb": {"id": rng.choices(VERBS, VERB_WEIGHTS)[0], "display": {"en-US": "did"}},
        "object": {
            "objectType": "Activity",
            "id": f"https://bench.test/activity/{rng.randrange(10_000)}",
            "definition": {"name": {"en-US": "an activity"}},
        },
        "result": {"completion": True, "duration": "PT5M"},
        "context": {"registration": registration or str(uuid.uuid4())},
        "timestamp": datetime.now(UTC).isoformat(),
    }


def run(url: str, args) -> None:
    os.environ.update(
        SKILLS_DATABASE_URL=url,
        SKILLS_ENV="test",
        SKILLS_OUTBOX_RELAY_IN_API="false",
        SKILLS_MASTER_KEY="bench-master-key-" + "x" * 32,
        SKILLS_LOG_LEVEL="WARNING",
        SKILLS_VAR_DIR=f"/tmp/{uuid.uuid4().hex}",
        SKILLS_PUBLIC_BASE_URL="https://bench.test",
    )
    from service.accounts.sessions import create_api_key
    from service.accounts.users import create_user
    from service.core.db import session_scope
    from service.core.migrate import upgrade

    upgrade(url)
    with session_scope() as s:
        user = create_user(s, email="p@bench", role="platform", password="bench-password-1")
        key, secret = create_api_key(s, user, "bench")
        basic = base64.b64encode(f"{key.client_id}:{secret}".encode()).decode()
        user_id = user.id
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    writes(raw, basic, user_id, args.posts)
    load(raw, args.rows)
    queries(raw, user_id, args.limit)


# --- 1. writes ---------------------------------------------------------------------------------


def writes(raw: str, basic: str, user_id, posts: int) -> None:
    import psycopg
    from fastapi.testclient import TestClient

    from service.app import create_app

    rng = random.Random(1)
    headers = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}
    print(f"POST /xAPI/statements, {posts} statements per run")
    with TestClient(create_app(start_relay=False)) as client:
        for batch in (1, 50):
            statements = [_statement(rng) for _ in range(posts)]
            t0 = time.perf_counter()
            for i in range(0, posts, batch):
                r = client.post("/xAPI/statements", json=statements[i : i + batch], headers=headers)
                assert r.status_code == 200, r.text
            api_s = time.perf_counter() - t0
            rows = [_row(s, user_id) for s in (_statement(rng) for _ in range(posts))]
            with psycopg.connect(raw) as conn, conn.cursor() as cur:
                t0 = time.perf_counter()
                for i in range(0, posts, batch):
                    cur.executemany(
                        "INSERT INTO lrs_statement (statement_id, stored, timestamp, verb_id,"
                        " actor_key, object_type, object_key, registration, voided, content,"
                        " comparison_hash, attachment_hashes, stored_by)"
                        " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                        rows[i : i + batch],
                    )
                    conn.commit()
                raw_s = time.perf_counter() - t0
            print(
                f"  batches of {batch:>2}: API {posts / api_s:8.0f} statements/s,"
                f" plain executemany {posts / raw_s:8.0f}/s, API / plain {raw_s / api_s:6.1%}"
            )


def _row(s: dict, user_id) -> tuple:
    from psycopg.types.json import Jsonb

    now = datetime.now(UTC)
    return (
        s["id"],
        now,
        now,
        s["verb"]["id"],
        f"Agent|mbox:{s['actor']['mbox']}",
        "Activity",
        s["object"]["id"],
        s["context"]["registration"],
        False,
        Jsonb(s),
        "0" * 64,
        Jsonb([]),
        user_id,
    )


# --- 2. load -----------------------------------------------------------------------------------


def load(raw: str, rows: int) -> None:
    """COPY ``rows`` statements (20 per registration, 10,000 activities, 100,000 people, a year
    of ``stored``) with the indexes dropped, then rebuild them and ANALYZE."""
    import psycopg

    rng = random.Random(2)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / max(rows, 1)
    t0 = time.perf_counter()
    with psycopg.connect(raw, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT indexdef, indexname FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND indexname NOT LIKE '%%pkey' AND indexname NOT LIKE '%%statement_id_key'",
            (list(TABLES),),
        )
        indexes = cur.fetchall()
        for _, index in indexes:
            cur.execute(f'DROP INDEX "{index}"')
        base = cur.execute("SELECT coalesce(max(seq), 0) FROM lrs_statement").fetchone()[0]
        chunk = 200_000
        for first in range(0, rows, chunk):
            stmts, agents, acts = io.StringIO(), io.StringIO(), io.StringIO()
            for n in range(first, min(first + chunk, rows)):
                seq = base + 1 + n
                stored = (start + step * n).isoformat()
                sid = uuid.uuid4()
                registration = uuid.UUID(int=n // 20 + 1)
                person = f"Agent|mbox:mailto:p{rng.randrange(100_000)}@bench.test"
                verb = rng.choices(VERBS, VERB_WEIGHTS)[0]
                activity = f"https://bench.test/activity/{rng.randrange(10_000)}"
                content = json.dumps(
                    {
                        "id": str(sid),
                        "actor": {"mbox": person.split("|mbox:")[1]},
                        "verb": {"id": verb},
                        "object": {"id": activity},
                        "context": {"registration": str(registration)},
                        "stored": stored,
                        "timestamp": stored,
                    }
                ).replace("\\", "\\\\")
                stmts.write(
                    f"{seq}\t{sid}\t{stored}\t{stored}\t{verb}\t{person}\tActivity\t{activity}"
                    f"\t{registration}\t\\N\tf\t{content}\t{'0' * 64}\t[]\t\\N\t\\N\n"
                )
                agents.write(f"{seq}\t{person}\tactor\t{stored}\n")
                acts.write(f"{seq}\t{activity}\tobject\t{stored}\n")
            for table, columns, buffer in (
                (
                    "lrs_statement",
                    "seq, statement_id, stored, timestamp, verb_id, actor_key, object_type,"
                    " object_key, registration, voids, voided, content, comparison_hash,"
                    " attachment_hashes, stored_by, enrollment_id",
                    stmts,
                ),
                ("lrs_statement_agent", "seq, agent_key, relation, stored", agents),
                ("lrs_statement_activity", "seq, activity_id, relation, stored", acts),
            ):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
        loaded = time.perf_counter() - t0
        for definition, _ in indexes:
            cur.execute(definition)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('lrs_statement', 'seq'),"
            " (SELECT max(seq) FROM lrs_statement))"
        )
        cur.execute("VACUUM ANALYZE")
    print(
        f"loaded {rows} statements with COPY in {loaded:.0f} s,"
        f" indexes and ANALYZE {time.perf_counter() - t0 - loaded:.0f} s"
    )


# --- 3. queries --------------------------------------------------------------------------------


def queries(raw: str, user_id, limit: int) -> None:
    from sqlmodel import Session

    from service.accounts.access import Principal
    from service.core.db import get_engine
    from service.lrs.access import LrsCaller, authority_for
    from service.lrs.query import StatementQuery, run_query

    caller = LrsCaller(Principal(user_id, "platform", None), authority_for("https://x", "bench"))
    with Session(get_engine()) as session:
        count = session.execute(text("SELECT count(*) FROM lrs_statement")).scalar_one()
        rng = random.Random(3)
        since = (datetime.now(UTC) - timedelta(days=30)).isoformat()

        def some_registration():
            return str(uuid.UUID(int=rng.randrange(count // 20) + 1))

        def some_activity():
            return f"https://bench.test/activity/{rng.randrange(10_000)}"

        def some_agent():
            return f"Agent|mbox:mailto:p{rng.randrange(100_000)}@bench.test"

        cases = {
            "registration": lambda: StatementQuery(registration=some_registration(), limit=limit),
            "verb + since 30 days": lambda: StatementQuery(verb=VERBS[3], since=since, limit=limit),
            "activity": lambda: StatementQuery(activity=some_activity(), limit=limit),
            "agent": lambda: StatementQuery(agent=some_agent(), limit=limit),
        }
        print(f"first page (limit {limit}) at {count} statements: median of the runs")
        for label, make in cases.items():
            indexed = _timed(session, lambda q=make: run_query(session, q(), caller), 21)
            scanned = _timed(session, lambda q=make: run_query(session, q(), caller), 3, SEQ_ONLY)
            print(
                f"  {label:<22} indexed {indexed * 1000:9.2f} ms   seq scan"
                f" {scanned * 1000:10.1f} ms   ratio {scanned / indexed:8.0f}x"
            )


def _timed(session, fn, runs: int, settings: tuple[str, ...] = ()) -> float:
    """Median wall time of ``fn``, each run in its own transaction after ``SET LOCAL``s."""
    times = []
    for _ in range(runs):
        for setting in settings:
            session.execute(text(f"SET LOCAL {setting}"))
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        session.rollback()
    return statistics.median(times)


if __name__ == "__main__":
    main()

"""The LRS on PostgreSQL: statement writes, and first pages of the common queries at scale.

1. ``POST /xAPI/statements`` (in-process app through the test client, HTTP Basic API key,
   xAPI 1.0.3) in batches of 1 and of 50: statements per second, next to a plain psycopg
   ``executemany`` of the same rows (fresh ids) into ``lrs_statement`` in the same round, one
   commit per batch as the API does. The API also validates, compares ids, writes the
   agent/activity index rows and activity definitions, and projects into training; the goal
   for batches of 50 is 30% of the plain insert.
2. ``lrs_statement`` and its agent/activity side tables loaded with ``COPY FROM STDIN`` (once,
   in set-up: 1,000,000 statements, about 6 minutes on 2 busy cores, or 200,000 with
   ``--quick``), then the median latency of the first page (limit 200) of: a registration; a
   verb since 30 days; an activity; an agent, each through :func:`service.lrs.query.run_query`,
   next to the same query with index scans turned off (a sequential scan: what a store without
   the indexes would do).

    uv run python -m bench --only lrs [--rounds N] [--quick]
    uv run python bench/bench_lrs.py [--rounds N] [--quick]

A scratch database is created in ``SKILLS_BENCH_DATABASE_URL``'s server (default the local
``test`` database's), migrated, and dropped at the end.
"""

from __future__ import annotations

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

from bench.harness import Figure, Scale, check, main_for, rate  # noqa: E402
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
PAGE = 200
PLAIN_INSERT = (
    "INSERT INTO lrs_statement (statement_id, stored, timestamp, verb_id, actor_key, object_type,"
    " object_key, registration, voided, content, comparison_hash, attachment_hashes, stored_by)"
    " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
)


def _statement(rng: random.Random) -> dict:
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
        "context": {"registration": str(uuid.uuid4())},
        "timestamp": datetime.now(UTC).isoformat(),
    }


def _plain_row(s: dict, user_id) -> tuple:
    """The row a bare insert of the statement writes (a fresh id: the API stored this one)."""
    from psycopg.types.json import Jsonb

    now = datetime.now(UTC)
    return (
        uuid.uuid4(),
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


class LrsBench:
    name = "lrs"

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self.rows = scale.pick(1_000_000, 200_000)
        # Statements per timed run: batch 1 is slow, so it gets fewer.
        self.posts = {1: scale.pick(200, 100), 50: scale.pick(2000, 500)}
        self.rng = random.Random(1)
        server = make_url(normalise_url(SERVER))
        self.database = f"skills_bench_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        self.url = server.set(database=self.database).render_as_string(hide_password=False)
        self.raw = (
            make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self.client = None
        self.plain = None
        self.session = None
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    # --- set-up -------------------------------------------------------------------------------

    def _setup(self) -> None:
        import psycopg
        from fastapi.testclient import TestClient

        os.environ.update(
            SKILLS_DATABASE_URL=self.url,
            SKILLS_ENV="test",
            SKILLS_OUTBOX_RELAY_IN_API="false",
            SKILLS_MASTER_KEY="bench-master-key-" + "x" * 32,
            SKILLS_LOG_LEVEL="WARNING",
            SKILLS_VAR_DIR=f"/tmp/skills-bench-lrs-{uuid.uuid4().hex}",
            SKILLS_PUBLIC_BASE_URL="https://bench.test",
        )
        from service.core.db import get_engine
        from service.core.settings import get_settings

        get_settings.cache_clear()
        get_engine.cache_clear()
        from service.accounts.sessions import create_api_key
        from service.accounts.users import create_user
        from service.core.db import session_scope
        from service.core.migrate import upgrade

        upgrade(self.url)
        with session_scope() as s:
            user = create_user(s, email="p@bench", role="platform", password="bench-password-1")
            key, secret = create_api_key(s, user, "bench")
            basic = base64.b64encode(f"{key.client_id}:{secret}".encode()).decode()
            self.user_id = user.id
        self.headers = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}
        self.load_seconds = _load(self.raw, self.rows)
        print(f"# lrs: loaded {self.rows:,} statements in {self.load_seconds:.0f} s", flush=True)
        from service.app import create_app

        self.client = TestClient(create_app(start_relay=False))
        self.client.__enter__()
        self.plain = psycopg.connect(self.raw)
        self._post(self._statements(50), 50)  # warm: imports, pools, prepared plans
        self._plain(self._statements(50), 50)
        self._query_setup()

    def _query_setup(self) -> None:
        from sqlmodel import Session

        from service.accounts.access import Principal
        from service.core.db import get_engine
        from service.lrs.access import LrsCaller, authority_for

        self.caller = LrsCaller(
            Principal(self.user_id, "platform", None), authority_for("https://x", "bench")
        )
        self.session = Session(get_engine())

    # --- writes -------------------------------------------------------------------------------

    def _statements(self, count: int) -> list[dict]:
        return [_statement(self.rng) for _ in range(count)]

    def _post(self, statements: list[dict], batch: int) -> float:
        start = time.perf_counter()
        for i in range(0, len(statements), batch):
            chunk = statements[i : i + batch]
            r = self.client.post("/xAPI/statements", json=chunk, headers=self.headers)
            check(r.status_code == 200, f"POST /xAPI/statements: {r.status_code} {r.text[:500]}")
            check(r.json() == [s["id"] for s in chunk], "POST answered other ids than sent")
        seconds = time.perf_counter() - start
        with self.plain.cursor() as cur:
            stored = cur.execute(
                "SELECT count(*) FROM lrs_statement WHERE statement_id = ANY(%s)",
                ([uuid.UUID(s["id"]) for s in statements],),
            ).fetchone()[0]
        self.plain.commit()
        check(stored == len(statements), f"{stored} of {len(statements)} statements stored")
        return seconds

    def _plain(self, statements: list[dict], batch: int) -> float:
        rows = [_plain_row(s, self.user_id) for s in statements]
        with self.plain.cursor() as cur:
            start = time.perf_counter()
            for i in range(0, len(rows), batch):
                cur.executemany(PLAIN_INSERT, rows[i : i + batch])
                self.plain.commit()
            seconds = time.perf_counter() - start
        return seconds

    # --- queries ------------------------------------------------------------------------------

    def _query_cases(self) -> dict:
        from service.lrs.query import StatementQuery

        rng = random.Random(3)
        since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
        registrations = self.rows // 20
        return {
            "registration": lambda: StatementQuery(
                registration=str(uuid.UUID(int=rng.randrange(registrations) + 1)), limit=PAGE
            ),
            "verb": lambda: StatementQuery(verb=VERBS[3], since=since, limit=PAGE),
            "activity": lambda: StatementQuery(
                activity=f"https://bench.test/activity/{rng.randrange(10_000)}", limit=PAGE
            ),
            "agent": lambda: StatementQuery(
                agent=f"Agent|mbox:mailto:p{rng.randrange(100_000)}@bench.test", limit=PAGE
            ),
        }

    def _first_page(self, make, runs: int, settings: tuple[str, ...] = ()) -> float:
        """Median seconds of ``run_query``'s first page, each run in its own transaction."""
        from service.lrs.query import run_query

        times = []
        for _ in range(runs):
            for setting in settings:
                self.session.execute(text(f"SET LOCAL {setting}"))
            start = time.perf_counter()
            page = run_query(self.session, make(), self.caller)
            times.append(time.perf_counter() - start)
            check(len(page.statements) <= PAGE, "a first page longer than the limit")
            self.session.rollback()
        return statistics.median(times)

    # --- a round ------------------------------------------------------------------------------

    def round(self) -> list[Figure]:
        figures = []
        for batch in (1, 50):
            count = self.posts[batch]
            statements = self._statements(count)
            api = self._post(statements, batch)
            plain = self._plain(statements, batch)
            base = f"plain{batch}"
            figures += [
                Figure(base, f"plain executemany, batches of {batch}", rate(count, plain), "/s"),
                Figure(
                    f"post{batch}",
                    f"POST /xAPI/statements, batches of {batch}",
                    rate(count, api),
                    "/s",
                    baseline=base,
                    goal=0.3 if batch == 50 else None,
                ),
            ]
        label = f"{self.rows // 1000:,}k"
        for name, make in self._query_cases().items():
            scan = self._first_page(make, 1, SEQ_ONLY)
            indexed = self._first_page(make, 11)
            figures += [
                Figure(
                    f"scan_{name}",
                    f"first page by {name}, sequential scan ({label})",
                    scan * 1000,
                    "ms",
                    "lower",
                ),
                Figure(
                    f"page_{name}",
                    f"first page by {name}, indexed ({label})",
                    indexed * 1000,
                    "ms",
                    "lower",
                    baseline=f"scan_{name}",
                ),
            ]
        return figures

    def close(self) -> None:
        from service.core.db import get_engine

        if self.session is not None:
            self.session.close()
        if self.client is not None:
            self.client.__exit__(None, None, None)
        if self.plain is not None:
            self.plain.close()
        get_engine().dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        self.admin.dispose()


def _load(raw: str, rows: int) -> float:
    """COPY ``rows`` statements (20 per registration, 10,000 activities, 100,000 people, a year
    of ``stored``) with the indexes dropped, then rebuild them and ANALYZE; the seconds taken."""
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
        for definition, _ in indexes:
            cur.execute(definition)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('lrs_statement', 'seq'),"
            " (SELECT max(seq) FROM lrs_statement))"
        )
        cur.execute("VACUUM ANALYZE")
    return time.perf_counter() - t0


def open_bench(scale: Scale) -> LrsBench:
    return LrsBench(scale)


if __name__ == "__main__":
    main_for("lrs", open_bench)

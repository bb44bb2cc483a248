"""Tallies at the plan's scale on PostgreSQL, each figure next to naive SQL over the source rows.

Set-up (once): a scratch database, migrated, filled by ``skills demo-data``'s loader
(1,200,000 completions; ``--quick``: 50,000). Each round then times, once each,

- ``target_progress`` of the 1,200,000 person-time target (achieved, per year, trailing 90 days)
  against naive ``COUNT`` queries over the enrollments;
- a declared grouping (year x district x cluster: sums from the rollup cells, distinct learners
  from the declared distinct cells);
- an undeclared three-dimension combination (training_type x funding x level: distinct learners
  are person-times minus repeats from ``tally_overlap``), limit 500 ms;

each breakdown against the naive aggregate (enrollments joined to learners and offerings, hours
summed from the ledger, ``COUNT(DISTINCT learner)``), and checks both give the same numbers.

    uv run python -m bench --only tallies [--rounds N] [--quick]
    (``SKILLS_BENCH_DATABASE_URL``: the server; default the local ``test`` database)
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Scale, check, main_for, timed  # noqa: E402
from service.core.db import normalise_url  # noqa: E402

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
METRICS = ("person_times", "distinct_learners", "minutes", "hours", "credentials")

NAIVE_BREAKDOWN = """
SELECT {dims}, count(*) AS person_times, count(DISTINCT e.learner_id) AS learners,
       coalesce(sum(h.minutes), 0) AS minutes
FROM enrollment e
JOIN learner l ON l.id = e.learner_id
JOIN offering o ON o.id = e.offering_id
LEFT JOIN (SELECT enrollment_id, sum(minutes) AS minutes FROM hours_entry GROUP BY enrollment_id)
     h ON h.enrollment_id = e.id
WHERE e.state = 'completed'
GROUP BY {dims}
"""
NAIVE_TARGET = """
SELECT e.completion_year, count(*) FROM enrollment e
WHERE e.state = 'completed'
  AND (e.completed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN :start AND :end
GROUP BY e.completion_year
"""
NAIVE_WINDOW = """
SELECT count(*) FROM enrollment e WHERE e.state = 'completed'
  AND (e.completed_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN :start AND :end
"""
BREAKDOWNS = (
    (
        "declared",
        ["year", "district", "cluster"],
        "e.completion_year, l.district_code, o.cluster_version, o.cluster_code",
        "breakdown year x district x cluster (declared)",
        None,
    ),
    (
        "undeclared",
        ["training_type", "funding", "level"],
        "o.training_type, o.funding, o.level",
        "breakdown type x funding x level (any 3 dims)",
        0.5,
    ),
)


class TalliesBench:
    name = "tallies"

    def __init__(self, scale: Scale) -> None:
        self.completions = scale.pick(1_200_000, 50_000)
        server = make_url(normalise_url(scale.env.get("SKILLS_BENCH_DATABASE_URL", DEFAULT_SERVER)))
        self.db_name = f"skills_bench_tallies_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        self.session = None
        try:
            self._load(server.set(database=self.db_name).render_as_string(hide_password=False))
        except BaseException:
            self.close()
            raise

    def _load(self, url: str) -> None:
        os.environ.update(
            {"SKILLS_DATABASE_URL": url, "SKILLS_ENV": "test", "SKILLS_LOG_LEVEL": "WARNING"}
        )
        from sqlmodel import Session

        from service.core.db import get_engine
        from service.core.migrate import upgrade
        from service.core.settings import get_settings
        from service.tallies import demo_data

        get_settings.cache_clear()
        get_engine.cache_clear()
        upgrade(url)
        self.engine = get_engine()
        start = time.perf_counter()
        result = demo_data.load(
            self.engine,
            get_settings().master_key_bytes(),
            completions=self.completions,
            seed=7,
            echo=lambda m: print(f"#   loaded: {m}", flush=True),
        )
        print(
            f"# load of {self.completions:,} completions: {time.perf_counter() - start:.0f} s ("
            + ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
            + ")",
            flush=True,
        )
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("enrollment", "learner", "offering", "hours_entry"):
                conn.execute(text(f"ANALYZE {table}"))
            sizes = conn.execute(
                text(
                    "SELECT relname, n_live_tup FROM pg_stat_user_tables "
                    "WHERE relname LIKE 'tally%' ORDER BY relname"
                )
            ).all()
        print("# rollup rows: " + ", ".join(f"{n} {c:,}" for n, c in sizes), flush=True)
        self.session = Session(self.engine)
        self._serve()

    def _serve(self) -> None:
        """The API over real HTTP, signed in as an administrator: what a dashboard calls."""
        import httpx
        from sqlmodel import Session

        from bench.live_server import free_port, serve
        from service.accounts.users import create_user
        from service.app import create_app
        from service.core.settings import get_settings

        email, password = "bench-admin@example.gov.cn", "bench-password-1"
        with Session(self.engine) as s:
            create_user(s, email=email, role="admin", password=password)
            s.commit()
        port = free_port()
        self.server, _thread = serve(create_app(get_settings(), start_relay=False), port)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300)
        signed = self.http.post(
            "/api/v1/auth/token", data={"username": email, "password": password}
        )
        check(signed.status_code == 200, f"sign-in: {signed.status_code} {signed.text[:200]}")
        self.http.headers["Authorization"] = f"Bearer {signed.json()['access_token']}"

    # --- one round --------------------------------------------------------------------------

    def _target(self) -> list[Figure]:
        from service.core.timeutil import CITY_TZ, utcnow
        from service.tallies.projection import target_progress

        today = utcnow().astimezone(CITY_TZ).date()
        fast, progress = timed(lambda: target_progress(self.session, "person_times", today))

        def naive():
            rows = self.session.execute(
                text(NAIVE_TARGET), {"start": date(2023, 1, 1), "end": date(2027, 12, 31)}
            ).all()
            window = self.session.execute(
                text(NAIVE_WINDOW), {"start": today - timedelta(days=89), "end": today}
            ).scalar_one()
            return {int(y): int(n) for y, n in rows}, int(window)

        slow, (per_year, window) = timed(naive)
        check(
            progress["achieved"] == sum(per_year.values()) == self.completions,
            f"target achieved {progress['achieved']} != naive {sum(per_year.values())}",
        )
        check(
            {y["year"]: y["person_times"] for y in progress["per_year"]} == per_year,
            "target per year differs from the naive count",
        )
        check(progress["recent_window"]["gained"] == window, "trailing window differs")
        return [
            Figure("target_naive", "target progress: naive SQL", slow * 1000, "ms", "lower"),
            Figure(
                "target", "target progress (person-times)", fast * 1000, "ms", "lower",
                "target_naive",
            ),
        ]  # fmt: skip

    def _breakdown(self, key, dims, cols, label, limit) -> list[Figure]:
        from service.tallies.queries import breakdown

        fast, page = timed(lambda: breakdown(self.session, dims, {}, limit=1000))
        slow, rows = timed(
            lambda: self.session.execute(text(NAIVE_BREAKDOWN.format(dims=cols))).all()
        )
        got = {
            tuple(v for k, v in item.items() if k not in METRICS): (
                item["person_times"],
                item["distinct_learners"],
                item["minutes"],
            )
            for item in page["items"]
        }
        want = {tuple(r[:-3]): (int(r[-3]), int(r[-2]), int(r[-1])) for r in rows}
        check(page["total"] == len(want) <= 1000, f"{label}: {page['total']} groups, {len(want)}")
        check(got == want, f"{label}: figures differ from the naive query")
        check(
            page["totals"]["person_times"] == self.completions,
            f"{label}: totals {page['totals']['person_times']}",
        )
        naive_key = f"{key}_naive"
        ms = limit and limit * 1000
        figures = [
            Figure(naive_key, f"{label}: naive SQL", slow * 1000, "ms", "lower"),
            Figure(key, label, fast * 1000, "ms", "lower", naive_key, limit=ms),
        ]
        if limit is not None:  # the goal's grouping, also as a dashboard asks for it
            http = self._over_http(dims, label, sorted(want.values()))
            figures.append(
                Figure(f"{key}_http", f"{label}, GET /api/v1/tallies", http * 1000, "ms",
                       "lower", naive_key, limit=ms)
            )  # fmt: skip
        return figures

    def _over_http(self, dims: list[str], label: str, want: list[tuple]) -> float:
        """Seconds for GET /api/v1/tallies of this grouping (one page of at most 200 groups),
        its figures checked against the naive query's."""
        seconds, answer = timed(
            lambda: self.http.get(
                "/api/v1/tallies", params={"group_by": ",".join(dims), "limit": 200}
            )
        )
        check(answer.status_code == 200, f"{label} over HTTP: {answer.status_code}")
        items = answer.json()["items"]
        got = sorted((i["person_times"], i["distinct_learners"], i["minutes"]) for i in items)
        check(got == want, f"{label} over HTTP: figures differ from the naive query")
        return seconds

    def round(self) -> list[Figure]:
        figures = self._target()
        for spec in BREAKDOWNS:
            figures += self._breakdown(*spec)
        return figures

    def close(self) -> None:
        if getattr(self, "server", None) is not None:
            self.http.close()
            self.server.should_exit = True
        if self.session is not None:
            self.session.close()
        from service.core.db import get_engine

        get_engine().dispose()
        get_engine.cache_clear()
        with self.admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": self.db_name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}"'))
        self.admin.dispose()


def open_bench(scale: Scale) -> TalliesBench:
    return TalliesBench(scale)


if __name__ == "__main__":
    main_for("tallies", open_bench)

"""Tallies at the plan's scale on PostgreSQL.

Loads a synthetic city with ``skills demo-data``'s loader (default 1,200,000 completions), then
prints the median and p99 latency of

- ``target_progress`` (the 1,200,000 person-time target: achieved, per year, trailing 90 days),
- a three-dimension breakdown served from the rollups and declared distinct cells
  (year x district x cluster),
- a three-dimension breakdown that is *not* a declared distinct set (training_type x funding x
  level: sums from the cells, distinct learners counted from the completion facts),

each next to the naive aggregate over the source rows (enrollments joined to learners and
offerings, hours summed from the ledger) measured in the same run, with the ratio, and checks
that both sides give the same numbers.

    SKILLS_BENCH_DATABASE_URL=postgresql://... uv run python bench/bench_tallies.py [COMPLETIONS]

(or ``BENCH_COMPLETIONS``). A scratch database is created in that server, migrated with
``service.core.migrate.upgrade`` and dropped at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.core.db import normalise_url  # noqa: E402

SERVER = os.environ.get("SKILLS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
COMPLETIONS = int(
    sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_COMPLETIONS", "1200000")
)
FAST_RUNS = int(os.environ.get("BENCH_RUNS", "60"))
NAIVE_RUNS = int(os.environ.get("BENCH_NAIVE_RUNS", "7"))


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


def timed(fn, runs: int) -> tuple[list[float], object]:
    result = fn()  # warm-up, and the value compared
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples, result


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def report(label: str, fast: list[float], naive: list[float]) -> None:
    fm, nm = statistics.median(fast), statistics.median(naive)
    print(
        f"{label:<44} tallies median {fm:8.2f} ms  p99 {p99(fast):8.2f} ms | "
        f"naive median {nm:9.2f} ms  p99 {p99(naive):9.2f} ms | {nm / fm:7.1f}x"
    )


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


def run(url: str) -> None:
    os.environ.update(
        {"SKILLS_DATABASE_URL": url, "SKILLS_ENV": "test", "SKILLS_LOG_LEVEL": "WARNING"}
    )
    from sqlmodel import Session

    from service.core.db import get_engine
    from service.core.migrate import upgrade
    from service.core.settings import get_settings
    from service.core.timeutil import CITY_TZ, utcnow
    from service.tallies import demo_data
    from service.tallies.projection import target_progress
    from service.tallies.queries import breakdown, iter_breakdown

    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(url)
    engine = get_engine()
    print(f"PostgreSQL scratch database, {COMPLETIONS:,} completions")
    start = time.perf_counter()
    result = demo_data.load(
        engine,
        get_settings().master_key_bytes(),
        completions=COMPLETIONS,
        seed=7,
        echo=lambda m: print("  loaded:", m, flush=True),
    )
    load_seconds = time.perf_counter() - start
    print(
        f"load: {load_seconds:.1f} s total "
        + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        + f"; {result.learners:,} learners, {result.offerings:,} offerings, "
        f"{result.enrollments:,} enrollments"
    )
    with engine.connect() as conn:
        for table in ("enrollment", "learner", "offering", "hours_entry"):
            conn.execute(text(f"ANALYZE {table}"))
        conn.commit()
        sizes = conn.execute(
            text(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname LIKE 'tally%' "
                "ORDER BY relname"
            )
        ).all()
    print("rollup rows: " + ", ".join(f"{n} {c:,}" for n, c in sizes))

    today = utcnow().astimezone(CITY_TZ).date()
    with Session(engine) as session:
        # 1. the target call
        fast, progress = timed(lambda: target_progress(session, "person_times", today), FAST_RUNS)

        def naive_target():
            rows = session.execute(
                text(NAIVE_TARGET), {"start": date(2023, 1, 1), "end": date(2027, 12, 31)}
            ).all()
            window = session.execute(
                text(NAIVE_WINDOW), {"start": today - timedelta(days=89), "end": today}
            ).scalar_one()
            return {int(y): int(n) for y, n in rows}, int(window)

        naive, (per_year, window) = timed(naive_target, NAIVE_RUNS)
        assert progress["achieved"] == sum(per_year.values()) == COMPLETIONS, progress
        assert {y["year"]: y["person_times"] for y in progress["per_year"]} == per_year
        assert progress["recent_window"]["gained"] == window
        report("target_progress (person_times)", fast, naive)
        print(
            f"  achieved {progress['achieved']:,} ({progress['percent']}%), recent pace "
            f"{progress['recent_pace_per_day']}/day, needed {progress['pace_needed_per_day']}/day,"
            f" projected {progress['projected_date']}, on track {progress['on_track']}"
        )

        # 2. and 3. three-dimension breakdowns
        for dims, cols, label in (
            (
                ["year", "district", "cluster"],
                "e.completion_year, l.district_code, o.cluster_version, o.cluster_code",
                "breakdown year x district x cluster",
            ),
            (
                ["training_type", "funding", "level"],
                "o.training_type, o.funding, o.level",
                "breakdown type x funding x level (facts)",
            ),
        ):
            fast, page = timed(lambda d=dims: breakdown(session, d, {}, limit=1000), FAST_RUNS)
            naive, rows = timed(
                lambda c=cols: session.execute(text(NAIVE_BREAKDOWN.format(dims=c))).all(),
                NAIVE_RUNS,
            )
            got = {
                tuple(
                    v
                    for k, v in item.items()
                    if k not in ("person_times", "distinct_learners", "minutes", "hours",
                                 "credentials")
                ): (item["person_times"], item["distinct_learners"], item["minutes"])
                for item in iter_breakdown(session, dims, {})
            }  # fmt: skip
            want = {tuple(r[:-3]): (int(r[-3]), int(r[-2]), int(r[-1])) for r in rows}
            assert got == want, (label, len(got), len(want))
            assert page["total"] == len(want)
            report(label, fast, naive)
            print(
                f"  {len(want):,} groups, identical to the naive query; sources {page['sources']}"
            )
    print("all figures identical between the tallies and the source rows")


if __name__ == "__main__":
    main()

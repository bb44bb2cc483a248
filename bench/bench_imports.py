"""An attendance spreadsheet imported end to end, against plain INSERTs of the same rows, on
PostgreSQL.

The service runs as ``skills serve`` with its embedded worker on a scratch database
(:mod:`bench.training_service`); a trainer's ``learners`` are enrolled in one classroom
offering. Each round writes a new XLSX of ``learners x days`` attendance rows (one 90-minute
session per learner on each of ``days`` days not used before; 100,000 rows at full scale) and:

- ``import``: uploads it to ``POST /api/v1/imports`` and polls ``GET /api/v1/imports/{id}``
  until ``done``: upload, the whole-file check, every row through the ledger's guards (GB 11643
  lookup by ID number, enrolment, daily cap, overlap, idempotency), the outcomes stored for the
  report. Checked: every row ``accepted``;
- ``insert`` (the baseline): the same rows into ``hours_entry`` with psycopg ``executemany``, a
  commit per 500, repeated to at least a second of work;
- ``rss``: the peak resident set of the process that ran the import (the largest of the
  service's processes: API, embedded worker, its pool), and of all of them together.

Goals: the import at least 25% of the plain insert's rate; peak RSS under 300 MB.

    uv run python -m bench --only imports [--quick]   (or: uv run python bench/bench_imports.py)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_hours_batch import INSERT  # noqa: E402
from bench.harness import Figure, Scale, check, main_for, rate  # noqa: E402
from bench.training_service import TrainingService, expect, id_number  # noqa: E402

BATCH = 500
WINDOW_DAYS = 730
BASELINE_SECONDS = 1.0
HEADER = ["身份证号", "培训班ID", "日期", "开始时间", "结束时间", "方式"]


class ImportsBench:
    name = "imports"

    def __init__(self, scale: Scale) -> None:
        self.learners = scale.pick(1000, 100)
        self.days = scale.pick(100, 10)
        self.rounds = 0
        self.service = TrainingService("imports", worker=True)
        self.folder = Path(tempfile.mkdtemp(prefix="skills-bench-imports-"))
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def _setup(self) -> None:
        from service.core.timeutil import CITY_TZ

        today = datetime.now(CITY_TZ).date()
        self.start = today - timedelta(days=WINDOW_DAYS)
        self.offering, pairs = self.service.classroom(
            self.learners, starts_on=self.start, ends_on=today, required_minutes=100_000
        )
        self.pairs = [(i, enrolment, learner) for i, (enrolment, learner) in enumerate(pairs)]

    def _days(self) -> list[date]:
        first = self.rounds * self.days + 1
        check(first + self.days < WINDOW_DAYS, "no new days left in the offering's window")
        self.rounds += 1
        return [self.start + timedelta(days=d) for d in range(first, first + self.days)]

    def _write(self, days: list[date]) -> Path:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("attendance")
        sheet.append(HEADER)
        offering = self.offering["id"]
        for day in days:
            for i, _, _ in self.pairs:
                sheet.append([id_number(i), offering, day.isoformat(), "09:00", "10:30", "面授"])
        path = self.folder / f"attendance-{self.rounds}.xlsx"
        book.save(path)
        return path

    def _import(self, path: Path) -> tuple[float, dict]:
        svc = self.service
        with svc.client() as client:
            started = time.perf_counter()
            with path.open("rb") as handle:
                created = expect(
                    client.post(
                        "/api/v1/imports",
                        data={"kind": "attendance"},
                        files={"file": (path.name, handle, "application/octet-stream")},
                        headers=svc.trainer,
                        timeout=600,
                    ),
                    202,
                )
            while True:
                state = expect(client.get(created["links"]["self"], headers=svc.trainer), 200)
                if state["status"] in ("done", "refused", "failed"):
                    break
                check(time.perf_counter() - started < 3600, "the import never finished")
                time.sleep(0.1)
            return time.perf_counter() - started, state

    def round(self) -> list[Figure]:
        days = self._days()
        path = self._write(days)
        n = len(days) * len(self.pairs)
        try:
            seconds, state = self._import(path)
        finally:
            os.unlink(path)
        check(state["status"] == "done", f"import: {state['status']} {state.get('refusal')}")
        counts = (state["rows_total"], state["accepted"], state["duplicate"], state["rejected"])
        check(counts == (n, n, 0, 0), f"import counts: {counts}")
        inserted, insert_seconds = self._baseline(days)
        peaks = self.service.peak_rss_mb()
        return [
            Figure(
                "insert",
                "plain INSERT of the same rows (executemany)",
                rate(inserted, insert_seconds),
                "/s",
            ),
            Figure(
                "import",
                f"attendance XLSX import, {n:,} rows, upload to done",
                rate(n, seconds),
                "/s",
                baseline="insert",
                goal=0.25,
            ),
            Figure(
                "rss",
                "peak RSS of the process that ran the import (the largest of the service's)",
                max(peaks.values()),
                "MB",
                better="lower",
                limit=300,
            ),
            Figure(
                "rss_all",
                f"peak RSS of the service's {len(peaks)} processes together (API, worker, pool)",
                sum(peaks.values()),
                "MB",
                better="lower",
            ),
        ]

    def _baseline(self, days: list[date]) -> tuple[int, float]:
        from service.core.timeutil import CITY_TZ

        now = datetime.now().astimezone()
        inserted, seconds, passes = 0, 0.0, 0
        with self.service.psycopg() as conn, conn.cursor() as cur:
            while seconds < BASELINE_SECONDS:
                rows = []
                for day in days:
                    at = datetime(day.year, day.month, day.day, 9, tzinfo=CITY_TZ)
                    for i, enrolment, learner in self.pairs:
                        rows.append(
                            (
                                uuid.uuid4(),
                                enrolment,
                                learner,
                                "import",
                                f"raw-{self.rounds}-{passes}-{i}-{day}",
                                at,
                                at + timedelta(minutes=90),
                                90,
                                False,
                                now,
                            )
                        )
                started = time.perf_counter()
                for i in range(0, len(rows), BATCH):
                    cur.executemany(INSERT, rows[i : i + BATCH])
                    conn.commit()
                seconds += time.perf_counter() - started
                inserted += len(rows)
                passes += 1
        return inserted, seconds

    def close(self) -> None:
        import shutil

        self.service.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def open_bench(scale: Scale) -> ImportsBench:
    return ImportsBench(scale)


if __name__ == "__main__":
    main_for("imports", open_bench)

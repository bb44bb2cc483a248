"""The hours batch API against plain INSERTs of the same rows, on PostgreSQL.

The service runs as ``skills serve`` on a scratch database (:mod:`bench.training_service`);
a trainer's learners are enrolled in one classroom offering, and the ledger already holds
``history`` earlier sessions per learner (inserted directly, then ANALYZE, as a running database
has statistics). Each round, over HTTP, in batches of 500 (one client, as an import sends them):

- ``api``: new entries (one 90-minute session per learner on each of ``days`` days not used
  before) through ``POST /api/v1/hours/batch`` with every guard on: idempotency by source +
  external id, daily cap, overlap, enrolment state and dates, online share. Checked: every
  entry ``accepted``;
- ``again``: the same batches once more. Checked: every entry ``duplicate``;
- ``insert`` (the baseline): the same rows (other external ids) with psycopg ``executemany``,
  a commit per batch, repeated to at least a second of work.

Goal: the API writes at least 30% of the plain insert's rate.

    uv run python -m bench --only hours [--quick]   (or: uv run python bench/bench_hours_batch.py)

To see where the API's time goes, run ``py-spy record -p <pid of skills serve>`` during a round.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Scale, check, main_for, rate  # noqa: E402
from bench.training_service import TrainingService, expect  # noqa: E402

BATCH = 500
WINDOW_DAYS = 730  # the offering's span: room for many rounds of new days
BASELINE_SECONDS = 1.0
INSERT = (
    "INSERT INTO hours_entry (id, enrollment_id, learner_id, source, external_id,"
    " started_at, ended_at, minutes, online, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


class HoursBench:
    name = "hours"

    def __init__(self, scale: Scale) -> None:
        self.learners = scale.pick(500, 100)
        self.days = scale.pick(20, 5)
        self.history = scale.pick(100, 10)
        self.rounds = 0
        self.service = TrainingService("hours")
        try:
            self._setup()
        except BaseException:
            self.service.close()
            raise

    def _setup(self) -> None:
        from service.core.timeutil import CITY_TZ

        today = datetime.now(CITY_TZ).date()
        self.start = today - timedelta(days=WINDOW_DAYS)
        _, self.pairs = self.service.classroom(
            self.learners, starts_on=self.start, ends_on=today, required_minutes=100_000
        )
        self._history()

    def _history(self) -> None:
        """Earlier sessions in the months before the offering's window, so no guard trips on
        them; then ANALYZE."""
        from service.core.timeutil import CITY_TZ

        rows = []
        for n in range(self.history):
            day = self.start - timedelta(days=400 - n)
            at = datetime(day.year, day.month, day.day, 9, tzinfo=CITY_TZ)
            for enrolment, learner in self.pairs:
                rows.append(
                    (
                        uuid.uuid4(),
                        enrolment,
                        learner,
                        "classroom",
                        f"old-{enrolment}-{n}",
                        at,
                        at + timedelta(minutes=90),
                        90,
                        False,
                        at,
                    )
                )
        with self.service.psycopg() as conn, conn.cursor() as cur:
            cur.executemany(INSERT, rows)
            conn.commit()
            cur.execute("ANALYZE")

    def _entries(self) -> list[dict]:
        from service.core.timeutil import CITY_TZ

        first = self.rounds * self.days + 1
        check(first + self.days < WINDOW_DAYS, "no new days left in the offering's window")
        self.rounds += 1
        entries = []
        for d in range(first, first + self.days):
            day: date = self.start + timedelta(days=d)
            at = datetime(day.year, day.month, day.day, 9, tzinfo=CITY_TZ)
            for enrolment, _ in self.pairs:
                entries.append(
                    {
                        "enrollment_id": str(enrolment),
                        "source": "classroom",
                        "external_id": f"api-{enrolment}-{d}",
                        "started_at": at.isoformat(),
                        "ended_at": (at + timedelta(minutes=90)).isoformat(),
                    }
                )
        return entries

    def _send(self, client, entries: list[dict]) -> tuple[float, dict]:
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        started = time.perf_counter()
        for i in range(0, len(entries), BATCH):
            response = client.post(
                "/api/v1/hours/batch",
                json={"entries": entries[i : i + BATCH]},
                headers=self.service.trainer,
            )
            body = expect(response, 200)
            for key in counts:
                counts[key] += body[key]
        return time.perf_counter() - started, counts

    def round(self) -> list[Figure]:
        entries = self._entries()
        n = len(entries)
        with self.service.client() as client:
            api_seconds, first = self._send(client, entries)
            check(first == {"accepted": n, "duplicate": 0, "rejected": 0}, f"first: {first}")
            again_seconds, second = self._send(client, entries)
            check(second == {"accepted": 0, "duplicate": n, "rejected": 0}, f"again: {second}")
        inserted, insert_seconds = self._baseline(entries)
        return [
            Figure(
                "insert",
                "plain INSERT of the same rows (executemany)",
                rate(inserted, insert_seconds),
                "/s",
            ),
            Figure(
                "api",
                f"POST /api/v1/hours/batch, new entries ({BATCH} a batch)",
                rate(n, api_seconds),
                "/s",
                baseline="insert",
                goal=0.3,
            ),
            Figure(
                "again",
                "POST /api/v1/hours/batch, the same batches again (duplicates)",
                rate(n, again_seconds),
                "/s",
                baseline="insert",
            ),
        ]

    def _baseline(self, entries: list[dict]) -> tuple[int, float]:
        learner_of = dict(self.pairs)
        now = datetime.now().astimezone()
        inserted, seconds, passes = 0, 0.0, 0
        with self.service.psycopg() as conn, conn.cursor() as cur:
            while seconds < BASELINE_SECONDS:
                rows = [
                    (
                        uuid.uuid4(),
                        uuid.UUID(e["enrollment_id"]),
                        learner_of[uuid.UUID(e["enrollment_id"])],
                        "import",
                        f"raw-{self.rounds}-{passes}-{e['external_id']}",
                        datetime.fromisoformat(e["started_at"]),
                        datetime.fromisoformat(e["ended_at"]),
                        90,
                        False,
                        now,
                    )
                    for e in entries
                ]
                started = time.perf_counter()
                for i in range(0, len(rows), BATCH):
                    cur.executemany(INSERT, rows[i : i + BATCH])
                    conn.commit()
                seconds += time.perf_counter() - started
                inserted += len(rows)
                passes += 1
        return inserted, seconds

    def close(self) -> None:
        self.service.close()


def open_bench(scale: Scale) -> HoursBench:
    return HoursBench(scale)


if __name__ == "__main__":
    main_for("hours", open_bench)

"""Enrolments per second on PostgreSQL, every subsidy and capacity rule checked, against plain
INSERTs of the same rows.

The service runs as ``skills serve`` on a scratch database (:mod:`bench.training_service`).
Each round opens one new subsidised offering with exactly as many seats as there are learners
and sends one ``POST /api/v1/enrollments`` per learner, as the smart education platform would
(its service token, ``learner_id`` in the body), 16 at a time over keep-alive HTTP from this
process. Every learner already has two *completed* subsidised trainings this year: half of them
in the offering's occupation at its level and one above (so the same-level and lower-after-
higher rules refuse the subsidy), half in other occupations (granted, with the annual limit
counting two of three). Checked: every response is 201, exactly the expected half is
subsidised, the offering is then full (``seats_taken`` = capacity, one more learner gets 409).

The baseline, in the same round: the rows those requests wrote, copied (new ids, an offering
of their own per pass) with psycopg ``executemany`` in passes of the same size, one commit
per pass, repeated to at least a second of work. The ratio is the price of the whole request
(HTTP, authentication, the learner lock, the rules, the seat, the audit entry, one commit each).

    uv run python -m bench --only enrolments [--quick]   (or: uv run python bench/bench_training.py)

``SKILLS_BENCH_DATABASE_URL`` names the server (default the local ``test`` database).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Scale, check, main_for, rate  # noqa: E402
from bench.training_service import (  # noqa: E402
    DISTRICT,
    TrainingService,
    concurrently,
    expect,
    id_number,
)

CONCURRENCY = 16
OCCUPATION, OTHERS = "6-31-01-03", ("4-03-02-01", "4-01-02-02")
BASELINE_SECONDS = 1.0


class EnrolmentBench:
    name = "enrolments"

    def __init__(self, scale: Scale) -> None:
        self.count = scale.pick(2000, 300)
        self.offerings = int(os.environ.get("BENCH_OFFERINGS", "8"))
        self.hot = scale.pick(500, 100)  # enrolments into the one offering
        self.service = TrainingService("enrol")
        try:
            self._setup()
        except BaseException:
            self.service.close()
            raise

    # ---- setup ---------------------------------------------------------------------------------

    def _offering(self, client, *, occupation: str, level: int, capacity: int, **dates) -> dict:
        today = date.today()
        body = {
            "title": "bench",
            "occupation_code": occupation,
            "level": level,
            "training_type": "employment",
            "funding": "subsidised",
            "mode": "offline",
            "required_minutes": 600,
            "capacity": capacity,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=60)).isoformat(),
            "district_code": DISTRICT,
        } | dates
        response = client.post("/api/v1/offerings", json=body, headers=self.service.trainer)
        return expect(response, 201)

    def _setup(self) -> None:
        svc = self.service

        def register(client, i):
            return client.post(
                "/api/v1/learners",
                json={"id_number": id_number(i), "name": "bench", "district_code": DISTRICT},
                headers=svc.trainer,
            )

        # one more than the seats: the one who finds the offering full
        made = concurrently(svc, range(self.count + 1), register, CONCURRENCY)
        ids = [uuid.UUID(expect(r, 201)["id"]) for r in made]
        self.learners, self.latecomer = ids[:-1], ids[-1]
        self.index = {learner: n for n, learner in enumerate(self.learners)}
        check(len(set(self.learners)) == self.count, "learners were not all distinct")
        with svc.client() as client:
            earlier = {
                key: self._offering(client, occupation=code, level=level, capacity=100_000)["id"]
                for key, code, level in (
                    ("same", OCCUPATION, 5),
                    ("higher", OCCUPATION, 4),
                    ("other1", OTHERS[0], 5),
                    ("other2", OTHERS[1], 5),
                )
            }
        # The history the rules read: two completed subsidised trainings each, this year.
        year = date.today().year
        now = datetime.now().astimezone()
        rows = []
        for n, learner in enumerate(self.learners):
            for key in ("same", "higher") if n % 2 == 0 else ("other1", "other2"):
                rows.append((uuid.uuid4(), learner, earlier[key], uuid.uuid4(), year, now))
        with svc.psycopg() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO enrollment (id, learner_id, offering_id, registration, state,"
                " subsidy_requested, subsidised, subsidy_year, package_completed, created_at,"
                " completed_at, completion_year)"
                " VALUES (%s, %s, %s, %s, 'completed', true, true, %s, false, %s, %s, %s)",
                [(*r, r[-1], year) for r in rows],
            )
            conn.commit()
            cur.execute("ANALYZE")

    # ---- a round -------------------------------------------------------------------------------

    def _enrol(self, pairs: list[tuple[uuid.UUID, str]]) -> tuple[float, list[dict]]:
        """``(seconds, bodies)`` of one POST per (learner, offering), 16 at a time; all 201."""
        svc = self.service

        def enrol(client, pair):
            learner_id, offering_id = pair
            return client.post(
                "/api/v1/enrollments",
                json={"offering_id": offering_id, "learner_id": str(learner_id)},
                headers=svc.platform,
            )

        started = time.perf_counter()
        responses = concurrently(svc, pairs, enrol, CONCURRENCY)
        seconds = time.perf_counter() - started
        bodies = [expect(r, 201) for r in responses]
        check(len(bodies) == len(pairs), f"{len(bodies)} of {len(pairs)} enrolments answered")
        granted = sum(1 for b in bodies if b["subsidised"])
        expected = sum(1 for learner, _ in pairs if self.index[learner] % 2 == 1)
        check(granted == expected, f"{granted} subsidised, expected {expected}")
        check(all(b["subsidy_decision"] is not None for b in bodies), "a decision is missing")
        return seconds, bodies

    def _check_full(self, seats: dict[str, int]) -> None:
        """Each offering holds exactly its capacity, and one more learner is refused (409)."""
        svc = self.service
        with svc.client() as client:
            for offering_id, capacity in seats.items():
                full = client.post(
                    "/api/v1/enrollments",
                    json={"offering_id": offering_id, "learner_id": str(self.latecomer)},
                    headers=svc.platform,
                )
                check(full.status_code == 409, f"a full offering answered {full.status_code}")
                taken = expect(
                    client.get(f"/api/v1/offerings/{offering_id}", headers=svc.trainer), 200
                )["seats_taken"]
                check(taken == capacity, f"seats_taken {taken}, expected {capacity}")

    def round(self) -> list[Figure]:
        spread = [self.learners[k :: self.offerings] for k in range(self.offerings)]
        with self.service.client() as client:
            many = [
                self._offering(client, occupation=OCCUPATION, level=5, capacity=len(group))["id"]
                for group in spread
            ]
            one = self._offering(client, occupation=OCCUPATION, level=5, capacity=self.hot)["id"]
        pairs = [(learner, many[k]) for k, group in enumerate(spread) for learner in group]
        cpu = self.service.cpu_seconds()
        api_seconds, _ = self._enrol(pairs)
        cpu = self.service.cpu_seconds() - cpu
        hot_seconds, _ = self._enrol([(learner, one) for learner in self.learners[: self.hot]])
        self._check_full({o: len(g) for o, g in zip(many, spread, strict=True)} | {one: self.hot})
        inserted, insert_seconds = self._baseline([uuid.UUID(o) for o in many])
        return [
            Figure(
                "insert",
                "plain INSERT of the same enrolment rows (executemany)",
                rate(inserted, insert_seconds),
                "/s",
            ),
            Figure(
                "enrol",
                f"POST /api/v1/enrollments, subsidised, {self.offerings} offerings, "
                f"HTTP concurrency {CONCURRENCY}",
                rate(len(pairs), api_seconds),
                "/s",
                baseline="insert",
                limit=200,
            ),
            Figure(
                "cpu",
                "API process CPU per enrolment (the same requests)",
                cpu * 1000 / len(pairs),
                "ms",
                "lower",
            ),
            Figure(
                "enrol_one",
                "the same, all into one offering (its seat row taken in turn)",
                rate(self.hot, hot_seconds),
                "/s",
                baseline="insert",
            ),
        ]

    def _baseline(self, offerings: list[uuid.UUID]) -> tuple[int, float]:
        """The round's enrolment rows inserted again, a pass at a time (each offering copied, so
        the rows are new), until a second's work is done."""
        from psycopg.types.json import Json

        with self.service.psycopg() as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT learner_id, offering_id, state, subsidy_requested, subsidised,"
                " subsidy_year, subsidy_decision, enrolled_by, consent_proof, package_completed,"
                " created_at FROM enrollment WHERE offering_id = ANY(%s)",
                (offerings,),
            )
            rows = cur.fetchall()
            check(len(rows) == self.count, f"{len(rows)} rows written, expected {self.count}")
            cur.execute(
                "SELECT string_agg(column_name, ', ') FROM information_schema.columns"
                " WHERE table_name = 'offering' AND column_name <> 'id'"
            )
            columns = cur.fetchone()[0]
            copy_offering = (
                f"INSERT INTO offering (id, {columns}) SELECT %s, {columns} FROM offering"
                " WHERE id = %s"
            )
            inserted, seconds = 0, 0.0
            while seconds < BASELINE_SECONDS:
                copies = {o: uuid.uuid4() for o in offerings}
                for original, copy in copies.items():
                    cur.execute(copy_offering, (copy, original))
                conn.commit()
                batch = [
                    (uuid.uuid4(), r[0], copies[r[1]], uuid.uuid4(), *r[2:6], Json(r[6]), *r[7:])
                    for r in rows
                ]
                started = time.perf_counter()
                cur.executemany(
                    "INSERT INTO enrollment (id, learner_id, offering_id, registration, state,"
                    " subsidy_requested, subsidised, subsidy_year, subsidy_decision, enrolled_by,"
                    " consent_proof, package_completed, created_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    batch,
                )
                conn.commit()
                seconds += time.perf_counter() - started
                inserted += len(batch)
        return inserted, seconds

    def close(self) -> None:
        self.service.close()


def open_bench(scale: Scale) -> EnrolmentBench:
    return EnrolmentBench(scale)


if __name__ == "__main__":
    main_for("enrolments", open_bench)

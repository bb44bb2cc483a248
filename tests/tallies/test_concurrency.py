"""Concurrent duplicates, on SQLite and PostgreSQL: the same completion from many threads, one
person's completions racing each other, duplicated credential records, and batches that complete
many enrollments while single completions run: the rollups stay equal to the recomputation and no
transaction deadlocks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlmodel import Session

from service.tallies.queries import breakdown
from service.tallies.reconcile import check
from service.tallies.rollups import record_credential_issued
from service.training.completion import complete_if_due
from service.training.models import Enrollment
from tests.fixtures.builder import city_noon

DAY = date(2025, 3, 3)


def _race(engine, jobs, work):
    barrier = threading.Barrier(len(jobs))

    def attempt(job):
        with Session(engine, expire_on_commit=False) as s:
            barrier.wait()
            result = work(s, job)
            s.commit()
            return result

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(attempt, jobs))


def test_duplicate_completions_count_once(city, engine, session):
    enrollment = city.add_enrollment(city.add_learner(), city.add_offering())
    outcomes = _race(
        engine,
        list(range(8)),
        lambda s, _: complete_if_due(s, s.get(Enrollment, enrollment.id), city_noon(DAY)),
    )
    assert outcomes.count(True) == 1
    totals = breakdown(session, [], {})["totals"]
    assert totals["person_times"] == 1 and totals["distinct_learners"] == 1
    assert check(session) == []


def test_one_persons_simultaneous_completions_count_one_learner(city, engine, session):
    person = city.add_learner(groups=("rural", "veteran"))
    # four offerings with identical dimensions: all four completions fall in the same cells
    enrollments = [city.add_enrollment(person, city.add_offering()) for _ in range(4)]
    others = [city.add_enrollment(city.add_learner(), city.add_offering()) for _ in range(4)]
    _race(
        engine,
        enrollments + others,
        lambda s, e: complete_if_due(s, s.get(Enrollment, e.id), city_noon(DAY)),
    )
    rows = breakdown(session, ["year", "group"], {})["items"]
    assert {(r["group"], r["person_times"], r["distinct_learners"]) for r in rows} == {
        ("rural", 4, 1),
        ("veteran", 4, 1),
        ("migrant_worker", 4, 4),
    }
    totals = breakdown(session, [], {})["totals"]
    assert totals["person_times"] == 8 and totals["distinct_learners"] == 5
    assert check(session) == []


def test_duplicated_credential_records_count_once(city, engine, session):
    enrollment = city.completion(city.add_learner(), city.add_offering(), DAY)
    city.credential(enrollment)
    _race(engine, list(range(6)), lambda s, _: record_credential_issued(s, enrollment.id))
    assert breakdown(session, [], {})["totals"]["credentials"] == 1
    assert check(session) == []


def test_overlapping_batches_do_not_deadlock(city, engine, session):
    """Batches complete several enrollments in one transaction (like an attendance upload,
    which locks enrollments in id order) over shared cells, and overlap each other: had the
    cells been locked along the way (cell, then the next enrollment), two batches could wait on
    each other; tally locks are taken at commit, in one global order."""
    offerings = [
        city.add_offering(),
        city.add_offering(level=4),
        city.add_offering(funding="market"),
    ]
    people = [city.add_learner() for _ in range(12)]
    enrollments = [city.add_enrollment(p, offerings[i % 3]) for i, p in enumerate(people)]
    ordered = sorted(enrollments, key=lambda e: str(e.id))
    batches = [ordered[i : i + 6] for i in (0, 2, 4, 6)] + [ordered[::2], ordered[1::2]]

    def work(s, batch):
        return sum(complete_if_due(s, s.get(Enrollment, e.id), city_noon(DAY)) for e in batch)

    results = _race(engine, batches, work)
    assert sum(results) == 12
    assert breakdown(session, [], {})["totals"]["person_times"] == 12
    assert check(session) == []

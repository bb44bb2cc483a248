"""`skills demo-data`: a realistic synthetic city, loaded quickly, for demos and the benchmark.

What it writes: organizations across Ningbo's districts, offerings (occupations, levels,
training types, funding, modes, "361" clusters of the edition in force when they started),
learners (districts, groups), enrollments (most completed, some still in progress, failed or
withdrawn), one hours-ledger entry per enrollment with hours, and completions spread from
2023-01-01 to today with a rising trend. The tallies are then built from those source rows by
the same SQL the reconcile job uses (facts ``INSERT ... SELECT``, rollups ``INSERT ... SELECT``
grouped), so the demo also exercises the recomputation.

Speed: on PostgreSQL the rows go in with ``COPY`` (psycopg ``cursor.copy``); on SQLite with
batched ``executemany``.

Synthetic people: ID numbers are *generated* (a Ningbo region code, a birth date, a sequence
number from a counter, and the GB 11643 check digit): valid in form, taken from no source. They
are stored exactly as real ones are (HMAC fingerprint and AES-GCM ciphertext under this
deployment's key, masked copy), so the demo exercises the real paths. Demo rows are marked by
name: organizations start with ``[演示]``, learners are named ``演示学员<n>``; ``--reset``
removes them. Refused in production unless ``--force``.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from service.accounts.models import Organization
from service.core.timeutil import CITY_TZ, utcnow
from service.tallies.dimensions import DISTINCT_SETS, KEY_COLUMNS
from service.tallies.models import (
    TallyCell,
    TallyCompletion,
    TallyCompletionGroup,
    TallyDay,
    TallyDistinctCell,
    TallyGroupCell,
    TallyLearner,
    TallyOverlap,
)
from service.tallies.recompute import (
    expected_cells,
    expected_days,
    expected_distinct,
    expected_group_cells,
    expected_learners,
    expected_overlaps,
    insert_missing_facts,
)
from service.training.idnumber import compute_check_digit
from service.training.models import Enrollment, HoursEntry, Learner, Offering
from service.training.occupations import OCCUPATIONS
from service.training.pii import PiiCipher
from service.training.reference_data import (
    CLUSTER_VERSIONS,
    NINGBO_DISTRICTS,
    occupation_clusters,
)

DEMO_ORG_PREFIX = "[演示] "
DEMO_LEARNER_PREFIX = "演示学员"
START = date(2023, 1, 1)
CLUSTER_SWITCH = date(2025, 7, 1)  # offerings starting later use the 2025 "361" edition

DISTRICT_WEIGHTS = (14, 9, 11, 7, 18, 6, 7, 7, 10, 11)  # people, roughly, per NINGBO_DISTRICTS
GROUP_RATES = {
    "migrant_worker": 0.38,
    "enterprise_employee": 0.30,
    "rural": 0.12,
    "college_graduate": 0.08,
    "unemployed": 0.05,
    "veteran": 0.02,
    "disabled": 0.01,
    "ningbo_craftsman": 0.03,
}
TYPES = (("employment", 40), ("upskilling", 45), ("entrepreneurship", 8), ("other", 7))
FUNDING = (("subsidised", 55), ("enterprise_funded", 30), ("market", 15))
MODES = (("offline", 45), ("blended", 40), ("online", 15))
ORG_KINDS = ("vocational_school", "technician_college", "enterprise", "training_institution")
REQUIRED_MINUTES = (450, 900, 1350, 1800, 2700)


class DemoRefused(RuntimeError):
    pass


@dataclass
class DemoResult:
    organizations: int
    offerings: int
    learners: int
    enrollments: int
    completions: int
    seconds: dict[str, float]

    def as_dict(self) -> dict:
        return self.__dict__ | {"seconds": {k: round(v, 2) for k, v in self.seconds.items()}}


def _sequential_ids(n: int, rng: random.Random) -> list[uuid.UUID]:
    """Ids that increase in generation order (a random 64-bit prefix per table and run, then a
    counter): B-tree inserts land at the right edge instead of all over the index, which keeps
    a bulk load of a million rows fast. They are valid UUIDs, not version 4."""
    prefix = rng.getrandbits(64) << 64
    return [uuid.UUID(int=prefix | i) for i in range(n)]


def demo_exists(session: Session) -> bool:
    stmt = select(Organization.id).where(Organization.name.startswith(DEMO_ORG_PREFIX)).limit(1)
    return session.exec(stmt).first() is not None


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def synthetic_id_number(i: int) -> str:
    """The i-th synthetic ID number: unique per i, valid GB 11643 form, from no source."""
    region = NINGBO_DISTRICTS[i % len(NINGBO_DISTRICTS)].code
    k = i // len(NINGBO_DISTRICTS)
    birth = date(1962, 1, 1) + timedelta(days=((k // 999) * 7919) % 16_000)
    body = f"{region}{birth:%Y%m%d}{k % 999 + 1:03d}"
    return body + compute_check_digit(body)


# --- writing rows ---------------------------------------------------------------------------


def _copy_value(value):
    """COPY takes JSON columns as their text; executemany encodes them itself (JSON type)."""
    return json.dumps(value) if isinstance(value, list | dict) else value


class _Writer:
    """COPY on PostgreSQL, batched executemany elsewhere. Rows carry Python values (a list for
    a JSON column), so neither path encodes twice."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def write(self, table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        n = 0
        if self.postgres:
            raw = self.engine.raw_connection()
            try:
                conn = raw.driver_connection
                cols = ", ".join(f'"{c}"' for c in columns)
                with (
                    conn.cursor() as cur,
                    cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as cp,
                ):
                    for row in rows:
                        cp.write_row(tuple(_copy_value(v) for v in row))
                        n += 1
                conn.commit()
            finally:
                raw.close()
            return n
        batch: list[dict] = []
        with self.engine.begin() as conn:
            for row in rows:
                batch.append(dict(zip(columns, row, strict=True)))
                n += 1
                if len(batch) >= 5000:
                    conn.execute(insert(table), batch)
                    batch = []
            if batch:
                conn.execute(insert(table), batch)
        return n


# --- the city -------------------------------------------------------------------------------


def load(
    engine: Engine,
    master_key: bytes,
    *,
    completions: int,
    learners: int | None = None,
    seed: int = 1,
    today: date | None = None,
    echo: Callable[[str], None] = lambda _m: None,
) -> DemoResult:
    """Load the synthetic city. Refuses if demo data exists (use :func:`remove` first)."""
    if completions < 1:
        raise DemoRefused("--completions must be at least 1")
    today = today or utcnow().astimezone(CITY_TZ).date()
    if today <= START + timedelta(days=30):
        raise DemoRefused("today must be well after 2023-01-01")
    n_learners = learners or max(1, completions * 3 // 4)
    rng = random.Random(seed)
    with Session(engine) as session:
        if demo_exists(session):
            raise DemoRefused("demo data exists already: run with --reset to replace it")
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    writer = _Writer(engine)

    # Organizations
    n_orgs = min(600, max(8, completions // 4000))
    orgs = []
    for i in range(n_orgs):
        district = rng.choices(NINGBO_DISTRICTS, weights=DISTRICT_WEIGHTS)[0]
        kind = rng.choice(ORG_KINDS)
        orgs.append(
            (
                uuid.uuid4(),
                f"{DEMO_ORG_PREFIX}{district.name}第{i + 1}培训机构",
                kind,
                district.code,
            )
        )
    now = utcnow()
    writer.write(
        Organization.__table__,
        ("id", "name", "kind", "district_code", "is_active", "created_at"),
        ((oid, name, kind, d, True, now) for oid, name, kind, d in orgs),
    )

    # Offerings (attributes first; seats are known after the enrollments are drawn)
    n_offerings = max(10, completions // 250)
    occupations = list(OCCUPATIONS.values())
    span = (today - START).days
    offerings = []
    for _ in range(n_offerings):
        org = rng.choice(orgs)
        occ = rng.choice(occupations)
        level = rng.choices(occ.levels, weights=[5 if lv >= 4 else 2 for lv in occ.levels])[0]
        # more offerings later in the plan: the drive gathers pace
        starts = START + timedelta(days=int(span * (rng.random() ** 0.7)) - 20)
        starts = max(START, min(starts, today - timedelta(days=7)))
        ends = starts + timedelta(days=rng.randint(30, 240))
        version = "2025" if starts >= CLUSTER_SWITCH else "2023"
        # one of the occupation's own clusters where it has some (offerings refuse others)
        allowed = occupation_clusters(version, occ.code)
        cluster_code = rng.choice(allowed or [c.code for c in CLUSTER_VERSIONS[version].clusters])
        offerings.append(
            dict(
                id=uuid.uuid4(),
                organization_id=org[0],
                district_code=org[3],
                occupation_code=occ.code,
                occupation_name=occ.name,
                level=level,
                training_type=_weighted(rng, TYPES),
                funding=_weighted(rng, FUNDING),
                mode=_weighted(rng, MODES),
                required_minutes=rng.choice(REQUIRED_MINUTES),
                starts_on=starts,
                ends_on=ends,
                cluster_version=version,
                cluster_code=cluster_code,
            )
        )

    # Enrollments: which learner, which offering, which day (compact arrays)
    extra = completions // 12  # in progress, failed or withdrawn: present, not counted
    total = completions + extra
    e_learner, e_offering, e_day = array("i"), array("i"), array("i")
    pairs: set[int] = set()
    for _ in range(total):
        o = rng.randrange(n_offerings)
        while True:
            learner = rng.randrange(n_learners)
            key = learner * n_offerings + o
            if key not in pairs:
                pairs.add(key)
                break
        off = offerings[o]
        last = min(off["ends_on"], today)
        first = min(off["starts_on"] + timedelta(days=7), last)
        e_learner.append(learner)
        e_offering.append(o)
        e_day.append((first - START).days + rng.randint(0, (last - first).days))
    del pairs
    # written in learner order, so the learner indexes of enrollments and hours grow at the edge
    order = sorted(range(total), key=e_learner.__getitem__)
    e_learner = array("i", (e_learner[i] for i in order))
    e_offering = array("i", (e_offering[i] for i in order))
    e_day = array("i", (e_day[i] for i in order))
    del order
    seats = [0] * n_offerings
    for o in e_offering:
        seats[o] += 1
    writer.write(
        Offering.__table__,
        (
            "id", "organization_id", "title", "occupation_code", "level", "training_type",
            "funding", "mode", "package_ids", "required_minutes", "online_share_percent",
            "pass_mark", "assessment_required", "capacity", "seats_taken", "starts_on", "ends_on",
            "district_code", "address", "cluster_version", "cluster_code", "created_at",
        ),
        (
            (
                o["id"], o["organization_id"], o["occupation_name"] + "培训班",
                o["occupation_code"],
                o["level"], o["training_type"], o["funding"], o["mode"], [],
                o["required_minutes"], 50, 60, True, max(seats[i], 30), seats[i], o["starts_on"],
                o["ends_on"], o["district_code"], "", o["cluster_version"], o["cluster_code"], now,
            )
            for i, o in enumerate(offerings)
        ),
    )  # fmt: skip
    timings["organizations_offerings"] = time.perf_counter() - clock
    echo(f"{n_orgs} organizations, {n_offerings} offerings")

    # Learners
    clock = time.perf_counter()
    pii = PiiCipher.from_master_key(master_key)
    learner_ids = _sequential_ids(n_learners, rng)
    subject_ids = _sequential_ids(n_learners, rng)
    districts = rng.choices(
        [d.code for d in NINGBO_DISTRICTS], weights=DISTRICT_WEIGHTS, k=n_learners
    )

    def learner_rows():
        for i, lid in enumerate(learner_ids):
            number = synthetic_id_number(i)
            groups = [g for g, rate in GROUP_RATES.items() if rng.random() < rate]
            yield (
                lid,
                subject_ids[i],
                pii.fingerprint(number),
                pii.encrypt(number, context=lid.bytes),
                f"{number[:6]}********{number[-4:]}",
                f"{DEMO_LEARNER_PREFIX}{i + 1}",
                districts[i],
                groups,
                now,
            )

    writer.write(
        Learner.__table__,
        (
            "id", "subject_id", "id_fingerprint", "id_encrypted", "id_masked", "name",
            "district_code", "groups", "created_at",
        ),
        learner_rows(),
    )  # fmt: skip
    timings["learners"] = time.perf_counter() - clock
    echo(f"{n_learners} learners")

    # Enrollments and hours
    clock = time.perf_counter()
    enrollment_ids = _sequential_ids(total, rng)
    registrations = _sequential_ids(total, rng)
    hours_ids = _sequential_ids(total, rng)
    states = ["completed"] * completions + [
        rng.choice(("in_progress", "failed", "withdrawn")) for _ in range(extra)
    ]
    rng.shuffle(states)

    def moment(i: int) -> datetime:
        day = START + timedelta(days=e_day[i])
        local = datetime(day.year, day.month, day.day, tzinfo=CITY_TZ) + timedelta(
            minutes=rng.randint(8 * 60, 20 * 60)
        )
        return local.astimezone(UTC)

    done_at = [moment(i) for i in range(total)]

    def enrollment_rows():
        for i, eid in enumerate(enrollment_ids):
            off = offerings[e_offering[i]]
            state = states[i]
            at = done_at[i]
            subsidised = off["funding"] == "subsidised"
            completed = state == "completed"
            yield (
                eid, learner_ids[e_learner[i]], off["id"], registrations[i], state, subsidised,
                subsidised, at.astimezone(CITY_TZ).year if subsidised else None,
                85.0 if completed else (40.0 if state == "failed" else None),
                True if completed else (False if state == "failed" else None),
                at if state in ("completed", "failed") else None,
                False, at - timedelta(days=30), at - timedelta(days=28),
                at if completed else None,
                at.astimezone(CITY_TZ).year if completed else None,
                at if state == "failed" else None, at if state == "withdrawn" else None, at,
            )  # fmt: skip

    writer.write(
        Enrollment.__table__,
        (
            "id", "learner_id", "offering_id", "registration", "state", "subsidy_requested",
            "subsidised", "subsidy_year", "assessment_score", "assessment_passed",
            "assessment_at", "package_completed", "created_at", "started_at", "completed_at",
            "completion_year", "failed_at", "withdrawn_at", "updated_at",
        ),
        enrollment_rows(),
    )  # fmt: skip

    def hours_rows():
        for i, eid in enumerate(enrollment_ids):
            off = offerings[e_offering[i]]
            minutes = off["required_minutes"]
            if states[i] != "completed":
                minutes = max(1, minutes // 3)
            end = done_at[i]
            yield (
                hours_ids[i], eid, learner_ids[e_learner[i]], "import", f"demo-{eid}",
                end - timedelta(minutes=minutes), end, minutes, off["mode"] == "online", end,
            )  # fmt: skip

    writer.write(
        HoursEntry.__table__,
        (
            "id", "enrollment_id", "learner_id", "source", "external_id", "started_at",
            "ended_at", "minutes", "online", "created_at",
        ),
        hours_rows(),
    )  # fmt: skip
    timings["enrollments_hours"] = time.perf_counter() - clock
    echo(f"{total} enrollments ({completions} completed) with hours")

    clock = time.perf_counter()
    build_tallies(engine)
    timings["tallies"] = time.perf_counter() - clock
    echo("tallies built")
    return DemoResult(n_orgs, n_offerings, n_learners, total, completions, timings)


# --- tallies from source, in bulk ---------------------------------------------------------


ROLLUP_TABLES = (
    TallyCell,
    TallyGroupCell,
    TallyDay,
    TallyDistinctCell,
    TallyLearner,
    TallyOverlap,
)


def build_tallies(engine: Engine) -> None:
    """Facts for every completed enrollment without one, then every rollup rebuilt from the
    facts with ``INSERT ... SELECT``. For bulk loads and resets: it replaces the rollups
    wholesale, so it must not run while completions are being recorded (reconcile is the
    online path)."""
    with Session(engine) as session:
        insert_missing_facts(session, utcnow())
        rebuild_rollups(session)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for model in (TallyCompletion, TallyCompletionGroup, *ROLLUP_TABLES):
                if inspect(conn).has_table(model.__tablename__):
                    conn.execute(text(f'ANALYZE "{model.__tablename__}"'))


def rebuild_rollups(session: Session) -> None:
    # A database one release behind (the upgrade test loads one) has no tally_overlap yet; its
    # migration builds it from the facts.
    overlap = inspect(session.connection()).has_table(TallyOverlap.__tablename__)
    for model in ROLLUP_TABLES:
        if model is not TallyOverlap or overlap:
            session.execute(delete(model.__table__))
    cell_cols = [c.name for c in expected_cells().selected_columns]
    session.execute(TallyCell.__table__.insert().from_select(cell_cols, expected_cells()))
    group_cols = [c.name for c in expected_group_cells().selected_columns]
    session.execute(
        TallyGroupCell.__table__.insert().from_select(group_cols, expected_group_cells())
    )
    for stmt in expected_days():
        session.execute(
            TallyDay.__table__.insert().from_select(["day", "group_code", "person_times"], stmt)
        )
    for dims in DISTINCT_SETS:
        stmt = expected_distinct(dims)
        session.execute(
            TallyDistinctCell.__table__.insert().from_select(
                ["set_code", *KEY_COLUMNS, "learners"], stmt
            )
        )
    session.execute(
        TallyLearner.__table__.insert().from_select(
            ["learner_id", "completions"], expected_learners()
        )
    )
    if overlap:
        _insert_overlaps(session)


def _insert_overlaps(session: Session) -> None:
    batch: list[dict] = []
    for row in expected_overlaps(session):
        batch.append(row)
        if len(batch) >= 5000:
            session.execute(insert(TallyOverlap.__table__), batch)
            batch = []
    if batch:
        session.execute(insert(TallyOverlap.__table__), batch)


def remove(engine: Engine) -> dict:
    """Delete every demo row (and what hangs off it), then rebuild the rollups."""
    from service.jobs.models import OutboxJob  # noqa: F401  (demo completions enqueue nothing)

    counts = {}
    with Session(engine) as session:
        orgs = select(Organization.id).where(Organization.name.startswith(DEMO_ORG_PREFIX))
        offerings = select(Offering.id).where(Offering.organization_id.in_(orgs))
        enrollments = select(Enrollment.id).where(Enrollment.offering_id.in_(offerings))
        learners = select(Learner.id).where(Learner.name.startswith(DEMO_LEARNER_PREFIX))
        g, f = TallyCompletionGroup.__table__, TallyCompletion.__table__
        counts["completions"] = session.execute(
            select(func.count()).select_from(f).where(f.c.enrollment_id.in_(enrollments))
        ).scalar_one()
        session.execute(delete(g).where(g.c.enrollment_id.in_(enrollments)))
        session.execute(delete(f).where(f.c.enrollment_id.in_(enrollments)))
        session.execute(
            delete(HoursEntry.__table__).where(HoursEntry.enrollment_id.in_(enrollments))
        )
        counts["enrollments"] = session.execute(
            delete(Enrollment.__table__).where(Enrollment.offering_id.in_(offerings))
        ).rowcount
        session.execute(delete(TallyLearner.__table__).where(TallyLearner.learner_id.in_(learners)))
        counts["learners"] = session.execute(
            delete(Learner.__table__).where(Learner.name.startswith(DEMO_LEARNER_PREFIX))
        ).rowcount
        counts["offerings"] = session.execute(
            delete(Offering.__table__).where(Offering.organization_id.in_(orgs))
        ).rowcount
        counts["organizations"] = session.execute(
            delete(Organization.__table__).where(Organization.name.startswith(DEMO_ORG_PREFIX))
        ).rowcount
        rebuild_rollups(session)
        session.commit()
    return counts

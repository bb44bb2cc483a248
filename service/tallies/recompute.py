"""Recomputing the tallies from source rows, in SQL: the reconcile job's "expected" side and the
demo loader's bulk build use the same statements, so both agree with the incremental path.

- :func:`source_facts` selects, for completed enrollments, the fact the completion would have
  written (snapshot taken *now* from the learner and offering: used only for facts that are
  missing, e.g. completions from before the tallies existed);
- ``expected_*`` aggregate the facts into what each rollup table should hold.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from sqlalchemy import (
    Date,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    text,
)
from sqlmodel import Session

from service.tallies.dimensions import KEY_COLUMNS, SENTINELS, columns_of, set_code
from service.tallies.models import (
    CELL_DIMS,
    TallyCompletion,
    TallyCompletionGroup,
)
from service.tallies.overlap import OVERLAP_KEYS, learner_overlaps

FACT = TallyCompletion.__table__
GROUP = TallyCompletionGroup.__table__


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def uuid_text(session: Session, column):
    """The canonical ``xxxxxxxx-xxxx-...`` text of a UUID column (SQLite stores 32 hex)."""
    if _dialect(session) == "postgresql":
        return cast(column, Text)
    h = func.lower(column)
    return (
        func.substr(h, 1, 8)
        + "-"
        + func.substr(h, 9, 4)
        + "-"
        + func.substr(h, 13, 4)
        + "-"
        + func.substr(h, 17, 4)
        + "-"
        + func.substr(h, 21, 12)
    )


def city_date(session: Session, column):
    """The Asia/Shanghai calendar day of a stored UTC instant (UTC+8, no DST since 1991)."""
    if _dialect(session) == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours")


def source_facts(session: Session, *, missing_only: bool = True):
    """SELECT of fact rows for completed enrollments (only those without a fact by default)."""
    from credentials.models import Credential
    from service.training.models import Enrollment, HoursEntry, Learner, Offering

    e, o, lr = Enrollment.__table__, Offering.__table__, Learner.__table__
    h, c = HoursEntry.__table__, Credential.__table__
    minutes = (
        select(func.coalesce(func.sum(h.c.minutes), 0))
        .where(h.c.enrollment_id == e.c.id)
        .scalar_subquery()
    )
    credentialed = exists().where(
        c.c.enrollment_ref == literal("enrollment:", Text) + uuid_text(session, e.c.id)
    )
    stmt = (
        select(
            e.c.id.label("enrollment_id"),
            e.c.learner_id,
            e.c.completed_at,
            city_date(session, e.c.completed_at).label("completed_on"),
            e.c.completion_year.label("year"),
            lr.c.district_code,
            func.coalesce(o.c.cluster_version, "").label("cluster_version"),
            func.coalesce(o.c.cluster_code, "").label("cluster_code"),
            o.c.training_type,
            o.c.funding,
            o.c.organization_id,
            o.c.occupation_code,
            o.c.level,
            cast(minutes, Integer).label("minutes"),
            credentialed.label("credentialed"),
        )
        .select_from(e.join(o, o.c.id == e.c.offering_id).join(lr, lr.c.id == e.c.learner_id))
        .where(e.c.state == "completed")
    )
    if missing_only:
        stmt = stmt.where(~exists().where(FACT.c.enrollment_id == e.c.id))
    return stmt


def insert_groups_sql(session: Session) -> str:
    """Groups of the facts created at ``:marker`` (their ``created_at``), from the learner."""
    if _dialect(session) == "postgresql":
        return (
            "INSERT INTO tally_completion_group (enrollment_id, group_code) "
            "SELECT DISTINCT f.enrollment_id, g.value FROM tally_completion f "
            "JOIN learner l ON l.id = f.learner_id "
            "CROSS JOIN LATERAL json_array_elements_text(l.groups) AS g(value) "
            "WHERE f.created_at = :marker ON CONFLICT DO NOTHING"
        )
    return (
        "INSERT OR IGNORE INTO tally_completion_group (enrollment_id, group_code) "
        "SELECT DISTINCT f.enrollment_id, g.value FROM tally_completion f "
        "JOIN learner l ON l.id = f.learner_id, json_each(l.groups) AS g "
        "WHERE f.created_at = :marker"
    )


def insert_missing_facts(session: Session, marker) -> int:
    """Insert the fact of every completed enrollment that has none (flags set: the rollups are
    then corrected from the facts). ``marker`` becomes their ``created_at``."""
    src = source_facts(session).subquery()
    cols = [c.name for c in src.columns]
    stmt = FACT.insert().from_select(
        [*cols, "rolled_person", "rolled_credential", "created_at"],
        select(
            *src.columns,
            literal(True).label("rolled_person"),
            src.c.credentialed.label("rolled_credential"),
            literal(marker, FACT.c.created_at.type).label("created_at"),
        ),
    )
    inserted = session.execute(stmt).rowcount or 0
    if inserted:
        stmt = text(insert_groups_sql(session)).bindparams(
            bindparam("marker", type_=FACT.c.created_at.type)
        )
        session.execute(stmt, {"marker": marker})
    return inserted


def _credential_int(column):
    return func.sum(case((column.is_(True), 1), else_=0))


def expected_cells():
    dims = [FACT.c[c] for c in CELL_DIMS]
    return select(
        *dims,
        func.count().label("person_times"),
        func.sum(FACT.c.minutes).label("minutes"),
        _credential_int(FACT.c.credentialed).label("credentials"),
    ).group_by(*dims)


def expected_group_cells():
    dims = [GROUP.c.group_code, *(FACT.c[c] for c in CELL_DIMS)]
    return (
        select(
            *dims,
            func.count().label("person_times"),
            func.sum(FACT.c.minutes).label("minutes"),
            _credential_int(FACT.c.credentialed).label("credentials"),
        )
        .select_from(FACT.join(GROUP, GROUP.c.enrollment_id == FACT.c.enrollment_id))
        .group_by(*dims)
    )


def expected_distinct(dims: tuple[str, ...]):
    """Distinct learners per cell of one declared set, shaped like ``tally_distinct_cell``."""
    cols = columns_of(dims)
    source = FACT
    if "group" in dims:
        source = FACT.join(GROUP, GROUP.c.enrollment_id == FACT.c.enrollment_id)
    out, group_by = [literal(set_code(dims)).label("set_code")], []
    for col in KEY_COLUMNS:
        if col in cols:
            column = GROUP.c.group_code if col == "group_code" else FACT.c[col]
            out.append(column.label(col))
            group_by.append(column)
        else:
            out.append(
                literal(SENTINELS[col], FACT.c[col].type if col in FACT.c else Text).label(col)
            )
    stmt = select(*out, func.count(func.distinct(FACT.c.learner_id)).label("learners"))
    stmt = stmt.select_from(source)
    return stmt.group_by(*group_by) if group_by else stmt


def expected_days():
    """Person-times per day: all completions (group ``''``), then per group."""
    everyone = select(
        FACT.c.completed_on.label("day"),
        literal("", Text).label("group_code"),
        func.count().label("person_times"),
    ).group_by(FACT.c.completed_on)
    per_group = (
        select(
            FACT.c.completed_on.label("day"),
            GROUP.c.group_code,
            func.count().label("person_times"),
        )
        .select_from(FACT.join(GROUP, GROUP.c.enrollment_id == FACT.c.enrollment_id))
        .group_by(FACT.c.completed_on, GROUP.c.group_code)
    )
    return [everyone, per_group]


def expected_overlaps(session) -> Iterator[dict]:
    """Every ``tally_overlap`` row the facts imply (see :mod:`service.tallies.overlap`).

    Computed in Python, one learner at a time, over the facts streamed in learner order
    (``session`` may be a Session or a Connection). Rows are yielded in sorted key order.
    """
    cols = [FACT.c[c] for c in ("learner_id", "enrollment_id", "completed_at", *CELL_DIMS)]
    stmt = (
        select(*cols, GROUP.c.group_code)
        .select_from(FACT.outerjoin(GROUP, GROUP.c.enrollment_id == FACT.c.enrollment_id))
        .order_by(FACT.c.learner_id, FACT.c.enrollment_id)
        .execution_options(stream_results=True, yield_per=10000)
    )
    totals: Counter = Counter()
    learner, facts, groups = None, {}, defaultdict(list)
    for row in session.execute(stmt):
        if row.learner_id != learner:
            totals.update(learner_overlaps(list(facts.values()), groups))
            learner, facts, groups = row.learner_id, {}, defaultdict(list)
        fact = row._asdict()
        code = fact.pop("group_code")
        facts.setdefault(fact["enrollment_id"], fact)
        if code is not None:
            groups[fact["enrollment_id"]].append(code)
    totals.update(learner_overlaps(list(facts.values()), groups))
    for key in sorted((k for k, v in totals.items() if v), key=lambda k: tuple(map(str, k))):
        yield dict(zip(OVERLAP_KEYS, key, strict=True)) | {"learners": totals[key]}


def expected_learners():
    return select(FACT.c.learner_id, func.count().label("completions")).group_by(FACT.c.learner_id)


def fact_source_drift(session: Session):
    """Facts whose recomputable fields disagree with the source rows (or whose enrollment is
    no longer completed). Snapshot fields (district, groups, offering attributes) are not
    compared: they record what was true at completion."""
    src = source_facts(session, missing_only=False).subquery()
    f = FACT
    return (
        select(
            f.c.enrollment_id,
            f.c.year,
            src.c.year.label("src_year"),
            f.c.completed_on,
            src.c.completed_on.label("src_completed_on"),
            src.c.completed_at.label("src_completed_at"),
            f.c.learner_id,
            src.c.learner_id.label("src_learner_id"),
            f.c.minutes,
            src.c.minutes.label("src_minutes"),
            f.c.credentialed,
            src.c.credentialed.label("src_credentialed"),
        )
        .select_from(f.outerjoin(src, src.c.enrollment_id == f.c.enrollment_id))
        .where(
            (src.c.enrollment_id.is_(None))
            | (f.c.year != src.c.year)
            | (f.c.learner_id != src.c.learner_id)
            | (f.c.minutes != src.c.minutes)
            | (f.c.credentialed != src.c.credentialed)
            | (cast(f.c.completed_on, Text) != cast(src.c.completed_on, Text))
        )
    )

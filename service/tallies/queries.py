"""Reading the tallies: breakdowns by any dimensions and filters, and progress toward a target.

Both are plain functions (the API, the exports and the public dashboard call them).

Where the numbers come from, always exact:

- person-times, minutes and credentials: the rollup cells (``tally_cell``, or
  ``tally_group_cell`` when a group is grouped by or filtered on), summed over the matching
  cells: the work is proportional to the number of cells, not of completions;
- distinct learners: the declared distinct cells when the query matches a declared set (see
  :data:`service.tallies.dimensions.DISTINCT_SETS`), otherwise person-times minus the learners'
  repeats on the grouped and filtered columns (``tally_overlap``, :mod:`service.tallies.overlap`:
  a slice of rows that shrinks as columns are added); ``COUNT(DISTINCT learner_id)`` over the
  facts only for a multi-year period starting after the first year with data;
- a period that is not whole calendar years: everything from the completion facts, by day.

Each response says which (``sources``), so a slow combination can be recognised and declared.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Date, case, func, literal, over, select
from sqlmodel import Session

from service.tallies.dimensions import DIMENSIONS, SET_COLUMNS, Query, build_query
from service.tallies.models import (
    TallyCell,
    TallyCompletion,
    TallyCompletionGroup,
    TallyDay,
    TallyDistinctCell,
    TallyGroupCell,
    TallyOverlap,
)
from service.tallies.overlap import mask_of, supersets
from service.training.hours_rules import minutes_to_xueshi

CELL = TallyCell.__table__
GROUP_CELL = TallyGroupCell.__table__
DISTINCT = TallyDistinctCell.__table__
FACT = TallyCompletion.__table__
FACT_GROUP = TallyCompletionGroup.__table__
DAY = TallyDay.__table__
OVERLAP = TallyOverlap.__table__
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Plan:
    """How one query is answered: from cells (with a year range) or from facts (by day)."""

    query: Query
    from_facts: bool
    year_from: int | None = None
    year_to: int | None = None
    empty: bool = False


# --- planning -------------------------------------------------------------------------------


def _data_years(session: Session) -> tuple[int | None, int | None]:
    lo, hi = session.execute(
        select(func.min(CELL.c.year), func.max(CELL.c.year)).where(CELL.c.person_times > 0)
    ).one()
    return lo, hi


def plan(session: Session, query: Query) -> Plan:
    if not query.year_aligned():
        return Plan(query, from_facts=True)
    y_from = query.period_from.year if query.period_from else None
    y_to = query.period_to.year if query.period_to else None
    pinned_year = query.pins.get("year")
    if pinned_year is not None:
        inside = (y_from is None or pinned_year >= y_from) and (y_to is None or pinned_year <= y_to)
        return Plan(query, from_facts=False, empty=not inside)
    if y_from is not None or y_to is not None:
        lo, hi = _data_years(session)
        if lo is not None and (y_from is None or y_from <= lo) and (y_to is None or hi <= y_to):
            y_from = y_to = None  # the period covers every year that has data: no filter
        elif y_from is not None and y_from == y_to:
            query = replace(query, pins={**query.pins, "year": y_from})  # one year: a pin
            y_from = y_to = None
    return Plan(query, from_facts=False, year_from=y_from, year_to=y_to)


def _where(table, plan_: Plan, *, facts: bool = False) -> list:
    q = plan_.query
    conds = []
    for col, value in q.pins.items():
        if col == "group_code":
            conds.append((FACT_GROUP.c.group_code if facts else table.c.group_code) == value)
        else:
            conds.append(table.c[col] == value)
    if facts:
        if q.period_from is not None:
            conds.append(FACT.c.completed_on >= q.period_from)
        if q.period_to is not None:
            conds.append(FACT.c.completed_on <= q.period_to)
    else:
        if plan_.year_from is not None:
            conds.append(table.c.year >= plan_.year_from)
        if plan_.year_to is not None:
            conds.append(table.c.year <= plan_.year_to)
    return conds


def _group_cols(table, columns, *, facts: bool = False) -> list:
    return [
        (FACT_GROUP.c.group_code if (facts and c == "group_code") else table.c[c]).label(c)
        for c in columns
    ]


def _fact_source(needs_groups: bool):
    if needs_groups:
        return FACT.join(FACT_GROUP, FACT_GROUP.c.enrollment_id == FACT.c.enrollment_id)
    return FACT


def _credentials_sum(column):
    return func.coalesce(func.sum(case((column.is_(True), 1), else_=0)), 0)


# --- sums ----------------------------------------------------------------------------------


def _sums_statement(plan_: Plan, columns: tuple[str, ...], sort: str = "dims"):
    """Grouped person-times, minutes, credentials (and, from facts, distinct learners)."""
    q = plan_.query
    needs_groups = "group_code" in columns or "group_code" in q.pins
    if plan_.from_facts:
        cols = _group_cols(FACT, columns, facts=True)
        pt = func.count()
        stmt = select(
            *cols,
            pt.label("person_times"),
            func.coalesce(func.sum(FACT.c.minutes), 0).label("minutes"),
            _credentials_sum(FACT.c.credentialed).label("credentials"),
            func.count(func.distinct(FACT.c.learner_id)).label("distinct_learners"),
        ).select_from(_fact_source(needs_groups))
        stmt = stmt.where(*_where(FACT, plan_, facts=True))
    else:
        table = GROUP_CELL if needs_groups else CELL
        cols = _group_cols(table, columns)
        pt = func.sum(table.c.person_times)
        stmt = select(
            *cols,
            pt.label("person_times"),
            func.sum(table.c.minutes).label("minutes"),
            func.sum(table.c.credentials).label("credentials"),
        ).where(*_where(table, plan_))
    if columns:
        stmt = stmt.group_by(*cols)
    stmt = stmt.having(pt > 0)
    order = list(cols)
    if sort == "-person_times":
        order = [pt.desc(), *cols]
    elif sort == "person_times":
        order = [pt.asc(), *cols]
    return stmt.order_by(*order)


# --- distinct learners ---------------------------------------------------------------------


def _distinct_set(plan_: Plan, columns: tuple[str, ...]) -> str | None:
    """The declared set that answers this grouping exactly, if any."""
    q = plan_.query
    grouped = set(columns)
    filtered = set(q.pins)
    if plan_.year_from is not None or plan_.year_to is not None:
        if "year" not in grouped:
            return None  # several years summed: a learner in two of them would count twice
        filtered.add("year")
    found = SET_COLUMNS.get(frozenset(grouped | filtered))
    if found is None:
        return None
    code, _dims = found
    return code


def _distinct_lookup(
    session: Session,
    plan_: Plan,
    columns: tuple[str, ...],
    person_times: dict[tuple, int],
) -> tuple[dict[tuple, int], str]:
    """Distinct learners of the groups in ``person_times`` (their keys -> person-times).

    A declared set reads its distinct cells; any other grouping is person-times minus repeats
    (:mod:`service.tallies.overlap`); only a multi-year period that starts after the first year
    with data and is not grouped by year counts from the facts.
    """
    if plan_.from_facts:
        raise AssertionError("facts plans count distinct learners in the sums query")
    keys = list(person_times)
    code = _distinct_set(plan_, columns)
    if code is not None:
        cols = _group_cols(DISTINCT, columns)
        stmt = select(*cols, DISTINCT.c.learners).where(
            DISTINCT.c.set_code == code, *_where(DISTINCT, plan_)
        )
        return _run_lookup(session, stmt, cols, keys), f"distinct_cells:{code}"
    if _overlap_answers(session, plan_, columns):
        q = plan_.query
        needs_groups = "group_code" in columns or "group_code" in q.pins
        cols = _group_cols(OVERLAP, columns)
        mask = mask_of({*columns, *q.pins} - {"group_code"})
        stmt = select(*cols, func.sum(OVERLAP.c.learners)).where(
            OVERLAP.c.mask.in_(supersets(mask)), *_where(OVERLAP, plan_)
        )
        if not needs_groups:
            stmt = stmt.where(OVERLAP.c.group_code == "")
        if columns:
            stmt = stmt.group_by(*cols)
        repeats = _run_lookup(session, stmt, cols, keys)
        found = {k: pt - repeats.get(k, 0) for k, pt in person_times.items()}
        return found, "overlaps"
    q = plan_.query
    needs_groups = "group_code" in columns or "group_code" in q.pins
    cols = _group_cols(FACT, columns, facts=True)
    fact_plan = replace(plan_, from_facts=True)
    conds = _where(FACT, fact_plan, facts=True)
    if plan_.year_from is not None:
        conds.append(FACT.c.year >= plan_.year_from)
    if plan_.year_to is not None:
        conds.append(FACT.c.year <= plan_.year_to)
    stmt = (
        select(*cols, func.count(func.distinct(FACT.c.learner_id)))
        .select_from(_fact_source(needs_groups))
        .where(*conds)
    )
    if columns:
        stmt = stmt.group_by(*cols)
    return _run_lookup(session, stmt, cols, keys), "facts"


def _overlap_answers(session: Session, plan_: Plan, columns: tuple[str, ...]) -> bool:
    """Repeats are counted in time order, so a period must start at the first year with data
    (or be split by year): a learner's earlier completion before the period would otherwise
    hide a first one inside it."""
    if plan_.year_from is None or "year" in columns:
        return True
    lo, _hi = _data_years(session)
    return lo is None or plan_.year_from <= lo


def _run_lookup(session: Session, stmt, cols, keys: list[tuple]) -> dict[tuple, int]:
    n = len(cols)
    if n and not keys:
        return {}
    if n and len(keys) <= MAX_LIMIT:
        # Per-column IN lists select a superset of the page's groups (cheap to plan, unlike a
        # long row-value IN list); the extra rows are ignored by the caller.
        for i, col in enumerate(cols):
            stmt = stmt.where(_unlabel(col).in_(sorted({k[i] for k in keys}, key=str)))
    return {tuple(row[:n]): int(row[n] or 0) for row in session.execute(stmt)}


def _unlabel(col):
    return getattr(col, "element", col)


# --- output --------------------------------------------------------------------------------


def _hours(minutes: int) -> str:
    return str(minutes_to_xueshi(int(minutes)))


def _shape(group_by: tuple[str, ...], columns: tuple[str, ...], row, distinct: int | None) -> dict:
    values = dict(zip(columns, row[: len(columns)], strict=True))
    item: dict = {}
    for dim in group_by:
        if dim == "cluster":
            item["cluster_version"] = values["cluster_version"] or None
            item["cluster"] = values["cluster_code"] or None
        elif dim == "cluster_version":
            item["cluster_version"] = values["cluster_version"] or None
        else:
            (col,) = DIMENSIONS[dim]
            value = values[col]
            item[dim] = str(value) if isinstance(value, uuid.UUID) else value
    minutes = int(row.minutes or 0)
    item.update(
        person_times=int(row.person_times or 0),
        distinct_learners=distinct,
        minutes=minutes,
        hours=_hours(minutes),
        credentials=int(row.credentials or 0),
    )
    return item


def _key(row, n: int) -> tuple:
    return tuple(row[:n])


def _totals(session: Session, plan_: Plan) -> tuple[dict, list[str]]:
    """Totals over everything the filters select (grouping by group does not inflate them)."""
    if plan_.empty:
        return _zero(), []
    row = session.execute(_sums_statement(plan_, ())).first()
    if row is None:
        return _zero(), []
    if plan_.from_facts:
        distinct, source = int(row.distinct_learners), "facts"
    else:
        found, source = _distinct_lookup(session, plan_, (), {(): int(row.person_times or 0)})
        distinct = found.get((), 0)
    return _shape((), (), row, distinct), [source]


def _zero() -> dict:
    return {
        "person_times": 0,
        "distinct_learners": 0,
        "minutes": 0,
        "hours": "0.00",
        "credentials": 0,
    }


def breakdown(
    session: Session,
    group_by: list[str],
    filters: dict,
    limit: int = 50,
    offset: int = 0,
    organization_id: uuid.UUID | None = None,
    sort: str = "dims",
) -> dict:
    """Person-times, distinct learners, hours and credentials grouped by ``group_by``.

    ``filters`` uses the API's names (year, district, cluster, cluster_version, type, funding,
    group, organization_id, occupation_code, level, period_from, period_to). ``organization_id``
    forces an organization (organization staff). Raises
    :class:`service.tallies.dimensions.InvalidQuery` for unknown dimensions or bad values.
    Totals are over every completion the filters select, so when grouping by ``group`` (a
    learner may be in several) they are less than the sum of the rows.
    """
    query = build_query(group_by, filters, organization_id)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    plan_ = plan(session, query)
    columns = query.group_columns
    totals, sources = _totals(session, plan_)
    if plan_.empty:
        items, total = [], 0
    else:
        stmt = _sums_statement(plan_, columns, sort)
        # the number of groups rides along with the page (one pass over the cells)
        rows = session.execute(
            stmt.add_columns(over(func.count()).label("groups_total")).limit(limit).offset(offset)
        ).all()
        if rows:
            total = int(rows[0].groups_total)
        else:
            counted = select(func.count()).select_from(stmt.order_by(None).subquery())
            total = int(session.execute(counted).scalar_one())
        items = _with_distinct(session, plan_, query.group_by, columns, rows, sources)
    return {
        "group_by": list(query.group_by),
        "filters": _echo_filters(query),
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "totals": totals,
        "sources": sorted(set(sources)),
    }


def _with_distinct(session, plan_, group_by, columns, rows, sources: list[str]) -> list[dict]:
    n = len(columns)
    if plan_.from_facts:
        sources.append("facts")
        return [_shape(group_by, columns, r, int(r.distinct_learners)) for r in rows]
    sources.append("cells")
    found, source = _distinct_lookup(
        session, plan_, columns, {_key(r, n): int(r.person_times or 0) for r in rows}
    )
    sources.append(source)
    return [_shape(group_by, columns, r, found.get(_key(r, n), 0)) for r in rows]


def iter_breakdown(
    session: Session,
    group_by: list[str],
    filters: dict,
    organization_id: uuid.UUID | None = None,
    chunk: int = 1000,
) -> Iterator[dict]:
    """Every row of a breakdown, streamed: the grouped query runs on a server-side cursor and
    distinct learners are looked up per chunk, so memory stays bounded (exports use this)."""
    query = build_query(group_by, filters, organization_id)
    plan_ = plan(session, query)
    if plan_.empty:
        return
    columns = query.group_columns
    stmt = _sums_statement(plan_, columns)
    result = session.execute(stmt.execution_options(stream_results=True, yield_per=chunk))
    for part in result.partitions(chunk):
        yield from _with_distinct(session, plan_, query.group_by, columns, part, [])


def _echo_filters(query: Query) -> dict:
    out: dict = {}
    for col, value in query.pins.items():
        out[col] = str(value) if isinstance(value, uuid.UUID) else value
    if query.period_from:
        out["period_from"] = query.period_from.isoformat()
    if query.period_to:
        out["period_to"] = query.period_to.isoformat()
    return out


# --- counting a window of days (target pace) -----------------------------------------------


def count_between(
    session: Session,
    filters: dict,
    day_from: date,
    day_to: date,
    *,
    metric: str = "person_times",
    period_from: date | None = None,
) -> int:
    """Completions (or newly counted distinct learners) on ``day_from..day_to`` inclusive.

    For ``distinct_learners`` a learner counts on the day of their first qualifying completion
    on or after ``period_from``: that is when the target's count went up.
    """
    query = build_query([], filters)
    if metric == "person_times" and set(query.pins) <= {"group_code"}:
        return int(
            session.execute(
                select(func.coalesce(func.sum(DAY.c.person_times), 0)).where(
                    DAY.c.group_code == query.pins.get("group_code", ""),
                    DAY.c.day >= day_from,
                    DAY.c.day <= day_to,
                )
            ).scalar_one()
        )
    needs_groups = "group_code" in query.pins
    plan_ = Plan(query, from_facts=True)
    conds = _where(
        FACT, replace(plan_, query=replace(query, period_from=None, period_to=None)), facts=True
    )
    source = _fact_source(needs_groups)
    if metric == "distinct_learners":
        first = (
            select(FACT.c.learner_id, func.min(FACT.c.completed_on).label("first_on"))
            .select_from(source)
            .where(*conds)
        )
        if period_from is not None:
            first = first.where(FACT.c.completed_on >= period_from)
        first = first.group_by(FACT.c.learner_id).subquery()
        stmt = select(func.count()).where(
            first.c.first_on >= literal(day_from, Date), first.c.first_on <= literal(day_to, Date)
        )
        return int(session.execute(stmt.select_from(first)).scalar_one())
    stmt = (
        select(func.count())
        .select_from(source)
        .where(*conds, FACT.c.completed_on >= day_from, FACT.c.completed_on <= day_to)
    )
    return int(session.execute(stmt).scalar_one())


def percent(part: int, whole: int) -> float:
    if whole <= 0:
        return 0.0
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP))


__all__ = ["breakdown", "iter_breakdown", "count_between"]

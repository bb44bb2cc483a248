"""The dimensions and filters of the tallies, and the declared distinct-learner grouping sets.

A *dimension* is what a breakdown may group by; it maps to one or more columns of the rollup
cells (``cluster`` is the pair (dictionary version, code): the "361" list is versioned, so a code
alone is not a cluster). A *filter* pins one column to one value, or (``period_from`` /
``period_to``) restricts the completion date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from service.tallies.models import NIL_UUID

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "year": ("year",),
    "district": ("district_code",),
    "cluster": ("cluster_version", "cluster_code"),
    "cluster_version": ("cluster_version",),
    "training_type": ("training_type",),
    "funding": ("funding",),
    "group": ("group_code",),
    "organization": ("organization_id",),
    "occupation": ("occupation_code",),
    "level": ("level",),
}

# filter name -> (column, parser)
FILTERS: dict[str, tuple[str, type]] = {
    "year": ("year", int),
    "district": ("district_code", str),
    "cluster": ("cluster_code", str),
    "cluster_version": ("cluster_version", str),
    "type": ("training_type", str),
    "training_type": ("training_type", str),
    "funding": ("funding", str),
    "group": ("group_code", str),
    "organization_id": ("organization_id", uuid.UUID),
    "occupation_code": ("occupation_code", str),
    "level": ("level", int),
}
PERIOD_FILTERS = ("period_from", "period_to")

# Grouping sets whose distinct-learner counts are kept exact in ``tally_distinct_cell`` at each
# completion. A breakdown whose group-by plus filtered columns equals one of these sets (with
# every filtered, non-grouped column pinned to one value) is answered from these cells in
# O(cells); any other combination is person-times minus the learners' repeats read from
# ``tally_overlap`` (see ``service.tallies.overlap``), also exact. The list is what the dashboard
# and the organization views ask for (the fastest answers); adding a set is a code change plus
# `skills tallies reconcile` (which fills it from the facts).
DISTINCT_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ("year",),
    ("district",),
    ("year", "district"),
    ("cluster",),
    ("year", "cluster"),
    ("year", "training_type"),
    ("year", "funding"),
    ("group",),
    ("year", "group"),
    ("organization",),
    ("year", "organization"),
    ("organization", "group"),
    ("year", "organization", "group"),
    ("occupation", "level"),
    ("year", "occupation", "level"),
    ("year", "district", "cluster"),
)

# Sentinel of each column in a distinct cell when the column is not part of the set.
SENTINELS: dict[str, object] = {
    "group_code": "",
    "year": 0,
    "district_code": "",
    "cluster_version": "",
    "cluster_code": "",
    "training_type": "",
    "funding": "",
    "organization_id": NIL_UUID,
    "occupation_code": "",
    "level": 0,
}
KEY_COLUMNS = tuple(SENTINELS)


class InvalidQuery(ValueError):
    """A group-by or filter the tallies do not know; ``field`` names it (for a 422)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def columns_of(dims) -> frozenset[str]:
    return frozenset(col for d in dims for col in DIMENSIONS[d])


def set_code(dims: tuple[str, ...]) -> str:
    return "+".join(dims) or "total"


SET_COLUMNS: dict[frozenset[str], tuple[str, tuple[str, ...]]] = {
    columns_of(s): (set_code(s), s) for s in DISTINCT_SETS
}


def parse_group_by(value: list[str] | str | None) -> list[str]:
    """``"year,district"`` or a list -> validated, de-duplicated dimension names, in order."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else [p for v in value for p in v.split(",")]
    out: list[str] = []
    for raw in parts:
        name = raw.strip()
        if not name:
            continue
        if name not in DIMENSIONS:
            raise InvalidQuery(
                "group_by",
                f"Unknown dimension {name[:40]!r}; use any of: {', '.join(DIMENSIONS)}.",
            )
        if name not in out:
            out.append(name)
    if "cluster" in out and "cluster_version" in out:
        out.remove("cluster_version")  # the cluster already carries its version
    return out


@dataclass(frozen=True)
class Query:
    """A validated breakdown request: grouping columns, pinned columns, a date period."""

    group_by: tuple[str, ...]
    pins: dict[str, object] = field(default_factory=dict)
    period_from: date | None = None
    period_to: date | None = None

    @property
    def group_columns(self) -> tuple[str, ...]:
        return tuple(col for d in self.group_by for col in DIMENSIONS[d])

    @property
    def uses_groups(self) -> bool:
        return "group_code" in self.pins or "group" in self.group_by

    def year_aligned(self) -> bool:
        """True when the period is whole calendar years (or absent): the cells can answer."""
        ok_from = self.period_from is None or (self.period_from.month, self.period_from.day) == (
            1,
            1,
        )
        ok_to = self.period_to is None or (self.period_to.month, self.period_to.day) == (12, 31)
        return ok_from and ok_to


def parse_filters(filters: dict, organization_id: uuid.UUID | None = None) -> dict:
    """Filter values from a request (strings or typed) -> ``{column: value}`` plus the period.

    ``organization_id`` (the caller's organization, for organization staff) overrides any
    organization filter given: scoping is not something a query parameter can widen.
    """
    pins: dict[str, object] = {}
    period: dict[str, date | None] = {"period_from": None, "period_to": None}
    for name, raw in (filters or {}).items():
        if raw is None or raw == "":
            continue
        if name in PERIOD_FILTERS:
            try:
                period[name] = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
            except ValueError:
                raise InvalidQuery(name, f"{name} must be a date (YYYY-MM-DD).") from None
            continue
        if name not in FILTERS:
            raise InvalidQuery(name, f"Unknown filter {name[:40]!r}.")
        column, kind = FILTERS[name]
        try:
            value = raw if isinstance(raw, kind) else kind(str(raw).strip())
        except ValueError:
            raise InvalidQuery(name, f"{name} has an invalid value.") from None
        if column in pins and pins[column] != value:
            raise InvalidQuery(name, f"{name} is given twice with different values.")
        pins[column] = value
    if organization_id is not None:
        pins["organization_id"] = organization_id
    if (
        period["period_from"]
        and period["period_to"]
        and period["period_from"] > period["period_to"]
    ):
        raise InvalidQuery("period_from", "period_from is after period_to.")
    return {"pins": pins, **period}


def build_query(group_by, filters: dict, organization_id: uuid.UUID | None = None) -> Query:
    dims = parse_group_by(group_by)
    parsed = parse_filters(filters, organization_id)
    return Query(tuple(dims), parsed["pins"], parsed["period_from"], parsed["period_to"])


def distinct_keys(fact: dict, groups: list[str]) -> list[dict]:
    """The distinct cells one completion falls in: one key per declared set (one per group for
    sets that include ``group``; none of those when the learner was in no group)."""
    keys: list[dict] = []
    for dims in DISTINCT_SETS:
        cols = columns_of(dims)
        base = {
            col: (fact[col] if col in cols else SENTINELS[col])
            for col in KEY_COLUMNS
            if col != "group_code"
        }
        if "group" in dims:
            for g in groups:
                keys.append({"set_code": set_code(dims), "group_code": g, **base})
        else:
            keys.append({"set_code": set_code(dims), "group_code": "", **base})
    return keys


def key_tuple(row: dict, columns=("set_code", *KEY_COLUMNS)) -> tuple:
    return tuple(str(row[c]) if isinstance(row[c], uuid.UUID) else row[c] for c in columns)

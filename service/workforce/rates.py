"""Participation rates: per enterprise, distinct employees with a completed training in the
year over its declared headcount; for a group of enterprises (the city, a district, an
industry cluster) the sum of participants over the sum of headcounts, i.e. the enterprises'
rates weighted by headcount. Only enterprises that declared a headcount for the year count,
since without it there is no rate; their participants may exceed the headcount when the roster
holds more people than were declared, and the rate then exceeds 100% (shown, not hidden)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from service.accounts.models import Organization, OrgKind
from service.workforce.models import ParticipationMember, WorkforceYear

GROUPS = ("district", "cluster", "organization")


def rate_percent(participants: int, headcount: int) -> float:
    return round(100 * participants / headcount, 2) if headcount else 0.0


def enterprise_rows(
    session: Session, year: int, organization_id: uuid.UUID | None = None
) -> list[dict]:
    members = (
        select(ParticipationMember.organization_id, func.count().label("participants"))
        .where(ParticipationMember.year == year)
        .group_by(ParticipationMember.organization_id)
        .subquery()
    )
    stmt = (
        select(
            WorkforceYear.organization_id,
            Organization.name,
            Organization.district_code,
            WorkforceYear.cluster_version,
            WorkforceYear.cluster_code,
            WorkforceYear.headcount,
            func.coalesce(members.c.participants, 0),
        )
        .join(Organization, Organization.id == WorkforceYear.organization_id)
        .outerjoin(members, members.c.organization_id == WorkforceYear.organization_id)
        .where(
            WorkforceYear.year == year,
            Organization.is_active,
            Organization.kind == OrgKind.enterprise,
        )
        .order_by(Organization.name, WorkforceYear.organization_id)
    )
    if organization_id is not None:
        stmt = stmt.where(WorkforceYear.organization_id == organization_id)
    return [
        {
            "organization_id": str(org),
            "organization_name": name,
            "district": district,
            "cluster_version": version,
            "cluster": code,
            "headcount": int(headcount),
            "participants": int(participants),
            "rate_percent": rate_percent(int(participants), int(headcount)),
        }
        for org, name, district, version, code, headcount, participants in session.execute(stmt)
    ]


def _key(row: dict, group_by: str) -> tuple:
    if group_by == "district":
        return (row["district"],)
    if group_by == "cluster":
        return (row["cluster_version"], row["cluster"])
    return (row["organization_id"], row["organization_name"])


def participation(session: Session, year: int, group_by: str | None = None) -> dict:
    """The year's citywide figures and, with ``group_by``, one row per group."""
    rows = enterprise_rows(session, year)
    headcount = sum(r["headcount"] for r in rows)
    participants = sum(r["participants"] for r in rows)
    result: dict = {
        "year": year,
        "group_by": group_by,
        "totals": {
            "enterprises": len(rows),
            "headcount": headcount,
            "participants": participants,
            "rate_percent": rate_percent(participants, headcount),
        },
        "items": [],
    }
    if group_by is None:
        return result
    if group_by not in GROUPS:
        raise ValueError(group_by)
    if group_by == "organization":
        result["items"] = rows
        return result
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        cell = sums[_key(row, group_by)]
        cell[0] += 1
        cell[1] += row["headcount"]
        cell[2] += row["participants"]
    for key, (enterprises, heads, people) in sorted(
        sums.items(), key=lambda i: tuple(str(k) for k in i[0])
    ):
        item: dict = (
            {"district": key[0]}
            if group_by == "district"
            else {
                "cluster_version": key[0],
                "cluster": key[1],
            }
        )
        item |= {
            "enterprises": enterprises,
            "headcount": heads,
            "participants": people,
            "rate_percent": rate_percent(people, heads),
        }
        result["items"].append(item)
    return result


def gained_between(session: Session, year: int, start: datetime, end: datetime) -> int:
    """Members of declared enterprises whose first completion of ``year`` fell in [start, end)."""
    stmt = (
        select(func.count())
        .select_from(ParticipationMember)
        .join(
            WorkforceYear,
            (WorkforceYear.organization_id == ParticipationMember.organization_id)
            & (WorkforceYear.year == ParticipationMember.year),
        )
        .join(Organization, Organization.id == ParticipationMember.organization_id)
        .where(
            Organization.is_active,
            Organization.kind == OrgKind.enterprise,
            ParticipationMember.year == year,
            ParticipationMember.first_completed_at >= start,
            ParticipationMember.first_completed_at < end,
        )
    )
    return int(session.execute(stmt).scalar_one())


def years_between(first: date, last: date) -> range:
    return range(first.year, last.year + 1)

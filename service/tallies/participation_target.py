"""Progress toward the participation target: a rate per year, so each year of the target's
period is a target of its own and the one shown is the current year's.

With ``Y`` the current year (clipped to the period), ``H`` the headcount declared for ``Y`` and
``P`` the participants so far: ``needed = ceil(target% x H / 100)``, ``remaining = needed - P``,
``days_remaining`` counts through 31 December of ``Y``; the recent pace is the participants
gained over the trailing 90 days (clipped to ``Y``) per day; the projection is the same as for
the counted targets (``service.tallies.projection``), against 31 December of ``Y``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from service.core.timeutil import CITY_TZ
from service.workforce.rates import gained_between, participation, rate_percent

TRAILING_DAYS = 90


def _city_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CITY_TZ)


def participation_progress(session: Session, target, today: date) -> dict:
    year = min(max(today.year, target.period_from.year), target.period_to.year)
    year_from, year_to = date(year, 1, 1), date(year, 12, 31)
    this_year = participation(session, year)["totals"]
    headcount, participants = this_year["headcount"], this_year["participants"]
    needed = -(-target.target * headcount // 100)
    remaining = max(0, needed - participants)

    start = max(year_from, today - timedelta(days=TRAILING_DAYS - 1))
    end = min(today, year_to)
    window_days = (end - start).days + 1 if end >= start else 0
    gained = (
        gained_between(
            session, year, _city_midnight(start), _city_midnight(end + timedelta(days=1))
        )
        if window_days
        else 0
    )
    if today > year_to:
        days_remaining = 0
    elif today < year_from:
        days_remaining = (year_to - year_from).days + 1
    else:
        days_remaining = (year_to - today).days + 1

    reached = headcount > 0 and remaining == 0
    days_needed: int | None = None
    projected: date | None = None
    if reached:
        days_needed, projected = 0, today
    elif gained and headcount:
        days_needed = -(-remaining * window_days // gained)
        if days_needed <= (date.max - today).days:
            projected = today + timedelta(days=days_needed)
    on_track = reached or (projected is not None and projected <= year_to)
    if reached:
        projection = "reached"
    elif days_needed is None:
        projection = "no_recent_pace"
    else:
        projection = "on_track" if on_track else "late"
    achieved = rate_percent(participants, headcount)
    return {
        "code": target.code,
        "title": target.title,
        "description": target.description,
        "metric": target.metric,
        "filters": dict(target.filters or {}),
        "target": target.target,
        "unit": "percent",
        "year": year,
        "target_period_from": target.period_from.isoformat(),
        "target_period_to": target.period_to.isoformat(),
        "period_from": year_from.isoformat(),
        "period_to": year_to.isoformat(),
        "today": today.isoformat(),
        "achieved": achieved,
        "percent": round(min(100.0, 100 * achieved / target.target), 2) if target.target else 0.0,
        "headcount": headcount,
        "participants": participants,
        "participants_needed": needed,
        "remaining": remaining,
        "enterprises": this_year["enterprises"],
        "per_year": [
            {"year": y, **participation(session, y)["totals"]}
            for y in range(target.period_from.year, target.period_to.year + 1)
        ],
        "days_remaining": days_remaining,
        "pace_needed_per_day": round(remaining / days_remaining, 2) if days_remaining else None,
        "recent_window": {
            "from": start.isoformat() if window_days else None,
            "to": end.isoformat() if window_days else None,
            "days": window_days,
            "gained": gained,
        },
        "recent_pace_per_day": round(gained / window_days, 2) if window_days else 0.0,
        "days_needed_at_recent_pace": days_needed,
        "projected_date": projected.isoformat() if projected else None,
        "on_track": on_track,
        "projection": projection,
        "reached": reached,
    }

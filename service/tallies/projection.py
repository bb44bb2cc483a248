"""Progress toward a target and the projection from the recent pace.

Definitions (also in README "Tallies"), with ``today`` the Asia/Shanghai calendar day:

- ``achieved``: the target's metric over its filters and its whole period, as of now;
- ``days_remaining``: calendar days from today through ``period_to``, today included
  (the whole period if it has not started; 0 once it is over);
- ``pace_needed_per_day``: ``(target - achieved) / days_remaining`` (null when no day is left);
- ``recent_pace_per_day``: what the metric gained over the trailing 90 days ending today
  (``today - 89 .. today``, clipped to the period), divided by the number of those days;
- ``days_needed_at_recent_pace``: ``ceil(remaining / recent pace)``; 0 when reached, null
  when the recent pace is 0;
- ``projected_date``: ``today + days_needed_at_recent_pace``; today when already reached; null
  when the recent pace is 0 or the date would lie past the calendar's end (year 9999);
- ``on_track``: reached, or projected on or before ``period_to``;
- ``projection``: the same in one word for pages: ``reached``, ``on_track``, ``late`` (a pace,
  but too slow for the deadline) or ``no_recent_pace`` (nothing gained in the window).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from service.core.timeutil import CITY_TZ, utcnow
from service.tallies.models import RefTallyTarget
from service.tallies.participation_target import participation_progress
from service.tallies.queries import breakdown, count_between, percent

TRAILING_DAYS = 90


class UnknownTarget(LookupError):
    pass


def city_today() -> date:
    return utcnow().astimezone(CITY_TZ).date()


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 2)


def target_progress(
    session: Session, code: str = "person_times", today: date | None = None
) -> dict:
    target = session.get(RefTallyTarget, code)
    if target is None:
        raise UnknownTarget(code)
    today = today or city_today()
    if target.metric == "participation_rate":
        return participation_progress(session, target, today)
    metric = target.metric
    filters = dict(target.filters or {})
    period = {"period_from": target.period_from, "period_to": target.period_to}
    by_year = breakdown(session, ["year"], filters | period, limit=100)
    whole, years = by_year["totals"], by_year["items"]
    achieved = int(whole[metric])

    start = max(target.period_from, today - timedelta(days=TRAILING_DAYS - 1))
    end = min(today, target.period_to)
    window_days = (end - start).days + 1 if end >= start else 0
    gained = (
        count_between(session, filters, start, end, metric=metric, period_from=target.period_from)
        if window_days
        else 0
    )

    if today > target.period_to:
        days_remaining = 0
    elif today < target.period_from:
        days_remaining = (target.period_to - target.period_from).days + 1
    else:
        days_remaining = (target.period_to - today).days + 1
    remaining = max(0, target.target - achieved)
    days_needed: int | None = None
    projected: date | None = None
    if remaining == 0:
        days_needed, projected = 0, today
    elif gained:
        days_needed = -(-remaining * window_days // gained)
        if days_needed <= (date.max - today).days:
            projected = today + timedelta(days=days_needed)
    on_track = remaining == 0 or (projected is not None and projected <= target.period_to)
    if remaining == 0:
        projection = "reached"
    elif days_needed is None:
        projection = "no_recent_pace"
    else:
        projection = "on_track" if on_track else "late"
    return {
        "code": target.code,
        "title": target.title,
        "description": target.description,
        "metric": metric,
        "filters": filters,
        "target": target.target,
        "period_from": target.period_from.isoformat(),
        "period_to": target.period_to.isoformat(),
        "today": today.isoformat(),
        "achieved": achieved,
        "remaining": remaining,
        "percent": percent(achieved, target.target),
        "distinct_learners": int(whole["distinct_learners"]),
        "person_times": int(whole["person_times"]),
        "hours": whole["hours"],
        "credentials": int(whole["credentials"]),
        "per_year": [
            {
                "year": y["year"],
                "person_times": y["person_times"],
                "distinct_learners": y["distinct_learners"],
                "hours": y["hours"],
                "credentials": y["credentials"],
            }
            for y in years
        ],
        "days_remaining": days_remaining,
        "pace_needed_per_day": _ratio(remaining, days_remaining) if days_remaining else None,
        "recent_window": {
            "from": start.isoformat() if window_days else None,
            "to": end.isoformat() if window_days else None,
            "days": window_days,
            "gained": gained,
        },
        "recent_pace_per_day": _ratio(gained, window_days) if window_days else 0.0,
        "days_needed_at_recent_pace": days_needed,
        "projected_date": projected.isoformat() if projected else None,
        "on_track": on_track,
        "projection": projection,
        "reached": remaining == 0,
    }

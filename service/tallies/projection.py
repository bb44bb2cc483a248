"""Progress toward a target and the projection from the recent pace.

Definitions (also in README "Tallies"), with ``today`` the Asia/Shanghai calendar day:

- ``achieved``: the target's metric over its filters and its whole period, as of now;
- ``days_remaining``: calendar days from today through ``period_to``, today included
  (the whole period if it has not started; 0 once it is over);
- ``pace_needed_per_day``: ``(target - achieved) / days_remaining`` (null when no day is left);
- ``recent_pace_per_day``: what the metric gained over the trailing 90 days ending today
  (``today - 89 .. today``, clipped to the period), divided by the number of those days;
- ``projected_date``: ``today + ceil(remaining / recent pace)`` days; today when already
  reached; null when the recent pace is 0 (or the date is more than a century away);
- ``on_track``: reached, or projected on or before ``period_to``.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from service.core.timeutil import CITY_TZ, utcnow
from service.tallies.models import RefTallyTarget
from service.tallies.queries import breakdown, count_between, percent

TRAILING_DAYS = 90
MAX_PROJECTION_DAYS = 100 * 366  # beyond a century the date is reported as null


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
    if remaining == 0:
        projected: date | None = today
    elif gained == 0:
        projected = None
    else:
        days = -(-remaining * window_days // gained)
        projected = today + timedelta(days=days) if days <= MAX_PROJECTION_DAYS else None
    on_track = remaining == 0 or (projected is not None and projected <= target.period_to)
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
        "projected_date": projected.isoformat() if projected else None,
        "on_track": on_track,
        "reached": remaining == 0,
    }

"""The public dashboard's figures, from the very functions behind the tallies API.

- headline and per-year: ``target_progress(session, "person_times")`` = ``GET
  /api/v1/tallies/target``;
- districts and clusters: ``breakdown(session, [dim], {period of the target})`` with the API's
  labels = ``GET /api/v1/tallies?group_by=district&period_from=...&period_to=...``;
- every active target (``GET /api/v1/tallies/targets``), each with its own progress, pace and
  projection (``GET /api/v1/tallies/target?code=...``).

Only aggregates are shown (no person, no organization); the page adds no arithmetic of its own
beyond formatting, so its numbers are the API's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from service.tallies.labels import Labeller
from service.tallies.models import RefTallyTarget
from service.tallies.projection import UnknownTarget, city_today, target_progress
from service.tallies.queries import breakdown
from service.web.charts import Bar, number
from service.workforce.rates import participation

TARGET_CODE = "person_times"
MAX_ROWS = 50  # districts (10 in Ningbo) and clusters fit; more would not be a readable chart


@dataclass
class Row:
    key: str
    label: str | None  # None: not assigned (e.g. an offering without a cluster)
    person_times: int
    distinct_learners: int | None
    hours: str
    credentials: int

    def bar(self, unassigned: str) -> Bar:
        return Bar(self.label or unassigned, self.person_times, number(self.person_times))


@dataclass
class Dashboard:
    progress: dict
    years: list[Row]
    districts: list[Row]
    clusters: list[Row]
    totals: dict
    targets: list[dict]  # every active target's progress, the headline target first
    participation: dict  # this year's enterprise participation: city, districts, clusters


def _rows(items: list[dict], key, label) -> list[Row]:
    return [
        Row(
            key=str(key(item)),
            label=None if label(item) is None else str(label(item)),
            person_times=int(item["person_times"]),
            distinct_learners=item.get("distinct_learners"),
            hours=str(item["hours"]),
            credentials=int(item["credentials"]),
        )
        for item in items
    ]


def period_filters(progress: dict) -> dict:
    return {"period_from": progress["period_from"], "period_to": progress["period_to"]}


def _by(session: Session, dim: str, filters: dict) -> dict:
    from datetime import date

    parsed = {k: date.fromisoformat(v) for k, v in filters.items()}
    result = breakdown(session, [dim], parsed, limit=MAX_ROWS, sort="-person_times")
    labeller = Labeller(session)
    for item in result["items"]:
        labeller.apply(item, result["group_by"])
    return result


def active_targets(session: Session) -> list[dict]:
    codes = session.exec(
        select(RefTallyTarget.code).where(RefTallyTarget.is_active).order_by(RefTallyTarget.code)
    ).all()
    ordered = sorted(codes, key=lambda code: (code != TARGET_CODE, code))
    return [target_progress(session, code) for code in ordered]


# A district or cluster row with fewer enterprises would all but name them (a district with one
# reporting enterprise shows that enterprise's rate): such rows are left out of the public page
# and counted in a note; the citywide figure includes everyone.
MIN_PUBLIC_ENTERPRISES = 3


def _public(rows: list[dict]) -> tuple[list[dict], int]:
    """The rows a public page may show, and how many it leaves out. Small rows go, and while
    the rows left out hold fewer than the minimum together (the citywide total minus the shown
    rows would give them away), the next smallest goes too (complementary suppression)."""
    hidden = [r for r in rows if r["enterprises"] < MIN_PUBLIC_ENTERPRISES]
    shown = sorted(
        (r for r in rows if r["enterprises"] >= MIN_PUBLIC_ENTERPRISES),
        key=lambda r: r["enterprises"],
    )
    while hidden and shown and sum(r["enterprises"] for r in hidden) < MIN_PUBLIC_ENTERPRISES:
        hidden.append(shown.pop(0))
    kept = {id(r) for r in shown}
    return [r for r in rows if id(r) in kept], len(hidden)


def citywide_is_public(totals: dict) -> bool:
    return totals["enterprises"] >= MIN_PUBLIC_ENTERPRISES


def participation_figures(session: Session, year: int) -> dict:
    """Citywide, by district and by cluster only: the public page names no enterprise."""
    labeller = Labeller(session)
    by_district = participation(session, year, "district")
    by_cluster = participation(session, year, "cluster")
    for item in by_district["items"]:
        labeller.apply(item, ["district"])
    for item in by_cluster["items"]:
        labeller.apply(item, ["cluster"])
    districts, districts_hidden = _public(by_district["items"])
    clusters, clusters_hidden = _public(by_cluster["items"])
    return {
        "year": year,
        "totals": by_district["totals"],
        "public": citywide_is_public(by_district["totals"]),
        "hidden": {"districts": districts_hidden, "clusters": clusters_hidden},
        "districts": [
            {**i, "key": i["district"], "label": i.get("district_name") or i["district"]}
            for i in districts
        ],
        "clusters": [
            {
                **i,
                "key": f"{i['cluster_version']}:{i['cluster']}" if i["cluster"] else "",
                "label": i.get("cluster_name") or i["cluster"],
            }
            for i in clusters
        ],
    }


def load(session: Session) -> Dashboard | None:
    """None when the target is not configured (the page says so instead of inventing one)."""
    try:
        progress = target_progress(session, TARGET_CODE)
    except UnknownTarget:
        return None
    filters = period_filters(progress)
    districts = _by(session, "district", filters)
    clusters = _by(session, "cluster", filters)
    years = _rows(progress["per_year"], lambda i: i["year"], lambda i: i["year"])
    return Dashboard(
        progress=progress,
        years=years,
        districts=_rows(
            districts["items"],
            lambda i: i["district"],
            lambda i: i.get("district_name") or i["district"],
        ),
        clusters=_rows(
            clusters["items"],
            lambda i: f"{i['cluster_version']}:{i['cluster']}",
            lambda i: i.get("cluster_name") or i["cluster"],
        ),
        totals=districts["totals"],
        targets=active_targets(session),
        participation=participation_figures(session, city_today().year),
    )


def verdict(progress: dict) -> tuple[str, str, str]:
    """(key, tone, icon) of the schedule verdict: reached, on track, or behind."""
    if progress.get("reached"):
        return "dashboard.reached", "good", "✓"
    if progress.get("on_track"):
        return "dashboard.on_track", "good", "✓"
    return "dashboard.behind", "warn", "!"


def projection_sentence(t, progress: dict) -> str:
    """The projection in words built from the very figures shown beside it."""
    kind = progress["projection"]
    if kind == "reached":
        return t("dashboard.projection.reached")
    if kind == "no_recent_pace":
        return t("dashboard.projection.no_recent_pace", days=progress["recent_window"]["days"])
    figures = {
        "pace": f"{progress['recent_pace_per_day']:,.2f}",
        "deadline": progress["period_to"],
        "date": progress["projected_date"],
    }
    if progress["projected_date"] is None:  # past the calendar's end: say how long instead
        years = progress["days_needed_at_recent_pace"] // 365
        return t("dashboard.projection.late_far", years=number(years), **figures)
    return t(f"dashboard.projection.{kind}", **figures)


def target_bar(t, progress: dict) -> object:
    from service.web import charts as draw

    return draw.progress_bar(
        f"chart-target-{progress['code']}",
        float(progress["percent"]),
        progress["title"],
        t(
            "dashboard.target.desc",
            achieved=number(progress["achieved"]),
            target=number(progress["target"]),
            percent=progress["percent"],
        ),
    )


def target_cards(t, data: Dashboard) -> list[dict]:
    """Each active target as the page shows it: figures, bar, verdict and projection words."""
    return [
        {
            "p": progress,
            "bar": target_bar(t, progress),
            "verdict": verdict(progress),
            "projection": projection_sentence(t, progress),
            # a rate of fewer enterprises than the minimum would all but name them
            "suppressed": progress.get("unit") == "percent"
            and progress.get("enterprises", 0) < MIN_PUBLIC_ENTERPRISES,
        }
        for progress in data.targets
    ]


def charts(t, data: Dashboard) -> dict:
    """The three charts and the progress bar, titled and described in the page's language."""
    from service.web import charts as draw

    def described(rows: list[Row]) -> str:
        if not rows:
            return t("dashboard.chart.empty")
        top = max(rows, key=lambda r: r.person_times)
        return t(
            "dashboard.chart.desc",
            n=len(rows),
            top=top.label or t("dashboard.unassigned"),
            value=number(top.person_times),
        )

    unassigned = t("dashboard.unassigned")
    p = data.progress
    return {
        "progress": draw.progress_bar(
            "chart-progress",
            float(p["percent"]),
            t("dashboard.progress.title"),
            t(
                "dashboard.progress.desc",
                achieved=number(p["achieved"]),
                target=number(p["target"]),
                percent=p["percent"],
            ),
        ),
        "years": draw.vertical_bars(
            "chart-years",
            [r.bar(unassigned) for r in data.years],
            t("dashboard.by_year"),
            described(data.years),
        ),
        "districts": draw.horizontal_bars(
            "chart-districts",
            [r.bar(unassigned) for r in data.districts],
            t("dashboard.by_district"),
            described(data.districts),
        ),
        "clusters": draw.horizontal_bars(
            "chart-clusters",
            [r.bar(unassigned) for r in data.clusters],
            t("dashboard.by_cluster"),
            described(data.clusters),
        ),
    }

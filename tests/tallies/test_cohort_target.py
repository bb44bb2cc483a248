"""A scripted cohort with known totals, checked against a hand computation of every figure the
target call and the breakdown return."""

from __future__ import annotations

from datetime import date, timedelta

from service.tallies.projection import target_progress
from service.tallies.queries import breakdown
from service.tallies.reconcile import check

TODAY = date(2025, 6, 30)


def test_scripted_cohort_and_the_target_by_hand(city, session):
    a = city.add_learner(district="330212", groups=("rural", "migrant_worker"))
    b = city.add_learner(district="330203", groups=("enterprise_employee",))
    c = city.add_learner(district="330203", groups=())
    weld = city.add_offering()  # org 1, employment, subsidised, 2025 nev cluster
    cnc = city.add_offering(
        org=city.other_org,
        occupation_code="6-18-01-07",
        level=4,
        training_type="upskilling",
        funding="enterprise_funded",
        cluster_version="2023",
        cluster_code="high_end_equipment",
    )
    # 2023: a (weld); 2024: a (cnc), b (weld); 2025 inside the trailing window: b (cnc), c (weld)
    city.completion(a, weld, date(2023, 5, 10), minutes=450)
    city.completion(a, cnc, date(2024, 2, 1), minutes=900)
    city.completion(b, weld, date(2024, 12, 31), minutes=450)
    city.completion(b, cnc, TODAY - timedelta(days=89), minutes=900)  # first day of the window
    city.completion(c, weld, TODAY, minutes=460)
    assert check(session) == []

    p = target_progress(session, "person_times", today=TODAY)
    assert p["target"] == 1_200_000 and p["period_from"] == "2023-01-01"
    assert p["achieved"] == 5 and p["remaining"] == 1_199_995
    assert p["distinct_learners"] == 3
    assert p["percent"] == 0.0  # 5 / 1.2M = 0.0004 %, rounded to 2 places
    assert [(y["year"], y["person_times"], y["distinct_learners"]) for y in p["per_year"]] == [
        (2023, 1, 1),
        (2024, 2, 2),
        (2025, 2, 2),
    ]
    # 2025-06-30 .. 2027-12-31 inclusive: 185 days left in 2025, 365 in 2026 and 2027
    assert p["days_remaining"] == 185 + 365 + 365
    assert p["pace_needed_per_day"] == round(1_199_995 / 915, 2)
    assert p["recent_window"] == {"from": "2025-04-02", "to": "2025-06-30", "days": 90, "gained": 2}
    assert p["recent_pace_per_day"] == 0.02
    # at 2 per 90 days, 1,199,995 more take ceil(1,199,995 * 90 / 2) days: beyond a century
    assert p["projected_date"] is None and p["on_track"] is False
    assert p["hours"] == "70.22"  # 3160 minutes / 45, rounded down

    rural = target_progress(session, "rural_trainees", today=TODAY)
    assert rural["achieved"] == 2 and rural["filters"] == {"group": "rural"}
    assert rural["recent_window"]["gained"] == 0 and rural["projected_date"] is None

    rows = breakdown(session, ["year", "district"], {})
    assert [
        (r["year"], r["district"], r["person_times"], r["distinct_learners"], r["minutes"])
        for r in rows["items"]
    ] == [
        (2023, "330212", 1, 1, 450),
        (2024, "330203", 1, 1, 450),
        (2024, "330212", 1, 1, 900),
        (2025, "330203", 2, 2, 1360),
    ]
    assert rows["totals"]["person_times"] == 5 and rows["totals"]["distinct_learners"] == 3

    # learner a is in two groups: each group counts a's completions, the total does not double
    by_group = breakdown(session, ["group"], {})
    assert {r["group"]: r["person_times"] for r in by_group["items"]} == {
        "enterprise_employee": 2,
        "migrant_worker": 2,
        "rural": 2,
    }
    assert by_group["totals"]["person_times"] == 5

    # a period that is not whole years is counted from the facts, by day
    spring = breakdown(session, [], {"period_from": "2025-04-02", "period_to": "2025-06-30"})
    assert spring["totals"]["person_times"] == 2 and spring["sources"] == ["facts"]


def test_a_small_target_is_reached_and_projected(city, session, client, make_user, login):
    admin = login(make_user("admin"))
    r = client.post(
        "/api/v1/tallies/targets",
        json={
            "code": "weld_2025",
            "title": "焊工 2025",
            "target": 10,
            "period_from": "2025-01-01",
            "period_to": "2025-12-31",
            "filters": {"occupation_code": "6-18-02-04"},
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    weld = city.add_offering()
    for i in range(6):  # 6 completions over the 60 days up to June 30: 0.1 a day
        city.completion(city.add_learner(), weld, TODAY - timedelta(days=10 * i))
    p = target_progress(session, "weld_2025", today=TODAY)
    assert p["achieved"] == 6 and p["remaining"] == 4
    # window: 2025-04-02..2025-06-30 (90 days) gained 6 -> 4 more need ceil(4 * 90 / 6) = 60 days
    assert p["recent_window"]["gained"] == 6 and p["recent_pace_per_day"] == round(6 / 90, 2)
    assert p["projected_date"] == (TODAY + timedelta(days=60)).isoformat()
    assert p["on_track"] is True and p["days_remaining"] == 185
    for i in range(4):
        city.completion(city.add_learner(), weld, TODAY - timedelta(days=100 + i))
    reached = target_progress(session, "weld_2025", today=TODAY)
    assert reached["reached"] and reached["projected_date"] == TODAY.isoformat()
    assert reached["percent"] == 100.0

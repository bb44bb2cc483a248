"""The projection says what the figures beside it say: a slow pace gives a late date (however
far), no pace says so, and the dashboard shows every active target with its own projection."""

from __future__ import annotations

import re
from datetime import date, timedelta

from service.tallies.models import RefTallyTarget
from service.tallies.projection import city_today, target_progress
from service.web.dashboard import projection_sentence
from service.web.i18n import Translator

TODAY = date(2025, 6, 30)
EN = Translator("en")


def _target(session, code: str, goal: int, **fields) -> None:
    session.add(
        RefTallyTarget(
            code=code,
            title=fields.pop("title", code),
            target=goal,
            period_from=fields.pop("period_from", date(2023, 1, 1)),
            period_to=fields.pop("period_to", date(2027, 12, 31)),
            **fields,
        )
    )
    session.commit()


def test_a_pace_too_slow_for_a_century_still_projects_a_date_after_the_deadline(city, session):
    _target(session, "slow", 500)
    city.completion(city.add_learner(), city.add_offering(), TODAY)
    p = target_progress(session, "slow", today=TODAY)
    # 1 gained in 90 days: 499 more take ceil(499 * 90 / 1) = 44,910 days (about 123 years)
    assert p["recent_pace_per_day"] == 0.01 and p["days_needed_at_recent_pace"] == 44_910
    assert p["projected_date"] == (TODAY + timedelta(days=44_910)).isoformat()
    assert p["projection"] == "late" and p["on_track"] is False
    words = projection_sentence(EN, p)
    assert words == (
        f"At the recent pace of 0.01 a day the target would be reached on "
        f"{p['projected_date']}, after the deadline (2027-12-31)."
    )
    assert "no recent completions" not in words


def test_past_the_calendar_the_words_give_years_and_no_pace_says_so(city, session):
    city.completion(city.add_learner(), city.add_offering(), TODAY)
    p = target_progress(session, "person_times", today=TODAY)
    assert p["projected_date"] is None and p["projection"] == "late"
    years = p["days_needed_at_recent_pace"] // 365  # 1,199,999 * 90 days
    assert projection_sentence(EN, p) == (
        f"At the recent pace of 0.01 a day it would take more than {years:,} years: "
        "not by the deadline (2027-12-31)."
    )
    rural = target_progress(session, "rural_trainees", today=TODAY)
    assert rural["projection"] == "no_recent_pace" and rural["days_needed_at_recent_pace"] is None
    assert projection_sentence(EN, rural) == (
        "Nothing was gained in the last 90 days, so there is no pace to project from."
    )


def test_on_track_and_reached(city, session):
    _target(session, "quick", 3, period_from=date(2025, 1, 1), period_to=date(2025, 12, 31))
    weld = city.add_offering()
    city.completion(city.add_learner(), weld, TODAY - timedelta(days=30))
    city.completion(city.add_learner(), weld, TODAY)
    p = target_progress(session, "quick", today=TODAY)
    assert p["projection"] == "on_track" and p["days_needed_at_recent_pace"] == 45
    assert projection_sentence(EN, p).endswith(
        f"on {p['projected_date']}, by the deadline (2025-12-31)."
    )
    city.completion(city.add_learner(), weld, TODAY)
    done = target_progress(session, "quick", today=TODAY)
    assert done["projection"] == "reached" and done["days_needed_at_recent_pace"] == 0
    assert projection_sentence(EN, done) == "The target has been reached."


def test_the_dashboard_shows_every_active_target_with_the_api_figures(
    city, session, client, make_user, login
):
    _target(session, "retired", 10, is_active=False)
    today = city_today()
    weld = city.add_offering()
    rural = city.add_learner(groups=("rural",))
    city.completion(rural, weld, today)
    admin = login(make_user("admin"))
    listed = client.get("/api/v1/tallies/targets", headers=admin).json()
    active = [t["code"] for t in listed["items"] if t["is_active"]]
    assert "retired" not in active and {"person_times", "rural_trainees"} <= set(active)

    html = client.get("/dashboard", params={"lang": "en"}).text
    shown = re.findall(r'<li class="target [^"]*" id="target-([a-z0-9_]+)"', html)
    assert shown[0] == "person_times" and sorted(shown) == sorted(active)
    for code in active:
        api = client.get("/api/v1/tallies/target", params={"code": code}, headers=admin).json()
        card = html.split(f'id="target-{code}"', 1)[1].split("</li>", 1)[0]
        assert f'data-projection="{api["projection"]}"' in card
        if api.get("unit") == "percent" and api["enterprises"] < 3:  # would name enterprises
            assert "target-suppressed" in card and "target-achieved" not in card
            continue
        assert f'class="target-achieved" data-value="{api["achieved"]}"' in card
        assert f'class="target-goal" data-value="{api["target"]}"' in card
        assert projection_sentence(EN, api) in card.replace("&#39;", "'")

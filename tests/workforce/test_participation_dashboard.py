"""The public dashboard shows the participation target and this year's rate citywide, by
district and by industry cluster, with the API's numbers; it names no enterprise, and leaves
out any figure that would all but name one (fewer than three enterprises behind it)."""

from __future__ import annotations

from service.tallies.projection import city_today, target_progress
from service.web.dashboard import _public
from tests.support.pages import table_numbers


def _rows(*sizes: int) -> list[dict]:
    return [{"key": str(i), "enterprises": n} for i, n in enumerate(sizes)]


def test_small_rows_and_the_rows_that_would_give_them_away_are_left_out():
    assert _public(_rows(5, 4, 3)) == (_rows(5, 4, 3), 0)
    # one small row alone could be recovered as total - the others: the next smallest goes too
    shown, hidden = _public(_rows(5, 4, 1))
    assert [r["key"] for r in shown] == ["0"] and hidden == 2
    shown, hidden = _public(_rows(5, 2, 1))  # two small rows hold 3 together: enough
    assert [r["key"] for r in shown] == ["0"] and hidden == 2
    assert _public(_rows(3, 1)) == ([], 2)


def test_the_dashboard_shows_participation_without_naming_an_enterprise(
    city, client, session, workforce, make_org
):
    year = city_today().year
    e, hr = workforce.enterprise, workforce.hr
    declared = client.put(
        f"/api/v1/organizations/{e.id}/workforce/years/{year}",
        json={"headcount": 4, "cluster_version": "2025", "cluster_code": "nev_high_end_equipment"},
        headers=hr,
    )
    assert declared.status_code == 201, declared.text
    a, a_no = workforce.person(city)
    client.post(
        f"/api/v1/organizations/{e.id}/workforce/years/{year}/employees",
        json={"id_numbers": [a_no]},
        headers=hr,
    )
    city.completion(a, city.add_offering(), city_today())

    # One enterprise: its rate would be the city's, so nothing is shown yet.
    html = client.get("/dashboard", params={"lang": "en"}).text
    assert 'id="participation-none"' in html and 'id="participation-rate"' not in html
    card = html.split('id="target-enterprise_participation"', 1)[1].split("</li>", 1)[0]
    assert "target-suppressed" in card and "25" not in card
    progress = target_progress(session, "enterprise_participation")  # the API has it all
    assert progress["achieved"] == 25.0 and progress["participants_needed"] == 2
    assert progress["remaining"] == 1 and progress["period_to"] == f"{year}-12-31"
    assert progress["recent_window"]["gained"] == 1

    # Five more enterprises, three in a second district: the city and that district show.
    def enterprise(district: str, headcount: int) -> None:
        org = make_org(name="另一家企业", district=district, kind="enterprise")
        r = client.put(
            f"/api/v1/organizations/{org.id}/workforce/years/{year}",
            json={"headcount": headcount},
            headers=city.admin,
        )
        assert r.status_code == 201

    for district in ("330212", "330212", "330206", "330206", "330206"):
        enterprise(district, 4)
    api = client.get(
        "/api/v1/tallies/participation",
        params={"year": year, "group_by": "district"},
        headers=city.admin,
    ).json()
    assert api["totals"] == {"enterprises": 6, "headcount": 24, "participants": 1,
                             "rate_percent": 4.17}  # fmt: skip
    html = client.get("/dashboard", params={"lang": "en"}).text
    assert 'id="participation-rate" data-value="4.17"' in html
    assert table_numbers(html, "participation-districts", "participants") == {
        "330212": 1,
        "330206": 0,
    }
    # the cluster row holds one enterprise, and the unassigned row five: both left out
    assert table_numbers(html, "participation-clusters", "participants") == {}
    assert 'data-hidden="2"' in html.split('id="participation-clusters"', 1)[1]
    assert e.name not in html and "另一家企业" not in html
    card = html.split('id="target-enterprise_participation"', 1)[1].split("</li>", 1)[0]
    assert 'data-value="4.17">4.17%' in card and 'data-value="50">50%' in card

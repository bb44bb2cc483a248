"""The dashboard's numbers are the tallies API's numbers (same functions, same period)."""

from __future__ import annotations

from tests.support.pages import table_numbers


def test_dashboard_matches_the_api(client, completions, make_user, login):
    admin = login(make_user("admin"))
    target = client.get("/api/v1/tallies/target", headers=admin).json()
    period = {"period_from": target["period_from"], "period_to": target["period_to"]}
    districts = client.get(
        "/api/v1/tallies", params={"group_by": "district", **period}, headers=admin
    ).json()
    clusters = client.get(
        "/api/v1/tallies", params={"group_by": "cluster", **period}, headers=admin
    ).json()
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert target["achieved"] == completions
    assert f'id="achieved" data-value="{target["achieved"]}"' in html
    assert f'id="percent" data-value="{target["percent"]}"' in html
    assert table_numbers(html, "table-years") == {
        str(y["year"]): y["person_times"] for y in target["per_year"]
    }
    assert table_numbers(html, "table-districts") == {
        d["district"]: d["person_times"] for d in districts["items"]
    }
    assert table_numbers(html, "table-clusters") == {
        f"{c['cluster_version']}:{c['cluster']}": c["person_times"] for c in clusters["items"]
    }
    assert "测试学员" not in html  # aggregates only

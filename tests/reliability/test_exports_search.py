"""Replays of attacks on exports and list queries, over real HTTP with real threads
(SQLite and PostgreSQL): formula injection through an organization's name, LIKE wildcards and
control characters in a search, and hostile query parameters on every list endpoint."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
from openpyxl import load_workbook

from tests.fixtures.accounts import TEST_PASSWORD

FORMULA = '=HYPERLINK("http://x","y")'


def _admin_headers(base: str, make_user) -> dict[str, str]:
    user = make_user("admin")
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post(
            "/api/v1/auth/token", data={"username": user.email, "password": TEST_PASSWORD}
        )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _get_all(base: str, headers: dict, urls: list[str], workers: int = 4) -> list[httpx.Response]:
    """GET each (already encoded) URL from a few threads at once; the responses, in order."""
    with (
        httpx.Client(base_url=base, headers=headers, timeout=120) as http,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        return list(pool.map(http.get, urls))


def test_a_formula_named_organization_is_plain_text_in_both_exports(
    live_server, city, make_org, make_user
):
    org = make_org(name=FORMULA)
    city.completion(city.add_learner(), city.add_offering(org=org), date(2025, 4, 1))
    admin = _admin_headers(live_server, make_user)
    query = "?group_by=organization"
    responses = _get_all(
        live_server,
        admin,
        [f"/api/v1/tallies/export.csv{query}", f"/api/v1/tallies/export.xlsx{query}"] * 3,
    )
    assert [r.status_code for r in responses] == [200] * 6
    for csv_response in responses[0::2]:
        rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
        assert [(r["organization_name"], r["person_times"]) for r in rows] == [("'" + FORMULA, "1")]
    for xlsx_response in responses[1::2]:
        sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
        header, row = (list(r) for r in sheet.iter_rows(min_row=1, max_row=2))
        cell = row[[c.value for c in header].index("organization_name")]
        assert cell.value == FORMULA and cell.data_type == "s"


def test_a_percent_search_on_learners_matches_only_the_percent(live_server, world, make_user):
    for name in ("王五", "达标100%", "甲_乙"):
        world.learner(name=name, groups=[])  # groups are beside the point here
    admin = _admin_headers(live_server, make_user)
    # The attacker typed a bare "%" (not even a valid percent-encoding), then the encoded forms.
    urls = ["/api/v1/learners?q=%", "/api/v1/learners?q=%25", "/api/v1/learners?q=_"] * 4
    responses = _get_all(live_server, admin, urls)
    by_url = {}
    for url, r in zip(urls, responses, strict=True):
        assert r.status_code < 500, (url, r.text)
        by_url.setdefault(url, set()).add(
            (r.status_code, tuple(sorted(i["name"] for i in r.json().get("items", []))))
        )
    assert by_url["/api/v1/learners?q=%25"] == {(200, ("达标100%",))}
    assert by_url["/api/v1/learners?q=_"] == {(200, ("甲_乙",))}
    # a bare "%" is read as itself (percent-decoding leaves a lone "%" alone) or refused
    assert by_url["/api/v1/learners?q=%"] in ({(200, ("达标100%",))}, {(422, ())})


def test_a_nul_in_an_export_filter_is_a_422_before_any_byte(live_server, city, make_user):
    admin = _admin_headers(live_server, make_user)
    urls = [
        f"/api/v1/tallies{path}?{name}=33%00"
        for path in ("", "/export.csv", "/export.xlsx")
        for name in ("district", "cluster", "group", "group_by")
    ]
    for url, r in zip(urls, _get_all(live_server, admin, urls), strict=True):
        assert r.status_code == 422, (url, r.status_code, r.content[:80])
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "validation-error"


# Hostile query-parameter values, as they go on the wire (already percent-encoded): for text
# parameters, and for numbers, dates and flags.
TEXT = [
    "%",
    "_",
    "%5C",
    "%00",
    "a%00b",
    "%1B%5B31m",
    "%0D%0A",
    "%FF",
    "%E4%B8",
    "%C0%AF",
    "x" * 5000,
]
NUMBERS = ["-1", "-99999999999999999999", "99999999999999999999", "1e308", "NaN", "%00", "%FF"]


def _is_text(schema: dict) -> bool:
    types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    return not types & {"integer", "number", "boolean"}


def test_list_endpoints_survive_hostile_query_parameters(live_server, city, make_user):
    admin = _admin_headers(live_server, make_user)
    with httpx.Client(base_url=live_server, timeout=60) as http:
        document = http.get("/openapi.json").json()
    urls = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:  # lists only: a path parameter names one resource
            continue
        for param in get.get("parameters", []):
            if param["in"] == "query":
                values = TEXT if _is_text(param["schema"]) else NUMBERS
                urls += [f"{path}?{param['name']}={value}" for value in values]
    assert len(urls) > 300  # the walk found the list endpoints
    responses = _get_all(live_server, admin, urls, workers=4)
    statuses = [(u[:120], r.status_code) for u, r in zip(urls, responses, strict=True)]
    assert [s for s in statuses if s[1] >= 500] == []
    searches = [s for u, s in statuses if "?q=" in u and "%00" in u]
    assert searches and set(searches) == {422}

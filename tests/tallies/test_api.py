"""The tallies API: breakdowns, scoping, bad input, exports, targets."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlmodel import select

from service.accounts.models import AuditEvent
from service.tallies.models import RefTallyTarget


@pytest.fixture
def figures(city):
    """Two organizations' completions: org 1 has 3 (two people), org 2 has 1."""
    a = city.add_learner(district="330212", groups=("rural",))
    b = city.add_learner(district="330203", groups=("migrant_worker", "rural"))
    o1 = city.add_offering()
    o1b = city.add_offering(level=4)
    o2 = city.add_offering(org=city.other_org, training_type="upskilling")
    city.completion(a, o1, date(2024, 5, 1))
    city.completion(a, o1b, date(2025, 5, 1))
    city.completion(b, o1, date(2025, 6, 1))
    city.completion(b, o2, date(2025, 7, 1))
    return city


def test_breakdown_for_the_city_and_for_an_organization_paginated(
    figures, client, make_user, login
):
    admin = login(make_user("admin"))
    r = client.get("/api/v1/tallies?group_by=organization,year", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and body["totals"]["person_times"] == 4
    assert body["totals"]["distinct_learners"] == 2
    names = {i["organization_name"] for i in body["items"]}
    assert names == {"宁波技师学院", "余姚职业技术学校"}

    trainer = login(make_user("trainer", org=figures.org))
    mine = client.get("/api/v1/tallies?group_by=year", headers=trainer).json()
    assert [(i["year"], i["person_times"]) for i in mine["items"]] == [(2024, 1), (2025, 2)]
    assert mine["totals"]["person_times"] == 3 and mine["totals"]["distinct_learners"] == 2
    # asking for another organization does not widen the scope
    other = client.get(
        f"/api/v1/tallies?organization_id={figures.other_org.id}", headers=trainer
    ).json()
    assert other["totals"]["person_times"] == 3

    filtered = client.get(
        "/api/v1/tallies?group_by=group&year=2025&type=employment", headers=admin
    ).json()
    assert {i["group"]: i["person_times"] for i in filtered["items"]} == {
        "migrant_worker": 1,
        "rural": 2,
    }
    assert filtered["totals"]["person_times"] == 2

    # pages and sorting
    first = client.get("/api/v1/tallies?group_by=year,level&limit=1", headers=admin).json()
    second = client.get(
        "/api/v1/tallies?group_by=year,level&limit=1&offset=1", headers=admin
    ).json()
    assert first["total"] == second["total"] == 3
    assert first["items"] != second["items"] and len(first["items"]) == 1
    top = client.get(
        "/api/v1/tallies?group_by=organization&sort=-person_times", headers=admin
    ).json()
    assert [i["person_times"] for i in top["items"]] == [3, 1]


def test_bad_queries_are_422_and_strangers_403(figures, client, make_user, login):
    admin = login(make_user("admin"))
    r = client.get("/api/v1/tallies?group_by=year,shoe_size", headers=admin)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid-tally-query" and "shoe_size" in r.json()["detail"]
    assert client.get("/api/v1/tallies?year=nineteen", headers=admin).status_code == 422
    assert (
        client.get(
            "/api/v1/tallies?period_from=2025-02-01&period_to=2025-01-01", headers=admin
        ).status_code
        == 422
    )
    assert client.get("/api/v1/tallies/export.csv?group_by=nope", headers=admin).status_code == 422
    learner = login(make_user("learner"))
    assert client.get("/api/v1/tallies", headers=learner).status_code == 403
    assert client.get("/api/v1/tallies/export.csv", headers=learner).status_code == 403
    assert client.get("/api/v1/tallies").status_code == 401


def test_exports_stream_the_same_rows(figures, client, make_user, login):
    admin = login(make_user("admin"))
    json_rows = client.get("/api/v1/tallies?group_by=year,district", headers=admin).json()
    r = client.get("/api/v1/tallies/export.csv?group_by=year,district", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(int(x["year"]), x["district"], int(x["person_times"])) for x in rows] == [
        (i["year"], i["district"], i["person_times"]) for i in json_rows["items"]
    ]
    assert rows[0]["district_name"] in ("海曙区", "鄞州区")

    from openpyxl import load_workbook

    x = client.get("/api/v1/tallies/export.xlsx?group_by=year,district", headers=admin)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(x.content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("year", "district", "district_name")
    assert len(values) == 1 + len(rows)

    trainer = login(make_user("trainer", org=figures.other_org))
    scoped = client.get("/api/v1/tallies/export.csv", headers=trainer)
    (line,) = list(csv.DictReader(io.StringIO(scoped.content.decode("utf-8-sig"))))
    assert line["person_times"] == "1"


def test_targets_are_data_admins_edit(client, session, make_org, make_user, login):
    admin = login(make_user("admin"))
    listed = client.get("/api/v1/tallies/targets", headers=admin).json()
    codes = {t["code"]: t for t in listed["items"]}
    assert codes["person_times"]["target"] == 1_200_000
    assert codes["rural_trainees"]["filters"] == {"group": "rural"}
    assert codes["ningbo_craftsmen"]["metric"] == "distinct_learners"

    body = {
        "code": "veterans_api",
        "title": "退役军人培训",
        "target": 500,
        "period_from": "2024-01-01",
        "period_to": "2027-12-31",
        "filters": {"group": "veteran"},
    }
    created = client.post(
        "/api/v1/tallies/targets", json=body, headers=admin | {"Idempotency-Key": "t-1"}
    )
    assert created.status_code == 201, created.text
    again = client.post(
        "/api/v1/tallies/targets", json=body, headers=admin | {"Idempotency-Key": "t-1"}
    )
    assert again.status_code == 201 and again.json() == created.json()
    dup = client.post("/api/v1/tallies/targets", json=body, headers=admin)
    assert dup.status_code == 409

    bad = client.post(
        "/api/v1/tallies/targets",
        json=body | {"code": "bad_filter", "filters": {"colour": "red"}},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "filters.colour"
    assert session.get(RefTallyTarget, "bad_filter") is None  # nothing written
    assert (
        client.post(
            "/api/v1/tallies/targets", json=body | {"code": "m", "metric": "x"}, headers=admin
        ).status_code
        == 422
    )

    patched = client.patch(
        "/api/v1/tallies/targets/veterans_api", json={"target": 800}, headers=admin
    )
    assert patched.status_code == 200 and patched.json()["target"] == 800
    assert (
        client.patch(
            "/api/v1/tallies/targets/veterans_api",
            json={"period_from": "2030-01-01"},
            headers=admin,
        ).status_code
        == 422
    )
    assert (
        client.patch("/api/v1/tallies/targets/nope", json={"target": 1}, headers=admin).status_code
        == 404
    )
    progress = client.get("/api/v1/tallies/target?code=veterans_api", headers=admin).json()
    assert progress["target"] == 800 and progress["achieved"] == 0
    assert client.get("/api/v1/tallies/target?code=nope", headers=admin).status_code == 404
    default = client.get("/api/v1/tallies/target", headers=admin).json()
    assert default["code"] == "person_times" and default["target"] == 1_200_000

    trainer = login(make_user("trainer", org=make_org()))
    assert (
        client.post(
            "/api/v1/tallies/targets", json=body | {"code": "by_trainer"}, headers=trainer
        ).status_code
        == 403
    )
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.subject_id == "veterans_api")
    ).all()
    assert sorted(actions) == ["tallies.target.create", "tallies.target.update"]

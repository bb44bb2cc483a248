"""Offerings: validation against reference data, organization scoping, search and near me."""

from __future__ import annotations

from service.training.models import Offering
from tests.fixtures.builder import count


def test_validation_against_reference_data_writes_nothing(world, client, session):
    base = dict(
        title="x",
        occupation_code="6-18-02-04",
        level=5,
        training_type="employment",
        funding="market",
        mode="offline",
        required_minutes=60,
        capacity=5,
        starts_on="2026-01-01",
        ends_on="2026-02-01",
        district_code="330206",
    )
    cases = [
        ({"occupation_code": "9-99-99-99"}, 422, "validation-error"),
        ({"occupation_code": "6-99-99-99"}, 422, "unknown-occupation"),
        ({"occupation_code": "4-14-02-02", "level": 5}, 422, "level-not-offered"),
        ({"district_code": "310101"}, 422, "unknown-district"),
        ({"cluster_version": "2025", "cluster_code": "digital_industry"}, 422, "unknown-cluster"),
        ({"ends_on": "2025-12-01"}, 422, "invalid-dates"),
        ({"latitude": 29.9}, 422, "invalid-location"),
        ({"organization_id": str(world.other_org.id)}, 403, "forbidden"),
    ]
    for change, status, code in cases:
        r = client.post("/api/v1/offerings", json=base | change, headers=world.trainer)
        assert (r.status_code, r.json()["code"]) == (status, code), (change, r.text)
    learner_headers = world.learner_with_login()[1]
    assert client.post("/api/v1/offerings", json=base, headers=learner_headers).status_code == 403
    assert count(session, Offering) == 0
    ok = client.post(
        "/api/v1/offerings",
        json=base | {"cluster_version": "2023", "cluster_code": "high_end_equipment"},
        headers=world.trainer,
    )
    assert ok.status_code == 201 and ok.json()["organization_id"] == str(world.org.id)


def test_update_rules(world, client):
    offering = world.offering(capacity=2)
    url = f"/api/v1/offerings/{offering['id']}"
    assert client.patch(url, json={"title": "新"}, headers=world.other_trainer).status_code == 403
    world.enroll(world.learner()["id"], offering["id"])
    r = client.patch(url, json={"level": 4}, headers=world.trainer)
    assert r.status_code == 409 and r.json()["code"] == "offering-has-enrollments"
    r = client.patch(url, json={"capacity": 0}, headers=world.trainer)
    assert r.status_code == 422
    r = client.patch(url, json={"capacity": 10, "address": "新地址"}, headers=world.org_admin)
    assert r.status_code == 200 and r.json()["capacity"] == 10


def test_near_me_orders_by_distance_and_respects_the_radius(world, client):
    # Around Ningbo's Tianyi Square (29.8736, 121.5540).
    near = world.offering(title="near", latitude=29.8790, longitude=121.5560)  # ~0.6 km
    mid = world.offering(title="mid", latitude=29.8900, longitude=121.5700)  # ~2.4 km
    world.offering(title="far", latitude=29.9500, longitude=121.6500)  # ~12 km
    world.offering(title="nowhere", latitude=None, longitude=None)
    r = client.get(
        "/api/v1/offerings", params={"lat": 29.8736, "lon": 121.5540}, headers=world.platform
    )
    assert r.status_code == 200, r.text
    page = r.json()
    assert [o["id"] for o in page["items"]] == [near["id"], mid["id"]] and page["total"] == 2
    assert 400 < page["items"][0]["distance_m"] < 800
    wide = client.get(
        "/api/v1/offerings",
        params={"lat": 29.8736, "lon": 121.5540, "radius_m": 20000, "limit": 1, "offset": 2},
        headers=world.platform,
    ).json()
    assert wide["total"] == 3 and wide["items"][0]["title"] == "far"
    assert (
        client.get("/api/v1/offerings", params={"lat": 29.8}, headers=world.platform).status_code
        == 422
    )


def test_filters_and_pagination(world, client):
    world.offering(mode="online", funding="market")
    world.offering(mode="offline", level=4)
    world.offering(mode="offline", headers=world.other_trainer)
    get = lambda **p: client.get("/api/v1/offerings", params=p, headers=world.admin).json()  # noqa: E731
    assert get(mode="offline")["total"] == 2
    assert get(level=4)["total"] == 1
    assert get(funding="market")["total"] == 1
    assert get(organization_id=str(world.other_org.id))["total"] == 1
    page = get(limit=2)
    assert page["total"] == 3 and len(page["items"]) == 2
    assert (
        client.get("/api/v1/offerings", params={"limit": 500}, headers=world.admin).status_code
        == 422
    )


def test_reference_endpoints(client):
    districts = client.get("/api/v1/reference/districts").json()
    assert {"code": "330212", "name": "鄞州区", "kind": "district"} in districts
    clusters = client.get("/api/v1/reference/clusters").json()
    assert clusters["version"] == "2025" and len(clusters["clusters"]) == 10
    assert len(client.get("/api/v1/reference/clusters?version=2023").json()["clusters"]) == 10
    assert client.get("/api/v1/reference/clusters?version=1999").status_code == 404
    welder = client.get("/api/v1/reference/occupations/6-18-02-04").json()
    assert welder["name"] == "焊工" and welder["levels"] == [5, 4, 3, 2, 1]
    found = client.get("/api/v1/reference/occupations", params={"q": "焊"}).json()
    assert found["total"] == 1
    assert len(client.get("/api/v1/reference/training-types").json()) == 4
    assert len(client.get("/api/v1/reference/groups").json()) == 8
    assert client.get("/api/v1/reference/policy").json()["max_subsidised_per_year"] == 3

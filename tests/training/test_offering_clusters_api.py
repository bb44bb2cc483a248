"""An offering's "361" cluster follows its occupation: derived when the occupation has one
cluster, refused when it contradicts the occupation, asked for when there are several, and left
empty (or as given) for occupations outside every cluster."""

from __future__ import annotations

from service.training.models import Offering
from service.training.occupations import OCCUPATIONS
from service.training.reference_data import OCCUPATION_CLUSTERS, get_cluster
from tests.fixtures.builder import count

CHEMICAL_OPERATOR = "6-11-01-03"  # 化工总控工: green_petrochemical in both editions
ROBOT_OPERATOR = "6-30-99-00"  # 工业机器人系统操作员: high_end_equipment / ai_robotics
CAR_ASSEMBLER = "6-22-02-01"  # 汽车装调工: high_end_equipment / nev_high_end_equipment
WELDER = "6-18-02-04"  # 焊工: several equipment clusters
HAIRDRESSER = "4-10-03-02"  # 美发师: no industry cluster
EQUIPMENT_2025 = ["nev_high_end_equipment", "aerospace_marine_equipment"]


def _body(world, occupation_code: str, **fields) -> dict:
    body = {
        "title": "培训班",
        "occupation_code": occupation_code,
        "level": 5,
        "training_type": "employment",
        "funding": "market",
        "mode": "offline",
        "required_minutes": 600,
        "capacity": 30,
        "starts_on": world.today.isoformat(),
        "ends_on": world.today.isoformat(),
        "district_code": "330206",
    }
    return body | fields


def _post(world, occupation_code: str, **fields):
    body = _body(world, occupation_code, **fields)
    return world.client.post("/api/v1/offerings", json=body, headers=world.trainer)


def _cluster(offering: dict) -> tuple[str | None, str | None]:
    return offering["cluster_version"], offering["cluster_code"]


def _in_cluster(world, code: str) -> list[str]:
    page = world.client.get(
        "/api/v1/offerings", params={"cluster_code": code}, headers=world.admin
    ).json()
    return [o["id"] for o in page["items"]]


def test_a_single_cluster_is_derived_from_the_occupation(world):
    chemical = _post(world, CHEMICAL_OPERATOR)
    robots = _post(world, ROBOT_OPERATOR)
    assert chemical.status_code == 201, chemical.text
    assert _cluster(chemical.json()) == ("2025", "green_petrochemical")
    assert _cluster(robots.json()) == ("2025", "ai_robotics")
    # counted where a search by cluster (and the tallies) look, not under "no cluster"
    assert _in_cluster(world, "green_petrochemical") == [chemical.json()["id"]]
    assert _in_cluster(world, "ai_robotics") == [robots.json()["id"]]


def test_a_cluster_that_contradicts_the_occupation_is_refused(world, session):
    r = _post(world, CHEMICAL_OPERATOR, cluster_version="2025", cluster_code="ai_robotics")
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "cluster-contradicts-occupation"
    assert problem["allowed_clusters"] == ["green_petrochemical"]
    assert "化工总控工" in problem["detail"] and "绿色石化" in problem["detail"]
    # the edition given is the one checked: 2023 equipment clusters for a welder
    old = _post(world, WELDER, cluster_version="2023", cluster_code="digital_industry")
    assert old.status_code == 422 and old.json()["cluster_version"] == "2023"
    assert old.json()["allowed_clusters"] == ["high_end_equipment", "key_basic_components"]
    assert count(session, Offering) == 0
    kept = _post(world, WELDER, cluster_version="2023", cluster_code="high_end_equipment")
    assert kept.status_code == 201 and _cluster(kept.json()) == ("2023", "high_end_equipment")


def test_an_occupation_in_several_clusters_must_choose(world, session):
    r = _post(world, WELDER)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "cluster-choice-required"
    assert (problem["cluster_version"], problem["allowed_clusters"]) == ("2025", EQUIPMENT_2025)
    assert all(code in problem["detail"] for code in EQUIPMENT_2025)
    assert count(session, Offering) == 0
    chosen = _post(world, WELDER, cluster_version="2025", cluster_code="aerospace_marine_equipment")
    assert chosen.status_code == 201
    assert _cluster(chosen.json()) == ("2025", "aerospace_marine_equipment")


def test_an_occupation_outside_the_clusters_keeps_none_or_the_one_given(world):
    plain = _post(world, HAIRDRESSER)
    assert plain.status_code == 201 and _cluster(plain.json()) == (None, None)
    given = _post(world, HAIRDRESSER, cluster_version="2025", cluster_code="fashion_consumer_goods")
    assert given.status_code == 201
    assert _cluster(given.json()) == ("2025", "fashion_consumer_goods")
    unknown = _post(world, HAIRDRESSER, cluster_version="2025", cluster_code="digital_industry")
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-cluster"


def test_changing_the_occupation_or_the_cluster_applies_the_same_rules(world):
    no_cluster = {"cluster_version": None, "cluster_code": None}
    offering = world.offering(**_body(world, CHEMICAL_OPERATOR) | no_cluster)
    url = f"/api/v1/offerings/{offering['id']}"

    def patch(**changes):
        return world.client.patch(url, json=changes, headers=world.trainer)

    def stored():
        return _cluster(world.client.get(url, headers=world.trainer).json())

    assert stored() == ("2025", "green_petrochemical")
    r = patch(cluster_code="ai_robotics")
    assert r.status_code == 422 and r.json()["code"] == "cluster-contradicts-occupation"
    # the old cluster does not fit a welder, who has several: choose with the new occupation
    r = patch(occupation_code=WELDER)
    assert r.status_code == 422 and r.json()["code"] == "cluster-choice-required"
    assert stored() == ("2025", "green_petrochemical")
    r = patch(occupation_code=WELDER, cluster_code="nev_high_end_equipment")
    assert r.status_code == 200 and _cluster(r.json()) == ("2025", "nev_high_end_equipment")
    # a cluster that still fits the new occupation is kept
    assert _cluster(patch(occupation_code=CAR_ASSEMBLER).json()) == (
        "2025",
        "nev_high_end_equipment",
    )
    # one that does not is worked out again: derived, or cleared outside the clusters
    assert _cluster(patch(occupation_code=ROBOT_OPERATOR).json()) == ("2025", "ai_robotics")
    assert _cluster(patch(occupation_code=HAIRDRESSER).json()) == (None, None)
    assert _cluster(patch(occupation_code=CHEMICAL_OPERATOR).json()) == (
        "2025",
        "green_petrochemical",
    )
    # clearing the cluster of a one-cluster occupation derives it again
    cleared = patch(cluster_version=None, cluster_code=None)
    assert cleared.status_code == 200 and _cluster(cleared.json()) == (
        "2025",
        "green_petrochemical",
    )
    assert stored() == ("2025", "green_petrochemical")


def test_other_changes_leave_a_stored_cluster_alone(world):
    """Rows stored before the rule (a welder under petrochemicals) still take other edits."""
    legacy = world.add_offering(occupation_code=WELDER, cluster_code="green_petrochemical")
    url = f"/api/v1/offerings/{legacy.id}"
    r = world.client.patch(url, json={"title": "焊工（初级）"}, headers=world.trainer)
    assert r.status_code == 200, r.text
    assert _cluster(r.json()) == ("2025", "green_petrochemical")


def test_the_occupation_reference_names_its_clusters_per_edition(client):
    robots = client.get(f"/api/v1/reference/occupations/{ROBOT_OPERATOR}").json()
    assert robots["clusters"] == {"2023": ["high_end_equipment"], "2025": ["ai_robotics"]}
    hair = client.get(f"/api/v1/reference/occupations/{HAIRDRESSER}").json()
    assert hair["clusters"] == {"2023": [], "2025": []}
    found = client.get("/api/v1/reference/occupations", params={"q": "焊"}).json()["items"]
    assert found[0]["clusters"]["2025"] == EQUIPMENT_2025


def test_the_map_names_catalogued_occupations_and_known_clusters():
    for version, by_occupation in OCCUPATION_CLUSTERS.items():
        for occupation_code, clusters in by_occupation.items():
            assert occupation_code in OCCUPATIONS
            assert clusters and all(get_cluster(version, c) for c in clusters)
    assert OCCUPATION_CLUSTERS["2023"].keys() == OCCUPATION_CLUSTERS["2025"].keys()

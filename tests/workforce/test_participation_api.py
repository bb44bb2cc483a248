"""The participation rate as an enterprise and the city see it: headcount declared, roster by
ID number, enterprise training confirmed by the employer, rates citywide, by district and
cluster, and the exports."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import select

from service.workforce.models import ParticipationMember, WorkforceEmployee
from tests.fixtures.builder import count, make_id_number

YEAR = 2025


def _url(org, tail: str = "") -> str:
    return f"/api/v1/organizations/{org.id}/workforce{tail}"


def _declare(client, org, headers, headcount: int, year: int = YEAR, **cluster):
    r = client.put(
        _url(org, f"/years/{year}"), json={"headcount": headcount, **cluster}, headers=headers
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


def _roster(client, org, headers, numbers, year: int = YEAR):
    return client.post(
        _url(org, f"/years/{year}/employees"), json={"id_numbers": numbers}, headers=headers
    )


def test_an_enterprise_rate_counts_distinct_employees_with_a_completion_in_the_year(
    city, client, session, workforce
):
    e, hr = workforce.enterprise, workforce.hr
    assert (
        _declare(client, e, hr, 4, cluster_version="2025", cluster_code="nev_high_end_equipment")[
            "headcount"
        ]
        == 4
    )
    a, a_no = workforce.person(city)
    b, b_no = workforce.person(city)
    outsider_no = make_id_number()  # on the roster, never trained
    added = _roster(client, e, hr, [a_no, b_no, outsider_no, a_no.lower()])
    assert added.status_code == 200, added.text
    assert added.json() == {
        "received": 4,
        "added": 3,
        "already_on_roster": 0,
        "duplicates_in_request": 1,
    }  # and no participation figure: per number, it would tell who trained
    weld, cnc = city.add_offering(), city.add_offering(occupation_code="6-18-01-07", level=4)
    city.completion(a, weld, date(YEAR, 3, 1))
    city.completion(a, cnc, date(YEAR, 5, 1))  # a second training of the same person: still one
    city.completion(b, weld, date(YEAR - 1, 12, 31))  # the year before: not this year's
    mine = client.get(
        "/api/v1/tallies/participation",
        params={"year": YEAR, "organization_id": str(e.id)},
        headers=hr,
    ).json()["items"]
    assert [(r["headcount"], r["participants"], r["rate_percent"]) for r in mine] == [(4, 1, 25.0)]

    # Enterprise training: c is not on the roster; the enrolment names the enterprise, and
    # counts only once the enterprise confirms it.
    c, _ = workforce.person(city)
    enrolment = city.completion(c, weld, date(YEAR, 6, 1))
    named = client.put(
        f"/api/v1/enrollments/{enrolment.id}/employer",
        json={"organization_id": str(e.id)},
        headers=city.admin,
    )
    assert named.status_code == 200 and named.json()["employer_confirmed"] is False
    assert count(session, ParticipationMember) == 1
    pending = client.get(_url(e, "/enrollments"), params={"confirmed": "false"}, headers=hr).json()
    assert [i["id"] for i in pending["items"]] == [str(enrolment.id)]
    assert pending["items"][0]["learner_id_number_masked"].count("*") == 8
    ok = client.post(
        f"/api/v1/enrollments/{enrolment.id}/employer/confirmation",
        json={"confirmed": True},
        headers=hr,
    )
    assert ok.status_code == 200 and ok.json()["employer_confirmed"] is True
    session.expire_all()
    members = session.exec(select(ParticipationMember.learner_id)).all()
    assert sorted(map(str, members)) == sorted([str(a.id), str(c.id)])

    # The other enterprise declared 6 and trained nobody: the city is weighted by headcount.
    _declare(client, workforce.other, workforce.other_hr, 6)
    city_figures = client.get(
        "/api/v1/tallies/participation",
        params={"year": YEAR, "group_by": "district"},
        headers=city.admin,
    ).json()
    assert city_figures["totals"] == {
        "enterprises": 2,
        "headcount": 10,
        "participants": 2,
        "rate_percent": 20.0,
    }
    assert {i["district"]: i["rate_percent"] for i in city_figures["items"]} == {
        "330212": 50.0,
        "330206": 0.0,
    }
    by_cluster = client.get(
        "/api/v1/tallies/participation",
        params={"year": YEAR, "group_by": "cluster"},
        headers=city.admin,
    ).json()["items"]
    assert {(i["cluster_version"], i["cluster"]): i["participants"] for i in by_cluster} == {
        ("2025", "nev_high_end_equipment"): 2,
        (None, None): 0,
    }
    exported = client.get(
        "/api/v1/tallies/participation/export.csv",
        params={"year": YEAR, "group_by": "district"},
        headers=city.admin,
    )
    assert exported.status_code == 200
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [(r["district"], r["participants"], r["rate_percent"]) for r in table] == [
        ("330206", "0", "0.0"),
        ("330212", "2", "50.0"),
        ("", "2", "20.0"),  # the citywide total
    ]


def test_roster_changes_after_the_completion_count_again(city, client, session, workforce):
    e, hr = workforce.enterprise, workforce.hr
    _declare(client, e, hr, 10)
    a, a_no = workforce.person(city)
    city.completion(a, city.add_offering(), date(YEAR, 2, 1))
    assert count(session, ParticipationMember) == 0
    assert _roster(client, e, hr, [a_no]).status_code == 200
    assert count(session, ParticipationMember) == 1
    employees = client.get(_url(e, f"/years/{YEAR}/employees"), headers=hr).json()
    assert employees["total"] == 1
    assert employees["items"][0]["id_number_masked"] == a_no[:6] + "********" + a_no[-4:]
    assert a_no not in str(employees)
    gone = client.delete(
        _url(e, f"/years/{YEAR}/employees/{employees['items'][0]['id']}"), headers=hr
    )
    assert gone.status_code == 204
    assert count(session, ParticipationMember) == 0
    # the same person on next year's roster does not count for this year
    _declare(client, e, hr, 10, year=YEAR + 1)
    assert _roster(client, e, hr, [a_no], year=YEAR + 1).status_code == 200
    assert count(session, ParticipationMember) == 0


def test_a_bad_number_refuses_the_whole_list_and_names_only_its_position(
    city, client, session, workforce
):
    e, hr = workforce.enterprise, workforce.hr
    _declare(client, e, hr, 10)
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = _roster(client, e, hr, [good, bad])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "id_numbers[1]" in r.text and bad not in r.text and good not in r.text
    assert count(session, WorkforceEmployee) == 0
    undeclared = _roster(client, e, hr, [good], year=YEAR + 2)
    assert undeclared.status_code == 422 and undeclared.json()["code"] == "headcount-not-declared"
    zero = client.put(_url(e, f"/years/{YEAR}"), json={"headcount": 0}, headers=hr)
    assert zero.status_code == 422


def test_who_may_see_and_change_a_workforce(city, client, workforce, make_org, make_user, login):
    e, hr = workforce.enterprise, workforce.hr
    _declare(client, e, hr, 5)
    assert client.get(_url(e, "/years"), headers=workforce.other_hr).status_code == 403
    assert (
        client.put(
            _url(e, f"/years/{YEAR}"), json={"headcount": 9}, headers=city.trainer
        ).status_code
        == 403
    )
    employer = login(make_user("employer", org=e))
    assert client.get(_url(e, "/years"), headers=employer).json()["total"] == 1
    school = city.org  # a training organization has no workforce
    r = client.put(_url(school, f"/years/{YEAR}"), json={"headcount": 5}, headers=city.admin)
    assert r.status_code == 422 and r.json()["code"] == "not-an-enterprise"
    params = {"year": YEAR, "group_by": "organization"}
    assert (
        client.get("/api/v1/tallies/participation", params=params, headers=city.trainer).status_code
        == 403
    )
    assert (
        client.get("/api/v1/tallies/participation", params=params, headers=city.admin).status_code
        == 200
    )
    for group in ("district", "cluster"):  # one enterprise in a district is that enterprise
        by = {"year": YEAR, "group_by": group}
        for staff in (city.trainer, workforce.other_hr):
            answer = client.get("/api/v1/tallies/participation", params=by, headers=staff)
            assert answer.status_code == 403
    other_rate = {"year": YEAR, "organization_id": str(workforce.other.id)}
    assert (
        client.get("/api/v1/tallies/participation", params=other_rate, headers=hr).status_code
        == 403
    )


def test_only_the_named_employer_confirms(city, client, workforce):
    a, _ = workforce.person(city)
    enrolment = city.add_enrollment(a, city.add_offering())
    url = f"/api/v1/enrollments/{enrolment.id}/employer"
    assert (
        client.put(
            url, json={"organization_id": str(workforce.enterprise.id)}, headers=city.admin
        ).status_code
        == 200
    )
    confirm = url + "/confirmation"
    assert (
        client.post(confirm, json={"confirmed": True}, headers=workforce.other_hr).status_code
        == 403
    )
    assert client.post(confirm, json={"confirmed": True}, headers=city.trainer).status_code == 403
    # the offering's own staff cannot share the person with an enterprise
    staff = client.put(url, json={"organization_id": str(workforce.other.id)}, headers=city.trainer)
    assert staff.status_code == 403
    school = client.put(url, json={"organization_id": str(city.org.id)}, headers=city.admin)
    assert school.status_code == 422 and school.json()["code"] == "not-an-enterprise"


def test_learners_find_an_enterprise_by_name(city, client, workforce, session):
    _me, headers = city.learner_with_login()
    found = client.get("/api/v1/enterprises", params={"q": "甬江"}, headers=headers).json()
    assert [i["id"] for i in found["items"]] == [str(workforce.enterprise.id)]
    assert set(found["items"][0]) == {"id", "name", "district_code"}
    workforce.other.is_active = False
    session.add(workforce.other)
    session.commit()
    every = client.get("/api/v1/enterprises", headers=city.platform).json()
    assert str(workforce.other.id) not in {i["id"] for i in every["items"]}
    assert str(city.org.id) not in {i["id"] for i in every["items"]}  # a school is no employer

"""Text search on lists (``q``) matches the text as typed: ``%``, ``_`` and ``\\`` are
characters, not LIKE wildcards, and a control character is a 422, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from content.models import Package, PackageVersion, VersionStatus
from service.packages.catalog import CatalogFilters, catalog_query

SPECIAL = {"%": "100%达标", "_": "甲_乙", "\\": "左\\右"}


def _names(response, key="name"):
    assert response.status_code == 200, response.text
    return sorted(i[key] for i in response.json()["items"])


def test_learner_search_takes_wildcards_literally(world, client):
    for name in [*SPECIAL.values(), "王五"]:
        world.learner(name=name, groups=[])  # groups are beside the point here
    for q, name in SPECIAL.items():
        r = client.get("/api/v1/learners", params={"q": q}, headers=world.admin)
        assert _names(r) == [name], q
        assert r.json()["total"] == 1
    both = client.get("/api/v1/learners", params={"q": "0%达"}, headers=world.admin)
    assert _names(both) == ["100%达标"]


def test_organization_search_takes_wildcards_literally(world, client, make_org):
    for name in SPECIAL.values():
        make_org(name=name + "学院")
    for q, name in SPECIAL.items():
        r = client.get("/api/v1/organizations", params={"q": q}, headers=world.admin)
        assert _names(r) == [name + "学院"], q


def test_occupation_search_takes_wildcards_literally(client):
    everything = client.get("/api/v1/reference/occupations").json()["total"]
    assert everything > 0
    for q in SPECIAL:
        r = client.get("/api/v1/reference/occupations", params={"q": q})
        assert r.status_code == 200 and r.json()["total"] == 0, q


def test_catalog_search_takes_wildcards_literally(city, session):
    for title in [*SPECIAL.values(), "焊工基础"]:
        package = Package(organization_id=city.org.id, title=title)
        session.add(package)
        session.flush()
        session.add(PackageVersion(package_id=package.id, number=1, status=VersionStatus.published))
    session.commit()
    for q, title in SPECIAL.items():
        rows = session.exec(catalog_query(CatalogFilters(q=q))).all()
        assert [p.title for p, _v in rows] == [title], q


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/learners",
        "/api/v1/organizations",
        "/api/v1/reference/occupations",
        "/api/v1/catalog/packages",
    ],
)
def test_control_characters_in_a_search_are_a_422(world, client, path):
    for q in ("a\x00b", "\x00", "a\x1bb", "a\nb", "a\x7f"):
        r = client.get(path, params={"q": q}, headers=world.admin)
        assert r.status_code == 422, (repr(q), r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "query.q"

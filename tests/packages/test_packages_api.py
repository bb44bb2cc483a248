"""Course packages through the API: upload, ingest, lifecycle, catalog and launch."""

from __future__ import annotations

import uuid

import httpx
from sqlmodel import select

from content.models import PackageVersion
from service.packages.player import read_player_url
from tests.support import zipkit

PKG = {
    "title": "电工中级工数字培训包",
    "occupation_code": "6-31-01-03",
    "level": 4,
    "declared_hours": "40",
    "tags": ["电工"],
}


def _create(client, headers, **extra):
    r = client.post("/api/v1/packages", json={**PKG, **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _upload(client, headers, package_id, data: bytes, name="pkg.zip"):
    return client.post(
        f"/api/v1/packages/{package_id}/versions",
        headers=headers,
        files={"file": (name, data, "application/zip")},
    )


def _objects(storage, prefix=""):
    return sorted(storage.list(prefix))


def test_scorm_upload_ingest_publish_catalog_launch(
    client, staff, storage, drain, make_user, login
):
    package = _create(client, staff["headers"])
    assert package["declared_minutes"] == 40 * 45
    data = zipkit.good_packages()["scorm12"]
    up = _upload(client, staff["headers"], package["id"], data)
    assert up.status_code == 202, up.text
    assert up.json()["status"] == "processing"
    drain()
    version = client.get(
        f"/api/v1/packages/{package['id']}/versions/{up.json()['id']}", headers=staff["headers"]
    ).json()
    assert version["status"] == "ready", version
    assert version["format"] == "scorm12" and version["launch"] == "index.html"
    assert version["sha256"] and version["entry_count"] == 2
    stored = _objects(storage)
    assert stored == [
        f"packages/{version['sha256']}/imsmanifest.xml",
        f"packages/{version['sha256']}/index.html",
    ]  # the upload was removed

    learner = login(make_user("learner"))
    assert client.get("/api/v1/catalog/packages", headers=learner).json()["total"] == 0
    # Not yet published: learners cannot launch it; staff can preview it.
    assert (
        client.post(f"/api/v1/packages/{package['id']}/launch", headers=learner).status_code == 409
    )
    pub = client.post(
        f"/api/v1/packages/{package['id']}/versions/{version['id']}/publish",
        headers=staff["headers"],
    )
    assert pub.status_code == 200 and pub.json()["status"] == "published"
    again = client.post(
        f"/api/v1/packages/{package['id']}/versions/{version['id']}/publish",
        headers=staff["headers"],
    )
    assert again.status_code == 409 and "published" in again.json()["detail"]

    catalog = client.get(
        "/api/v1/catalog/packages?occupation_code=6-31-01-03&level=4", headers=learner
    ).json()
    assert catalog["total"] == 1 and catalog["items"][0]["version"]["id"] == version["id"]
    assert client.get("/api/v1/catalog/packages?level=3", headers=learner).json()["total"] == 0
    assert client.get("/api/v1/catalog/packages?q=电工", headers=learner).json()["total"] == 1

    launch = client.post(f"/api/v1/packages/{package['id']}/launch", headers=learner)
    assert launch.status_code == 200, launch.text
    # The player opens the package, recording nothing (no enrolment, no runtime token).
    opened = read_player_url(launch.json()["url"])
    assert opened["format"] == "scorm12" and opened["token"] is None
    url = opened["content_base"] + opened["scos"][0]["href"]
    page = client.get(url.replace("https://skills.test", ""))
    assert page.status_code == 200 and page.content == zipkit.HTML
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-content-type-options"] == "nosniff"
    # these tests run content on the API's origin (no SKILLS_CONTENT_BASE_URL), where it is
    # confined; on a content origin of its own it runs as authored (test_content_origin.py)
    assert page.headers["content-security-policy"].startswith("sandbox ")
    base = url.replace("https://skills.test", "").rsplit("/", 1)[0]
    assert client.get(base + "/imsmanifest.xml").status_code == 200
    assert client.get(base + "/../../etc/passwd").status_code == 404
    assert client.get(base + "/missing.html").status_code == 404
    tampered = base.replace("/content/", "/content/x")
    assert client.get(tampered + "/index.html").status_code == 403


def test_identical_bytes_are_recognised(client, staff, storage, drain, session):
    package = _create(client, staff["headers"])
    data = zipkit.good_packages()["cmi5"]
    first = _upload(client, staff["headers"], package["id"], data)
    second = _upload(client, staff["headers"], package["id"], data)
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    drain()
    assert len(session.exec(select(PackageVersion)).all()) == 1
    version = session.get(PackageVersion, uuid.UUID(first.json()["id"]))
    session.refresh(version)
    assert version.status == "ready" and version.format == "cmi5"
    assert version.units[0]["move_on"]


def test_hostile_uploads_are_rejected_and_leave_nothing(client, staff, storage, drain):
    package = _create(client, staff["headers"])
    corpus = zipkit.hostile_corpus()
    names = (
        "dotdot",
        "symlink",
        "encrypted",
        "overlapping",
        "deflate_bomb",
        "xxe",
        "case_collision",
        "manifest_in_subfolder",
        "launch_missing",
        "common_cartridge",
    )
    for name in names:
        data, code = corpus[name]
        up = _upload(client, staff["headers"], package["id"], data)
        assert up.status_code == 202, (name, up.text)
        drain()
        version = client.get(
            f"/api/v1/packages/{package['id']}/versions/{up.json()['id']}", headers=staff["headers"]
        ).json()
        assert version["status"] == "rejected", name
        assert code in {e["code"] for e in version["errors"]}, (name, version["errors"])
    assert _objects(storage) == []


def test_upload_limits_and_bad_requests(client, staff, storage, session, monkeypatch, backend):
    from service.core import settings as settings_module

    package = _create(client, staff["headers"])
    monkeypatch.setenv("SKILLS_PACKAGE_MAX_UPLOAD_BYTES", "2048")
    settings_module.get_settings.cache_clear()
    big = _upload(client, staff["headers"], package["id"], b"PK" + b"\0" * 5000)
    assert big.status_code == 413 and big.json()["code"] == "upload-too-large"
    not_multipart = client.post(
        f"/api/v1/packages/{package['id']}/versions",
        content=b"PK\x03\x04",
        headers={**staff["headers"], "Content-Type": "application/zip"},
    )
    assert not_multipart.status_code == 415
    no_file = client.post(
        f"/api/v1/packages/{package['id']}/versions",
        headers=staff["headers"],
        data={"note": "x"},
        files={"other": ("a.txt", b"x")},
    )
    assert no_file.status_code == 422
    assert session.exec(select(PackageVersion)).all() == []
    assert _objects(storage) == []
    bad_meta = client.post(
        "/api/v1/packages", json={**PKG, "occupation_code": "9-99-99-99"}, headers=staff["headers"]
    )
    assert bad_meta.status_code == 422


def test_direct_upload_then_complete(client, staff, storage, drain, backend):
    package = _create(client, staff["headers"])
    start = client.post(f"/api/v1/packages/{package['id']}/uploads", headers=staff["headers"])
    assert start.status_code == 201, start.text
    body = start.json()
    early = client.post(
        f"/api/v1/packages/{package['id']}/versions/{body['version']['id']}/complete",
        headers=staff["headers"],
    )
    assert early.status_code == 409 and early.json()["code"] == "upload-not-found"
    data = zipkit.good_packages()["xapi"]
    files = {"file": ("pkg.zip", data, "application/zip")}
    if backend.storage_backend == "s3":
        posted = httpx.post(body["url"], data=body["fields"], files=files)
        assert posted.status_code in (200, 204), posted.text
    else:
        path = body["url"].replace("https://skills.test", "")
        forged = {**body["fields"], "max_bytes": str(10**12)}
        assert client.post(path, data=forged, files=files).status_code == 403
        posted = client.post(path, data=body["fields"], files=files)
        assert posted.status_code == 204, posted.text
    done = client.post(
        f"/api/v1/packages/{package['id']}/versions/{body['version']['id']}/complete",
        headers=staff["headers"],
    )
    assert done.status_code == 202 and done.json()["status"] == "processing"
    drain()
    version = client.get(
        f"/api/v1/packages/{package['id']}/versions/{body['version']['id']}",
        headers=staff["headers"],
    ).json()
    assert version["status"] == "ready" and version["format"] == "xapi"


def test_package_access_is_scoped(client, staff, make_org, make_user, login, storage):
    package = _create(client, staff["headers"])
    other = login(make_user("trainer", org=make_org(name="别的学校")))
    learner = login(make_user("learner"))
    assert client.get(f"/api/v1/packages/{package['id']}", headers=other).status_code == 403
    assert _upload(client, other, package["id"], b"x").status_code == 403
    assert client.post("/api/v1/packages", json=PKG, headers=learner).status_code == 403
    assert client.get("/api/v1/packages", headers=learner).status_code == 403
    assert client.get("/api/v1/catalog/packages").status_code == 401

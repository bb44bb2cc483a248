"""The player on the content origin: its page and assets, and the launches that open it.

Every launch answers a player URL whose fragment holds the configuration the page reads:
SCORM items in manifest order and, for an enrolment, the runtime token its commits carry; a
preview carries no token; cmi5 / xAPI frame the AU's own launch URL.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from service.packages.launch import GRANT_KEY_LABEL, b64url, make_grant, read_grant
from service.packages.launch_models import LaunchSession
from service.packages.player import read_player_url
from service.training.runtime_tokens import TokenError, read_runtime_token
from tests.support import zipkit

CONTENT = "https://content.skills.test"
API = "https://skills.test"
PLAYER_DIR = Path(__file__).resolve().parents[2] / "service" / "web" / "static" / "player"

# Three items, nested and not in alphabetical order: the table of contents keeps this order.
SCORM12_ITEMS = """
      <item identifier="Z9" identifierref="R2" parameters="?page=2">
        <title>第二课 Part two</title></item>
      <item identifier="GROUP"><title>Module</title>
        <item identifier="A1" identifierref="R3"><title>Part three</title></item>
      </item>"""
SCORM12_RESOURCES = """
    <resource identifier="R2" type="webcontent" adlcp:scormtype="sco" href="b/z.html">
      <file href="b/z.html"/></resource>
    <resource identifier="R3" type="webcontent" adlcp:scormtype="sco" href="a.html">
      <file href="a.html"/></resource>"""


def _scorm12_course() -> bytes:
    manifest = zipkit.scorm12_manifest(extra_items=SCORM12_ITEMS, extra_resources=SCORM12_RESOURCES)
    return zipkit.make_zip(
        {
            "imsmanifest.xml": manifest,
            "index.html": zipkit.HTML,
            "b/z.html": zipkit.HTML,
            "a.html": zipkit.HTML,
        }
    )


@pytest.fixture
def two_origins(settings):
    """Content and the player on their own origin, as in production."""
    settings.content_base_url = CONTENT
    return settings


def _upload(client, headers, drain, data: bytes, *, publish: bool = True) -> tuple[str, str]:
    package = client.post(
        "/api/v1/packages", json={"title": "焊工课程", "declared_hours": "2"}, headers=headers
    )
    assert package.status_code == 201, package.text
    pid = package.json()["id"]
    up = client.post(
        f"/api/v1/packages/{pid}/versions",
        headers=headers,
        files={"file": ("p.zip", data, "application/zip")},
    )
    assert up.status_code == 202, up.text
    drain()
    vid = up.json()["id"]
    if publish:
        pub = client.post(f"/api/v1/packages/{pid}/versions/{vid}/publish", headers=headers)
        assert pub.status_code == 200, pub.text
    return pid, vid


def _enrolled(world, pid: str) -> tuple[dict, dict]:
    offering = world.offering(mode="online", required_minutes=90, package_ids=[pid])
    _, headers = world.learner_with_login()
    r = world.client.post(
        "/api/v1/enrollments", json={"offering_id": offering["id"]}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json(), headers


def _grant_of(url: str) -> str:
    path = urlsplit(url).path
    match = re.fullmatch(r"/play/([^/]+)/", path)
    assert match, url
    return match.group(1)


def test_player_page_and_assets_on_the_content_origin(two_origins, client):
    grant = make_grant(two_origins.derived_key(GRANT_KEY_LABEL), "packages/x/v1/", 600)
    page = client.get(f"{CONTENT}/play/{grant}/")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert f"connect-src 'self' {API}" in page.headers["content-security-policy"]
    assert "sandbox" not in page.headers["content-security-policy"]
    assert 'src="../../play-assets/player.js"' in page.text
    assert 'allow="fullscreen; autoplay"' in page.text and "sandbox" not in page.text
    for nav in ("prev", "next", "exit"):
        assert f'data-nav="{nav}"' in page.text

    types = {
        "player.js": "text/javascript; charset=utf-8",
        "player.css": "text/css; charset=utf-8",
        "vendor/scorm-again.min.js": "text/javascript; charset=utf-8",
        "vendor/LICENSE": "text/plain; charset=utf-8",
    }
    for name, kind in types.items():
        asset = client.get(f"{CONTENT}/play-assets/{name}")
        assert asset.status_code == 200, (name, asset.text)
        assert asset.headers["content-type"] == kind, name
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert "max-age" in asset.headers["cache-control"]
        assert asset.content == (PLAYER_DIR / name).read_bytes()
        again = client.get(
            f"{CONTENT}/play-assets/{name}", headers={"If-None-Match": asset.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""

    # Without its trailing slash the page's relative asset URLs would miss: redirected.
    bare = client.get(f"{CONTENT}/play/{grant}", follow_redirects=False)
    assert bare.status_code == 308 and bare.headers["location"] == f"{grant}/"

    for missing in (
        "nope.js",
        "player.html",  # the page only under a valid grant
        "vendor/scorm-again.min.js.map",
        "%2e%2e/%2e%2e/app.py",
    ):
        r = client.get(f"{CONTENT}/play-assets/{missing}")
        assert r.status_code == 404, missing
        assert r.headers["content-type"].startswith("application/problem+json")


def test_the_player_page_is_never_an_asset_without_its_policy(two_origins, client):
    """However its name is spelled under /play-assets/ (an encoded slash, a dot segment, a
    backslash, an encoding decoded twice), the page is not answered there without its CSP; the
    other assets still are."""
    for trick in (
        "vendor%2F..%2Fplayer.html",
        "vendor/%2e%2e/player.html",
        "vendor%2F%2E%2E%2Fplayer.html",
        "vendor%5C..%5Cplayer.html",
        "vendor%252F..%252Fplayer.html",
        ".%2Fplayer.html",
        "vendor%2F..%2Fplayer.js",
    ):
        r = client.get(f"{CONTENT}/play-assets/{trick}")
        assert r.status_code == 404, (trick, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json"), trick
        assert b"<html" not in r.content.lower(), trick
    assert client.get(f"{CONTENT}/play-assets/vendor/LICENSE").status_code == 200


def _signed_grant(key: bytes, prefix: str) -> str:
    """A grant signed with the real key around any prefix (what make_grant refuses to make)."""
    body = b64url(json.dumps({"p": prefix, "e": int(time.time()) + 600}).encode())
    return f"{body}.{b64url(hmac.new(key, body.encode(), hashlib.sha256).digest()[:20])}"


def test_a_grant_never_opens_the_whole_bucket(two_origins, client):
    from service.core.storage import get_storage

    key = two_origins.derived_key(GRANT_KEY_LABEL)
    other = f"packages/{uuid.uuid4().hex}/"
    get_storage().put(other + "index.html", io.BytesIO(zipkit.HTML))
    for empty in ("", "/", "//"):
        with pytest.raises(ValueError):
            make_grant(key, empty, 600)
        forged = _signed_grant(key, empty)
        assert read_grant(key, forged) is None
        for url in (f"{CONTENT}/content/{forged}/{other}index.html", f"{CONTENT}/play/{forged}/"):
            r = client.get(url)
            assert r.status_code == 403, (empty, url, r.status_code)
            assert r.json()["code"] == "launch-expired"
    # the same file under its own package's grant opens
    own = make_grant(key, other, 600)
    assert read_grant(key, own) is not None
    assert client.get(f"{CONTENT}/content/{own}/index.html").content == zipkit.HTML


def test_player_page_refuses_a_bad_or_expired_grant(two_origins, client):
    key = two_origins.derived_key(GRANT_KEY_LABEL)
    expired = make_grant(key, "packages/x/v1/", 60, now=time.time() - 3600)
    forged = make_grant(b"another key", "packages/x/v1/", 600)
    for grant in ("not-a-grant", expired, forged):
        r = client.get(f"{CONTENT}/play/{grant}/")
        assert r.status_code == 403, grant
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "launch-expired"


def test_scorm_enrolment_launch_opens_the_player_with_a_runtime_token(
    two_origins, client, world, drain, session
):
    pid, _ = _upload(client, world.trainer, drain, _scorm12_course())
    enrollment, headers = _enrolled(world, pid)
    launch = f"/api/v1/enrollments/{enrollment['id']}/launch"

    r = client.post(launch, headers=headers)
    assert r.status_code == 200, r.text
    out = r.json()
    url = out["url"]
    assert url.startswith(f"{CONTENT}/play/") and out["au_url"] is None
    assert out["format"] == "scorm12"
    grant = _grant_of(url)
    cfg = read_player_url(url)
    assert cfg["format"] == "scorm12" and cfg["title"]
    assert [s["id"] for s in cfg["scos"]] == ["I1", "Z9", "A1"]  # manifest order
    assert [s["href"] for s in cfg["scos"]] == ["index.html", "b/z.html?page=2", "a.html"]
    assert cfg["scos"][1]["title"] == "第二课 Part two"
    assert cfg["content_base"] == f"{CONTENT}/content/{grant}/"
    assert cfg["api_base"] == API
    assert cfg["enrollment_id"] == enrollment["id"]
    assert cfg["start"] is None and cfg["au_url"] is None and cfg["return_url"] is None
    assert enrollment["id"] not in urlsplit(url).path  # ids and token only in the fragment
    assert cfg["token"] not in url.split("#", 1)[0]

    runtime = read_runtime_token(two_origins, cfg["token"])
    assert runtime.enrollment_id == uuid.UUID(enrollment["id"])
    row = session.exec(
        select(LaunchSession).where(LaunchSession.session_id == runtime.launch_session_id)
    ).one()
    assert row.enrollment_id == uuid.UUID(enrollment["id"]) and row.au_id == "I1"
    assert row.created_by == runtime.user_id and row.fetched_at is not None
    assert out["session_id"] == str(row.session_id) and out["unit_id"] == "I1"
    with pytest.raises(TokenError):
        read_runtime_token(two_origins, cfg["token"] + "x")
    # A runtime token is not an access token.
    me = client.get(
        f"/api/v1/enrollments/{enrollment['id']}",
        headers={"Authorization": f"Bearer {cfg['token']}"},
    )
    assert me.status_code == 401

    # The page opens under the grant, and so do the items' files.
    assert client.get(url.split("#", 1)[0]).status_code == 200
    first = client.get(cfg["content_base"] + cfg["scos"][2]["href"])
    assert first.status_code == 200 and first.content == zipkit.HTML

    # An item chosen by its identifier starts the player there; an unknown one is refused.
    chosen = client.post(launch, json={"unit_id": "A1"}, headers=headers)
    assert chosen.status_code == 200, chosen.text
    assert read_player_url(chosen.json()["url"])["start"] == "A1"
    assert chosen.json()["unit_id"] == "A1"
    unknown = client.post(launch, json={"unit_id": "GROUP"}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-unit"
    back = client.post(launch, json={"return_url": "https://portal.test/done"}, headers=headers)
    assert read_player_url(back.json()["url"])["return_url"] == "https://portal.test/done"


def test_preview_and_catalog_launches_record_nothing(two_origins, client, world, drain):
    trainer = world.trainer
    pid, vid = _upload(client, trainer, drain, _scorm12_course(), publish=False)
    preview = client.post(
        f"/api/v1/packages/{pid}/launch", json={"version_id": vid}, headers=trainer
    )
    assert preview.status_code == 200, preview.text
    url = preview.json()["url"]
    assert url.startswith(f"{CONTENT}/play/")
    cfg = read_player_url(url)
    assert cfg["format"] == "scorm12" and cfg["token"] is None and cfg["enrollment_id"] is None
    assert [s["id"] for s in cfg["scos"]] == ["I1", "Z9", "A1"]
    assert cfg["content_base"] == f"{CONTENT}/content/{_grant_of(url)}/"
    assert client.get(url.split("#", 1)[0]).status_code == 200

    # A native package (and any non-SCORM one) is framed at its entry file.
    npid, nvid = _upload(client, trainer, drain, zipkit.good_packages()["native"], publish=False)
    native = client.post(
        f"/api/v1/packages/{npid}/launch", json={"version_id": nvid}, headers=trainer
    )
    assert native.status_code == 200, native.text
    ncfg = read_player_url(native.json()["url"])
    assert ncfg["format"] == "native" and ncfg["token"] is None and ncfg["scos"] == []
    assert ncfg["au_url"] == ncfg["content_base"] + "index.html"
    assert client.get(ncfg["au_url"]).content == zipkit.HTML


def test_cmi5_and_xapi_enrolment_launches_frame_the_au(two_origins, client, world, drain):
    for kind, entry, activity_param in (
        ("cmi5", "/au1/index.html", "activityId"),
        ("xapi", "/story.html", "activity_id"),
    ):
        pid, _ = _upload(client, world.trainer, drain, zipkit.good_packages()[kind])
        enrollment, headers = _enrolled(world, pid)
        r = client.post(f"/api/v1/enrollments/{enrollment['id']}/launch", headers=headers)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["url"].startswith(f"{CONTENT}/play/")
        cfg = read_player_url(out["url"])
        assert cfg["format"] == kind and cfg["token"] is None and cfg["scos"] == []
        assert cfg["au_url"] == out["au_url"]
        au = urlsplit(out["au_url"])
        assert au.path.endswith(entry)
        params = parse_qs(au.query)
        # cmi5: no trailing slash (cmi5.js appends "/statements"); TinCan keeps it
        endpoint = f"{API}/xAPI" if kind == "cmi5" else f"{API}/xAPI/"
        assert params["endpoint"] == [endpoint] and activity_param in params
        assert cfg["enrollment_id"] == enrollment["id"]
        # the first AU says launchMethod="OwnWindow": the player hands it the window instead
        # of framing it (cmi5 13.1.4)
        assert cfg["launch_method"] == ("OwnWindow" if kind == "cmi5" else None)


def test_vendored_runtime_matches_its_record():
    """The runtime bundle is written by tools/vendor_scorm_again.py only: its hash is the one
    the vendor README records, next to the version, the integrity and the licence."""
    vendor = PLAYER_DIR / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"sha256: `([0-9a-f]{64})`", readme)
    assert recorded, readme
    bundle = (vendor / "scorm-again.min.js").read_bytes()
    assert hashlib.sha256(bundle).hexdigest() == recorded.group(1)
    assert "`scorm-again` 3.4.3" in readme and "licence: MIT" in readme
    assert "sha512-Zbe+7ArMUbT1lVnqYxsbGRfI9JD9JVqEPzZLQdk0nfNmc" in readme
    assert (vendor / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert b"window.Scorm12API=Scorm12API,window.Scorm2004API=Scorm2004API" in bundle

"""How package files are served on the content origin, on local storage and on S3 alike: byte
ranges, validators and conditional requests, content types without a forced charset, and no
header that would stop content from running as authored."""

from __future__ import annotations

import io
import uuid
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from service.packages.launch import GRANT_KEY_LABEL, make_grant

PUBLIC = "http://api.test"
CONTENT = "http://content.test"
# A page as older authoring tools wrote it: Windows-1252 bytes, declared in a <meta>.
CP1252_PAGE = (
    '<!doctype html><meta charset="windows-1252"><title>Golf</title>'
    "<p>\u201cPar\u201d \u2013 caf\u00e9</p>"
).encode("cp1252")
MEDIA = bytes(range(256)) * 1200  # 300 KiB, every offset distinguishable from its neighbours
FILES = {
    "index.html": CP1252_PAGE,
    "shared/page.htm": CP1252_PAGE,
    "scripts/app.js": b"var s = '\x93quoted\x94';",
    "styles/site.css": b"body { font-family: Golf; }",
    "notes.txt": b"plain \xe9",
    "fonts/golf.eot": b"\x00" * 64,
    "fonts/golf.woff2": b"wOF2" + b"\x00" * 60,
    "media/clip.mp4": MEDIA,
    "empty.txt": b"",
}


@pytest.fixture
def pkg(settings, storage):
    """The files above under a package prefix (on the backend under test), and their base URL on
    the content origin."""
    from service.core.settings import get_settings

    for current in {id(s): s for s in (settings, get_settings())}.values():
        current.public_base_url = PUBLIC
        current.content_base_url = CONTENT
    prefix = f"packages/{uuid.uuid4().hex}/"
    for name, data in FILES.items():
        storage.put(prefix + name, io.BytesIO(data))
    grant = make_grant(settings.derived_key(GRANT_KEY_LABEL), prefix, 600)
    return f"{CONTENT}/content/{grant}/"


def test_a_whole_file_carries_validators_and_accepts_ranges(client, pkg):
    r = client.get(pkg + "media/clip.mp4")
    assert r.status_code == 200 and r.content == MEDIA
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-length"] == str(len(MEDIA))
    assert r.headers["content-type"] == "video/mp4"
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2  # strong
    assert parsedate_to_datetime(r.headers["last-modified"]).tzinfo is not None


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=100-199", 100, 200),
        ("bytes=0-0", 0, 1),
        ("bytes=307000-", 307000, len(MEDIA)),
        ("bytes=-500", len(MEDIA) - 500, len(MEDIA)),
        ("bytes=300000-999999999", 300000, len(MEDIA)),  # a last position past the end is cut
        ("bytes=-999999999", 0, len(MEDIA)),  # a suffix longer than the file is all of it
    ],
)
def test_a_byte_range_is_answered_with_206(client, pkg, header, start, end):
    r = client.get(pkg + "media/clip.mp4", headers={"Range": header})
    assert r.status_code == 206, r.text
    assert r.content == MEDIA[start:end]
    assert r.headers["content-range"] == f"bytes {start}-{end - 1}/{len(MEDIA)}"
    assert r.headers["content-length"] == str(end - start)
    assert r.headers["content-type"] == "video/mp4"
    assert r.headers["etag"] == client.head(pkg + "media/clip.mp4").headers["etag"]


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("media/clip.mp4", f"bytes={len(MEDIA)}-"),
        ("media/clip.mp4", "bytes=-0"),
        ("empty.txt", "bytes=0-"),
    ],
)
def test_a_range_outside_the_file_is_416(client, pkg, name, header):
    r = client.get(pkg + name, headers={"Range": header})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(FILES[name])}"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "range-not-satisfiable"


@pytest.mark.parametrize(
    "header",
    ["bytes=0-9,20-29", "bytes=9-0", "items=0-9", "bytes=a-b", "bytes=" + "9" * 5000 + "-"],
)
def test_several_or_malformed_ranges_get_the_whole_file(client, pkg, header):
    r = client.get(pkg + "media/clip.mp4", headers={"Range": header})
    assert r.status_code == 200 and r.content == MEDIA
    assert "content-range" not in r.headers


def test_conditional_requests_answer_304(client, pkg):
    url = pkg + "media/clip.mp4"
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},  # If-None-Match compares weakly
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
    ):
        r = client.get(url, headers=headers)
        assert r.status_code == 304, headers
        assert r.content == b"" and r.headers["etag"] == etag
    later = parsedate_to_datetime(modified).replace(year=2001)
    for headers in (
        {"If-None-Match": '"not-this-one"'},
        {"If-Modified-Since": format_datetime(later, usegmt=True)},
        # If-None-Match decides alone when both are sent (RFC 9110 section 13.2.2)
        {"If-None-Match": '"not-this-one"', "If-Modified-Since": modified},
    ):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.content == MEDIA, headers
    assert client.head(url, headers={"If-None-Match": etag}).status_code == 304


def test_if_match_that_fails_is_412(client, pkg):
    url = pkg + "media/clip.mp4"
    etag = client.head(url).headers["etag"]
    assert client.get(url, headers={"If-Match": '"stale"'}).status_code == 412
    assert client.get(url, headers={"If-Match": etag}).status_code == 200


def test_if_range_keeps_the_range_only_for_the_current_file(client, pkg, storage):
    url = pkg + "media/clip.mp4"
    current = client.head(url)
    etag, modified = current.headers["etag"], current.headers["last-modified"]
    ranged = {"Range": "bytes=10-19"}
    assert client.get(url, headers={**ranged, "If-Range": etag}).content == MEDIA[10:20]
    assert client.get(url, headers={**ranged, "If-Range": modified}).status_code == 206
    assert client.get(url, headers={**ranged, "If-Range": f"W/{etag}"}).status_code == 200
    # The file changes under the same key: the client's copy is stale, so it gets it whole.
    key = next(k for k in storage.list("packages/") if k.endswith("media/clip.mp4"))
    changed = MEDIA[::-1] + b"tail"
    storage.put(key, io.BytesIO(changed))
    r = client.get(url, headers={**ranged, "If-Range": etag})
    assert r.status_code == 200 and r.content == changed
    assert r.headers["etag"] != etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_head_answers_with_the_headers_of_get(client, pkg):
    url = pkg + "media/clip.mp4"
    head, get = client.head(url), client.get(url)
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "accept-ranges"):
        assert head.headers[name] == get.headers[name], name
    # range handling is defined for GET only (RFC 9110 section 14.2)
    ranged = client.head(url, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 200 and ranged.headers["content-length"] == str(len(MEDIA))


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html"),
        ("shared/page.htm", "text/html"),
        ("scripts/app.js", "text/javascript"),
        ("styles/site.css", "text/css"),
        ("notes.txt", "text/plain"),
        ("fonts/golf.eot", "application/vnd.ms-fontobject"),
        ("fonts/golf.woff2", "font/woff2"),
    ],
)
def test_types_carry_no_charset_and_bytes_are_untouched(client, pkg, name, content_type):
    """The browser then reads the file's own declaration (a cp1252 page stays cp1252)."""
    r = client.get(pkg + name)
    assert r.status_code == 200
    assert r.headers["content-type"] == content_type
    assert r.content == FILES[name]


def test_content_runs_as_authored(client, pkg):
    r = client.get(pkg + "index.html")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "cross-origin-resource-policy" not in r.headers
    assert "sandbox" not in r.headers.get("content-security-policy", "")
    assert "x-frame-options" not in r.headers


def test_storage_reads_a_byte_range(storage):
    key = f"ranges/{uuid.uuid4().hex}.bin"
    storage.put(key, io.BytesIO(MEDIA))
    assert b"".join(storage.iter(key, 1000, start=5000, end=12345)) == MEDIA[5000:12345]
    assert b"".join(storage.iter(key, start=len(MEDIA) - 3)) == MEDIA[-3:]
    assert b"".join(storage.iter(key, start=7, end=7)) == b""
    assert all(len(c) <= 1000 for c in storage.iter(key, 1000, start=1, end=5001))
    info = storage.head(key)
    assert info.etag and info.modified is not None

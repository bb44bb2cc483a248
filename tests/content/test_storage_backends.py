"""The storage interface behaves the same on local disk and on S3 (moto over HTTP)."""

from __future__ import annotations

import base64
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from content.storage import (
    InvalidKey,
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    StorageError,
    make_storage,
)
from tests.fixtures.storage import SIGNING_KEY, make_s3


class FailingStream:
    """Yields some bytes, then fails like a dropped upload connection."""

    def __init__(self, good: int):
        self.left = good

    def read(self, n=-1):
        if self.left <= 0:
            raise OSError("connection reset")
        chunk = b"a" * min(self.left, n if n and n > 0 else self.left)
        self.left -= len(chunk)
        return chunk


def test_put_open_head_delete_roundtrip(storage):
    data = os.urandom(300_000)
    assert storage.put("a/b/c.html", io.BytesIO(data), content_type="text/html") == len(data)
    info = storage.head("a/b/c.html")
    assert info.size == len(data)
    assert info.content_type == "text/html"
    with storage.open("a/b/c.html") as fh:
        assert fh.read() == data
    assert b"".join(storage.iter("a/b/c.html", chunk_size=4096)) == data
    storage.delete("a/b/c.html")
    assert storage.head("a/b/c.html") is None
    storage.delete("a/b/c.html")  # idempotent
    with pytest.raises(ObjectNotFound):
        storage.open("a/b/c.html")


def test_large_object_is_streamed_in_parts(storage):
    size = 17 * 1024 * 1024  # above the 8 MiB multipart threshold on S3
    chunk = os.urandom(1024 * 1024)

    class Gen:
        sent = 0

        def read(self, n=-1):
            if self.sent >= size:
                return b""
            out = chunk[: min(n if n > 0 else len(chunk), size - self.sent, len(chunk))]
            self.sent += len(out)
            return out

    assert storage.put("big.bin", Gen()) == size
    assert storage.head("big.bin").size == size
    assert sum(len(c) for c in storage.iter("big.bin")) == size


def test_failed_put_leaves_nothing(storage):
    with pytest.raises((OSError, StorageError)):
        storage.put("half/written.bin", FailingStream(3 * 1024 * 1024))
    assert storage.head("half/written.bin") is None
    assert list(storage.list("")) == []


def test_list_is_a_string_prefix_and_delete_prefix_leaves_nothing(storage):
    for key in ["p/1/a", "p/1/b/c", "p/10/x", "q/1"]:
        storage.put(key, io.BytesIO(b"x"))
    assert sorted(storage.list("p/1/")) == ["p/1/a", "p/1/b/c"]
    assert sorted(storage.list("p/1")) == ["p/1/a", "p/1/b/c", "p/10/x"]
    assert storage.delete_prefix("p/1/") == 2
    assert list(storage.list("p/1/")) == []
    assert sorted(storage.list("")) == ["p/10/x", "q/1"]
    with pytest.raises(InvalidKey):
        storage.delete_prefix("")


@pytest.mark.parametrize(
    "key", ["", "/abs", "../up", "a/../b", "a\\b", "a//b", "./a", "C:/x", "a\x00b", "x" * 1100]
)
def test_invalid_keys_are_refused(storage, key):
    with pytest.raises(InvalidKey):
        storage.put(key, io.BytesIO(b"x"))
    assert list(storage.list("")) == []


def test_check_passes(storage):
    storage.check()


def test_s3_list_paginates_and_batch_deletes(moto_endpoint):
    storage = make_s3(moto_endpoint)
    keys = [f"many/{i:05d}.txt" for i in range(1100)]
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda k: storage.client.put_object(Bucket=storage.bucket, Key=k, Body=b"x"), keys
            )
        )
    assert sorted(storage.list("many/")) == keys
    assert storage.delete_prefix("many/") == 1100
    assert list(storage.list("")) == []


def test_s3_presigned_get_serves_the_bytes(moto_endpoint):
    storage = make_s3(moto_endpoint)
    storage.put("c/index.html", io.BytesIO(b"<p>hi</p>"), content_type="text/html")
    url = storage.presigned_get("c/index.html", 60, content_type="text/html; charset=utf-8")
    resp = httpx.get(url)
    assert resp.status_code == 200
    assert resp.content == b"<p>hi</p>"
    assert resp.headers["content-type"].startswith("text/html")


def test_s3_presigned_post_uploads_and_carries_size_limit(moto_endpoint):
    storage = make_s3(moto_endpoint)
    post = storage.presigned_post("uploads/u1.zip", max_bytes=1000, expires_seconds=300)
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    assert ["content-length-range", 0, 1000] in policy["conditions"]
    resp = httpx.post(post["url"], data=post["fields"], files={"file": ("u1.zip", b"z" * 500)})
    assert resp.status_code in (200, 201, 204)
    assert storage.head("uploads/u1.zip").size == 500


def test_s3_check_fails_for_missing_bucket(moto_endpoint):
    storage = S3Storage("no-such-bucket-xyz", moto_endpoint, "us-east-1", "testing", "testing")
    with pytest.raises(StorageError):
        storage.check()


def test_local_signed_get_url(local_storage):
    local_storage.put("pkg/index.html", io.BytesIO(b"x"))
    url = local_storage.presigned_get("pkg/index.html", 60)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "http://testserver/objects/pkg/index.html"
    )
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert local_storage.verify_signed_url("pkg/index.html", q["expires"], q["sig"])
    tampered = q["sig"][:-2] + ("AA" if q["sig"][-2:] != "AA" else "BB")
    assert not local_storage.verify_signed_url("pkg/index.html", q["expires"], tampered)
    assert not local_storage.verify_signed_url("pkg/other.html", q["expires"], q["sig"])
    assert not local_storage.verify_signed_url("pkg/index.html", int(q["expires"]) + 1, q["sig"])
    assert not local_storage.verify_signed_url(
        "pkg/index.html", q["expires"], q["sig"], now=int(q["expires"]) + 1
    )
    other = LocalStorage(local_storage.root, b"another-key", "http://testserver")
    assert not other.verify_signed_url("pkg/index.html", q["expires"], q["sig"])


def test_local_signed_get_binds_content_type(local_storage):
    url = local_storage.presigned_get("a.html", 60, content_type="text/html")
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert q["ct"] == "text/html"
    assert local_storage.verify_signed_url("a.html", q["expires"], q["sig"], "text/html")
    assert not local_storage.verify_signed_url("a.html", q["expires"], q["sig"], "text/plain")


def test_local_presigned_post_fields(local_storage):
    post = local_storage.presigned_post("uploads/x.zip", max_bytes=2048, expires_seconds=60)
    assert post["url"] == "http://testserver/objects-upload/uploads/x.zip"
    grant = local_storage.verify_upload_fields(post["fields"])
    assert grant.key == "uploads/x.zip" and grant.max_bytes == 2048
    assert local_storage.verify_upload_fields({**post["fields"], "max_bytes": "999999"}) is None
    assert local_storage.verify_upload_fields({**post["fields"], "key": "uploads/y.zip"}) is None
    expired_at = int(post["fields"]["expires"]) + 1
    assert local_storage.verify_upload_fields(post["fields"], now=expired_at) is None
    assert local_storage.verify_upload_fields({"key": "x"}) is None


def test_local_reserved_names_and_atomic_tmp(local_storage):
    with pytest.raises(InvalidKey):
        local_storage.put(".skills-tmp/x", io.BytesIO(b"x"))
    local_storage.put("f.txt", io.BytesIO(b"x"))
    assert list((local_storage.root / ".skills-tmp").iterdir()) == []
    assert list(local_storage.list("")) == ["f.txt"]


def test_local_delete_prefix_removes_empty_folders(local_storage):
    local_storage.put("packages/abc/a/b/c.html", io.BytesIO(b"x"))
    local_storage.delete_prefix("packages/abc/")
    assert not (local_storage.root / "packages").exists()


def test_local_check_fails_when_root_is_unusable(tmp_path):
    storage = LocalStorage(tmp_path / "objs", SIGNING_KEY, "http://t")
    (tmp_path / "objs").rmdir()
    (tmp_path / "objs").write_text("not a folder")
    with pytest.raises(StorageError):
        storage.check()


def test_make_storage(tmp_path, moto_endpoint):
    local = make_storage("local", root=tmp_path / "o", signing_key=b"k", public_base_url="http://x")
    assert isinstance(local, LocalStorage)
    s3 = make_storage(
        "s3",
        bucket="b",
        endpoint_url=moto_endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
    )
    assert isinstance(s3, S3Storage)
    with pytest.raises(ValueError):
        make_storage("ftp")

"""An archive on its way in is copied once and hashed once, and a version appears whole:
readers never see part of one; uploads become objects by a rename on local storage; what a
killed process left behind is swept; the S3 client library is loaded only for S3."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
import zipfile

from content.ingest import ingest_archive
from content.storage import LocalStorage
from tests.fixtures.storage import SIGNING_KEY
from tests.support.zipkit import HTML, good_packages, make_zip, scorm12_manifest


class WatchedStorage(LocalStorage):
    """A local store that records what a reader would list while a version is written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen_while_writing: list[list[str]] = []

    def write_prefix(self, prefix):
        writer = super().write_prefix(prefix)
        put = writer.put

        def watched_put(name, stream, size=None, content_type=None):
            stored = put(name, stream, size, content_type)
            self.seen_while_writing.append(list(self.list("")))
            return stored

        writer.put = watched_put
        return writer


def _many_files() -> bytes:
    files = {"imsmanifest.xml": scorm12_manifest(), "index.html": HTML}
    files |= {f"assets/{i}.js": b"x" * i for i in range(30)}
    return make_zip(files)


def test_local_version_appears_all_at_once(tmp_path):
    storage = WatchedStorage(tmp_path / "objects", SIGNING_KEY, "http://t")
    data = _many_files()
    result = ingest_archive(io.BytesIO(data), storage)
    assert result.accepted, result.report.errors
    assert len(storage.seen_while_writing) == 32
    assert all(seen == [] for seen in storage.seen_while_writing)
    assert sorted(storage.list("")) == sorted(result.keys) and len(result.keys) == 32
    assert list((storage.root / ".skills-tmp").iterdir()) == []


def test_known_hash_names_the_prefix_and_the_bytes_are_the_same(tmp_path):
    storage = LocalStorage(tmp_path / "objects", SIGNING_KEY, "http://t")
    data = good_packages()["scorm12"]
    sha = hashlib.sha256(data).hexdigest()
    result = ingest_archive(io.BytesIO(data), storage, sha256=sha)
    assert result.prefix == f"packages/{sha}/" and result.report.archive_size == len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            assert b"".join(storage.iter(result.prefix + name)) == zf.read(name)


def test_ingest_of_bytes_already_stored_keeps_them_readable(tmp_path):
    storage = WatchedStorage(tmp_path / "objects", SIGNING_KEY, "http://t")
    data = _many_files()
    first = ingest_archive(io.BytesIO(data), storage)
    storage.seen_while_writing.clear()
    second = ingest_archive(io.BytesIO(data), storage)
    assert second.accepted and sorted(second.keys) == sorted(first.keys)
    assert all(sorted(seen) == sorted(first.keys) for seen in storage.seen_while_writing)
    assert list((storage.root / ".skills-tmp").iterdir()) == []


def test_put_file_takes_the_spooled_file_over_without_a_copy(local_storage):
    spooled = local_storage.spool_dir_for_put_file() / "upload-1.part"
    spooled.write_bytes(b"PK zip bytes")
    inode = spooled.stat().st_ino
    assert local_storage.put_file("uploads/v.zip", spooled, content_type="application/zip") == 12
    assert not spooled.exists()
    assert local_storage.local_path("uploads/v.zip").stat().st_ino == inode
    assert b"".join(local_storage.iter("uploads/v.zip")) == b"PK zip bytes"
    assert local_storage.head("uploads/v.zip").content_type == "application/zip"


def test_put_file_copies_when_the_backend_holds_no_local_files(storage, tmp_path):
    spooled = tmp_path / "upload-2.part"
    spooled.write_bytes(b"abc" * 1000)
    assert storage.put_file("uploads/w.zip", spooled) == 3000
    assert not spooled.exists()
    assert b"".join(storage.iter("uploads/w.zip")) == b"abc" * 1000


def test_sweep_removes_what_a_killed_ingest_left_and_keeps_fresh_work(local_storage):
    tmp = local_storage.spool_dir_for_put_file()
    old_stage = tmp / "stage-old"
    (old_stage / "objects" / "a").mkdir(parents=True)
    (old_stage / "objects" / "a" / "f.js").write_bytes(b"1")
    old_upload = tmp / "upload-old.part"
    old_upload.write_bytes(b"z")
    fresh = tmp / "stage-fresh"
    fresh.mkdir()
    foreign = tmp / "not-ours.txt"
    foreign.write_bytes(b"keep")
    an_hour_ago = time.time() - 3600
    for path in (old_stage, old_upload, foreign):
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert local_storage.sweep_tmp(time.time() - 60) == 2
    assert sorted(p.name for p in tmp.iterdir()) == ["not-ours.txt", "stage-fresh"]


def test_local_storage_does_not_load_the_s3_client_library(tmp_path):
    code = (
        "import sys; import service.app; from service.core.storage import get_storage; "
        "get_storage(); print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 's3transfer')))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_")}
    env |= {"SKILLS_VAR_DIR": str(tmp_path / "var"), "SKILLS_STORAGE_BACKEND": "local"}
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_good_packages_still_ingest_with_a_directory_entry(tmp_path):
    storage = LocalStorage(tmp_path / "objects", SIGNING_KEY, "http://t")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("imsmanifest.xml", scorm12_manifest())
        zf.writestr("index.html", HTML)
        zf.writestr("empty/", b"")
        zf.writestr("deep/er/x.css", b"a{}")
    result = ingest_archive(io.BytesIO(buf.getvalue()), storage)
    assert result.accepted, result.report.errors
    assert b"".join(storage.iter(result.prefix + "deep/er/x.css")) == b"a{}"

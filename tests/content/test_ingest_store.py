"""Ingest into both storage backends: accepted packages land under their content-addressed
prefix; rejected ones (including failures half-way through) leave nothing anywhere."""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib

import pytest

from content.ingest import ingest_archive
from content.storage import LocalStorage, StorageError
from tests.fixtures.storage import SIGNING_KEY
from tests.support.zipkit import (
    HTML,
    RawEntry,
    good_packages,
    hostile_corpus,
    make_zip,
    raw_zip,
    scorm12_manifest,
)

CORPUS = hostile_corpus()


@pytest.mark.parametrize("fmt", sorted(good_packages()))
def test_good_package_is_stored_under_its_sha256(storage, fmt):
    data = good_packages()[fmt]
    result = ingest_archive(io.BytesIO(data), storage)
    assert result.accepted, result.report.errors
    sha = hashlib.sha256(data).hexdigest()
    assert result.prefix == f"packages/{sha}/"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        expected = {f"packages/{sha}/{n}": zf.read(n) for n in names}
    assert sorted(storage.list("")) == sorted(expected)
    assert sorted(result.keys) == sorted(expected)
    for key, content in expected.items():
        assert b"".join(storage.iter(key)) == content
    assert result.stored_bytes == sum(len(v) for v in expected.values())
    launch = result.launch_key
    assert launch is not None and storage.head(launch).content_type == "text/html"
    d = result.to_dict()
    assert d["accepted"] and d["report"]["sha256"] == sha


def test_content_types(storage):
    data = make_zip(
        {
            "imsmanifest.xml": scorm12_manifest(),
            "index.html": HTML,
            "app.js": b"1",
            "s.css": b"a{}",
            "f.woff2": b"w",
            "x.svg": b"<svg/>",
            "blob": b"?",
        }
    )
    result = ingest_archive(io.BytesIO(data), storage)
    types = {k.rsplit("/", 1)[1]: storage.head(k).content_type for k in result.keys}
    assert types["app.js"] == "text/javascript"
    assert types["s.css"] == "text/css"
    assert types["f.woff2"] == "font/woff2"
    assert types["x.svg"] == "image/svg+xml"
    assert types["blob"] == "application/octet-stream"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_archive_leaves_nothing(storage, name):
    data, expected = CORPUS[name]
    result = ingest_archive(io.BytesIO(data), storage)
    assert not result.accepted
    assert expected in {e.code for e in result.report.errors}
    assert result.prefix is None and result.keys == []
    assert list(storage.list("")) == []


def _fails_late() -> bytes:
    """Valid manifest and many files, then an entry whose CRC is wrong: found only while
    streaming, after earlier files were already stored."""
    entries = [RawEntry(b"imsmanifest.xml", scorm12_manifest()), RawEntry(b"index.html", HTML)]
    entries += [RawEntry(f"assets/{i}.html".encode(), HTML) for i in range(20)]
    entries.append(RawEntry(b"zz-last.bin", b"y" * 1000, crc=42))
    return raw_zip(entries)


def test_failure_half_way_removes_what_was_written(storage):
    result = ingest_archive(io.BytesIO(_fails_late()), storage)
    assert [e.code for e in result.report.errors] == ["corrupt_entry"]
    assert result.report.errors[0].path == "zz-last.bin"
    assert list(storage.list("")) == []


def test_lying_declared_size_is_caught_while_streaming(storage):
    """An entry that declares 1 KB but inflates to 5 MiB: the metadata checks pass, the
    streaming pass never produces more than declared and the CRC then fails; everything
    stored before it is removed."""
    real = b"\0" * (5 * 1024 * 1024)
    deflated = zlib.compress(real, 9)[2:-4]
    entries = [RawEntry(b"imsmanifest.xml", scorm12_manifest()), RawEntry(b"index.html", HTML)]
    entries += [RawEntry(f"assets/{i}.html".encode(), HTML) for i in range(5)]
    entries.append(RawEntry(b"zz.bin", deflated, method=8, crc=zlib.crc32(real), file_size=1024))
    result = ingest_archive(io.BytesIO(raw_zip(entries)), storage)
    assert [(e.code, e.path) for e in result.report.errors] == [("corrupt_entry", "zz.bin")]
    assert list(storage.list("")) == []


class BreaksAfter(LocalStorage):
    """A real local store whose disk 'fills up' after a number of writes (objects stored
    alone, or as part of a version)."""

    def __init__(self, *args, after: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.after = after

    def _spend(self) -> None:
        if self.after <= 0:
            raise StorageError("disk full")
        self.after -= 1

    def put(self, key, stream, size=None, content_type=None):
        self._spend()
        return super().put(key, stream, size, content_type)

    def write_prefix(self, prefix):
        writer = super().write_prefix(prefix)
        put = writer.put

        def failing_put(name, stream, size=None, content_type=None):
            self._spend()
            return put(name, stream, size, content_type)

        writer.put = failing_put
        return writer


def test_storage_failure_is_reported_and_cleaned_up(tmp_path):
    storage = BreaksAfter(tmp_path / "o", SIGNING_KEY, "http://t", after=5)
    result = ingest_archive(io.BytesIO(_fails_late()), storage)
    assert [e.code for e in result.report.errors] == ["storage_failed"]
    assert list(storage.list("")) == []


def test_reingest_is_idempotent_and_a_failed_rerun_keeps_the_earlier_copy(tmp_path):
    data = good_packages()["scorm12"]
    good = LocalStorage(tmp_path / "o", SIGNING_KEY, "http://t")
    first = ingest_archive(io.BytesIO(data), good)
    second = ingest_archive(io.BytesIO(data), good)
    assert first.prefix == second.prefix and sorted(first.keys) == sorted(second.keys)
    flaky = BreaksAfter(tmp_path / "o", SIGNING_KEY, "http://t", after=1)
    failed = ingest_archive(io.BytesIO(data), flaky)
    assert not failed.accepted
    assert sorted(good.list("")) == sorted(first.keys)


def test_nothing_is_written_outside_the_prefix(tmp_path):
    storage = LocalStorage(tmp_path / "objects", SIGNING_KEY, "http://t")
    for data, _ in CORPUS.values():
        ingest_archive(io.BytesIO(data), storage)
    ingest_archive(io.BytesIO(good_packages()["native"]), storage)
    on_disk = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert on_disk and all(p.startswith("objects/packages/") for p in on_disk)

"""A corpus of hostile archives, built in code: each is rejected with its own reason code."""

from __future__ import annotations

import io
import posixpath
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.ingest import inspect_archive
from content.limits import ArchiveLimits
from content.safezip import path_problem, scan_archive, verify_contents
from tests.support.zipkit import HTML, hostile_corpus, make_zip, scorm12_manifest

CORPUS = hostile_corpus()
#: a deflate bomb is also (correctly) over the whole-archive ratio
ALSO_ALLOWED = {"deflate_bomb": {"total_ratio_exceeded"}}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_archive_gets_its_reason_code(name):
    data, expected = CORPUS[name]
    report = inspect_archive(io.BytesIO(data))
    codes = {e.code for e in report.errors}
    assert not report.accepted
    assert expected in codes
    assert codes <= {expected} | ALSO_ALLOWED.get(name, set())
    for err in report.errors:
        assert err.message


def test_reasons_carry_the_path_inside_the_archive():
    report = inspect_archive(io.BytesIO(CORPUS["symlink"][0]))
    assert [(e.code, e.path) for e in report.errors] == [("symlink", "link.html")]
    report = inspect_archive(io.BytesIO(CORPUS["manifest_in_subfolder"][0]))
    assert report.errors[0].path == "course/imsmanifest.xml"
    assert "root" in report.errors[0].message


def _zeros_package(size: int) -> bytes:
    return make_zip(
        {"imsmanifest.xml": scorm12_manifest(), "index.html": HTML, "zeros.bin": b"\0" * size}
    )


def test_inflated_bytes_are_counted_while_streaming_per_entry():
    """Declared sizes are not trusted: with the metadata checks relaxed, the streaming pass
    still stops the entry as soon as its real output crosses the ratio limit."""
    data = _zeros_package(8 * 1024 * 1024)
    lax = ArchiveLimits(max_entry_ratio=1e9, max_total_ratio=1e9)
    scan = scan_archive(io.BytesIO(data), lax)
    assert scan.findings.ok
    strict = ArchiveLimits(max_total_ratio=1e9)
    total = verify_contents(scan, strict)
    assert [e.code for e in scan.findings.errors] == ["zip_bomb_ratio"]
    assert total < 2 * 1024 * 1024  # stopped early, not after inflating 8 MiB


def test_inflated_bytes_are_counted_while_streaming_total():
    data = _zeros_package(3 * 1024 * 1024)
    lax = ArchiveLimits(max_entry_ratio=1e9, max_total_ratio=1e9)
    scan = scan_archive(io.BytesIO(data), lax)
    streaming = ArchiveLimits(max_entry_ratio=1e9, max_total_ratio=20, total_ratio_min_size=0)
    total = verify_contents(scan, streaming)
    assert [e.code for e in scan.findings.errors] == ["total_ratio_exceeded"]
    assert total <= 20 * len(data) + ArchiveLimits().chunk_size
    scan = scan_archive(io.BytesIO(data), lax)
    verify_contents(
        scan,
        ArchiveLimits(max_entry_ratio=1e9, max_total_ratio=1e9, max_total_uncompressed=1024 * 1024),
    )
    assert [e.code for e in scan.findings.errors] == ["total_size_exceeded"]


def test_configurable_entry_limit():
    data = make_zip({f"f{i}.html": HTML for i in range(11)})
    report = inspect_archive(io.BytesIO(data), ArchiveLimits(max_entries=10))
    assert [e.code for e in report.errors] == ["too_many_entries"]


def test_archive_size_limit():
    data = make_zip({"imsmanifest.xml": scorm12_manifest(), "index.html": HTML})
    report = inspect_archive(io.BytesIO(data), ArchiveLimits(max_archive_bytes=100))
    assert [e.code for e in report.errors] == ["archive_too_large"]


def test_many_errors_are_listed_but_capped():
    data = make_zip([(f"{'/'.join(['d'] * 40)}/{i}.html", HTML) for i in range(200)])
    report = inspect_archive(io.BytesIO(data))
    assert 40 < len(report.errors) <= 52
    assert {e.code for e in report.errors} == {"path_too_deep"}


def test_self_extracting_prefix_is_tolerated():
    data = (
        b"MZ" + b"\0" * 100 + make_zip({"imsmanifest.xml": scorm12_manifest(), "index.html": HTML})
    )
    assert inspect_archive(io.BytesIO(data)).accepted


def test_directory_entries_are_fine():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("imsmanifest.xml", scorm12_manifest())
        zf.mkdir("assets")
        zf.writestr("index.html", HTML)
    report = inspect_archive(io.BytesIO(buf.getvalue()))
    assert report.accepted, report.errors
    assert report.entry_count == 3


@given(st.text(min_size=1, max_size=60))
def test_accepted_names_never_escape(name):
    if path_problem(name, ArchiveLimits()) is None:
        norm = posixpath.normpath(name)
        assert not norm.startswith(("/", "..")) and norm != ".."
        assert "\\" not in name and "\x00" not in name
        assert not (len(name) > 1 and name[1] == ":" and name[0].isalpha())  # a drive letter


def test_unflagged_gbk_and_utf8_names_are_decoded():
    from tests.support.zipkit import RawEntry, raw_zip

    manifest = scorm12_manifest("课程/首页.html")
    for encoding in ("utf-8", "gbk"):
        data = raw_zip(
            [
                RawEntry(b"imsmanifest.xml", manifest),
                RawEntry("课程/首页.html".encode(encoding), HTML),
            ]
        )
        report = inspect_archive(io.BytesIO(data))
        assert report.accepted, (encoding, report.errors)
        assert report.manifest.launch == "课程/首页.html"

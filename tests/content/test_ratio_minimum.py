"""The whole-archive compression ratio applies only past a minimum inflated size.

A large course structure is repetitive text: a 1 000-AU ``cmi5.xml`` of about 400 KB zips to a
few KB, far past the 20x whole-archive ratio, yet inflating it costs nothing. Zip bombs are
large by definition, so past the minimum they are still refused with ``total_ratio_exceeded``.
"""

from __future__ import annotations

import io

from content.ingest import inspect_archive
from content.limits import ArchiveLimits, MiB
from content.safezip import scan_archive, verify_contents
from tests.support.zipkit import HTML, hostile_corpus, make_zip, scorm12_manifest


def _big_cmi5(aus: int = 1000) -> bytes:
    blocks = "".join(
        f"""
  <au id="https://example.org/au/{i}" moveOn="CompletedOrPassed" launchMethod="AnyWindow">
    <title><langstring lang="en-US">Unit {i}: safe operation of the machine</langstring></title>
    <description><langstring lang="en-US">Practice for unit {i}, with a short quiz and a
      review of the safety rules for the workshop.</langstring></description>
    <url>au/index.html?unit={i}</url>
  </au>"""
        for i in range(aus)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/course/big">
    <title><langstring lang="en-US">Big course</langstring></title>
    <description><langstring lang="en-US">d</langstring></description>
  </course>{blocks}
</courseStructure>""".encode()


def test_small_highly_compressible_course_is_accepted():
    manifest = _big_cmi5()
    data = make_zip({"cmi5.xml": manifest, "au/index.html": HTML})
    assert len(manifest) > 400 * 1000
    assert len(manifest) > 20 * len(data)  # over the whole-archive ratio, under the minimum
    report = inspect_archive(io.BytesIO(data))
    assert report.accepted, report.errors
    assert report.manifest is not None and report.manifest.format == "cmi5"
    assert len(report.manifest.units) == 1000


def test_the_minimum_is_a_limit_like_the_others():
    manifest = _big_cmi5()
    data = make_zip({"cmi5.xml": manifest, "au/index.html": HTML})
    report = inspect_archive(io.BytesIO(data), ArchiveLimits(total_ratio_min_size=64 * 1024))
    assert [e.code for e in report.errors] == ["total_ratio_exceeded"]


def test_zip_bomb_past_the_minimum_is_still_refused():
    data, expected = hostile_corpus()["total_ratio"]  # 27 MiB of zeros in 900 KiB entries
    assert expected == "total_ratio_exceeded"
    report = inspect_archive(io.BytesIO(data))
    assert not report.accepted
    assert [e.code for e in report.errors] == ["total_ratio_exceeded"]


def test_streaming_pass_refuses_a_bomb_past_the_minimum():
    """Declared sizes are not trusted: with the metadata pass relaxed, the bytes actually
    inflated cross the minimum and the ratio, and inflating stops there."""
    zeros = [(f"z{i}.bin", b"\0" * (900 * 1024)) for i in range(24)]  # ~21 MiB, each < 1 MiB
    data = make_zip([("imsmanifest.xml", scorm12_manifest()), ("index.html", HTML), *zeros])
    scan = scan_archive(io.BytesIO(data), ArchiveLimits(max_total_ratio=1e9))
    assert scan.findings.ok
    total = verify_contents(scan, ArchiveLimits())
    assert [e.code for e in scan.findings.errors] == ["total_ratio_exceeded"]
    assert 16 * MiB < total <= 16 * MiB + ArchiveLimits().chunk_size

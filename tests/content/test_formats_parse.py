"""Good packages of every format, built in code, parse into the right description."""

from __future__ import annotations

import io
import json

import pytest

from content.formats.duration import parse_duration_minutes
from content.ingest import inspect_archive
from tests.support.zipkit import (
    HTML,
    cmi5_xml,
    good_packages,
    make_zip,
    native_json,
    scorm12_manifest,
    scorm2004_manifest,
    tincan_xml,
)


def inspect(files: dict[str, bytes]) -> dict:
    return inspect_archive(io.BytesIO(make_zip(files))).to_dict()


@pytest.mark.parametrize("fmt", sorted(good_packages()))
def test_good_packages_are_accepted(fmt):
    report = inspect_archive(io.BytesIO(good_packages()[fmt])).to_dict()
    assert report["accepted"], report["errors"]
    assert report["format"] == fmt
    assert report["errors"] == [] and report["warnings"] == []
    json.dumps(report)  # JSON-able


def test_scorm12():
    r = inspect({"imsmanifest.xml": scorm12_manifest(), "index.html": HTML})
    assert r["format"] == "scorm12"
    assert r["title"] == "焊工基础 Welding basics"
    assert r["identifier"] == "com.example.weld" and r["version"] == "1.3"
    assert r["launch"] == "index.html"
    assert r["units"] == [
        {
            "id": "I1",
            "title": "Lesson 1",
            "kind": "sco",
            "launch": "index.html",
            "mastery_score": 0.8,
        }
    ]


def test_scorm12_xml_base_on_resource_and_typical_learning_time():
    tlt = (
        "<lom><educational><typicalLearningTime><datetime>0002:15:00</datetime>"
        "</typicalLearningTime></educational></lom>"
    )
    r = inspect(
        {
            "imsmanifest.xml": scorm12_manifest("start.htm", xml_base="sco1", metadata_extra=tlt),
            "sco1/start.htm": HTML,
        }
    )
    assert r["accepted"], r["errors"]
    assert r["launch"] == "sco1/start.htm"
    assert r["declared_minutes"] == 135 and r["declared_hours"] == 3.0


def test_scorm_version_from_attribute_spelling_without_schemaversion():
    m12 = (
        scorm12_manifest(schemaversion=None)
        .replace(b"http://www.adlnet.org/xsd/adlcp_rootv1p2", b"urn:x-adlcp")
        .replace(b"http://www.imsproject.org/xsd/imscp_rootv1p1p2", b"urn:x-imscp")
    )
    assert inspect({"imsmanifest.xml": m12, "index.html": HTML})["format"] == "scorm12"
    m2004 = m12.replace(b"adlcp:scormtype", b"adlcp:scormType")
    assert inspect({"imsmanifest.xml": m2004, "index.html": HTML})["format"] == "scorm2004"


def test_scorm2004_default_org_xml_base_parameters_hours():
    r = inspect(
        {
            "imsmanifest.xml": scorm2004_manifest(manifest_base="pkg/", res_base="content"),
            "pkg/content/lesson1/index.html": HTML,
            "pkg/content/p.html": HTML,
        }
    )
    assert r["accepted"], r["errors"]
    assert r["format"] == "scorm2004"
    assert r["title"] == "数控车床操作"  # the default organization, not the first one
    assert r["launch"] == "pkg/content/lesson1/index.html?lang=zh"
    assert [(u["id"], u["kind"]) for u in r["units"]] == [("SCO1", "sco"), ("SCO2", "asset")]
    assert r["units"][0]["mastery_score"] == 0.7
    assert r["declared_minutes"] == 90 and r["declared_hours"] == 2.0


def test_scorm_missing_secondary_file_is_a_warning_only():
    manifest = scorm12_manifest(
        extra_resources='<resource identifier="R9" type="webcontent" adlcp:scormtype="asset" '
        'href="extra.html"><file href="img/logo.png"/></resource>'
    )
    report = inspect({"imsmanifest.xml": manifest, "index.html": HTML})
    assert report["accepted"]
    assert {(w["code"], w["path"]) for w in report["warnings"]} == {
        ("resource_file_missing", "extra.html"),
        ("resource_file_missing", "img/logo.png"),
    }


def test_scorm_percent_encoded_launch():
    r = inspect({"imsmanifest.xml": scorm12_manifest("my%20lesson.html"), "my lesson.html": HTML})
    assert r["accepted"], r["errors"]
    assert r["launch"] == "my lesson.html"


def test_cmi5_course_aus_blocks():
    r = inspect({"cmi5.xml": cmi5_xml(), "au1/index.html": HTML, "au2/start.html": HTML})
    assert r["accepted"], r["errors"]
    assert r["format"] == "cmi5"
    assert r["title"] == "电工" and r["identifier"] == "https://example.org/course/elec"
    assert r["launch"] == "au1/index.html"
    au1, block = r["units"]
    assert au1["move_on"] == "CompletedAndPassed" and au1["mastery_score"] == 0.8
    assert au1["launch_method"] == "OwnWindow"
    assert block["kind"] == "block" and block["title"] == "Practice"
    au2, au3 = block["children"]
    assert au2["launch"] == "au2/start.html?mode=1"
    assert au2["move_on"] == "NotApplicable" and au2["launch_method"] == "AnyWindow"
    assert au3["launch"] == "https://lab.example.org/launch"  # external AU, not a file
    assert au3["move_on"] == "Passed" and au3["mastery_score"] == 0.5
    assert r["declared_hours"] is None


def test_cmi5_missing_au_file_and_bad_values():
    r = inspect({"cmi5.xml": cmi5_xml(), "au1/index.html": HTML})
    assert [(e["code"], e["path"]) for e in r["errors"]] == [
        ("launch_file_missing", "au2/start.html")
    ]
    bad = (
        cmi5_xml()
        .replace(b'moveOn="Passed"', b'moveOn="Sometimes"')
        .replace(b'masteryScore="0.8"', b'masteryScore="1.5"')
    )
    r = inspect({"cmi5.xml": bad, "au1/index.html": HTML, "au2/start.html": HTML})
    assert [e["code"] for e in r["errors"]] == ["manifest_invalid", "manifest_invalid"]


def test_xapi_tincan():
    r = inspect({"tincan.xml": tincan_xml("story.html?x=1"), "story.html": HTML})
    assert r["accepted"], r["errors"]
    assert r["title"] == "Forklift safety"
    assert r["identifier"] == "http://example.org/course/forklift"
    assert r["launch"] == "story.html?x=1"
    assert [u["kind"] for u in r["units"]] == ["activity", "activity"]
    r = inspect({"tincan.xml": tincan_xml("missing.html")})
    assert [e["code"] for e in r["errors"]] == ["launch_file_missing"]


def test_native():
    files = {"index.html": HTML, "u1/index.html": HTML, "u2/index.html": HTML}
    r = inspect({"skills-package.json": native_json(), **files})
    assert r["accepted"], r["errors"]
    assert r["format"] == "native" and r["title"] == "CNC 入门"
    assert r["declared_minutes"] == 360 and r["declared_hours"] == 8.0
    assert r["units"][0] == {
        "id": "u1",
        "title": "Unit 1",
        "kind": "unit",
        "launch": "u1/index.html",
        "minutes": 90,
    }


@pytest.mark.parametrize(
    "manifest",
    [
        native_json(format="skills-native/2"),
        native_json(extra="x"),
        native_json(title=""),
        native_json(hours=True),
        native_json(hours=-1),
        native_json(launch="https://example.org/x"),
        native_json(launch="../x.html"),
        native_json(units=[{"id": "a", "title": "A", "launch": "index.html", "colour": 1}]),
        native_json(
            units=[
                {"id": "a", "title": "A", "launch": "index.html"},
                {"id": "a", "title": "B", "launch": "index.html"},
            ]
        ),
        b'{"format": "skills-native/1", "format": "skills-native/1"}',
        b'{"format": "skills-native/1", "title": "t", "launch": "index.html", "hours": NaN}',
        b"[1, 2]",
        b"\xff\xfe not utf-8",
    ],
)
def test_native_is_strict(manifest):
    r = inspect(
        {
            "skills-package.json": manifest,
            "index.html": HTML,
            "u1/index.html": HTML,
            "u2/index.html": HTML,
        }
    )
    assert not r["accepted"]
    assert [e["code"] for e in r["errors"]] == ["manifest_invalid"]


def test_precedence_and_multiple_manifests_warning():
    r = inspect(
        {
            "cmi5.xml": cmi5_xml(),
            "tincan.xml": tincan_xml(),
            "au1/index.html": HTML,
            "au2/start.html": HTML,
        }
    )
    assert r["format"] == "cmi5"
    assert [w["code"] for w in r["warnings"]] == ["multiple_manifests"]


def test_wrong_case_manifest_name():
    r = inspect({"IMSManifest.xml": scorm12_manifest(), "index.html": HTML})
    assert [e["code"] for e in r["errors"]] == ["manifest_invalid"]


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("PT1H30M", 90),
        ("PT45M", 45),
        ("P1DT2H", 1560),
        ("PT0.5H", 30),
        ("PT90S", 2),
        ("P1W", 10080),
        ("0001:30:00", 90),
        ("01:00:30.5", 61),
        ("", None),
        ("P", None),
        ("PT", None),
        ("1 hour", None),
    ],
)
def test_duration_parsing(value, minutes):
    assert parse_duration_minutes(value) == minutes


@pytest.mark.parametrize(
    ("duration", "minutes", "warned"),
    [
        ("1:30:00", 90, False),  # 1-digit hours: accepted in metadata, refused in SCORM 1.2 runtime
        ("PT7500H", 450000, False),  # 10 000 学时, the same ceiling as a native package
        ("P9999Y", None, True),  # would not fit the declared_minutes column
        ("P" + "9" * 400 + "Y", None, True),  # used to raise OverflowError out of inspection
    ],
)
def test_declared_duration_in_a_scorm_manifest(duration, minutes, warned):
    files = {
        "imsmanifest.xml": scorm2004_manifest(duration=duration),
        "lesson1/index.html": HTML,
        "p.html": HTML,
    }
    r = inspect(files)
    assert r["accepted"], r["errors"]
    assert r["declared_minutes"] == minutes
    codes = [w["code"] for w in r["warnings"]]
    assert codes == (["duration_unreadable"] if warned else [])

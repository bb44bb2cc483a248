"""cmi5 course structures ADL's cmi5 test suite says an LMS must refuse, and the spec's own
sample structures (../shared/vectors/cmi5) that it must keep accepting."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from content.ingest import inspect_archive
from tests.support.zipkit import HTML, cmi5_xml, make_zip

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "cmi5"


def inspect(structure: bytes) -> dict:
    files = {"cmi5.xml": structure, "au1/index.html": HTML, "au2/start.html": HTML}
    return inspect_archive(io.BytesIO(make_zip(files))).to_dict()


def codes(report: dict) -> list[str]:
    return [e["code"] for e in report["errors"]]


def with_objectives(*ids: str) -> bytes:
    objectives = "".join(
        f'<objective id="{i}"><title><langstring>t</langstring></title>'
        f"<description><langstring>d</langstring></description></objective>"
        for i in ids
    )
    return cmi5_xml().replace(
        b"</course>", f"</course><objectives>{objectives}</objectives>".encode()
    )


@pytest.mark.parametrize("name", ["simple-cmi5.xml", "complex-cmi5.xml"])
def test_spec_sample_structures_are_accepted(name):
    r = inspect_archive(io.BytesIO(make_zip({"cmi5.xml": (VECTORS / name).read_bytes()}))).to_dict()
    assert r["accepted"], r["errors"]
    assert r["format"] == "cmi5"


def test_the_project_fixture_is_accepted():
    r = inspect(cmi5_xml())
    assert r["accepted"], r["errors"]


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        (b'course id="https://example.org/course/elec"', b'course id="elec-101"', "course"),
        (b'block id="https://example.org/block/1"', b'block id="block 1"', "block"),
        (b'au id="https://example.org/au/2"', b'au id="/au/2"', "AU"),
        (b'au id="https://example.org/au/3"', b'au id="au3"', "AU"),
    ],
)
def test_ids_must_be_iris(old, new, element):
    r = inspect(cmi5_xml().replace(old, new))
    assert codes(r) == ["cmi5_id_not_iri"]
    assert r["errors"][0]["message"].startswith(element)


def test_urn_and_other_schemes_are_iris():
    r = inspect(cmi5_xml().replace(b"https://example.org/au/2", b"urn:uuid:0f8fad5b-d9cb-469f"))
    assert r["accepted"], r["errors"]


def test_objective_id_must_be_an_iri():
    r = inspect(with_objectives("https://example.org/obj/1", "obj-2"))
    assert codes(r) == ["cmi5_id_not_iri"]
    assert "objective" in r["errors"][0]["message"]


def test_duplicate_objective_id():
    r = inspect(with_objectives("https://example.org/obj/1", "https://example.org/obj/1"))
    assert codes(r) == ["cmi5_duplicate_objective"]


def test_distinct_objectives_are_accepted():
    r = inspect(with_objectives("https://example.org/obj/1", "https://example.org/obj/2"))
    assert r["accepted"], r["errors"]


@pytest.mark.parametrize("url", ["au1/index page.html", "https://lab.example.org/a b"])
def test_url_with_a_space(url):
    r = inspect(cmi5_xml(url))
    assert codes(r) == ["cmi5_url_invalid"]


def test_percent_encoded_space_is_fine():
    files = {"cmi5.xml": cmi5_xml("au1/index%20page.html"), "au1/index page.html": HTML}
    files["au2/start.html"] = HTML
    r = inspect_archive(io.BytesIO(make_zip(files))).to_dict()
    assert r["accepted"], r["errors"]


@pytest.mark.parametrize("param", ["endpoint", "fetch", "actor", "registration", "activityId"])
@pytest.mark.parametrize("base", ["au1/index.html", "https://lab.example.org/launch"])
def test_url_with_an_lms_launch_parameter(base, param):
    r = inspect(cmi5_xml(f"{base}?mode=1&amp;{param}=x"))
    assert codes(r) == ["cmi5_url_reserved_parameter"]
    assert param in r["errors"][0]["message"]


def test_url_with_other_parameters_is_fine():
    r = inspect(cmi5_xml("au1/index.html?activity=1&amp;endpoints=2#actor=3"))
    assert r["accepted"], r["errors"]


def test_move_on_element_is_refused():
    structure = cmi5_xml().replace(
        b"<url>au2/start.html?mode=1</url>",
        b"<url>au2/start.html?mode=1</url><moveOn>Passed</moveOn>",
    )
    r = inspect(structure)
    assert codes(r) == ["cmi5_move_on_element"]
    assert "https://example.org/au/2" in r["errors"][0]["message"]


@pytest.mark.parametrize("value", ["", "passed", "Sometimes"])
def test_move_on_attribute_values(value):
    r = inspect(cmi5_xml().replace(b'moveOn="Passed"', f'moveOn="{value}"'.encode()))
    assert codes(r) == ["manifest_invalid"]


@pytest.mark.parametrize(
    "value", ["Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"]
)
def test_move_on_allowed_values(value):
    r = inspect(cmi5_xml().replace(b'moveOn="Passed"', f'moveOn="{value}"'.encode()))
    assert r["accepted"], r["errors"]


def test_huge_values_are_not_echoed():
    huge = "x" * 100_000
    r = inspect(cmi5_xml().replace(b"https://example.org/au/2", huge.encode()))
    assert codes(r) == ["cmi5_id_not_iri"]
    assert len(r["errors"][0]["message"]) < 300


def test_schema_copy_is_the_published_schema():
    from content.formats.cmi5_schema import SCHEMA_PATH

    ours = SCHEMA_PATH.read_text(encoding="utf-8")
    published = (VECTORS / "CourseStructure.xsd").read_text(encoding="utf-8")
    assert ours.split("-->\n", 1)[1] == published


def test_structure_breaking_the_schema_is_refused():
    no_description = cmi5_xml().replace(
        b'<description><langstring lang="en-US">d</langstring></description>\n    <url>',
        b"<url>",
        1,
    )
    r = inspect(no_description)
    assert codes(r) == ["cmi5_schema_invalid"]
    message = r["errors"][0]["message"]
    assert "/courseStructure/au" in message and "description" in message


def test_structure_outside_the_cmi5_namespace_is_refused():
    r = inspect(cmi5_xml().replace(b"https://w3id.org/xapi/profiles/cmi5/v1/", b"urn:other:"))
    assert codes(r) == ["cmi5_schema_invalid"]


def test_extensions_in_another_namespace_are_accepted_and_hints_not_followed():
    ext = (
        b'<x:ext xmlns:x="urn:example:ext" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="urn:example:ext http://127.0.0.1:9/ext.xsd">1</x:ext>'
    )
    r = inspect(cmi5_xml().replace(b"</url>", b"</url>" + ext, 1))
    assert r["accepted"], r["errors"]

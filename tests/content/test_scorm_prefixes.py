"""SCORM manifests that use the customary ADL/IMS prefixes without declaring them.

Authoring tools ship such manifests and LMSs (Moodle among them) import them, so they are read
with the usual SCORM namespaces and a warning; any other undeclared prefix, and every DTD or
entity trick, is still refused.
"""

from __future__ import annotations

import io

from content.formats.scorm import ADLCP_12, ADLCP_2004, implied_prefixes
from content.ingest import inspect_archive
from tests.support.zipkit import HTML, make_zip

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
{prolog}<manifest identifier="com.example.cnc" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="ORG">
    <organization identifier="ORG" adlseq:objectivesGlobalToSystem="false">
      <title>数控车床</title>
      <item identifier="I1" identifierref="R1"><title>对刀</title>
        <imsss:sequencing><imsss:deliveryControls tracked="true"/></imsss:sequencing>
      </item>
      <item identifier="I2" identifierref="R2"><title>编程</title>{extra}</item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="R1" type="webcontent" adlcp:scormType="sco" href="a.html"/>
    <resource identifier="R2" type="webcontent" adlcp:scormType="sco" href="b.html"/>
  </resources>
</manifest>"""


def _inspect(manifest: str):
    data = make_zip({"imsmanifest.xml": manifest.encode(), "a.html": HTML, "b.html": HTML})
    return inspect_archive(io.BytesIO(data))


def test_undeclared_adlcp_and_adlseq_are_accepted_and_scos_found():
    report = _inspect(MANIFEST_2004.format(prolog="", extra=""))
    assert report.accepted, report.errors
    manifest = report.manifest
    assert manifest is not None and manifest.format == "scorm2004"
    assert [(u.id, u.kind, u.launch) for u in manifest.units] == [
        ("I1", "sco", "a.html"),
        ("I2", "sco", "b.html"),
    ]
    assert [w.code for w in report.warnings] == ["manifest_invalid"]
    assert "adlcp, adlseq, imsss" in report.warnings[0].message


def test_declared_manifest_has_no_warning():
    decls = (
        ' xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"'
        ' xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"'
        ' xmlns:imsss="http://www.imsglobal.org/xsd/imsss"'
    )
    manifest = MANIFEST_2004.format(prolog="", extra="").replace(
        'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"',
        f'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"{decls}',
    )
    report = _inspect(manifest)
    assert report.accepted and report.warnings == []


def test_other_undeclared_prefix_is_still_refused():
    report = _inspect(MANIFEST_2004.format(prolog="", extra="<foo:x/>"))
    assert [e.code for e in report.errors] == ["manifest_invalid"]
    assert "unbound prefix" in report.errors[0].message


def test_dtd_is_still_refused_with_undeclared_prefixes():
    prolog = '<!DOCTYPE manifest [<!ENTITY e "x">]>\n'
    report = _inspect(MANIFEST_2004.format(prolog=prolog, extra="<title>&e;</title>"))
    assert [e.code for e in report.errors] == ["xml_forbidden_construct"]


def test_adlcp_namespace_follows_the_scorm_version():
    assert implied_prefixes(b"<schemaversion>1.2</schemaversion>")["adlcp"] == ADLCP_12
    assert implied_prefixes(b"<schemaversion>CAM 1.3</schemaversion>")["adlcp"] == ADLCP_2004
    rooted = b'<manifest xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2">'
    assert implied_prefixes(rooted)["adlcp"] == ADLCP_12
    assert implied_prefixes(b'<resource adlcp:scormtype="sco"/>')["adlcp"] == ADLCP_12
    assert implied_prefixes(b'<resource adlcp:scormType="sco"/>')["adlcp"] == ADLCP_2004


def test_scorm12_with_undeclared_adlcp_is_read_as_scorm12():
    manifest = """<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="O"><organization identifier="O"><title>t</title>
    <item identifier="I1" identifierref="R1"><title>x</title>
      <adlcp:masteryscore>80</adlcp:masteryscore></item>
  </organization></organizations>
  <resources>
    <resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="a.html"/>
  </resources>
</manifest>"""
    report = _inspect(manifest)
    assert report.accepted, report.errors
    assert report.manifest is not None and report.manifest.format == "scorm12"
    assert report.manifest.units[0].mastery_score == 0.8

"""Build course packages and hostile archives in code, for the content and package tests.

``raw_zip`` writes ZIP structures byte by byte (APPNOTE 4.3.7 / 4.3.12 / 4.3.16) so tests can
produce what :mod:`zipfile` refuses to write: NUL in names, forged flags, overlapping entries.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass


def make_zip(
    files: dict[str, bytes] | list[tuple[str, bytes]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buf = io.BytesIO()
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in items:
            zf.writestr(
                zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)),
                data,
                compress_type=compression,
            )
    return buf.getvalue()


def zip_with_infos(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


@dataclass
class RawEntry:
    name: bytes
    data: bytes  # bytes as stored (already compressed if method 8)
    method: int = 0
    crc: int | None = None
    file_size: int | None = None
    flags: int = 0
    external_attr: int = 0
    offset: int | None = None  # override the central directory's local header offset
    write_local: bool = True


def _local_header(e: RawEntry, crc: int, size: int) -> bytes:
    return (
        struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            e.flags,
            e.method,
            0,
            0x21,
            crc,
            len(e.data),
            size,
            len(e.name),
            0,
        )
        + e.name
    )


def raw_zip(entries: list[RawEntry], prefix: bytes = b"") -> bytes:
    """Write local headers + data, then a central directory with the given fields."""
    out = bytearray(prefix)
    offsets = []
    for e in entries:
        crc = e.crc if e.crc is not None else zlib.crc32(e.data if e.method == 0 else b"")
        size = e.file_size if e.file_size is not None else len(e.data)
        offsets.append(len(out))
        if e.write_local:
            out += _local_header(e, crc, size) + e.data
    cd_start = len(out)
    for e, off in zip(entries, offsets, strict=True):
        crc = e.crc if e.crc is not None else zlib.crc32(e.data if e.method == 0 else b"")
        size = e.file_size if e.file_size is not None else len(e.data)
        out += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                (3 << 8) | 20,
                20,
                e.flags,
                e.method,
                0,
                0x21,
                crc,
                len(e.data),
                size,
                len(e.name),
                0,
                0,
                0,
                0,
                e.external_attr,
                e.offset if e.offset is not None else off,
            )
            + e.name
        )
    cd_size = len(out) - cd_start
    out += struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), cd_size, cd_start, 0
    )
    return bytes(out)


def set_flag_bits(archive: bytes, name: str, bits: int) -> bytes:
    """Patch the general purpose flags of ``name`` in its local and central headers."""
    data = bytearray(archive)
    raw = name.encode()
    pos = data.find(b"PK\x03\x04" + b"")
    while pos >= 0:
        n, x = struct.unpack("<2H", data[pos + 26 : pos + 30])
        if data[pos + 30 : pos + 30 + n] == raw:
            flags = struct.unpack("<H", data[pos + 6 : pos + 8])[0] | bits
            data[pos + 6 : pos + 8] = struct.pack("<H", flags)
            break
        pos = data.find(b"PK\x03\x04", pos + 4)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        n = struct.unpack("<H", data[pos + 28 : pos + 30])[0]
        if data[pos + 46 : pos + 46 + n] == raw:
            flags = struct.unpack("<H", data[pos + 8 : pos + 10])[0] | bits
            data[pos + 8 : pos + 10] = struct.pack("<H", flags)
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


# ---------------------------------------------------------------- good packages

HTML = b"<!doctype html><title>x</title><p>lesson</p>"


def scorm12_manifest(
    launch: str = "index.html",
    *,
    xml_base: str | None = None,
    extra_items: str = "",
    extra_resources: str = "",
    metadata_extra: str = "",
    schemaversion: str | None = "1.2",
) -> bytes:
    base = f' xml:base="{xml_base}"' if xml_base else ""
    version = f"<schemaversion>{schemaversion}</schemaversion>" if schemaversion else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.weld" version="1.3"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema>{version}{metadata_extra}</metadata>
  <organizations default="ORG1">
    <organization identifier="ORG1">
      <title>焊工基础 Welding basics</title>
      <item identifier="I1" identifierref="R1">
        <title>Lesson 1</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
      </item>
      {extra_items}
    </organization>
  </organizations>
  <resources>
    <resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="{launch}"{base}>
      <file href="{launch}"/>
    </resource>
    {extra_resources}
  </resources>
</manifest>""".encode()


def scorm2004_manifest(
    *,
    manifest_base: str = "",
    res_base: str = "",
    launch: str = "index.html",
    duration: str | None = "PT1H30M",
    default_org: str = "ORG2",
) -> bytes:
    mb = f' xml:base="{manifest_base}"' if manifest_base else ""
    rb = f' xml:base="{res_base}"' if res_base else ""
    tlt = (
        f"<lom:lom><lom:educational><lom:typicalLearningTime><lom:duration>{duration}"
        "</lom:duration></lom:typicalLearningTime></lom:educational></lom:lom>"
        if duration
        else ""
    )
    return f"""<?xml version="1.0" standalone="no"?>
<manifest identifier="MAN-2004" version="2"{mb}
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
  xmlns:lom="http://ltsc.ieee.org/xsd/LOM">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion>{tlt}
  </metadata>
  <organizations default="{default_org}">
    <organization identifier="ORG1"><title>Not the default</title>
      <item identifier="X" identifierref="R2"><title>Other</title></item>
    </organization>
    <organization identifier="ORG2"><title>数控车床操作</title>
      <item identifier="MOD1"><title>Module 1</title>
        <item identifier="SCO1" identifierref="R1" parameters="?lang=zh">
          <title>Intro</title>
          <imsss:sequencing><imsss:objectives>
            <imsss:primaryObjective satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives></imsss:sequencing>
        </item>
      </item>
      <item identifier="SCO2" identifierref="R2"><title>Practice</title></item>
    </organization>
  </organizations>
  <resources{rb}>
    <resource identifier="R1" type="webcontent" adlcp:scormType="sco" href="{launch}"
      xml:base="lesson1/"><file href="{launch}"/></resource>
    <resource identifier="R2" type="webcontent" adlcp:scormType="asset" href="p.html"/>
  </resources>
</manifest>""".encode()


def cmi5_xml(first_url: str = "au1/index.html") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/course/elec">
    <title><langstring lang="en-US">Electrician</langstring>
           <langstring lang="zh-CN">电工</langstring></title>
    <description><langstring lang="en-US">d</langstring></description>
  </course>
  <au id="https://example.org/au/1" moveOn="CompletedAndPassed" masteryScore="0.8"
      launchMethod="OwnWindow">
    <title><langstring lang="en-US">Safety</langstring></title>
    <description><langstring lang="en-US">d</langstring></description>
    <url>
      {first_url}
    </url>
  </au>
  <block id="https://example.org/block/1">
    <title><langstring lang="en-US">Practice</langstring></title>
    <description><langstring lang="en-US">d</langstring></description>
    <au id="https://example.org/au/2">
      <title><langstring lang="en-US">Wiring</langstring></title>
      <description><langstring lang="en-US">d</langstring></description>
      <url>au2/start.html?mode=1</url>
    </au>
    <au id="https://example.org/au/3" moveOn="Passed" masteryScore="0.5">
      <title><langstring lang="en-US">Remote lab</langstring></title>
      <description><langstring lang="en-US">d</langstring></description>
      <url>https://lab.example.org/launch</url>
    </au>
  </block>
</courseStructure>""".encode()


def tincan_xml(launch: str = "story.html") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8" ?>
<tincan xmlns="http://projecttincan.com/tincan.xsd">
  <activities>
    <activity id="http://example.org/course/forklift" type="http://adlnet.gov/expapi/activities/course">
      <name lang="und">Forklift safety</name>
      <description lang="und">desc</description>
      <launch lang="und">{launch}</launch>
    </activity>
    <activity id="http://example.org/course/forklift/q1" type="http://adlnet.gov/expapi/activities/cmi.interaction">
      <name lang="und">Question 1</name>
    </activity>
  </activities>
</tincan>""".encode()


def native_json(**overrides) -> bytes:
    import json

    doc = {
        "format": "skills-native/1",
        "id": "ningbo-cnc-1",
        "title": "CNC 入门",
        "version": "1.0.0",
        "language": "zh-CN",
        "launch": "index.html",
        "hours": 8,
        "units": [
            {"id": "u1", "title": "Unit 1", "launch": "u1/index.html", "hours": 2},
            {"id": "u2", "title": "Unit 2", "launch": "u2/index.html"},
        ],
    }
    doc.update(overrides)
    doc = {k: v for k, v in doc.items() if v is not None}
    return json.dumps(doc, ensure_ascii=False).encode()


def good_packages() -> dict[str, bytes]:
    """One acceptable archive per format."""
    return {
        "scorm12": make_zip({"imsmanifest.xml": scorm12_manifest(), "index.html": HTML}),
        "scorm2004": make_zip(
            {
                "imsmanifest.xml": scorm2004_manifest(res_base="content/"),
                "content/lesson1/index.html": HTML,
                "content/p.html": HTML,
            }
        ),
        "cmi5": make_zip({"cmi5.xml": cmi5_xml(), "au1/index.html": HTML, "au2/start.html": HTML}),
        "xapi": make_zip({"tincan.xml": tincan_xml(), "story.html": HTML, "story.js": b"1;"}),
        "native": make_zip(
            {
                "skills-package.json": native_json(),
                "index.html": HTML,
                "u1/index.html": HTML,
                "u2/index.html": HTML,
            }
        ),
    }


# ---------------------------------------------------------------- hostile corpus

BASE_FILES = {"imsmanifest.xml": None, "index.html": HTML}  # manifest filled lazily


def _base() -> list[tuple[str, bytes]]:
    return [("imsmanifest.xml", scorm12_manifest()), ("index.html", HTML)]


def _raw_with(extra: list[RawEntry]) -> bytes:
    return raw_zip([RawEntry(n.encode(), d) for n, d in _base()] + extra)


def _xml_manifest(body: str) -> bytes:
    return make_zip({"imsmanifest.xml": body.encode(), "index.html": HTML})


XXE = """<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest identifier="x"><metadata><schema>ADL SCORM</schema>
<schemaversion>1.2</schemaversion></metadata><organizations/><resources>&xxe;</resources>
</manifest>"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<manifest identifier="x"><metadata><schema>&lol3;</schema></metadata></manifest>"""

CC_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="cc" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1">
  <metadata><schema>IMS Common Cartridge</schema><schemaversion>1.1.0</schemaversion></metadata>
  <organizations><organization identifier="O" structure="rooted-hierarchy">
    <item identifier="root"><item identifier="i1" identifierref="r1"><title>T</title></item></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"""


def _overlapping() -> bytes:
    """Entry B's local header and data sit inside entry A's stored data."""
    inner = RawEntry(b"b.html", HTML)
    inner_local = _local_header(inner, zlib.crc32(HTML), len(HTML)) + HTML
    a = RawEntry(b"a.html", inner_local)
    entries = [RawEntry(n.encode(), d) for n, d in _base()]
    head = raw_zip(entries)  # reuse only for its local part length
    local_part_len = head.find(b"PK\x01\x02")
    a_offset = local_part_len
    b_offset = a_offset + 30 + len(a.name)
    b = RawEntry(b"b.html", HTML, offset=b_offset, write_local=False)
    return raw_zip([*entries, a, b])


def _manifest_too_large() -> bytes:
    import base64
    import os

    padding = base64.b64encode(os.urandom(4 * 1024 * 1024)).decode()  # ~5.6 MB of text
    manifest = scorm12_manifest().decode().replace("<metadata>", f"<metadata><!-- {padding} -->", 1)
    return make_zip({"imsmanifest.xml": manifest.encode(), "index.html": HTML})


def _bad_crc() -> bytes:
    return _raw_with([RawEntry(b"data.bin", b"x" * 100, crc=1234)])


def _name_mismatch() -> bytes:
    good = _raw_with([RawEntry(b"aaaa.html", HTML)])
    pos = good.find(b"PK\x03\x04" + b"", good.find(b"aaaa.html") - 40)
    # rename only the local header copy of the name
    local_at = good.find(b"aaaa.html")
    return good[:local_at] + b"bbbb.html" + good[local_at + 9 :] if pos >= 0 else good


def hostile_corpus() -> dict[str, tuple[bytes, str]]:
    """name -> (archive bytes, the one reason code it must be rejected with)."""
    zeros = zlib.compress(b"\0" * (20 * 1024 * 1024), 9)[2:-4]  # raw deflate
    many_zeros = [(f"z{i}.bin", b"\0" * (900 * 1024)) for i in range(30)]
    deep = "/".join(["d"] * 40) + "/x.html"
    fifo = RawEntry(b"pipe", b"", external_attr=(stat.S_IFIFO | 0o644) << 16)
    many = [RawEntry(f"f{i}".encode(), b"") for i in range(20_001)]
    return {
        "dotdot": (_raw_with([RawEntry(b"../evil.html", HTML)]), "path_traversal"),
        "nested_dotdot": (_raw_with([RawEntry(b"a/../../evil.html", HTML)]), "path_traversal"),
        "absolute": (_raw_with([RawEntry(b"/abs.html", HTML)]), "path_traversal"),
        "drive_letter": (_raw_with([RawEntry(b"C:x.html", HTML)]), "path_traversal"),
        "drive_backslash": (_raw_with([RawEntry(b"C:\\x.html", HTML)]), "path_traversal"),
        "backslash": (_raw_with([RawEntry(b"a\\b.html", HTML)]), "path_traversal"),
        "nul_in_name": (_raw_with([RawEntry(b"index.html\x00.txt", HTML)]), "path_traversal"),
        "symlink": (
            zip_with_infos(
                [
                    (symlink_info("link.html"), b"/etc/passwd"),
                    *[(zipfile.ZipInfo(n, (2024, 1, 1, 0, 0, 0)), d) for n, d in _base()],
                ]
            ),
            "symlink",
        ),
        "special_file": (_raw_with([fifo]), "special_file"),
        "encrypted": (
            set_flag_bits(make_zip([*_base(), ("secret.html", HTML)]), "secret.html", 0x1),
            "encrypted_entry",
        ),
        "overlapping": (_overlapping(), "overlapping_entries"),
        "deflate_bomb": (
            _raw_with(
                [
                    RawEntry(
                        b"bomb.bin",
                        zeros,
                        method=8,
                        crc=zlib.crc32(b"\0" * (20 << 20)),
                        file_size=20 << 20,
                    )
                ]
            ),
            "zip_bomb_ratio",
        ),
        "total_ratio": (make_zip([*_base(), *many_zeros]), "total_ratio_exceeded"),
        "xxe": (_xml_manifest(XXE), "xml_forbidden_construct"),
        "billion_laughs": (_xml_manifest(LAUGHS), "xml_forbidden_construct"),
        "case_collision": (
            make_zip([*_base(), ("A.html", HTML), ("a.html", HTML)]),
            "case_collision",
        ),
        "duplicate": (_raw_with([RawEntry(b"index.html", HTML)]), "duplicate_entry"),
        "file_dir_conflict": (
            make_zip([*_base(), ("a", HTML), ("a/b.html", HTML)]),
            "file_directory_conflict",
        ),
        "too_deep": (make_zip([*_base(), (deep, HTML)]), "path_too_deep"),
        "too_long": (make_zip([*_base(), ("n" * 600 + ".html", HTML)]), "path_too_long"),
        "manifest_in_subfolder": (
            make_zip({"course/imsmanifest.xml": scorm12_manifest(), "course/index.html": HTML}),
            "manifest_not_at_root",
        ),
        "launch_missing": (
            make_zip({"imsmanifest.xml": scorm12_manifest("start.html")}),
            "launch_file_missing",
        ),
        "common_cartridge": (_xml_manifest(CC_MANIFEST), "common_cartridge_unsupported"),
        "not_a_zip": (b"this is not a zip archive at all" * 10, "not_a_zip"),
        "too_many_entries": (raw_zip(many), "too_many_entries"),
        "bzip2": (make_zip([*_base()], compression=zipfile.ZIP_BZIP2), "unsupported_compression"),
        "unknown_format": (make_zip({"index.html": HTML}), "unknown_format"),
        "manifest_malformed": (_xml_manifest("<manifest><oops></manifest>"), "manifest_invalid"),
        "manifest_too_large": (_manifest_too_large(), "manifest_too_large"),
        "bad_crc": (_bad_crc(), "corrupt_entry"),
        "local_name_mismatch": (_name_mismatch(), "corrupt_entry"),
        "launch_traversal_in_manifest": (
            make_zip({"imsmanifest.xml": scorm12_manifest("../../etc/passwd"), "index.html": HTML}),
            "path_traversal",
        ),
    }

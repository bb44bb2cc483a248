"""cmi5 course structures (``cmi5.xml``), per the cmi5 specification (AICC/ADL, "quartz").

* 14.1: a course package in ZIP format has the course structure file ``cmi5.xml`` at its root;
  content referenced with relative URLs lives in the ZIP, fully qualified URLs are external
  AUs (allowed here, not checked against files).
* 13.1.1 course (``id``, ``title``, ``description``), 13.1.2 blocks (nested), 13.1.4 AU metadata:
  ``id`` (unique IRI), ``title``, ``url`` (required), ``moveOn`` (NotApplicable | Passed |
  Completed | CompletedAndPassed | CompletedOrPassed, default NotApplicable), ``masteryScore``
  (decimal 0..1), ``launchMethod`` (AnyWindow | OwnWindow, default AnyWindow), ``activityType``.
* 13.2: namespace ``https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd``.

cmi5 has no standard declared duration; none is reported.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from content import reasons as R
from content.formats.common import pick_lang, reference
from content.formats.model import CMI5, PackageFiles, PackageManifest, Unit
from content.formats.xmlutil import XML_LANG, attr, child, children, local, parse_xml, text
from content.reasons import Findings, PackageRejected, Reason

MANIFEST = "cmi5.xml"
NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
MOVE_ON = {"NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed"}
LAUNCH_METHODS = {"AnyWindow", "OwnWindow"}


def _langstring(el: Element | None) -> str | None:
    if el is None:
        return None
    options = [
        (attr(ls, "lang") or ls.attrib.get(XML_LANG), text(ls) or "")
        for ls in children(el, "langstring")
    ]
    options = [(lang, value) for lang, value in options if value]
    return pick_lang(options) or text(el)


class _Parser:
    def __init__(self, files: PackageFiles, findings: Findings):
        self.files = files
        self.findings = findings
        self.ids: set[str] = set()
        self.aus: list[Unit] = []

    def _id(self, el: Element, what: str) -> str:
        value = (attr(el, "id") or "").strip()
        if not value:
            self.findings.error(R.MANIFEST_INVALID, MANIFEST, f"{what} without an id (13.1)")
        elif value in self.ids:
            self.findings.error(R.MANIFEST_INVALID, MANIFEST, f"duplicate id {value!r} (13.1.4)")
        self.ids.add(value)
        return value

    def au(self, el: Element) -> Unit:
        au_id = self._id(el, "au")
        title = _langstring(child(el, "title"))
        move_on = attr(el, "moveOn") or "NotApplicable"
        if move_on not in MOVE_ON:
            self.findings.error(
                R.MANIFEST_INVALID, MANIFEST, f"AU {au_id!r}: moveOn {move_on!r} is not allowed"
            )
        launch_method = attr(el, "launchMethod") or "AnyWindow"
        if launch_method not in LAUNCH_METHODS:
            self.findings.error(
                R.MANIFEST_INVALID,
                MANIFEST,
                f"AU {au_id!r}: launchMethod {launch_method!r} is not allowed",
            )
        mastery = None
        raw_mastery = attr(el, "masteryScore")
        if raw_mastery is not None:
            try:
                mastery = float(raw_mastery)
                if not 0 <= mastery <= 1:
                    raise ValueError
            except ValueError:
                self.findings.error(
                    R.MANIFEST_INVALID,
                    MANIFEST,
                    f"AU {au_id!r}: masteryScore {raw_mastery!r} must be a decimal 0..1",
                )
                mastery = None
        url = text(child(el, "url"))
        ref = None
        if not url:
            self.findings.error(R.LAUNCH_MISSING, MANIFEST, f"AU {au_id!r} has no url (13.1.4)")
        else:
            ref = reference(
                self.files, self.findings, MANIFEST, url, what=f"AU {au_id!r}", required=True
            )
        unit = Unit(
            id=au_id,
            title=title,
            kind="au",
            launch=ref.launch if ref else None,
            launch_path=ref.path if ref else None,
            move_on=move_on,
            mastery_score=mastery,
            launch_method=launch_method,
            activity_type=attr(el, "activityType"),
            parameters=text(child(el, "launchParameters")),
        )
        self.aus.append(unit)
        return unit

    def members(self, el: Element) -> list[Unit]:
        out: list[Unit] = []
        for c in el:
            name = local(c.tag)
            if name == "au":
                out.append(self.au(c))
            elif name == "block":
                block = Unit(
                    id=self._id(c, "block"), title=_langstring(child(c, "title")), kind="block"
                )
                block.children = self.members(c)
                if not block.children:
                    self.findings.error(
                        R.MANIFEST_INVALID, MANIFEST, f"block {block.id!r} holds no AU (13.1.2)"
                    )
                out.append(block)
        return out


def parse_cmi5(files: PackageFiles, findings: Findings) -> PackageManifest:
    root = parse_xml(files.read(MANIFEST), MANIFEST)
    if local(root.tag) != "courseStructure":
        raise PackageRejected(
            Reason(R.MANIFEST_INVALID, MANIFEST, "root element must be <courseStructure>")
        )
    course = child(root, "course")
    if course is None:
        raise PackageRejected(Reason(R.MANIFEST_INVALID, MANIFEST, "missing <course> (13.1.1)"))
    parser = _Parser(files, findings)
    course_id = parser._id(course, "course")
    manifest = PackageManifest(
        format=CMI5,
        manifest_path=MANIFEST,
        title=_langstring(child(course, "title")),
        identifier=course_id,
        schema_version="cmi5",
    )
    manifest.units = parser.members(root)
    if not parser.aus:
        findings.error(R.LAUNCH_MISSING, MANIFEST, "the course structure holds no AU")
    for au in parser.aus:
        if au.launch:
            manifest.launch = au.launch
            manifest.launch_path = au.launch_path
            break
    return manifest

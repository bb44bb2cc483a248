"""cmi5 course structures (``cmi5.xml``), per the cmi5 specification (AICC/ADL, "quartz").

* 14.1: a course package in ZIP format has the course structure file ``cmi5.xml`` at its root;
  content referenced with relative URLs lives in the ZIP, fully qualified URLs are external
  AUs (allowed here, not checked against files).
* 13.1.1 course (``id``, ``title``, ``description``), 13.1.2 blocks (nested), 13.1.4 AU metadata:
  ``id`` (unique IRI), ``title``, ``url`` (required), ``moveOn`` (NotApplicable | Passed |
  Completed | CompletedAndPassed | CompletedOrPassed, default NotApplicable), ``masteryScore``
  (decimal 0..1), ``launchMethod`` (AnyWindow | OwnWindow, default AnyWindow), ``activityType``.
* 13.2: namespace ``https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd``.

The rules ADL's cmi5 test suite expects an LMS to refuse (ids that are not IRIs, AU urls with
spaces or with the LMS's own launch parameters, duplicate objectives, a ``<moveOn>`` element)
live in ``content/formats/cmi5_rules.py``, each with its own reason code.

cmi5 has no standard declared duration; none is reported.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from content import reasons as R
from content.formats.cmi5_rules import is_iri, reserved_launch_parameters, short, url_has_whitespace
from content.formats.cmi5_schema import schema_errors
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
            return value
        if not is_iri(value):
            self.findings.error(
                R.CMI5_ID_NOT_IRI,
                MANIFEST,
                f"{what} id {short(value)} is not an IRI: it must be absolute, with a scheme "
                "such as https: (13.1)",
            )
        if value in self.ids:
            self.findings.error(
                R.MANIFEST_INVALID, MANIFEST, f"duplicate id {short(value)} (13.1.4)"
            )
        self.ids.add(value)
        return value

    def objectives(self, root: Element) -> None:
        """Course objectives (13.1.3): each id an IRI, no id twice."""
        seen: set[str] = set()
        for objectives in children(root, "objectives"):
            for el in children(objectives, "objective"):
                value = (attr(el, "id") or "").strip()
                if not value:
                    self.findings.error(
                        R.MANIFEST_INVALID, MANIFEST, "objective without an id (13.1.3)"
                    )
                    continue
                if not is_iri(value):
                    self.findings.error(
                        R.CMI5_ID_NOT_IRI,
                        MANIFEST,
                        f"objective id {short(value)} is not an IRI: it must be absolute, "
                        "with a scheme such as https: (13.1)",
                    )
                if value in seen:
                    self.findings.error(
                        R.CMI5_DUPLICATE_OBJECTIVE,
                        MANIFEST,
                        f"objective id {short(value)} is declared more than once (13.1.3)",
                    )
                seen.add(value)

    def _url(self, au_id: str, url: str) -> bool:
        """Check the AU url's own rules (13.1.4, 8.1); False when it cannot be used at all."""
        if url_has_whitespace(url):
            self.findings.error(
                R.CMI5_URL_INVALID,
                MANIFEST,
                f"AU {short(au_id)}: url {short(url)} contains a space; percent-encode it "
                "(%20) (13.1.4)",
            )
            return False
        reserved = reserved_launch_parameters(url)
        if reserved:
            self.findings.error(
                R.CMI5_URL_RESERVED_PARAMETER,
                MANIFEST,
                f"AU {short(au_id)}: url query already holds {', '.join(reserved)}, which the "
                "LMS adds at launch (8.1)",
            )
        return True

    def au(self, el: Element) -> Unit:
        au_id = self._id(el, "AU")
        title = _langstring(child(el, "title"))
        if children(el, "moveOn"):
            self.findings.error(
                R.CMI5_MOVE_ON_ELEMENT,
                MANIFEST,
                f"AU {short(au_id)}: moveOn must be an attribute of <au>, not a <moveOn> "
                "element (13.1.4)",
            )
        raw_move_on = attr(el, "moveOn")
        move_on = "NotApplicable" if raw_move_on is None else raw_move_on
        if move_on not in MOVE_ON:
            self.findings.error(
                R.MANIFEST_INVALID,
                MANIFEST,
                f"AU {short(au_id)}: moveOn {short(move_on)} is not allowed; use one of "
                f"{', '.join(sorted(MOVE_ON))} (13.1.4)",
            )
        launch_method = attr(el, "launchMethod") or "AnyWindow"
        if launch_method not in LAUNCH_METHODS:
            self.findings.error(
                R.MANIFEST_INVALID,
                MANIFEST,
                f"AU {short(au_id)}: launchMethod {short(launch_method)} is not allowed",
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
                    f"AU {short(au_id)}: masteryScore {short(raw_mastery)} must be a decimal 0..1",
                )
                mastery = None
        url = text(child(el, "url"))
        ref = None
        if not url:
            self.findings.error(
                R.LAUNCH_MISSING, MANIFEST, f"AU {short(au_id)} has no url (13.1.4)"
            )
        elif self._url(au_id, url):
            ref = reference(
                self.files, self.findings, MANIFEST, url, what=f"AU {short(au_id)}", required=True
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
            entitlement_key=text(child(el, "entitlementKey")),
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
                        R.MANIFEST_INVALID,
                        MANIFEST,
                        f"block {short(block.id)} holds no AU (13.1.2)",
                    )
                out.append(block)
        return out


#: findings of the parser itself that the schema would report again, less clearly.
_STRUCTURE_CODES = {
    R.MANIFEST_INVALID,
    R.LAUNCH_MISSING,
    R.CMI5_ID_NOT_IRI,
    R.CMI5_URL_INVALID,
    R.CMI5_URL_RESERVED_PARAMETER,
    R.CMI5_DUPLICATE_OBJECTIVE,
    R.CMI5_MOVE_ON_ELEMENT,
}


def _check_schema(root: Element, findings: Findings, parser_errors: list[Reason]) -> None:
    """Refuse a structure that breaks CourseStructure.xsd (13.2), unless the parser's own,
    more precise rules already refused it (a bad moveOn would otherwise be reported twice)."""
    if any(e.code in _STRUCTURE_CODES for e in parser_errors):
        return
    for problem in schema_errors(root):
        findings.error(
            R.CMI5_SCHEMA_INVALID,
            MANIFEST,
            f"does not match the cmi5 CourseStructure.xsd (13.2): {problem}",
        )


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
    before = len(findings.errors)
    parser.objectives(root)
    manifest.units = parser.members(root)
    _check_schema(root, findings, findings.errors[before:])
    if not parser.aus:
        findings.error(R.LAUNCH_MISSING, MANIFEST, "the course structure holds no AU")
    for au in parser.aus:
        if au.launch:
            manifest.launch = au.launch
            manifest.launch_path = au.launch_path
            break
    return manifest

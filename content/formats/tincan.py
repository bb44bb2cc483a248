"""xAPI / Tin Can packages (``tincan.xml`` at the package root).

The layout follows the Rustici "Tin Can Launch" convention that authoring tools export: a
``tincan`` root (``http://projecttincan.com/tincan.xsd``) with ``activities/activity``
elements (``id``, ``type``, ``name``, ``description``, ``launch``). The package launches the
course activity's ``launch`` (else the first activity that has one); relative launch paths must
exist in the package, absolute http(s) ones are external.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from content import reasons as R
from content.formats.common import pick_lang, reference
from content.formats.model import XAPI, PackageFiles, PackageManifest, Unit
from content.formats.xmlutil import XML_LANG, attr, child, children, local, parse_xml, text
from content.reasons import Findings, PackageRejected, Reason

MANIFEST = "tincan.xml"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"


def _lang_text(el: Element, name: str) -> str | None:
    options = [
        (attr(c, "lang") or c.attrib.get(XML_LANG), text(c) or "") for c in children(el, name)
    ]
    return pick_lang([(lang, value) for lang, value in options if value])


def parse_tincan(files: PackageFiles, findings: Findings) -> PackageManifest:
    root = parse_xml(files.read(MANIFEST), MANIFEST)
    if local(root.tag) != "tincan":
        raise PackageRejected(Reason(R.MANIFEST_INVALID, MANIFEST, "root element must be <tincan>"))
    activities_el = child(root, "activities")
    activities = children(activities_el, "activity") if activities_el is not None else []
    if not activities:
        raise PackageRejected(Reason(R.MANIFEST_INVALID, MANIFEST, "no <activity> elements"))
    launchable = [a for a in activities if child(a, "launch") is not None]
    course = next((a for a in launchable if attr(a, "type") == COURSE_TYPE), None)
    course = course or (launchable[0] if launchable else activities[0])
    manifest = PackageManifest(
        format=XAPI,
        manifest_path=MANIFEST,
        identifier=attr(course, "id"),
        title=_lang_text(course, "name"),
        schema_version="tincan",
    )
    for activity in activities:
        raw_launch = _lang_text(activity, "launch")
        ref = None
        if raw_launch:
            ref = reference(
                files,
                findings,
                MANIFEST,
                raw_launch,
                what=f"activity {attr(activity, 'id')!r}",
                required=True,
            )
        unit = Unit(
            id=attr(activity, "id") or "",
            title=_lang_text(activity, "name"),
            kind="activity",
            launch=ref.launch if ref else None,
            launch_path=ref.path if ref else None,
            activity_type=attr(activity, "type"),
        )
        manifest.units.append(unit)
        if activity is course and ref is not None:
            manifest.launch, manifest.launch_path = ref.launch, ref.path
    if not launchable:
        findings.error(R.LAUNCH_MISSING, MANIFEST, "no activity has a <launch> element")
    return manifest

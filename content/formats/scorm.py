"""SCORM 1.2 and SCORM 2004 content packages (``imsmanifest.xml``), and IMS Common Cartridge
detection (same file name, different namespaces; rejected).

Rules applied, with their sources:

* the manifest is ``imsmanifest.xml`` at the root of the package (SCORM 1.2 CAM 2.3.3 /
  SCORM 2004 4th ed. CAM 3.3 "Content Package"); found only in a subfolder -> rejected;
* version: ``metadata/schema`` = "ADL SCORM" and ``metadata/schemaversion`` "1.2" vs
  "CAM 1.3" / "2004 3rd Edition" / "2004 4th Edition" (2004 CAM 3.4.1.4); without it, the ADL
  namespace (``adlcp_rootv1p2`` vs ``adlcp_v1p3``) or the attribute spelling
  ``adlcp:scormtype`` (1.2) vs ``adlcp:scormType`` (2004) decides;
* launch: the default organization (``organizations/@default``, else the first), its first
  ``item`` with an ``identifierref`` in document order, the referenced ``resource/@href`` with
  ``xml:base`` of manifest, resources and resource applied (2004 CAM 3.4.1.16 / 3.4.1.18) and
  the item's ``parameters`` appended (CAM 3.4.1.11);
* declared duration: LOM ``educational/typicalLearningTime`` (IEEE 1484.12.1 5.9) in the
  manifest metadata, inline or in the file named by ``adlcp:location``, read leniently
  (:func:`content.formats.duration.parse_duration_minutes`); unreadable or more than
  ``MAX_DECLARED_HOURS`` 学时 -> a ``duration_unreadable`` warning.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from content import reasons as R
from content.formats.common import reference
from content.formats.duration import parse_duration_minutes
from content.formats.model import (
    MAX_DECLARED_HOURS,
    SCORM_12,
    SCORM_2004,
    PackageFiles,
    PackageManifest,
    Unit,
)
from content.formats.paths import BadReference, resolve_reference
from content.formats.xmlutil import (
    XML_BASE,
    attr,
    child,
    children,
    descendants,
    local,
    namespace,
    parse_xml,
    parse_xml_declaring,
    text,
)
from content.reasons import Findings, PackageRejected, Reason

MANIFEST = "imsmanifest.xml"
ADLCP_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
ADLCP_2004 = "http://www.adlnet.org/xsd/adlcp_v1p3"
IMSCP_12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
#: SCORM 2004 4th ed. CAM 3.2.1 / SN 2.1: the namespaces behind the customary prefixes.
COMMON_PREFIXES_2004 = {
    "adlcp": ADLCP_2004,
    "adlseq": "http://www.adlnet.org/xsd/adlseq_v1p3",
    "adlnav": "http://www.adlnet.org/xsd/adlnav_v1p3",
    "imsss": "http://www.imsglobal.org/xsd/imsss",
    "imscp": "http://www.imsglobal.org/xsd/imscp_v1p1",
}
_SCHEMAVERSION = re.compile(rb"<(?:[\w.-]+:)?schemaversion\s*>\s*([^<]*?)\s*<")


def implied_prefixes(data: bytes) -> dict[str, str]:
    """Namespaces for the SCORM prefixes that authoring tools use without declaring.

    ``adlcp`` differs by version (1.2 CAM 2.3.2: ``adlcp_rootv1p2``; 2004 CAM 3.2.1:
    ``adlcp_v1p3``). The manifest cannot be parsed yet, so its bytes decide, in the order
    :func:`scorm_version` uses: ``schemaversion``, then the declared IMS CP namespace, then the
    1.2 spelling ``scormtype``; otherwise 2004.
    """
    found = _SCHEMAVERSION.search(data)
    version = found.group(1).strip().lower() if found else b""
    if version == b"1.2":
        is_12 = True
    elif b"1.3" in version or b"2004" in version:
        is_12 = False
    else:
        is_12 = IMSCP_12.encode() in data or ADLCP_12.encode() in data or b":scormtype=" in data
    return {**COMMON_PREFIXES_2004, "adlcp": ADLCP_12 if is_12 else ADLCP_2004}


def _all_namespaces(root: Element) -> set[str]:
    found: set[str] = set()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            found.add(namespace(el))
        for key in el.attrib:
            if key.startswith("{"):
                found.add(key[1:].split("}", 1)[0])
    return found


def is_common_cartridge(root: Element) -> bool:
    """IMS Common Cartridge 1.0-1.3 and Thin CC: imscc namespaces, schema name, resource types."""
    if any("imscc" in ns.lower() for ns in _all_namespaces(root)):
        return True
    schema = text(child(child(root, "metadata"), "schema")) or ""
    if "common cartridge" in schema.lower():
        return True
    for res in descendants(root, "resource"):
        rtype = (attr(res, "type") or "").lower()
        if "imscc" in rtype or rtype.startswith(("imsdt_", "imswl_", "imsbasiclti_")):
            return True
    return False


def scorm_version(root: Element) -> str | None:
    """SCORM_12, SCORM_2004 or None (an IMS content package with no SCORM markers)."""
    version = (text(child(child(root, "metadata"), "schemaversion")) or "").lower()
    if version == "1.2":
        return SCORM_12
    if "1.3" in version or "2004" in version:
        return SCORM_2004
    namespaces = _all_namespaces(root)
    if ADLCP_2004 in namespaces:
        return SCORM_2004
    if ADLCP_12 in namespaces or namespace(root) == IMSCP_12:
        return SCORM_12
    for res in descendants(root, "resource"):
        names = {local(k) for k in res.attrib}
        if "scormType" in names:
            return SCORM_2004
        if "scormtype" in names:
            return SCORM_12
    return None


def _default_organization(root: Element, findings: Findings) -> Element | None:
    orgs_el = child(root, "organizations")
    if orgs_el is None:
        return None
    orgs = children(orgs_el, "organization")
    default = attr(orgs_el, "default")
    if default:
        for org in orgs:
            if attr(org, "identifier") == default:
                return org
        findings.warn(
            R.MANIFEST_INVALID,
            MANIFEST,
            f"default organization {default!r} does not exist; using the first organization",
        )
    return orgs[0] if orgs else None


def _items(el: Element) -> list[Element]:
    """Items of an organization in document order (depth first)."""
    out: list[Element] = []
    for item in children(el, "item"):
        out.append(item)
        out.extend(_items(item))
    return out


def _mastery(item: Element, version: str) -> float | None:
    if version == SCORM_12:
        raw = text(child(item, "masteryscore"))  # adlcp:masteryscore, 0..100 (1.2 CAM 2.3.5)
        try:
            return float(raw) / 100 if raw is not None else None
        except ValueError:
            return None
    seq = child(item, "sequencing")  # imsss primaryObjective, SCORM 2004 SN 3.10
    primary = child(child(seq, "objectives"), "primaryObjective")
    if primary is not None and (attr(primary, "satisfiedByMeasure") or "") == "true":
        try:
            return float(text(child(primary, "minNormalizedMeasure")) or "1.0")
        except ValueError:
            return None
    return None


def _typical_learning_time(files: PackageFiles, root: Element, findings: Findings) -> int | None:
    metadata = child(root, "metadata")
    if metadata is None:
        return None
    sources: list[tuple[str, Element]] = [(MANIFEST, metadata)]
    location = text(child(metadata, "location"))
    if location:
        try:
            path = resolve_reference(location, attr(root, XML_BASE)).path
        except BadReference:
            path = None
        if path and files.exists(path):
            sources.append((path, parse_xml(files.read(path), path)))
    for path, el in sources:
        for tlt in el.iter():
            if local(tlt.tag).lower() != "typicallearningtime":
                continue
            raw = text(child(tlt, "duration")) or text(child(tlt, "datetime")) or text(tlt)
            minutes = parse_duration_minutes(raw)
            if minutes is None:
                findings.warn(
                    R.DURATION_UNREADABLE,
                    path,
                    f"cannot read duration {raw!r}: expected an ISO 8601 duration or HHHH:MM:SS"
                    f" of at most {MAX_DECLARED_HOURS} 学时",
                )
                continue
            return minutes
    return None


def parse_scorm(files: PackageFiles, findings: Findings) -> PackageManifest | None:
    """Parse ``imsmanifest.xml``; errors go to ``findings``; None if nothing usable."""
    data = files.read(MANIFEST)
    root, declared = parse_xml_declaring(data, MANIFEST, implied_prefixes(data))
    if declared:
        findings.warn(
            R.MANIFEST_INVALID,
            MANIFEST,
            "namespace prefixes used without a declaration were read as the usual SCORM "
            f"namespaces: {', '.join(declared)}; declare them (xmlns:prefix) on <manifest>",
        )
    if local(root.tag) != "manifest":
        raise PackageRejected(
            Reason(R.MANIFEST_INVALID, MANIFEST, "root element must be <manifest>")
        )
    if is_common_cartridge(root):
        raise PackageRejected(
            Reason(
                R.COMMON_CARTRIDGE_UNSUPPORTED,
                MANIFEST,
                "this is an IMS Common Cartridge; only SCORM 1.2, SCORM 2004, cmi5, xAPI "
                "(tincan.xml) and native packages are supported. Export the course as SCORM or "
                "cmi5 instead.",
            )
        )
    version = scorm_version(root)
    if version is None:
        raise PackageRejected(
            Reason(
                R.UNKNOWN_FORMAT,
                MANIFEST,
                "imsmanifest.xml has no SCORM schemaversion or ADL namespace; "
                "only SCORM 1.2 and SCORM 2004 content packages are supported",
            )
        )
    manifest = PackageManifest(
        format=version,
        manifest_path=MANIFEST,
        identifier=attr(root, "identifier"),
        version=attr(root, "version"),
        schema_version=text(child(child(root, "metadata"), "schemaversion")),
    )
    manifest_base = attr(root, XML_BASE)
    resources_el = child(root, "resources")
    resources_base = attr(resources_el, XML_BASE) if resources_el is not None else None
    resources = {
        attr(r, "identifier"): r
        for r in (children(resources_el, "resource") if resources_el is not None else [])
    }

    org = _default_organization(root, findings)
    if org is not None:
        manifest.title = text(child(org, "title"))
    if not manifest.title:
        metadata = child(root, "metadata")
        for title_el in descendants(metadata, "title") if metadata is not None else []:
            manifest.title = text(child(title_el, "string")) or text(title_el)
            if manifest.title:
                break

    referenced: set[str] = set()
    for item in _items(org) if org is not None else []:
        ref_id = attr(item, "identifierref")
        if not ref_id:
            continue
        res = resources.get(ref_id)
        title = text(child(item, "title"))
        if res is None:
            findings.error(
                R.MANIFEST_INVALID,
                MANIFEST,
                f"item {attr(item, 'identifier')!r} refers to missing resource {ref_id!r}",
            )
            continue
        referenced.add(ref_id)
        ref = reference(
            files,
            findings,
            MANIFEST,
            attr(res, "href"),
            manifest_base,
            resources_base,
            attr(res, XML_BASE),
            what=f"item {title or attr(item, 'identifier')!r} (resource {ref_id!r})",
            required=True,
            extra_query=attr(item, "parameters"),
        )
        manifest.units.append(
            Unit(
                id=attr(item, "identifier") or ref_id,
                title=title,
                kind=(attr(res, "scormType") or attr(res, "scormtype") or "sco").lower(),
                launch=ref.launch if ref else None,
                launch_path=ref.path if ref else None,
                mastery_score=_mastery(item, version),
                parameters=attr(item, "parameters"),
                launch_data=text(child(item, "dataFromLMS")) or text(child(item, "datafromlms")),
            )
        )
        if manifest.launch is None and ref is not None:
            manifest.launch, manifest.launch_path = ref.launch, ref.path

    if manifest.launch is None and not manifest.units:
        # Resource-only package (2004 CAM 3.5.1): launch the first SCO resource with an href.
        for rid, res in resources.items():
            if (
                attr(res, "href")
                and (attr(res, "scormType") or attr(res, "scormtype") or "").lower() == "sco"
            ):
                ref = reference(
                    files,
                    findings,
                    MANIFEST,
                    attr(res, "href"),
                    manifest_base,
                    resources_base,
                    attr(res, XML_BASE),
                    what=f"resource {rid!r}",
                    required=True,
                )
                if ref:
                    manifest.launch, manifest.launch_path = ref.launch, ref.path
                    manifest.units.append(
                        Unit(
                            id=rid or "",
                            title=None,
                            kind="sco",
                            launch=ref.launch,
                            launch_path=ref.path,
                        )
                    )
                break
    if manifest.launch is None and not findings.errors:
        findings.error(R.LAUNCH_MISSING, MANIFEST, "no organization item or SCO to launch")

    for rid, res in resources.items():
        bases = (manifest_base, resources_base, attr(res, XML_BASE))
        if rid not in referenced and attr(res, "href"):
            reference(
                files,
                findings,
                MANIFEST,
                attr(res, "href"),
                *bases,
                what=f"resource {rid!r}",
                required=False,
            )
        for f in children(res, "file"):
            if attr(f, "href"):
                reference(
                    files,
                    findings,
                    MANIFEST,
                    attr(f, "href"),
                    *bases,
                    what=f"file of resource {rid!r}",
                    required=False,
                )
    manifest.declared_minutes = _typical_learning_time(files, root, findings)
    return manifest

"""Safe XML parsing and namespace-agnostic element helpers for manifest parsers.

Every XML document from a package goes through :func:`parse_xml`, which uses defusedxml with
DTDs, entity declarations and external references all forbidden: manifests never need them,
and they are the vehicle for XXE and billion-laughs attacks.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from content import reasons as R
from content.reasons import PackageRejected, Reason

XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_BASE = f"{{{XML_NS}}}base"
XML_LANG = f"{{{XML_NS}}}lang"


def parse_xml(data: bytes, path: str) -> Element:
    """Parse ``data``; raise PackageRejected(xml_forbidden_construct | manifest_invalid)."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise PackageRejected(
            Reason(
                R.XML_FORBIDDEN_CONSTRUCT,
                path,
                f"XML must not contain a DTD, entity declarations or external references "
                f"({type(exc).__name__})",
            )
        ) from exc
    except (ParseError, ValueError) as exc:
        raise PackageRejected(
            Reason(R.MANIFEST_INVALID, path, f"not well-formed XML: {exc}")
        ) from exc


def namespace(el: Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else ""


def children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(c.tag) == name]


def child(el: Element | None, name: str) -> Element | None:
    if el is None:
        return None
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def descendants(el: Element, name: str) -> list[Element]:
    return [c for c in el.iter() if local(c.tag) == name]


def attr(el: Element, name: str) -> str | None:
    """Attribute by local name, in any namespace (e.g. ``adlcp:scormType``)."""
    if name in el.attrib:
        return el.attrib[name]
    for key, value in el.attrib.items():
        if local(key) == name:
            return value
    return None


def text(el: Element | None) -> str | None:
    if el is None:
        return None
    value = "".join(el.itertext()).strip()
    return value or None

"""Safe XML parsing and namespace-agnostic element helpers for manifest parsers.

Every XML document from a package goes through :func:`parse_xml`, which uses defusedxml with
DTDs, entity declarations and external references all forbidden: manifests never need them,
and they are the vehicle for XXE and billion-laughs attacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

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


_UNBOUND_PREFIX = expat.errors.codes[expat.errors.XML_ERROR_UNBOUND_PREFIX]


class _Unrecoverable(Exception):
    """The document cannot be repaired by declaring prefixes; the first error stands."""


def parse_xml_declaring(
    data: bytes, path: str, implied: Mapping[str, str]
) -> tuple[Element, list[str]]:
    """Parse like :func:`parse_xml`; if that fails only because some of the ``implied``
    prefixes are used without being declared, declare them on the root element and parse again.

    Returns the root and the prefixes that had to be declared (empty when none). Authoring tools
    omit well-known declarations and LMSs import such files anyway; only the prefixes in
    ``implied`` are supplied, any other unbound prefix is still ``manifest_invalid``. The second
    parse is the same defused parse, so no DTD, entity or external reference gets through.
    """
    try:
        return parse_xml(data, path), []
    except PackageRejected as exc:
        cause = exc.__cause__
        if not (isinstance(cause, ParseError) and cause.code == _UNBOUND_PREFIX):
            raise
        try:
            repaired, declared = _declare_prefixes(data, implied)
        except _Unrecoverable:
            raise exc from cause
    return parse_xml(repaired, path), declared


def _declare_prefixes(data: bytes, implied: Mapping[str, str]) -> tuple[bytes, list[str]]:
    """Find the unbound prefixes with a namespace-unaware expat pass and declare them.

    That pass sees the raw ``prefix:name`` spelling and tracks ``xmlns:prefix`` scopes itself
    (Namespaces in XML 1.0, section 5). It refuses any DTD (and so any entity declaration or
    external reference, which only a DTD can introduce).
    """
    scopes: list[set[str]] = [{"xml", "xmlns"}]
    unbound: set[str] = set()
    root: tuple[int, str] | None = None
    parser = expat.ParserCreate()

    def forbid(*_: object) -> None:
        raise _Unrecoverable

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal root
        if root is None:
            root = (parser.CurrentByteIndex, name)
        bound = set(scopes[-1])
        bound.update(k[6:] for k in attrs if k.startswith("xmlns:"))
        scopes.append(bound)
        for qname in (name, *(k for k in attrs if not k.startswith("xmlns"))):
            prefix = qname.split(":", 1)[0] if ":" in qname else None
            if prefix is not None and prefix not in bound:
                unbound.add(prefix)

    def end(_: str) -> None:
        scopes.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, ValueError) as exc:
        raise _Unrecoverable from exc
    if root is None or not unbound or not unbound <= implied.keys():
        raise _Unrecoverable
    at, name = root
    tag = b"<" + name.encode("utf-8")
    if data[at : at + len(tag)] != tag:  # not an ASCII-compatible encoding (UTF-16): leave it
        raise _Unrecoverable
    declared = sorted(unbound)
    decls = "".join(f' xmlns:{p}="{implied[p]}"' for p in declared).encode("ascii")
    end_at = at + len(tag)
    return data[:end_at] + decls + data[end_at:], declared


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

"""Validation of ``cmi5.xml`` against the cmi5 CourseStructure.xsd (cmi5 spec 13.2).

The course structure must validate against the schema the spec publishes: required ``title`` and
``description`` on course, blocks and AUs, elements in the schema's order, only the cmi5
namespace's own elements (extensions must use another namespace), at least one AU or block.

The schema is the project's own copy (``schemas/cmi5-CourseStructure.xsd``), loaded once and
never fetched. The instance is the element tree defusedxml already parsed (no DTD, entities or
external references), and schema location hints in it are ignored, so validation reads nothing
outside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

if TYPE_CHECKING:
    import xmlschema

NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
SCHEMA_PATH = Path(__file__).with_name("schemas") / "cmi5-CourseStructure.xsd"

#: at most this many schema problems are reported; the first ones are what an author fixes.
MAX_ERRORS = 5
_MAX_REASON = 200


@cache
def _schema() -> xmlschema.XMLSchema:
    # imported on first use: xmlschema costs ~0.5 s of start-up to processes that never read a
    # cmi5 package (the API serving requests, every CLI command)
    import xmlschema

    return xmlschema.XMLSchema(SCHEMA_PATH, allow="local")


def schema_errors(root: Element) -> list[str]:
    """Short messages for the first ``MAX_ERRORS`` places where ``root`` breaks the schema."""
    out: list[str] = []
    for err in _schema().iter_errors(root, use_location_hints=False):
        where = _plain(err.path or "/")
        reason = _plain((err.reason or "invalid").strip())
        if len(reason) > _MAX_REASON:
            reason = reason[:_MAX_REASON] + "…"
        out.append(f"{where}: {reason}")
        if len(out) >= MAX_ERRORS:
            break
    return out


def _plain(value: str) -> str:
    """Drop the cmi5 namespace from element names, so messages read ``/courseStructure/au``."""
    return value.replace(f"{{{NAMESPACE}}}", "")

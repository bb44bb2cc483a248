"""The activity ids the LMS generates for a cmi5 course's AUs, blocks and course.

cmi5 8.1.5: the LMS MUST generate the AU's activityId, different from the publisher's id, the
same on every launch of that AU within a registration, and SHOULD use the same one for every
registration. cmi5 9.3.9: Satisfied statements name LMS-generated block and course ids, never the
publisher's.

So an id is an IRI under our public base whose last segment is a name-based UUID (RFC 9562
section 5.5, UUIDv5) of the package id and the publisher's id: unique per AU (publisher ids are
unique within a course structure, and the package id separates courses that reuse one), stable
for every registration and every version of the package, and computable without a lookup. The
kind is part of the path, so an AU and a block never share an id.
"""

from __future__ import annotations

import uuid

from service.core.settings import Settings

_NAMESPACE = uuid.UUID("8f0c3b7e-5d0a-5b8e-9a51-6c3f3e0d7a21")  # this LMS's cmi5 id space
KINDS = ("au", "block", "course")


def generated_id(settings: Settings, package_id: uuid.UUID, kind: str, publisher_id: str) -> str:
    """``{public}/cmi5/{kind}/{uuid5(package id, publisher id)}``."""
    if kind not in KINDS:
        raise ValueError(f"unknown cmi5 node kind {kind!r}")
    name = uuid.uuid5(_NAMESPACE, f"{package_id}\n{kind}\n{publisher_id}")
    return f"{settings.public_base_url.rstrip('/')}/cmi5/{kind}/{name}"

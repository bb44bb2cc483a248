"""cmi5 course-structure rules that an LMS must enforce (cmi5 spec, "quartz").

These are the structures ADL's cmi5 test suite expects an LMS to refuse. Each rule has its own
reason code so a trainer (and the upload API) can tell what to fix:

* 13.1 (course, block, AU and objective ``id`` attributes are ``xs:anyURI`` IRIs, used as xAPI
  activity ids): an id must be an absolute IRI with a scheme (``cmi5_id_not_iri``).
* 13.1.4 (AU ``url`` is a URL): a URL cannot contain whitespace; percent-encoding a space is the
  author's job (``cmi5_url_invalid``).
* 8.1 (content launch): the LMS appends ``endpoint``, ``fetch``, ``actor``, ``registration`` and
  ``activityId`` to the AU URL's query; an AU URL that already carries one of them would launch
  with two conflicting values (``cmi5_url_reserved_parameter``).
* 13.1.3 (course objectives): objective ids are unique (``cmi5_duplicate_objective``).
* 13.1.4 (AU ``moveOn``): ``moveOn`` is an *attribute* of ``<au>``; a ``<moveOn>`` element is not
  part of the course structure and must not silently become NotApplicable
  (``cmi5_move_on_element``).

Messages name the element and show at most a short prefix of the offending value.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

#: query parameters the LMS adds to every AU launch URL (cmi5 spec 8.1).
LAUNCH_PARAMETERS = ("endpoint", "fetch", "actor", "registration", "activityId")

#: RFC 3987 scheme, then at least one character; IRIs never contain whitespace or controls.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]+")

_SHORT = 60


def short(value: str, limit: int = _SHORT) -> str:
    """``repr`` of ``value`` cut to ``limit`` characters, so a huge attribute never floods a
    message (messages end up in API responses and logs)."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + f"… ({len(value)} characters)"


def is_iri(value: str) -> bool:
    """True when ``value`` is an absolute IRI (scheme ``:`` something), as 13.1 requires."""
    return _IRI.fullmatch(value) is not None


def url_has_whitespace(url: str) -> bool:
    """True when the (already trimmed) AU url holds a space or other whitespace (13.1.4)."""
    return any(ch.isspace() for ch in url)


def reserved_launch_parameters(url: str) -> list[str]:
    """The cmi5 launch parameters (8.1) already present in ``url``'s query, in spec order."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    names = {name for name, _ in parse_qsl(query, keep_blank_values=True)}
    return [name for name in LAUNCH_PARAMETERS if name in names]

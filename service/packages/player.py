"""The player: the page on the content origin that hosts every launched package.

Every launch (an enrolment's, a trainer's preview, a signed-in user opening a published package)
answers ``{content}/play/<grant>/#cfg=<base64url(JSON)>``. The page is static; what it plays comes
from the fragment, which the browser never sends to a server, so the runtime token in it reaches
no access log. ``<grant>`` is the launch grant of the version's files (``/content/<grant>/...``):
the player page and the package's files share it, and both expire with it.

SCORM packages get the SCORM 1.2 ``window.API`` / 2004 ``window.API_1484_11`` runtime and a table
of contents of their items in manifest order (SCORM CAM 2.3.4, organization/item); cmi5, xAPI and
native packages are framed at ``au_url`` and talk to the LRS themselves.
"""

from __future__ import annotations

import json
from typing import Any

from content.formats.model import CMI5, NATIVE, SCORM_12, SCORM_2004, XAPI
from content.models import PackageVersion
from service.core.settings import Settings
from service.packages.launch import GRANT_KEY_LABEL, b64url, make_grant, unb64url

SCORM_FORMATS = (SCORM_12, SCORM_2004)
#: SCORM resource types a learner can open (CAM 2.3.5: scormtype "sco" or "asset")
LAUNCHABLE_SCORM_KINDS = ("sco", "asset")
FORMATS = (SCORM_12, SCORM_2004, CMI5, XAPI, NATIVE)


def content_base(settings: Settings, grant: str) -> str:
    """Where the package's files are, under ``grant`` (the frame's relative links resolve here)."""
    return f"{settings.resolved_content_base_url()}/content/{grant}/"


def new_grant(settings: Settings, version: PackageVersion) -> str:
    """A launch grant for the version's files; ValueError when it has no storage prefix (a
    grant never opens the whole bucket)."""
    return make_grant(
        settings.derived_key(GRANT_KEY_LABEL), version.storage_prefix, settings.launch_ttl_seconds
    )


def _grant_in(settings: Settings, base: object) -> str | None:
    """The grant of a ``content_base`` made by :func:`content_base`, else None."""
    prefix = f"{settings.resolved_content_base_url()}/content/"
    if not isinstance(base, str) or not base.startswith(prefix):
        return None
    grant = base[len(prefix) :].rstrip("/")
    return grant if grant and "/" not in grant else None


def scorm_items(version: PackageVersion) -> list[dict[str, str]]:
    """The launchable items of a SCORM version, in manifest order: ``{id, title, href}`` with
    ``href`` relative to the package root, the item's ``parameters`` included (CAM 3.4.1.11)."""
    items = []
    for unit in version.all_units():
        launch = unit.get("launch")
        if not launch or unit.get("kind") not in LAUNCHABLE_SCORM_KINDS:
            continue
        items.append({"id": str(unit["id"]), "title": unit.get("title") or "", "href": launch})
    if not items and version.launch:
        items.append({"id": version.identifier or "sco", "title": "", "href": version.launch})
    return items


def _base(version: PackageVersion, settings: Settings, return_url: str | None) -> dict[str, Any]:
    return {
        "format": version.format if version.format in FORMATS else NATIVE,
        "title": version.title or "",
        "api_base": settings.public_base_url.rstrip("/"),
        "enrollment_id": None,
        "token": None,
        "scos": [],
        "start": None,
        "au_url": None,
        "return_url": return_url,
    }


def scorm_config(
    settings: Settings,
    version: PackageVersion,
    grant: str,
    *,
    enrollment_id: str | None,
    token: str | None,
    start: str | None = None,
    return_url: str | None = None,
) -> dict[str, Any]:
    """A SCORM launch: the items to play and, for an enrolment, the token its commits carry
    (None: a preview, the runtime works but records nothing)."""
    config = _base(version, settings, return_url)
    config.update(
        content_base=content_base(settings, grant),
        enrollment_id=enrollment_id,
        token=token,
        scos=scorm_items(version),
        start=start,
    )
    return config


def framed_config(
    settings: Settings,
    version: PackageVersion,
    grant: str,
    au_url: str,
    *,
    enrollment_id: str | None = None,
    return_url: str | None = None,
    launch_method: str | None = None,
) -> dict[str, Any]:
    """cmi5 / xAPI / native: the player frames ``au_url`` (the AU's launch URL with its
    parameters, or the entry file) and takes no part in what it reports. A cmi5 AU whose
    course structure says ``launchMethod="OwnWindow"`` must not be framed (cmi5 13.1.4): the
    player hands it the whole window instead."""
    config = _base(version, settings, return_url)
    config.update(
        content_base=content_base(settings, grant),
        enrollment_id=enrollment_id,
        au_url=au_url,
        launch_method=launch_method,
    )
    return config


def entry_url(settings: Settings, grant: str, launch: str) -> str:
    """The frame URL of a package file under ``grant``, or an external AU's own URL."""
    if launch.lower().startswith(("http://", "https://")):
        return launch  # cmi5 allows an AU elsewhere (cmi5 section 13.1.4, url)
    return content_base(settings, grant) + launch


def player_url(settings: Settings, version: PackageVersion, config: dict) -> str:
    """``{content}/play/<grant>/#cfg=<base64url(JSON)>``; the grant is the one in
    ``config["content_base"]`` when it has one of ours (a new one otherwise, set there)."""
    grant = _grant_in(settings, config.get("content_base")) or new_grant(settings, version)
    full = {
        **_base(version, settings, None),
        **config,
        "content_base": content_base(settings, grant),
    }
    raw = json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{settings.resolved_content_base_url()}/play/{grant}/#cfg={b64url(raw)}"


def read_player_url(url: str) -> dict[str, Any]:
    """The configuration in a player URL's fragment (what the page itself decodes)."""
    _, _, fragment = url.partition("#cfg=")
    data: dict[str, Any] = json.loads(unb64url(fragment))
    return data


def framed_player_url(
    settings: Settings,
    version: PackageVersion,
    au_url: str,
    *,
    enrollment_id: str | None = None,
    return_url: str | None = None,
    unit_id: str | None = None,
) -> str:
    """The player URL that frames an AU launch URL (cmi5 / xAPI) or a native entry file."""
    grant = new_grant(settings, version)
    unit = next((u for u in version.all_units() if unit_id and u.get("id") == unit_id), {})
    config = framed_config(
        settings,
        version,
        grant,
        au_url,
        enrollment_id=enrollment_id,
        return_url=return_url,
        launch_method=unit.get("launch_method"),
    )
    return player_url(settings, version, config)

"""The files a credential can be downloaded as; shared by admin, learner and share routes.

- ``jwt``: the compact VC-JWT (OB 3.0 §8.2), ``text/plain`` so browsers show it.
- ``png`` / ``svg``: the achievement image baked with the JWT (OB 3.0 §5.3.1 PNG iTXt
  ``openbadgecredential``; §5.3.2 SVG ``<openbadges:credential verify=...>``). The image is the
  default one for the achievement (``credentials.images``), the same picture served at the
  Achievement's ``image.id``.
- ``json``: the decoded credential, for people and tools that want to read it; it is *not*
  secured on its own (the signature is in the JWT).
"""

from __future__ import annotations

import json

from sqlmodel import Session

from credentials import baking, images
from credentials.jwt_vc import decode_unverified
from credentials.models import Credential

KINDS = ("jwt", "png", "svg", "json")


def _slug_of(achievement_id: str) -> str:
    return achievement_id.rstrip("/").rsplit("/", 1)[-1] or "badge"


def achievement_png(slug: str) -> bytes:
    return images.default_png(seed=slug)


def achievement_svg(slug: str, name: str, subtitle: str = "") -> str:
    return images.default_svg(name, subtitle, seed=slug)


def _subtitle(credential: dict) -> str:
    subject = credential.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    tags = achievement.get("tag") or []
    return tags[-1] if tags else ""


def render_download(
    session: Session, credential_row: Credential, kind: str
) -> tuple[bytes, str, str]:
    """(content, media type, file name) for ``kind`` in jwt | png | svg | json."""
    del session  # kept in the signature: a later uploaded achievement image is read through it
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    token = credential_row.jwt
    slug = _slug_of(credential_row.achievement_id)
    stem = f"{slug}-{credential_row.credential_id.removeprefix('urn:uuid:')[:8]}"
    if kind == "jwt":
        return token.encode("ascii"), "text/plain; charset=utf-8", f"{stem}.jwt"
    credential = decode_unverified(token)
    if kind == "json":
        body = json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8")
        return body, "application/json", f"{stem}.json"
    if kind == "png":
        return baking.bake_png(achievement_png(slug), token), "image/png", f"{stem}.png"
    name = str(credential.get("name") or slug)
    svg = baking.bake_svg(achievement_svg(slug, name, _subtitle(credential)), token)
    return svg.encode("utf-8"), "image/svg+xml", f"{stem}.svg"


#: URL file name -> download kind, the same under every route that offers downloads.
FILE_NAMES = {
    "credential.jwt": "jwt",
    "badge.png": "png",
    "badge.svg": "svg",
    "credential.json": "json",
}


def download_response(session: Session, credential_row: Credential, kind: str):
    """The HTTP response for a download: an attachment, never cached by shared caches."""
    from starlette.responses import Response

    content, media_type, filename = render_download(session, credential_row, kind)
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )

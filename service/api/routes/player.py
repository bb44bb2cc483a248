"""The player page and its assets, on the content origin (see :mod:`service.packages.player`).

``GET /play/<grant>/`` answers the static player page when the launch grant is valid (403
otherwise), so an expired launch link fails as the package files under it would. The page
reads its configuration from the URL fragment and loads its script and styles from
``/play-assets/`` with relative URLs, so a content origin with a path prefix works too.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.api.deps import SettingsDep
from service.api.problems import Problem, not_found
from service.packages.launch import open_grant

router = APIRouter(include_in_schema=False)

PLAYER_DIR = Path(__file__).resolve().parents[2] / "web" / "static" / "player"
PAGE = "player.html"
#: explicit types (RFC 9110 section 8.3): the assets are ours and all UTF-8
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE
}
ASSET_CACHE = "public, max-age=600"


def page_csp(settings) -> str:
    """The player's own page: its script and styles only; it connects to the API for commits
    and frames package content (its own origin, or an external cmi5 AU anywhere)."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {settings.public_base_url.rstrip('/')}; frame-src *; "
        "object-src 'none'; base-uri 'none'; form-action 'none'"
    )


@lru_cache(maxsize=32)
def _read(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    data = path.read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _resolve(name: str) -> Path | None:
    """The file ``name`` names in the player folder, else None. Names with ``..``, a backslash
    or a ``%`` (an encoded slash or dot decoded once more somewhere) are refused before any
    path is built, and the result must still lie inside the folder."""
    if ".." in name or "\\" in name or "%" in name or "\x00" in name:
        return None
    try:
        path = (PLAYER_DIR / name).resolve()
        path.relative_to(PLAYER_DIR)
    except (ValueError, OSError):
        return None
    return path if path.is_file() else None


def _is_page(path: Path) -> bool:
    """Whether ``path`` is the player page itself, however the name reached it."""
    page = (PLAYER_DIR / PAGE).resolve()
    try:
        return path == page or path.samefile(page)
    except OSError:
        return False


def _answer(request: Request, path: Path | None, headers: dict[str, str]) -> Response:
    kind = TYPES.get(path.suffix.lower()) if path is not None else None
    if path is None or kind is None:
        raise not_found("File")
    data, etag = _read(path, path.stat().st_mtime_ns)
    headers = {**headers, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = b"" if request.method == "HEAD" else data
    response = Response(body, headers=headers, media_type=kind)
    response.headers["Content-Length"] = str(len(data))
    return response


def _check(settings, grant: str) -> None:
    if open_grant(settings, grant) is None:
        raise Problem(403, "launch-expired", "This launch link is invalid or has expired.")


@router.api_route("/play/{grant}/", methods=["GET", "HEAD"])
def player_page(grant: str, request: Request, settings: SettingsDep):
    _check(settings, grant)
    return _answer(
        request,
        _resolve(PAGE),
        {
            "Cache-Control": "private, no-cache",
            "Content-Security-Policy": page_csp(settings),
            "Referrer-Policy": "no-referrer",
        },
    )


@router.api_route("/play/{grant}", methods=["GET", "HEAD"])
def player_page_slash(grant: str, settings: SettingsDep):
    """The page's relative asset URLs need the trailing slash; the fragment survives the
    redirect (RFC 9110 section 10.2.2)."""
    _check(settings, grant)
    return RedirectResponse(f"{grant}/", status_code=308)


@router.api_route("/play-assets/{name:path}", methods=["GET", "HEAD"])
def player_asset(name: str, request: Request):
    path = _resolve(name)
    if path is not None and _is_page(path):
        raise not_found("File")  # the page (and its CSP) only under a grant
    return _answer(request, path, {"Cache-Control": ASSET_CACHE})

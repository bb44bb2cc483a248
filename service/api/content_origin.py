"""Two origins, one application: package content and the player apart from the API.

Package content is third-party code that runs as authored (scripts, frames, storage; see
:mod:`service.api.routes.content`). What keeps it from the API is the browser's same-origin
policy, so it must be served from another origin (RFC 6454): ``SKILLS_CONTENT_BASE_URL``, by
default derived from ``SKILLS_PUBLIC_BASE_URL`` (:meth:`Settings.resolved_content_base_url`).
Content then cannot read the API origin's cookies, ``localStorage`` or pages, nor make
credentialed requests there (CORS lets it reach only the routes built for it, without
credentials; :mod:`service.api.cors`), and API tokens are never in its URLs.

Both origins are usually the same process behind the same socket, told apart by the request's
``Host``. This middleware keeps them apart both ways:

- on the content host only ``/content/``, ``/play/``, ``/play-assets/`` and ``/healthz`` exist;
  anything else is a 404 (so a package cannot frame or fetch an API page or route as same-origin);
- on any other host (the public origin, or a name the deployment does not list) those content
  paths are a 404: content is never served from the API's origin.

When the two origins are the same (a deployment that set no content origin on a host that has
no loopback twin; start-up logs a warning) nothing is filtered. A reverse proxy must pass the
client's ``Host`` through (nginx: ``proxy_set_header Host $host``).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.problems import problem_response
from service.core.settings import Settings, url_origin

log = logging.getLogger("skills.app")

CONTENT_PATHS = ("/content/", "/play/", "/play-assets/")
CONTENT_HOST_EXTRA = ("/healthz",)

Origin = tuple[str, str, int]


def _host_of(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"host":
            return value.decode("latin-1").strip().lower()
    return None


def host_matches(host: str | None, origin: Origin) -> bool:
    """Whether a ``Host`` header value (host[:port]) names ``origin``; a missing port is the
    scheme's default (RFC 9110 section 7.2)."""
    if not host:
        return False
    scheme, name, port = origin
    if host.startswith("["):  # an IPv6 literal
        bracket = host.find("]")
        if bracket < 0:
            return False
        hostname, rest = host[1:bracket], host[bracket + 1 :]
    else:
        hostname, _, port_text = host.partition(":")
        rest = ":" + port_text if port_text else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return False
    given = int(rest[1:]) if rest else (443 if scheme == "https" else 80)
    return hostname == name and given == port


class ContentOriginMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self._cache: tuple[tuple[str, str], tuple[Origin | None, Origin | None]] | None = None
        warning = settings.content_origin_warning()
        if warning:
            log.warning(warning)

    def _origins(self) -> tuple[Origin | None, Origin | None]:
        """(public, content) origins, recomputed only when the settings change."""
        key = (self.settings.public_base_url, self.settings.content_base_url)
        if self._cache is None or self._cache[0] != key:
            public = url_origin(self.settings.public_base_url)
            content = url_origin(self.settings.resolved_content_base_url())
            self._cache = (key, (public, content))
        return self._cache[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        public, content = self._origins()
        if content is None or content == public:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_content_path = path.startswith(CONTENT_PATHS)
        if host_matches(_host_of(scope), content):
            allowed = is_content_path or path in CONTENT_HOST_EXTRA
        else:
            allowed = not is_content_path
        if allowed:
            await self.app(scope, receive, send)
            return
        response = problem_response(404, "not-found", "Not found on this origin.")
        await response(scope, receive, send)

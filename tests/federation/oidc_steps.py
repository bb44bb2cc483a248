"""Steps of a sign-in through a provider, over HTTP, shared by the sign-in tests."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urlsplit

from tests.federation.oidc_provider import RunningProvider, authorize

BASE = "https://skills.test"  # the tests' SKILLS_PUBLIC_BASE_URL
_SESSION = re.compile(r'<script type="application/json" id="oidc-session">(.*?)</script>', re.S)
_HANDLE = re.compile(r'name="handle" value="([^"]+)"')
_CODE = re.compile(r'data-code="([^"]*)"')


def callback_uri(name: str, base: str = BASE) -> str:
    return f"{base}/auth/oidc/{name}/callback"


def start(web, name: str, return_to: str | None = None, lang: str | None = None):
    params = {k: v for k, v in (("return_to", return_to), ("lang", lang)) if v}
    return web.get(f"/auth/oidc/{name}/login", params=params)


def to_callback(
    web, provider: RunningProvider, login: str, return_to: str | None = None, lang=None
) -> str:
    """Start at our login route and walk the provider's forms: the callback path and query."""
    started = start(web, provider.name, return_to, lang)
    assert started.status_code == 302, started.text
    final = authorize(started.headers["location"], login, callback_uri(provider.name))
    parts = urlsplit(final)
    return f"{parts.path}?{parts.query}"


def sign_in(web, provider: RunningProvider, login: str, return_to: str | None = None, lang=None):
    return web.get(to_callback(web, provider, login, return_to, lang))


def tokens(page) -> dict:
    found = _SESSION.search(page.text)
    assert found, page.text[:2000]
    return json.loads(found.group(1))


def handle(page) -> str:
    found = _HANDLE.search(page.text)
    assert found, page.text[:2000]
    return found.group(1)


def error_code(page) -> str:
    found = _CODE.search(page.text)
    assert found, page.text[:2000]
    return found.group(1)


_ACTION = re.compile(r'<form class="card" id="link-form" method="post" action="([^"]+)"')


def link(web, name: str, page_or_handle, id_number: str, person: str):
    """Post the link form (to the page's own form action when a page is given)."""
    if isinstance(page_or_handle, str):
        value, action = page_or_handle, f"/auth/oidc/{name}/link"
    else:
        value = handle(page_or_handle)
        found = _ACTION.search(page_or_handle.text)
        action = unescape(found.group(1)) if found else f"/auth/oidc/{name}/link"
    return web.post(action, data={"handle": value, "id_number": id_number, "name": person})

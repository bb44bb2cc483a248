"""Languages for the public pages: Chinese by default, English on request.

The choice is made per request, in this order: ``?lang=`` (the switch link on every page), then
the browser's ``Accept-Language`` (only when it prefers English over Chinese), then Chinese. No
cookie is set: a shared link opens in the language of the person who opens it, and ``?lang`` is
carried on the page's own links and forms.

Messages live in ``catalog.py``; a missing key shows the key itself, so a gap is visible in a
screenshot instead of breaking the page.
"""

from __future__ import annotations

from starlette.requests import Request

from service.web.messages import MESSAGES

LANGS = ("zh", "en")
DEFAULT = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def _accept_language(header: str) -> str | None:
    """The first of zh/en in the header by quality (ties: the order given)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        parts = item.strip().split(";")
        tag = parts[0].strip().lower()
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGS and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def pick_language(request: Request) -> str:
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGS:
        return asked
    return _accept_language(request.headers.get("accept-language", "")) or DEFAULT


class Translator:
    """``t("key", **values)`` in templates; ``lang`` and ``html_lang`` for the markup."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGS else DEFAULT
        self.html_lang = HTML_LANG[self.lang]
        self.other = "en" if self.lang == "zh" else "zh"

    def __call__(self, key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        text = entry.get(self.lang) or entry[DEFAULT]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in MESSAGES

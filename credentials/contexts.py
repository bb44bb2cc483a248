"""The JSON-LD contexts a credential may name, from the files bundled beside this module
(``contexts/``, written by ``tools/vendor_jsonld_contexts.py``); never from the network.

A context decides what every term of a signed credential means, so a verifier that fetched
contexts would let whoever serves them change what the credential says (VC Data Model 2.0
§5.2 and Data Integrity 1.0 §4.6 ask verifiers to use known contexts); nor do government
networks reach the internet.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).resolve().parent / "contexts"


class UnknownContext(LookupError):
    """A context URL that is not bundled."""


@cache
def _index() -> dict[str, str]:
    entries = json.loads((DIRECTORY / "index.json").read_text(encoding="utf-8"))
    return {url: entry["file"] for url, entry in entries.items()}


@cache
def _document(url: str) -> dict[str, Any]:
    name = _index().get(url)
    if name is None:
        raise UnknownContext(url)
    document: dict[str, Any] = json.loads((DIRECTORY / name).read_text(encoding="utf-8"))
    return document


def known_urls() -> frozenset[str]:
    return frozenset(_index())


def context(url: str) -> dict[str, Any]:
    """A copy of the bundled context document at ``url``; UnknownContext otherwise."""
    return copy.deepcopy(_document(url))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader over the bundled contexts only."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": context(url),
        "contentType": "application/ld+json",
    }

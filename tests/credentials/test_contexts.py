"""The bundled JSON-LD contexts: unchanged since the vendoring script wrote them, and the only
contexts a verifier can load."""

import hashlib
import json

import pytest

from credentials import contexts


def test_every_bundled_context_matches_the_hash_the_vendoring_script_recorded():
    index = json.loads((contexts.DIRECTORY / "index.json").read_text(encoding="utf-8"))
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in index
    for url, entry in index.items():
        body = (contexts.DIRECTORY / entry["file"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], url
        assert "@context" in contexts.context(url)


def test_the_loader_never_reaches_for_an_unbundled_url():
    with pytest.raises(contexts.UnknownContext):
        contexts.document_loader("https://evil.example/context.json")
    loaded = contexts.document_loader("https://www.w3.org/ns/credentials/v2")
    assert loaded["document"]["@context"]["@protected"] is True


def test_callers_get_copies_they_cannot_corrupt():
    first = contexts.context("https://www.w3.org/ns/credentials/v2")
    first["@context"].clear()
    assert contexts.context("https://www.w3.org/ns/credentials/v2")["@context"]

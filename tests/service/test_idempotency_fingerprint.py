"""The stored idempotency fingerprint of a request body is keyed: a body holding an ID number
cannot be recovered from the row by hashing candidate numbers."""

from __future__ import annotations

import hashlib
import json

from service.api.idempotency import _fingerprint

BODY = {"id_number": "33020319900307123X", "name": "张三"}


def test_fingerprint_is_keyed_not_a_bare_hash(settings, monkeypatch):
    from service.core import settings as settings_module

    plain = hashlib.sha256(
        json.dumps(BODY, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    first = _fingerprint(BODY)
    assert first == _fingerprint(dict(reversed(BODY.items())))  # canonical: key order ignored
    assert first != plain and len(first) == 64
    monkeypatch.setenv("SKILLS_MASTER_KEY", "another-master-key-0123456789")
    settings_module.get_settings.cache_clear()
    assert _fingerprint(BODY) != first

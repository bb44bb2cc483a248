"""Issued credentials as 1EdTech and JSON-LD processors read them.

- The default credential passes the official 1EdTech AchievementCredential JSON Schema (OB 3.0
  §8.1, JSON Schema 2019-09), read from ../shared at run time; with suspension on, the
  ``credentialStatus`` array is the documented trade-off, and the schema does reject it.
- Every JSON key and every type of what we publish (credentials, status list credentials, the
  issuer Profile) is defined by a context the document names (VCDM 2.0 §5.2): JSON-LD expansion
  with only the bundled contexts drops nothing and leaves no type as a relative IRI.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from jsonschema import Draft201909Validator
from pyld import jsonld
from referencing import Registry, Resource

from credentials.contexts import document_loader
from credentials.documents import OB3_EXTENSIONS_CONTEXT
from credentials.jwt_vc import decode_unverified

SCHEMAS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "openbadges" / "schemas"
)
KEYWORD_ALIASES = {"id", "type"}  # "@id" and "@type" in every context we name


def _validator() -> Draft201909Validator:
    """The AchievementCredential schema with any $ref resolved from the local files only."""
    resources = []
    for path in SCHEMAS.glob("*schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    main = json.loads(
        (SCHEMAS / "ob_v3p0_achievementcredential_schema.json").read_text(encoding="utf-8")
    )
    return Draft201909Validator(main, registry=registry)


def _schema_errors(credential: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(credential)]


def test_default_credential_passes_the_1edtech_schema(issue, token_of):
    credential = decode_unverified(token_of(issue()["credential"]["id"]))
    assert not isinstance(credential["credentialStatus"], list)
    assert _schema_errors(credential) == []
    broken = copy.deepcopy(credential)
    del broken["credentialSubject"]  # the check can fail: a required member missing
    assert _schema_errors(broken)


def test_suspension_on_is_the_documented_schema_trade_off(settings, issue, token_of):
    settings.credential_suspension = True
    credential = decode_unverified(token_of(issue()["credential"]["id"]))
    errors = _schema_errors(credential)
    assert errors and all(e.startswith("['credentialStatus']") for e in errors), errors
    single = dict(credential, credentialStatus=credential["credentialStatus"][0])
    assert _schema_errors(single) == []  # the array is the only difference


# ---- JSON-LD: every term defined ------------------------------------------------------------


def _compact_keys(node: Any) -> int:
    """How many properties the JSON document states (keyword aliases and @context aside)."""
    if isinstance(node, list):
        return sum(_compact_keys(item) for item in node)
    if not isinstance(node, dict):
        return 0
    count = 0
    for key, value in node.items():
        if key.startswith("@") or key in KEYWORD_ALIASES:
            continue
        count += 1 + _compact_keys(value)
    return count


def _expanded(node: Any, types: list[str]) -> int:
    """Properties left after expansion (each an IRI); collects every @type value."""
    if isinstance(node, list):
        return sum(_expanded(item, types) for item in node)
    if not isinstance(node, dict):
        return 0
    count = 0
    for key, value in node.items():
        if key == "@type" and "@value" not in node:
            types.extend(value if isinstance(value, list) else [value])
        elif key in ("@list", "@set", "@graph"):
            count += _expanded(value, types)
        elif not key.startswith("@"):
            assert ":" in key, key
            count += 1 + _expanded(value, types)
    return count


def undefined_terms(document: dict[str, Any]) -> list[str]:
    """What expansion loses: the count of dropped properties, and types that stayed relative."""
    expanded = jsonld.expand(
        copy.deepcopy(document), {"documentLoader": document_loader, "base": None}
    )  # no base IRI: an undefined type stays relative instead of resolving against one
    types: list[str] = []
    kept = _expanded(expanded, types)
    problems = []
    stated = _compact_keys(document)
    if kept != stated:
        problems.append(f"{stated - kept} properties dropped")
    problems += [f"type {t!r} undefined" for t in types if "://" not in t and ":" not in t]
    return problems


def test_the_term_check_can_fail(issue, token_of):
    credential = decode_unverified(token_of(issue()["credential"]["id"]))
    extra = copy.deepcopy(credential)
    extra["credentialSubject"]["favouriteColour"] = "blue"
    assert undefined_terms(extra) == ["1 properties dropped"]
    without_ext = copy.deepcopy(credential)
    without_ext["@context"].remove(OB3_EXTENSIONS_CONTEXT)
    assert undefined_terms(without_ext) == ["type '1EdTechJsonSchemaValidator2019' undefined"]


@pytest.mark.parametrize("suspension", [False, True], ids=["default", "suspension"])
def test_every_term_of_a_credential_is_defined(settings, issue, token_of, suspension):
    settings.credential_suspension = suspension
    credential = decode_unverified(token_of(issue()["credential"]["id"]))
    assert credential["@context"][2] == OB3_EXTENSIONS_CONTEXT  # after the OB 3.0 context
    assert undefined_terms(credential) == []


def test_every_term_of_published_documents_is_defined(client, settings, issue, token_of):
    settings.credential_suspension = True
    credential = decode_unverified(token_of(issue()["credential"]["id"]))
    for entry in credential["credentialStatus"]:
        served = client.get(entry["statusListCredential"].removeprefix("https://skills.test"))
        status_list = jwt.decode(served.text, options={"verify_signature": False})
        doc = {k: v for k, v in status_list.items() if k not in ("iss", "jti", "sub", "nbf", "exp")}
        assert undefined_terms(doc) == []
    profile = client.get(f"/issuers/{settings.issuer_slug}").json()
    assert "@context" in profile and undefined_terms(profile) == []

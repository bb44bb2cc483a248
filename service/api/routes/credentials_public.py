"""Public documents behind the URLs that credentials carry (no authentication).

- ``/issuers/{slug}``: the issuer Profile (OB 3.0 Profile), the credentials' ``issuer.id``.
- ``/achievements/{slug}`` (+ ``/image.png``, ``/image.svg``): one Achievement per skill and
  level, ``{occupation code}-l{level}``.
- ``/keys/{key_id}``: the one public JWK a ``kid`` names (``application/jwk+json``, RFC 7517
  §8.5); 410 Gone for a compromised key. ``/.well-known/jwks.json``: every key whose credentials
  may still be verified, each with ``iss`` (``application/jwk-set+json``).
- ``/status-lists/{list_id}``: the BitstringStatusListCredential (Bitstring Status List v1.0
  §2.2) as a VC-JWT: ``application/vc+jwt`` (VC-JOSE-COSE §6.1), or ``application/jwt`` (RFC 7519
  §10.3.1) when the client asks only for that; ETag and ``Cache-Control: max-age``; 304 for a
  matching ``If-None-Match``.
- ``/occupations/{code}`` and ``/skill-levels/{n}``: what Achievement alignments point at.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from credentials.keys import NoActiveKey, SigningKeyLookupError, jwks, key_document
from credentials.models import KEY_COMPROMISED
from credentials.resolvers import StatusListNotFound
from service.api.deps import SessionDep, SettingsDep
from service.api.problems import Problem, not_found
from service.issuing import downloads, issuer_documents
from service.issuing.status_cache import status_list_cache

router = APIRouter(tags=["credentials (public)"])

JWK_JSON = "application/jwk+json"
JWK_SET_JSON = "application/jwk-set+json"
VC_JWT = "application/vc+jwt"
PLAIN_JWT = "application/jwt"
DOC_CACHE = "public, max-age=3600"
KEY_CACHE = "public, max-age=300"


def _json(doc: dict, media_type: str = "application/json", cache: str = DOC_CACHE) -> Response:
    return JSONResponse(doc, media_type=media_type, headers={"Cache-Control": cache})


@router.get("/issuers/{slug}", summary="Issuer Profile (OB 3.0)")
def get_issuer(slug: str, settings: SettingsDep):
    if slug != settings.issuer_slug:
        raise not_found("Issuer")
    return _json(issuer_documents.issuer_profile(settings))


@router.get("/achievements/{slug}", summary="Achievement (OB 3.0), one per skill and level")
def get_achievement(slug: str, settings: SettingsDep):
    try:
        return _json(issuer_documents.achievement_by_slug(settings, slug))
    except issuer_documents.UnknownAchievement:
        raise not_found("Achievement") from None


@router.get("/achievements/{slug}/image.png", summary="Achievement image (PNG)")
def get_achievement_png(slug: str, settings: SettingsDep):
    try:
        doc = issuer_documents.achievement_by_slug(settings, slug)
    except issuer_documents.UnknownAchievement:
        raise not_found("Achievement") from None
    slug = doc["id"].rsplit("/", 1)[-1]
    return Response(
        downloads.achievement_png(slug),
        media_type="image/png",
        headers={"Cache-Control": DOC_CACHE},
    )


@router.get("/achievements/{slug}/image.svg", summary="Achievement image (SVG)")
def get_achievement_svg(slug: str, settings: SettingsDep):
    try:
        doc = issuer_documents.achievement_by_slug(settings, slug)
    except issuer_documents.UnknownAchievement:
        raise not_found("Achievement") from None
    svg = downloads.achievement_svg(doc["id"].rsplit("/", 1)[-1], doc["name"], doc["tag"][-1])
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": DOC_CACHE})


@router.get("/occupations/{code}", summary="Occupation (alignment target)")
def get_occupation(code: str, settings: SettingsDep):
    doc = issuer_documents.occupation_document(settings, code)
    if doc is None:
        raise not_found("Occupation")
    return _json(doc)


@router.get("/skill-levels/{level}", summary="Skill level (alignment target)")
def get_skill_level(level: int, settings: SettingsDep):
    doc = issuer_documents.skill_level_document(settings, level)
    if doc is None:
        raise not_found("Skill level")
    return _json(doc)


@router.get("/keys/{key_id}", summary="One public signing key (the kid URL)")
def get_key(key_id: str, session: SessionDep):
    try:
        jwk, status = key_document(session, key_id)
    except SigningKeyLookupError:
        raise not_found("Key") from None
    if status == KEY_COMPROMISED:
        raise Problem(
            410,
            "key-compromised",
            "The issuer withdrew this key: credentials it signed are not valid.",
            title="Gone",
            headers={"Cache-Control": KEY_CACHE},
        )
    return _json(jwk, JWK_JSON, KEY_CACHE)


@router.get("/.well-known/jwks.json", summary="Published public keys (JWK Set)")
def get_jwks(session: SessionDep):
    return _json(jwks(session), JWK_SET_JSON, KEY_CACHE)


def _jwt_media_type(request: Request) -> str:
    accept = request.headers.get("accept", "").lower()
    if PLAIN_JWT in accept and VC_JWT not in accept:
        return PLAIN_JWT
    return VC_JWT


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    weak = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == weak for t in header.split(","))


@router.get("/status-lists/{list_id}", summary="Bitstring status list (signed VC-JWT)")
def get_status_list(
    list_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
):
    try:
        signed = status_list_cache.get(session, settings, uuid.UUID(list_id))
    except (ValueError, StatusListNotFound):
        raise not_found("Status list") from None
    except NoActiveKey:
        raise Problem(
            503,
            "issuer-key-missing",
            "The status list cannot be signed: the issuer has no active key.",
            headers={"Retry-After": "300"},
        ) from None
    headers = {
        "ETag": signed.etag,
        "Cache-Control": f"public, max-age={signed.max_age(settings)}",
        "Vary": "Accept",
    }
    if _etag_matches(request.headers.get("if-none-match"), signed.etag):
        return Response(status_code=304, headers=headers)
    return Response(signed.token, media_type=_jwt_media_type(request), headers=headers)

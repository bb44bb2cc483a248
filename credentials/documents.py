"""Open Badges 3.0 JSON documents: issuer Profile, Achievement, AchievementCredential.

Shapes follow OB 3.0 Appendix B.1 (Achievement §B.1.1, AchievementCredential §B.1.2,
AchievementSubject §B.1.3, Alignment, IdentityObject, Image, Profile, Result, ResultDescription)
and VCDM 2.0 §4 (``@context`` first ``https://www.w3.org/ns/credentials/v2``).

Privacy (PIPL, DESIGN.md Credentials): the subject is a stable ``urn:uuid:`` of the learner plus
an IdentityObject with a salted ``sha256$`` hash of the national ID number (OB 3.0 IdentityHash:
SHA-256 over the UTF-8 identifier with the salt appended, lowercase hex). Nothing else that
identifies the person, and no internal database id, is ever put into a credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from credentials.timefmt import to_xsd

VCDM2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VCDM1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines ``1EdTechJsonSchemaValidator2019`` (OB 3.0 §8.1 / 1EdTech Extensions): the OB 3.0
# context does not, so a credential naming that credentialSchema type must also name this one.
OB3_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB3_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
OCCUPATION_FRAMEWORK = "中华人民共和国职业分类大典"
LEVEL_FRAMEWORK = "国家职业技能标准 职业技能等级"

# Level 5..1 of the national vocational skill standards.
LEVEL_NAMES = {
    5: "五级/初级工",
    4: "四级/中级工",
    3: "三级/高级工",
    2: "二级/技师",
    1: "一级/高级技师",
}

HOURS_RESULT_TYPE = "ext:TrainingHours"  # OB 3.0 ResultType is extensible with ``ext:``
SCORE_RESULT_TYPE = "RawScore"


def profile_id(public_base_url: str, slug: str) -> str:
    return f"{public_base_url.rstrip('/')}/issuers/{slug}"


def achievement_id(public_base_url: str, slug: str) -> str:
    return f"{public_base_url.rstrip('/')}/achievements/{slug}"


def issuer_profile(
    *,
    public_base_url: str,
    slug: str,
    name: str,
    url: str | None = None,
    description: str | None = None,
    email: str | None = None,
    image_url: str | None = None,
    social_credit_code: str | None = None,
) -> dict[str, Any]:
    """The issuer Profile (OB 3.0 §B.1.x Profile) served at its own id URL."""
    doc: dict[str, Any] = {
        "@context": [VCDM2_CONTEXT, OB3_CONTEXT],
        "id": profile_id(public_base_url, slug),
        "type": ["Profile"],
        "name": name,
    }
    if url:
        doc["url"] = url
    if description:
        doc["description"] = description
    if email:
        doc["email"] = email
    if image_url:
        doc["image"] = {"id": image_url, "type": "Image", "caption": name}
    if social_credit_code:
        doc["otherIdentifier"] = [
            {
                "type": "IdentifierEntry",
                "identifier": social_credit_code,
                "identifierType": "ext:UnifiedSocialCreditCode",
            }
        ]
    return doc


def issuer_summary(profile: dict[str, Any]) -> dict[str, Any]:
    """The Profile as embedded in a credential: id, type, name (and url when known)."""
    keep: dict[str, Any] = {k: profile[k] for k in ("id", "type", "name", "url") if k in profile}
    keep.setdefault("type", ["Profile"])
    return keep


def hours_result_id(ach_id: str) -> str:
    return f"{ach_id}#result-hours"


def score_result_id(ach_id: str) -> str:
    return f"{ach_id}#result-score"


def _num(value: float | int | Decimal | str) -> str:
    """Numbers as OB 3.0 Result.value strings: ``72``, ``72.5`` (no float noise)."""
    dec = Decimal(str(value))
    if dec < 0:
        raise ValueError("negative value")
    text = format(dec.normalize(), "f")
    return text


def achievement_document(
    *,
    public_base_url: str,
    slug: str,
    name: str,
    description: str,
    criteria_narrative: str,
    occupation_code: str,
    occupation_name: str,
    level: int,
    achievement_type: str = "Certificate",
    image_url: str | None = None,
    required_hours: float | int | None = None,
    pass_mark: float | int | None = None,
    max_score: float | int = 100,
    occupation_url: str | None = None,
    creator: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Achievement per skill (工种) and level, aligned to the occupation code."""
    if level not in LEVEL_NAMES:
        raise ValueError("level must be 1..5")
    base = public_base_url.rstrip("/")
    ach_id = achievement_id(public_base_url, slug)
    doc: dict[str, Any] = {
        "id": ach_id,
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": name,
        "description": description,
        "criteria": {"narrative": criteria_narrative},
        "image": {"id": image_url or f"{ach_id}/image.png", "type": "Image", "caption": name},
        "humanCode": f"{occupation_code}-L{level}",
        "fieldOfStudy": occupation_name,
        "tag": [occupation_name, LEVEL_NAMES[level]],
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": occupation_name,
                "targetCode": occupation_code,
                "targetFramework": OCCUPATION_FRAMEWORK,
                "targetType": "ext:Occupation",
                "targetUrl": occupation_url or f"{base}/occupations/{occupation_code}",
            },
            {
                "type": ["Alignment"],
                "targetName": LEVEL_NAMES[level],
                "targetCode": str(level),
                "targetFramework": LEVEL_FRAMEWORK,
                "targetType": "ext:SkillLevel",
                "targetUrl": f"{base}/skill-levels/{level}",
            },
        ],
        "resultDescription": [
            {
                "id": hours_result_id(ach_id),
                "type": ["ResultDescription"],
                "name": "培训学时 (training hours, 1 学时 = 45 minutes)",
                "resultType": HOURS_RESULT_TYPE,
                "valueMin": "0",
            },
            {
                "id": score_result_id(ach_id),
                "type": ["ResultDescription"],
                "name": "考核成绩 (assessment score)",
                "resultType": SCORE_RESULT_TYPE,
                "valueMin": "0",
                "valueMax": _num(max_score),
            },
        ],
    }
    if required_hours is not None:
        doc["resultDescription"][0]["requiredValue"] = _num(required_hours)
    if pass_mark is not None:
        doc["resultDescription"][1]["requiredValue"] = _num(pass_mark)
    if creator is not None:
        doc["creator"] = issuer_summary(creator)
    return doc


def new_salt() -> str:
    return secrets.token_hex(16)


def identity_hash(id_number: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` + hex(SHA-256(UTF-8(id_number + salt)))."""
    normalised = id_number.strip().upper()  # the check digit may be written x or X
    digest = hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def identity_object(id_number: str, salt: str | None = None) -> dict[str, Any]:
    salt = salt or new_salt()
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(id_number, salt),
        "identityType": "nationalIdentityNumber",
        "hashed": True,
        "salt": salt,
    }


def holder_matches(credential: dict[str, Any], id_number: str) -> bool:
    """True when ``id_number`` is the one hashed into the credential (employer check)."""
    subject = credential.get("credentialSubject") or {}
    for ident in subject.get("identifier") or []:
        if not isinstance(ident, dict) or ident.get("identityType") != "nationalIdentityNumber":
            continue
        stored = str(ident.get("identityHash", ""))
        if not ident.get("hashed"):
            continue
        candidate = identity_hash(id_number, str(ident.get("salt", "")))
        if hmac.compare_digest(candidate.lower(), stored.lower()):
            return True
    return False


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """BitstringStatusListEntry (Bitstring Status List v1.0 §2.1); the index is a string."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def build_credential(
    *,
    issuer: dict[str, Any],
    achievement: dict[str, Any],
    learner_uuid: uuid.UUID | str,
    id_number: str | None,
    hours: float | int | Decimal,
    score: float | int | Decimal | None,
    valid_from: datetime,
    valid_until: datetime | None = None,
    status_entries: list[dict[str, Any]] | None = None,
    credential_uuid: uuid.UUID | None = None,
    salt: str | None = None,
    include_schema: bool = True,
) -> dict[str, Any]:
    """An OB 3.0 AchievementCredential (unsecured; ``jwt_vc.sign_credential`` secures it).

    ``id_number`` only feeds the salted hash; it is not returned or kept anywhere.
    """
    learner = uuid.UUID(str(learner_uuid))
    ach_id = achievement["id"]
    results: list[dict[str, Any]] = [
        {"type": ["Result"], "resultDescription": hours_result_id(ach_id), "value": _num(hours)}
    ]
    if score is not None:
        results.append(
            {"type": ["Result"], "resultDescription": score_result_id(ach_id), "value": _num(score)}
        )
    subject: dict[str, Any] = {
        "id": f"urn:uuid:{learner}",
        "type": ["AchievementSubject"],
        "achievement": achievement,
        "result": results,
    }
    if id_number:
        subject["identifier"] = [identity_object(id_number, salt)]
    contexts = [VCDM2_CONTEXT, OB3_CONTEXT]
    if include_schema:
        contexts.append(OB3_EXTENSIONS_CONTEXT)
    credential: dict[str, Any] = {
        "@context": contexts,
        "id": f"urn:uuid:{credential_uuid or uuid.uuid4()}",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": issuer_summary(issuer),
        "validFrom": to_xsd(valid_from),
        "name": achievement["name"],
        "credentialSubject": subject,
    }
    if "description" in achievement:
        credential["description"] = achievement["description"]
    if "image" in achievement:
        credential["image"] = achievement["image"]
    if valid_until is not None:
        credential["validUntil"] = to_xsd(valid_until)
    if status_entries:
        # One entry is one object: the 1EdTech OB 3.0 JSON schema types credentialStatus as a
        # single object; several (revocation + suspension) need VCDM 2.0 §4.10's array form.
        credential["credentialStatus"] = (
            status_entries[0] if len(status_entries) == 1 else list(status_entries)
        )
    if include_schema:
        credential["credentialSchema"] = [
            {"id": OB3_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
        ]
    return credential
